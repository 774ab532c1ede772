// Uniform block shared by the scene pass programs (std140; layout mirrored in renderer/gl/scene_pass.py).
// World = stage axes (X right, Y forward, Z up, metres); colours scene-linear.
layout(std140) uniform SceneBlock {
    mat4 u_clip_from_world;   // per frame: projection * view
    mat4 u_world_from_clip;   // per frame: its inverse
    mat4 u_world_from_scene;  // placement: T(offset) * scale * Rz(yaw)
    mat4 u_scene_from_world;  // its inverse (grid coordinates)
    vec4 u_sun_dir;           // xyz: unit vector towards the sun (world); w: sun disc gain (0 = no disc)
    vec4 u_sun_color;         // rgb: colour * intensity
    vec4 u_ambient;           // rgb: ambient light
    vec4 u_sky_zenith;        // rgb
    vec4 u_sky_horizon;       // rgb
    vec4 u_sky_nadir;         // rgb
    vec4 u_ground_color;      // rgb; w: 1 = ground enabled
    vec4 u_grid_color;        // rgb; w: grid spacing (scene metres)
    vec4 u_ground;            // x: plane height (world z); y: line width (scene m); z: fade distance (world m)
};
