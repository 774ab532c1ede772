#version 330 core
uniform sampler2D wall_image;   // the wall's output image (already encoded for display)
in vec2 v_uv;
out vec4 frag_color;
void main() {
    frag_color = vec4(texture(wall_image, v_uv).rgb, 1.0);
}
