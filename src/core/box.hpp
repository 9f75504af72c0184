#pragma once
// Boxes as Darknet keeps them: centre x, centre y, width, height (relative 0..1 or pixels).
#include <algorithm>

namespace dn {

struct Box {
  float x = 0, y = 0, w = 0, h = 0;
};

inline float overlap_1d(float c1, float w1, float c2, float w2) {
  float left = std::max(c1 - w1 / 2, c2 - w2 / 2);
  float right = std::min(c1 + w1 / 2, c2 + w2 / 2);
  return right - left;
}

inline float box_intersection(const Box& a, const Box& b) {
  float w = overlap_1d(a.x, a.w, b.x, b.w);
  float h = overlap_1d(a.y, a.h, b.y, b.h);
  if (w <= 0 || h <= 0) return 0;
  return w * h;
}

inline float box_union(const Box& a, const Box& b) {
  return a.w * a.h + b.w * b.h - box_intersection(a, b);
}

inline float box_iou(const Box& a, const Box& b) {
  float u = box_union(a, b);
  if (u <= 0) return 0;
  return box_intersection(a, b) / u;
}

}  // namespace dn
