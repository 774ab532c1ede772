#version 330 core
#include "scene_block.glsl"
// Lambert from the sun and the point lights + ambient + emissive, then fog; scene-linear, alpha 1.
in vec3 v_normal;
in vec3 v_world;
in vec2 v_uv;
in vec4 v_color;
flat in vec4 v_albedo;
uniform bool u_textured;         // sample u_base_color (sRGB texture, so linear here)
uniform sampler2D u_base_color;  // texture unit 0
out vec4 frag_color;
void main() {
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;  // two-sided meshes (culling is off for them)
    vec3 light = u_sun_color.rgb * max(dot(n, u_sun_dir.xyz), 0.0) + u_ambient.rgb + vec3(v_albedo.w);
    light += point_light(v_world, n);
    vec3 albedo = v_albedo.rgb * v_color.rgb;
    if (u_textured) albedo *= texture(u_base_color, v_uv).rgb;
    frag_color = vec4(apply_fog(albedo * light, v_world), 1.0);
}
