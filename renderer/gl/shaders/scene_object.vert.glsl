#version 330 core
#include "scene_block.glsl"
// Instanced mesh: per-vertex position, normal, uv, colour; per-instance scene_from_object, its normal matrix and
// albedo.
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec3 a_normal;
layout(location = 2) in mat4 a_scene_from_object;  // locations 2-5
layout(location = 6) in mat3 a_normal_matrix;      // locations 6-8
layout(location = 9) in vec4 a_albedo;             // rgb colour, w emissive
layout(location = 10) in vec2 a_uv;                // v = 0 at the image's top row
layout(location = 11) in vec4 a_color;             // linear vertex colour (1 where the mesh has none)
out vec3 v_normal;
out vec3 v_world;
out vec2 v_uv;
out vec4 v_color;
flat out vec4 v_albedo;
void main() {
    vec4 world = u_world_from_scene * (a_scene_from_object * vec4(a_position, 1.0));
    gl_Position = u_clip_from_world * world;
    // The placement is a rotation times a uniform scale, so its linear part transforms normals too.
    v_normal = mat3(u_world_from_scene) * (a_normal_matrix * a_normal);
    v_world = world.xyz;
    v_uv = a_uv;
    v_color = a_color;
    v_albedo = a_albedo;
}
