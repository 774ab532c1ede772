#version 330 core
#include "scene_block.glsl"
// Sky (gradient + sun disc, or an equirectangular panorama) and the infinite ground plane, ray-traced per pixel; writes the ground's depth so
// objects drawn afterwards occlude and are occluded correctly. The sky is at the far plane (depth 1).
in vec4 v_near;
in vec4 v_mid;
uniform sampler2D u_panorama;  // texture unit 1: sRGB equirectangular, row 0 (v = 0) = zenith
out vec4 frag_color;

const float SUN_COS_INNER = 0.99996192;  // cos(0.5 deg): full disc inside
const float SUN_COS_OUTER = 0.99984770;  // cos(1.0 deg): soft edge outside
const float MINOR_LINE_STRENGTH = 0.5;   // minor grid lines blend half way to the grid colour

vec3 sky_color(vec3 d) {
    float e = clamp(d.z, -1.0, 1.0);
    float k = 1.0 - pow(1.0 - abs(e), 3.0);  // 0 at the horizon, 1 at zenith/nadir, flat at the poles
    vec3 sky = mix(u_sky_horizon.rgb, e >= 0.0 ? u_sky_zenith.rgb : u_sky_nadir.rgb, k);
    float disc = smoothstep(SUN_COS_OUTER, SUN_COS_INNER, dot(d, u_sun_dir.xyz));
    return sky + disc * u_sun_dir.w * u_sun_color.rgb;
}

// Integral from 0 to x of the line pattern along one axis (1 within w/2 of an integer, else 0).
vec2 line_integral(vec2 x, vec2 w) {
    vec2 y = x + 0.5 * w;
    return floor(y) * w + min(fract(y), w);
}

// Coverage in [0, 1] of grid lines of width w (in cells) at cell coordinates uv, box-filtered over the pixel
// (analytic anti-aliasing): per axis, the fraction of the pixel's footprint that lies on a line, the footprint being
// the pixel's extent in cells (length of the screen-space gradient, not fwidth's |dx| + |dy|, which makes lines
// that run diagonally across the pixels too wide and dim). Exact for every footprint: a line thinner than a pixel
// keeps its mean brightness instead of breaking up, distant cells average to the mean coverage w, so a low-resolution
// cube face matches a supersampled one (tests/renderer/test_outer_grid_aliasing.py).
float grid_coverage(vec2 uv, float w) {
    vec2 d = max(sqrt(dFdx(uv) * dFdx(uv) + dFdy(uv) * dFdy(uv)), vec2(1e-6));
    vec2 x = fract(uv);  // the pattern repeats every cell: small arguments keep the difference exact in float32
    vec2 cov = clamp((line_integral(x + 0.5 * d, vec2(w)) - line_integral(x - 0.5 * d, vec2(w))) / d, 0.0, 1.0);
    return 1.0 - (1.0 - cov.x) * (1.0 - cov.y);
}

// Panorama colour in world direction d (turned with the scene's placement). u = 0.5 at the centre azimuth and grows
// clockwise seen from above (to the right when looking out); v = 0 at the zenith. The mip level follows the pixel
// footprint (computed from fwidth of the direction, so the azimuth seam does not pick the smallest mip).
vec3 panorama_color(vec3 d, float lod) {
    vec3 s = normalize(mat3(u_scene_from_world) * d);
    float az = atan(s.y, s.x);
    float u = fract(0.5 + (u_sky_pano.z - az) / 6.28318531);
    float v = 0.5 - asin(clamp(s.z, -1.0, 1.0)) / 3.14159265;
    return textureLod(u_panorama, vec2(u, v), lod).rgb * u_sky_pano.w;
}

void main() {
    vec3 origin = v_near.xyz / v_near.w;
    vec3 dir = normalize(v_mid.xyz / v_mid.w - origin);
    // Ray-plane hit, computed for every pixel so that fwidth() below runs in uniform control flow.
    float dz = abs(dir.z) > 1e-7 ? dir.z : 1e-7;
    float t = (u_ground.x - origin.z) / dz;
    vec3 hit = origin + t * dir;
    float spacing = u_grid_color.w;
    vec2 cell = (u_scene_from_world * vec4(hit, 1.0)).xy / spacing;
    float minor = grid_coverage(cell, u_ground.y / spacing);
    float major = grid_coverage(cell * 0.1, 0.1 * u_ground.y / spacing);
    float line = max(MINOR_LINE_STRENGTH * minor, major);

#if PANORAMA
    float texels = length(fwidth(dir)) * float(textureSize(u_panorama, 0).x) / 6.28318531;
    float lod = log2(max(texels, 1.0));
#endif

    if (u_ground_color.w > 0.5 && t > 0.0) {
        vec3 albedo = mix(u_ground_color.rgb, u_grid_color.rgb, line);
        vec3 light = u_sun_color.rgb * max(u_sun_dir.z, 0.0) + u_ambient.rgb;
        light += point_light(hit, vec3(0.0, 0.0, 1.0));
        float fade = 1.0 - exp(-pow(t / u_ground.z, 2.0));  // t = distance, since dir is unit
        frag_color = vec4(apply_fog(mix(albedo * light, u_sky_horizon.rgb, fade), hit), 1.0);
        vec4 clip = u_clip_from_world * vec4(hit, 1.0);
        float ndc_z = clamp(clip.z / clip.w, -1.0, 1.0);
        gl_FragDepth = gl_DepthRange.near + gl_DepthRange.diff * (0.5 * ndc_z + 0.5);
    } else {
#if PANORAMA
        frag_color = vec4(u_sky_pano.y > 0.5 ? panorama_color(dir, lod) : sky_color(dir), 1.0);
#else
        frag_color = vec4(sky_color(dir), 1.0);
#endif
        gl_FragDepth = gl_DepthRange.far;
    }
}
