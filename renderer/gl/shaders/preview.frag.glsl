#version 330 core
// The witness preview: each LED section shows its wall's image. PREVIEW_FUNCTION (when defined: OCIO's GLSL of the
// wall's preview processor, inserted after the #version line by renderer/gl/color_pass.py) turns the wall's signal
// into sRGB, so every wall is shown display-referred whatever its display (docs/color.md).
uniform sampler2D wall_image;   // the wall's output image (already encoded for display)
in vec2 v_uv;
out vec4 frag_color;
void main() {
    vec3 c = texture(wall_image, v_uv).rgb;
#ifdef PREVIEW_FUNCTION
    c = PREVIEW_FUNCTION(vec4(c, 1.0)).rgb;
#endif
    frag_color = vec4(c, 1.0);
}
