#pragma once
// Boxes as Darknet keeps them: centre x, centre y, width, height (relative 0..1 or pixels). The
// IoU family is DN_HD: the CUDA [yolo] kernels assign targets with these very functions.
#include <algorithm>
#include <cmath>

#include "core/hd.hpp"

namespace dn {

struct Box {
  float x = 0, y = 0, w = 0, h = 0;
};

DN_HD inline float overlap_1d(float c1, float w1, float c2, float w2) {
  const float a = c1 - w1 / 2, b = c2 - w2 / 2, c = c1 + w1 / 2, d = c2 + w2 / 2;
  const float left = a < b ? b : a;   // std::max(a, b)
  const float right = d < c ? d : c;  // std::min(c, d)
  return right - left;
}

DN_HD inline float box_intersection(const Box& a, const Box& b) {
  float w = overlap_1d(a.x, a.w, b.x, b.w);
  float h = overlap_1d(a.y, a.h, b.y, b.h);
  if (w <= 0 || h <= 0) return 0;
  return w * h;
}

DN_HD inline float box_union(const Box& a, const Box& b) {
  return a.w * a.h + b.w * b.h - box_intersection(a, b);
}

DN_HD inline float box_iou(const Box& a, const Box& b) {
  float u = box_union(a, b);
  if (u <= 0) return 0;
  return box_intersection(a, b) / u;
}

// AlexeyAB's DIoU as its NMS uses it: IoU - (d / c)^power, d the squared distance of the centres,
// c the squared diagonal of the smallest box enclosing both (IoU alone when c = 0). Its
// nms_kind=greedynms uses power .6 (its box_diou), diounms power beta_nms; the DIoU paper's
// penalty is d / c itself (power 1).
inline float box_diou_nms(const Box& a, const Box& b, float power) {
  const float left = std::min(a.x - a.w / 2, b.x - b.w / 2), right = std::max(a.x + a.w / 2, b.x + b.w / 2);
  const float top = std::min(a.y - a.h / 2, b.y - b.h / 2), bot = std::max(a.y + a.h / 2, b.y + b.h / 2);
  const float cw = right - left, ch = bot - top;
  const float c = cw * cw + ch * ch;
  const float iou = box_iou(a, b);
  if (c == 0) return iou;
  const float d = (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y);
  return iou - std::pow(d / c, power);
}

// How non-maximum suppression measures the overlap of two boxes ([yolo] nms_kind).
enum class NmsKind {
  iou,          // nms_kind absent (or default): IoU, Darknet's do_nms_sort
  greedy_diou,  // nms_kind=greedynms: AlexeyAB's DIoU with power .6
  diou,         // nms_kind=diounms: DIoU with power beta_nms
};

}  // namespace dn
