#version 330 core
#include "scene_block.glsl"
// One clip-space-covering triangle; each corner carries the world points of its pixel ray at NDC z = -1 (near
// plane) and z = 0, as homogeneous vec4s: they are linear in NDC, so interpolation is exact for any camera.
out vec4 v_near;
out vec4 v_mid;
void main() {
    vec2 ndc = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2)) * 2.0 - 1.0;
    gl_Position = vec4(ndc, 0.0, 1.0);
    v_near = u_world_from_clip * vec4(ndc, -1.0, 1.0);
    v_mid = u_world_from_clip * vec4(ndc, 0.0, 1.0);
}
