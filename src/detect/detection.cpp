#include "detect/detection.hpp"

#include <algorithm>
#include <cstdio>

#include "core/json.hpp"
#include "image/draw.hpp"
#include "layers/yolo.hpp"
#include "network/network.hpp"

namespace dn {

static void correct_box(Box& b, int img_w, int img_h, int net_w, int net_h, bool letterbox) {
  int new_w = net_w, new_h = net_h;
  if (letterbox) {
    LetterboxGeometry g = letterbox_geometry(img_w, img_h, net_w, net_h);
    new_w = g.new_w;
    new_h = g.new_h;
  }
  b.x = (b.x - (net_w - new_w) / 2.f / net_w) / (static_cast<float>(new_w) / net_w);
  b.y = (b.y - (net_h - new_h) / 2.f / net_h) / (static_cast<float>(new_h) / net_h);
  b.w *= static_cast<float>(net_w) / new_w;
  b.h *= static_cast<float>(net_h) / new_h;
}

std::vector<Detection> get_yolo_detections(const YoloLayer& l, int b, int net_w, int net_h, int img_w, int img_h,
                                           float thresh, bool letterbox) {
  std::vector<Detection> dets;
  const int hw = l.out.h * l.out.w;
  for (int loc = 0; loc < hw; ++loc)
    for (int n = 0; n < l.mask_size(); ++n) {
      float obj = l.output[l.entry_index(b, n, 4, loc)];
      if (obj <= thresh) continue;
      Detection d;
      d.objectness = obj;
      d.bbox = l.get_box(b, n, loc % l.out.w, loc / l.out.w, net_w, net_h);
      correct_box(d.bbox, img_w, img_h, net_w, net_h, letterbox);
      d.prob.resize(l.classes);
      for (int k = 0; k < l.classes; ++k) {
        float p = obj * l.output[l.entry_index(b, n, 5 + k, loc)];
        d.prob[k] = p > thresh ? p : 0;
      }
      dets.push_back(std::move(d));
    }
  return dets;
}

std::vector<Detection> get_network_detections(Network& net, int b, int img_w, int img_h, float thresh, bool letterbox) {
  std::vector<Detection> all;
  for (YoloLayer* l : net.yolo_layers()) {
    auto d = get_yolo_detections(*l, b, net.params.width, net.params.height, img_w, img_h, thresh, letterbox);
    all.insert(all.end(), std::make_move_iterator(d.begin()), std::make_move_iterator(d.end()));
  }
  return all;
}

NmsOptions network_nms(Network& net, float thresh) {
  NmsOptions o;
  o.thresh = thresh;
  const auto yolos = net.yolo_layers();
  if (!yolos.empty()) {
    o.kind = yolos.back()->nms_kind;
    o.beta = yolos.back()->beta_nms;
  }
  return o;
}

float nms_overlap(const Box& a, const Box& b, const NmsOptions& o) {
  switch (o.kind) {
    case NmsKind::greedy_diou: return box_diou_nms(a, b, .6f);
    case NmsKind::diou: return box_diou_nms(a, b, o.beta);
    case NmsKind::iou: break;
  }
  return box_iou(a, b);
}

void nms_sort(std::vector<Detection>& dets, int classes, const NmsOptions& o) {
  dets.erase(std::remove_if(dets.begin(), dets.end(), [](const Detection& d) { return d.objectness == 0; }),
             dets.end());
  std::vector<int> order;
  order.reserve(dets.size());
  for (int k = 0; k < classes; ++k) {
    // Only the boxes that have the class take part; sorted by its probability.
    order.clear();
    for (size_t i = 0; i < dets.size(); ++i)
      if (dets[i].prob[k] > 0) order.push_back(static_cast<int>(i));
    std::stable_sort(order.begin(), order.end(), [&](int a, int c) { return dets[a].prob[k] > dets[c].prob[k]; });
    for (size_t i = 0; i < order.size(); ++i) {
      const Detection& a = dets[order[i]];
      if (a.prob[k] == 0) continue;  // suppressed by a better box: it suppresses nothing
      for (size_t j = i + 1; j < order.size(); ++j) {
        Detection& c = dets[order[j]];
        if (c.prob[k] > 0 && nms_overlap(a.bbox, c.bbox, o) > o.thresh) c.prob[k] = 0;
      }
    }
  }
}

void print_detections(FILE* f, const std::vector<Detection>& dets, const std::vector<std::string>& names, float thresh,
                      int img_w, int img_h, bool ext_output) {
  for (const Detection& d : dets) {
    bool any = false;
    for (size_t k = 0; k < d.prob.size(); ++k)
      if (d.prob[k] > thresh) {
        std::fprintf(f, "%s: %.0f%%\n", k < names.size() ? names[k].c_str() : std::to_string(k).c_str(), d.prob[k] * 100);
        any = true;
      }
    if (any && ext_output)
      std::fprintf(f, "\t(left_x: %4.0f   top_y: %4.0f   width: %4.0f   height: %4.0f)\n",
                   (d.bbox.x - d.bbox.w / 2) * img_w, (d.bbox.y - d.bbox.h / 2) * img_h, d.bbox.w * img_w,
                   d.bbox.h * img_h);
  }
}

void draw_detections(Image& im, const std::vector<Detection>& dets, const std::vector<std::string>& names, float thresh) {
  for (const Detection& d : dets) {
    std::string label;
    int cls = -1;
    for (size_t k = 0; k < d.prob.size(); ++k)
      if (d.prob[k] > thresh) {
        if (cls < 0) cls = static_cast<int>(k);
        label += (label.empty() ? "" : ", ") + (k < names.size() ? names[k] : std::to_string(k));
      }
    if (cls < 0) continue;
    float rgb[3];
    get_class_colour(cls, static_cast<int>(d.prob.size()), rgb);
    int left = static_cast<int>((d.bbox.x - d.bbox.w / 2) * im.w);
    int right = static_cast<int>((d.bbox.x + d.bbox.w / 2) * im.w);
    int top = static_cast<int>((d.bbox.y - d.bbox.h / 2) * im.h);
    int bot = static_cast<int>((d.bbox.y + d.bbox.h / 2) * im.h);
    left = std::clamp(left, 0, im.w - 1);
    right = std::clamp(right, 0, im.w - 1);
    top = std::clamp(top, 0, im.h - 1);
    bot = std::clamp(bot, 0, im.h - 1);
    int thickness = std::max(1, static_cast<int>(im.h * .006f));
    draw_box(im, left, top, right, bot, rgb[0], rgb[1], rgb[2], thickness);
    LabelSize ls = label_size(im, label);
    int ly = top - ls.h >= 0 ? top - ls.h : top;
    draw_label(im, left, ly, label, rgb[0], rgb[1], rgb[2]);
  }
}

std::string detections_json(int frame_id, const std::string& filename, const std::vector<Detection>& dets,
                            const std::vector<std::string>& names, float thresh) {
  using json::fixed;
  std::string s = "{\n \"frame_id\":" + json::number(frame_id) + ",\n \"filename\":" + json::quote(filename) +
                  ",\n \"objects\": [";
  bool first = true;
  for (const Detection& d : dets)
    for (size_t k = 0; k < d.prob.size(); ++k) {
      if (!(d.prob[k] > thresh)) continue;
      s += first ? "\n  " : ",\n  ";
      s += "{\"class_id\":" + json::number(k) + ", \"name\":" + json::quote(k < names.size() ? names[k] : std::to_string(k)) +
           ", \"relative_coordinates\":{\"center_x\":" + fixed(d.bbox.x) + ", \"center_y\":" + fixed(d.bbox.y) +
           ", \"width\":" + fixed(d.bbox.w) + ", \"height\":" + fixed(d.bbox.h) + "}, \"confidence\":" +
           fixed(d.prob[k]) + "}";
      first = false;
    }
  s += "\n ]\n}";
  return s;
}

}  // namespace dn
