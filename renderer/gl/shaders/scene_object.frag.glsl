#version 330 core
#include "scene_block.glsl"
// Lambert from the sun + ambient + emissive, scene-linear, alpha 1.
in vec3 v_normal;
flat in vec4 v_albedo;
out vec4 frag_color;
void main() {
    vec3 n = normalize(v_normal);
    vec3 light = u_sun_color.rgb * max(dot(n, u_sun_dir.xyz), 0.0) + u_ambient.rgb + vec3(v_albedo.w);
    frag_color = vec4(v_albedo.rgb * light, 1.0);
}
