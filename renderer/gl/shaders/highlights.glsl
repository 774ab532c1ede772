// Hue-preserving highlight clip (stage/color/highlights.py, docs/color.md "Highlights"): a colour whose largest
// channel exceeds `limit` is scaled down as a whole (its channel ratios survive), then moved towards white at
// `limit` by how far over it was (all the way at HIGHLIGHT_STOPS_TO_WHITE stops); colours in range are unchanged.
// Clipping each channel separately would turn bright sand yellow.
const float HIGHLIGHT_STOPS_TO_WHITE = 3.0;

vec3 clip_highlights(vec3 linear, float limit) {
    float peak = max(max(linear.r, linear.g), linear.b);
    if (peak <= limit) return linear;
    vec3 scaled = linear * (limit / peak);
    float t = min(log2(peak / limit) / HIGHLIGHT_STOPS_TO_WHITE, 1.0);
    return scaled + t * (vec3(limit) - scaled);
}
