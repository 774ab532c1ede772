// Uniform block shared by the scene pass programs (std140; layout mirrored in renderer/gl/scene_geometry.py).
// World = stage axes (X right, Y forward, Z up, metres); colours scene-linear.
#define MAX_POINT_LIGHTS 8
// POINT_LIGHTS (0..8), FOG and PANORAMA are compiled in per scene (scene_pass.py builds one program variant per
// combination): loops and branches on uniforms cost every pixel on software rasterizers.
#ifndef POINT_LIGHTS
#define POINT_LIGHTS MAX_POINT_LIGHTS
#endif
#ifndef FOG
#define FOG 1
#endif
#ifndef PANORAMA
#define PANORAMA 1
#endif
layout(std140) uniform SceneBlock {
    mat4 u_clip_from_world;   // per frame: projection * view
    mat4 u_world_from_clip;   // per frame: its inverse
    vec4 u_eye;               // per frame: xyz eye position (world); w: time_s
    mat4 u_world_from_scene;  // placement: T(offset) * scale * Rz(yaw)
    mat4 u_scene_from_world;  // its inverse (grid coordinates)
    vec4 u_sun_dir;           // xyz: unit vector towards the sun (world); w: sun disc gain (0 = no disc)
    vec4 u_sun_color;         // rgb: colour * intensity (time of day applied)
    vec4 u_ambient;           // rgb: ambient light
    vec4 u_sky_zenith;        // rgb
    vec4 u_sky_horizon;       // rgb
    vec4 u_sky_nadir;         // rgb
    vec4 u_ground_color;      // rgb; w: 1 = ground enabled
    vec4 u_grid_color;        // rgb; w: grid spacing (scene metres)
    vec4 u_ground;            // x: plane height (world z); y: line width (scene m); z: fade distance (world m)
    vec4 u_fog;               // rgb: fog colour; w: density per world metre (0 = no fog)
    vec4 u_sky_pano;          // x: fog start (world m); y: 1 = panorama sky; z: centre azimuth (rad); w: gain
    vec4 u_lights;            // x: number of point lights; y: placement scale
    vec4 u_point[2 * MAX_POINT_LIGHTS];  // per light: (xyz world position, range world m), (rgb colour * intensity)
};

// Light from the point lights at world point p with unit normal n: I / max(d², 0.01) * (1 - (d/range)^4)^2,
// d in scene metres.
vec3 point_light(vec3 p, vec3 n) {
    vec3 sum = vec3(0.0);
#if POINT_LIGHTS > 0
    int count = int(u_lights.x + 0.5);
    for (int i = 0; i < POINT_LIGHTS; ++i) {
        if (i >= count) break;
        vec3 to_light = u_point[2 * i].xyz - p;
        float d = length(to_light);
        float x = d / u_point[2 * i].w;
        float window = clamp(1.0 - x * x * x * x, 0.0, 1.0);
        float ds = d / u_lights.y;
        sum += u_point[2 * i + 1].rgb * max(dot(n, to_light / max(d, 1e-6)), 0.0) * window * window
            / max(ds * ds, 0.01);
    }
#endif
    return sum;
}

// Exponential distance fog from the eye towards the fog colour.
vec3 apply_fog(vec3 color, vec3 p) {
#if !FOG
    return color;
#endif
    if (u_fog.w <= 0.0) return color;
    float d = max(length(p - u_eye.xyz) - u_sky_pano.x, 0.0);
    return mix(color, u_fog.rgb, 1.0 - exp(-u_fog.w * d));
}
