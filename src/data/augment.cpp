#include "data/augment.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace dn {

AugmentGeometry random_geometry(int src_w, int src_h, const AugmentParams& p, Rng& rng) {
  const float dw = p.jitter * src_w, dh = p.jitter * src_h;
  float left = rng.uniform(-dw, dw), right = rng.uniform(-dw, dw);
  float top = rng.uniform(-dh, dh), bottom = rng.uniform(-dh, dh);
  AugmentGeometry g{left, top, src_w - left - right, src_h - top - bottom, false};
  // With jitter < .5 the window cannot collapse; guard larger jitter anyway.
  if (g.w < 1) g.w = 1;
  if (g.h < 1) g.h = 1;
  if (p.letterbox) {
    const float out_ar = static_cast<float>(p.w) / p.h;
    if (g.w / g.h > out_ar) {
      float nh = g.w / out_ar;
      g.y0 -= (nh - g.h) / 2;
      g.h = nh;
    } else {
      float nw = g.h * out_ar;
      g.x0 -= (nw - g.w) / 2;
      g.w = nw;
    }
  }
  const bool coin = rng.below(2) == 1;  // drawn even without flip: same random stream
  g.flip = p.flip && coin;
  return g;
}

void transform_boxes(std::vector<LabelBox>& boxes, int src_w, int src_h, const AugmentGeometry& g,
                     int out_w, int out_h) {
  std::vector<LabelBox> kept;
  kept.reserve(boxes.size());
  for (const LabelBox& b : boxes) {
    // Corners in the source's pixels, then relative to the crop window.
    float l = ((b.box.x - b.box.w / 2) * src_w - g.x0) / g.w;
    float r = ((b.box.x + b.box.w / 2) * src_w - g.x0) / g.w;
    float t = ((b.box.y - b.box.h / 2) * src_h - g.y0) / g.h;
    float d = ((b.box.y + b.box.h / 2) * src_h - g.y0) / g.h;
    l = std::clamp(l, 0.0f, 1.0f);
    r = std::clamp(r, 0.0f, 1.0f);
    t = std::clamp(t, 0.0f, 1.0f);
    d = std::clamp(d, 0.0f, 1.0f);
    if ((r - l) * out_w < 1 || (d - t) * out_h < 1) continue;
    if (g.flip) {
      float nl = 1 - r;
      r = 1 - l;
      l = nl;
    }
    kept.push_back({b.cls, {(l + r) / 2, (t + d) / 2, r - l, d - t}});
  }
  boxes = std::move(kept);
}

Image render_geometry(const Image& src, const AugmentGeometry& g, int out_w, int out_h) {
  Image out = make_image(out_w, out_h, src.c, 0.5f);
  // Per output column/row: the two source indices and the weight of the second, or -1 when the
  // sample falls outside the source (stays grey). Pixel centres: out x + .5 <-> src sx + .5.
  struct Tap {
    int i0, i1;
    float f;
  };
  auto taps = [](int n_out, float start, float extent, int n_src, bool mirror) {
    std::vector<Tap> t(n_out);
    for (int o = 0; o < n_out; ++o) {
      int oo = mirror ? n_out - 1 - o : o;
      float s = start + (oo + 0.5f) * extent / n_out - 0.5f;
      if (s < -0.5f || s > n_src - 0.5f) {
        t[o] = {-1, -1, 0};
        continue;
      }
      int i = static_cast<int>(std::floor(s));
      float f = s - i;
      t[o] = {std::clamp(i, 0, n_src - 1), std::clamp(i + 1, 0, n_src - 1), f};
    }
    return t;
  };
  const std::vector<Tap> tx = taps(out_w, g.x0, g.w, src.w, g.flip);
  const std::vector<Tap> ty = taps(out_h, g.y0, g.h, src.h, false);
  for (int k = 0; k < src.c; ++k)
    for (int y = 0; y < out_h; ++y) {
      const Tap& a = ty[y];
      if (a.i0 < 0) continue;
      const float* r0 = &src.data[(static_cast<size_t>(k) * src.h + a.i0) * src.w];
      const float* r1 = &src.data[(static_cast<size_t>(k) * src.h + a.i1) * src.w];
      float* dst = &out.data[(static_cast<size_t>(k) * out_h + y) * out_w];
      for (int x = 0; x < out_w; ++x) {
        const Tap& b = tx[x];
        if (b.i0 < 0) continue;
        float top = (1 - b.f) * r0[b.i0] + b.f * r0[b.i1];
        float bot = (1 - b.f) * r1[b.i0] + b.f * r1[b.i1];
        dst[x] = (1 - a.f) * top + a.f * bot;
      }
    }
  return out;
}

// A factor in [1/s, s]: uniform in [1, s], inverted half of the time (Darknet's rand_scale).
static float random_scale(float s, Rng& rng) {
  if (s < 1) s = 1 / s;
  float scale = rng.uniform(1, s);
  return rng.below(2) ? scale : 1 / scale;
}

Image augment_image(const Image& src, std::vector<LabelBox>& boxes, const AugmentParams& p, Rng& rng) {
  if (src.w <= 0 || src.h <= 0) fail("augment_image: empty image");
  if (p.w <= 0 || p.h <= 0) fail("augment_image: bad output size " + std::to_string(p.w) + "x" + std::to_string(p.h));
  AugmentGeometry g = random_geometry(src.w, src.h, p, rng);
  Image out = render_geometry(src, g, p.w, p.h);
  transform_boxes(boxes, src.w, src.h, g, p.w, p.h);

  // Always draw the three colour factors so the random stream does not depend on the settings.
  const float dhue = rng.uniform(-p.hue, p.hue);
  const float dsat = random_scale(p.saturation, rng);
  const float dexp = random_scale(p.exposure, rng);
  if (out.c == 3 && (dhue != 0 || dsat != 1 || dexp != 1)) distort_image(out, dhue, dsat, dexp);

  if (p.max_boxes >= 0 && static_cast<int>(boxes.size()) > p.max_boxes) {
    for (size_t i = boxes.size() - 1; i > 0; --i) std::swap(boxes[i], boxes[rng.below(static_cast<uint32_t>(i + 1))]);
    boxes.resize(p.max_boxes);
  }
  return out;
}

}  // namespace dn
