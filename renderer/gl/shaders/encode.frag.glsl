#version 330 core
// Output transform of a scene-linear image (camera.png): gain, white balance (linear Rec.709), the hue-preserving
// highlight clip, then the transfer function. The camera image stays Rec.709/sRGB whatever the walls' encodings
// (docs/color.md).
uniform sampler2D image;
uniform float gain;
uniform mat3 white_balance;   // identity at 6500 K, tint 0
uniform int transfer;   // 0 linear, 1 sRGB
in vec2 v_uv;
out vec4 frag_color;

#include "highlights.glsl"

void main() {
    vec3 c = clamp(clip_highlights(white_balance * (texture(image, v_uv).rgb * gain), 1.0), 0.0, 1.0);
    if (transfer == 1) {
        c = mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
    }
    frag_color = vec4(c, 1.0);
}
