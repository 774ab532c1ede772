#version 330 core
// Witness view: LED sections as textured quads, seen by the camera.
layout(location = 0) in vec3 position_m;
layout(location = 1) in vec2 uv;
uniform mat4 clip_from_world;
out vec2 v_uv;
void main() {
    v_uv = uv;
    gl_Position = clip_from_world * vec4(position_m, 1.0);
}
