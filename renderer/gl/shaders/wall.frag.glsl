#version 330 core
// The wall pass: one fragment per LED pixel. The pixel's stage position comes from the wall's position map;
// the outer frustum is sampled from a cube map rendered at the outer viewpoint, light cards are laid over it,
// then every camera's inner frustum (lowest priority first) is composited on top with a soft edge.
// Output: scene-linear × 2^EV × brightness through the wall's output transform (colour matrix, transfer function,
// 3D LUT: output_transform() from renderer/gl/color_pass.py, inserted before this text; docs/color.md).
//
// CAMERA_COUNT, CARD_COUNT and CHROMA_KEY are compiled in (wall_pass.py builds one variant per combination, and
// per output-transform variant): loops with uniform bounds are several times slower on software rasterizers.
// Walls cache what does not change per frame (wall_cache.py): OUTER_SCENE_OUT writes the scene-linear outer
// colour (cube map + light cards, before gain and output transform) instead of the output; OUTER_FROM_CACHE reads
// it back from that cache (one texel fetch) instead of sampling the cube map and evaluating the cards.
#ifndef CAMERA_COUNT
#define CAMERA_COUNT 1
#endif
#ifndef CARD_COUNT
#define CARD_COUNT 0
#endif
#ifndef CHROMA_KEY
#define CHROMA_KEY 0
#endif
#ifndef OUTER_FROM_CACHE
#define OUTER_FROM_CACHE 0
#endif
#ifndef OUTER_SCENE_OUT
#define OUTER_SCENE_OUT 0
#endif
#define CARD_ARRAY (CARD_COUNT > 0 ? CARD_COUNT : 1)
#define CAMERA_ARRAY (CAMERA_COUNT > 0 ? CAMERA_COUNT : 1)

uniform sampler2D position_map;   // RGB32F, stage metres of each pixel centre (GL rows: bottom = last image row)
uniform ivec2 viewport_origin;    // window pixel of the wall image's bottom-left corner
uniform vec2 pitch_m;             // metres per pixel along the wall (x) and up (y), for the marker grid
uniform ivec2 size_px;

uniform samplerCube outer_cube;
uniform vec3 outer_eye;
uniform sampler2D outer_scene;    // OUTER_FROM_CACHE: RGBA32F, the scene-linear outer colour of each pixel
uniform ivec2 outer_scene_origin; // texel of the wall's bottom-left pixel in outer_scene

uniform sampler2DArray inner_tex;  // one layer per camera, scene-linear
uniform mat4 inner_clip[CAMERA_ARRAY];
uniform float soft_edge_ndc;      // width of the blend band in NDC units (2 = the whole frustum)

uniform vec3 key_color;
uniform bool marker_grid;
uniform float marker_spacing_m;

uniform vec3 card_center[CARD_ARRAY];
uniform vec3 card_right[CARD_ARRAY];
uniform vec3 card_up[CARD_ARRAY];
uniform vec2 card_half_m[CARD_ARRAY];
uniform int card_shape[CARD_ARRAY];   // 0 rectangle, 1 ellipse
uniform float card_soft[CARD_ARRAY];
uniform vec3 card_color[CARD_ARRAY];  // colour × intensity

uniform float gain;                // 2^EV × brightness; 0 for a disabled wall

out vec4 frag_color;

float card_weight(int i, vec3 p) {
    vec3 d = p - card_center[i];
    vec2 q = vec2(dot(d, card_right[i]), dot(d, card_up[i])) / card_half_m[i];
    float r = card_shape[i] == 1 ? length(q) : max(abs(q.x), abs(q.y));
    float soft = max(card_soft[i], 1e-4);
    return 1.0 - smoothstep(1.0 - soft, 1.0, r);
}

vec3 key_fill(ivec2 pixel_gl) {
    if (!marker_grid) return key_color;
    // Wall-local metres from the top-left corner; a cross at every grid point.
    vec2 m = (vec2(pixel_gl.x, size_px.y - 1 - pixel_gl.y) + 0.5) * pitch_m;
    vec2 g = abs(mod(m + 0.5 * marker_spacing_m, marker_spacing_m) - 0.5 * marker_spacing_m);
    float arm = 0.06, half_width = 0.008;
    bool cross = (g.x < half_width && g.y < arm) || (g.y < half_width && g.x < arm);
    return cross ? key_color * 0.35 : key_color;
}

void main() {
    ivec2 pixel_gl = ivec2(gl_FragCoord.xy) - viewport_origin;
    vec3 p = texelFetch(position_map, pixel_gl, 0).xyz;
    // Composite top-down: the highest-priority camera (last) first, keeping the transmittance of what is above, so
    // the outer frustum and light cards are only sampled where an inner frustum doesn't fully cover the pixel.
    // Equivalent to mixing outer → cards → inner[0] → ... → inner[N-1] bottom-up.
    vec3 color = vec3(0.0);
    float transmittance = 1.0;
#if CAMERA_COUNT > 0
    for (int i = CAMERA_COUNT - 1; i >= 0; --i) {
        vec4 clip = inner_clip[i] * vec4(p, 1.0);
        if (clip.w <= 0.0) continue;
        vec2 ndc = clip.xy / clip.w;
        vec2 margin = 1.0 - abs(ndc);
        if (margin.x < 0.0 || margin.y < 0.0) continue;
        float alpha = soft_edge_ndc > 0.0
            ? smoothstep(0.0, soft_edge_ndc, margin.x) * smoothstep(0.0, soft_edge_ndc, margin.y)
            : 1.0;
#if CHROMA_KEY
        vec3 inner = key_fill(pixel_gl);
#else
        vec3 inner = texture(inner_tex, vec3(ndc * 0.5 + 0.5, float(i))).rgb;
#ifdef INNER_LOOKS
        inner = inner_look(i, inner);  // this camera's OCIO look (color_pass.py), in the working space
#endif
#endif
        color += transmittance * alpha * inner;
        transmittance *= 1.0 - alpha;
        if (transmittance <= 0.0) break;
    }
#endif
    if (transmittance > 0.0) {
#if OUTER_FROM_CACHE
        vec3 base = texelFetch(outer_scene, pixel_gl + outer_scene_origin, 0).rgb;
#else
        vec3 base = texture(outer_cube, p - outer_eye).rgb;
#if CARD_COUNT > 0
        for (int i = 0; i < CARD_COUNT; ++i) {
            base = mix(base, card_color[i], card_weight(i, p));
        }
#endif
#endif
        color += transmittance * base;
    }
#if OUTER_SCENE_OUT
    frag_color = vec4(color, 1.0);
#else
    frag_color = vec4(output_transform(color * gain), 1.0);
#endif
}
