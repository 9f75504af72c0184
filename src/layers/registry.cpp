#include "layers/registry.hpp"

#include <functional>
#include <map>

#include "core/error.hpp"
#include "layers/avgpool.hpp"
#include "layers/convolutional.hpp"
#include "layers/dropout.hpp"
#include "layers/maxpool.hpp"
#include "layers/route.hpp"
#include "layers/shortcut.hpp"
#include "layers/upsample.hpp"
#include "layers/yolo.hpp"

namespace dn {

namespace {

Activation activation_of(const CfgSection& s, const std::string& def) {
  std::string name = s.get_string("activation", def);
  try {
    return parse_activation(name);
  } catch (const Error& e) {
    s.fail("activation", e.what());
  }
}

// Resolves a layer reference: negative = relative to this layer; must name an earlier layer.
int resolve_index(const CfgSection& s, const std::string& key, int ref, int index) {
  int abs = ref < 0 ? index + ref : ref;
  if (abs < 0 || abs >= index)
    s.fail(key, "layer index " + std::to_string(ref) + " is out of range (this is layer " + std::to_string(index) +
                    "; valid: 0.." + std::to_string(index - 1) + " or -1..-" + std::to_string(index) + ")");
  return abs;
}

std::unique_ptr<Layer> make_convolutional(const CfgSection& s, const BuildInfo& b) {
  int filters = s.require_int("filters");
  int size = s.require_int("size");
  int stride = s.get_int("stride", 1);
  int pad = s.get_int("pad", 0);
  int padding = s.get_int("padding", 0);
  if (pad) padding = size / 2;
  int groups = s.get_int("groups", 1);
  bool bn = s.get_int("batch_normalize", 0) != 0;
  Activation act = activation_of(s, "logistic");
  if (filters <= 0) s.fail("filters", "filters must be positive");
  if (size <= 0) s.fail("size", "size must be positive");
  if (stride <= 0) s.fail("stride", "stride must be positive");
  if (padding < 0) s.fail("padding", "padding must be >= 0");
  if (groups <= 0 || b.input.c % groups || filters % groups)
    s.fail("groups", "groups=" + std::to_string(groups) + " must divide the input channels (" +
                         std::to_string(b.input.c) + ") and filters (" + std::to_string(filters) + ")");
  if (b.input.h + 2 * padding < size || b.input.w + 2 * padding < size)
    s.fail("size", "kernel larger than its (padded) input");
  s.get_int("flipped", 0);  // accepted, no effect
  return std::make_unique<ConvolutionalLayer>(filters, size, stride, padding, groups, bn, act);
}

std::unique_ptr<Layer> make_maxpool(const CfgSection& s, const BuildInfo& b) {
  int stride = s.get_int("stride", 1);
  int size = s.get_int("size", stride);
  int padding = s.get_int("padding", size - 1);
  if (stride <= 0 || size <= 0 || padding < 0) s.fail("size", "size and stride must be positive, padding >= 0");
  if (b.input.h + padding < size) s.fail("size", "pool window larger than its input");
  return std::make_unique<MaxpoolLayer>(size, stride, padding);
}

std::unique_ptr<Layer> make_avgpool(const CfgSection&, const BuildInfo&) { return std::make_unique<AvgpoolLayer>(); }

std::unique_ptr<Layer> make_upsample(const CfgSection& s, const BuildInfo&) {
  int stride = s.get_int("stride", 2);
  if (stride <= 0) s.fail("stride", "stride must be positive");
  return std::make_unique<UpsampleLayer>(stride, s.get_float("scale", 1.f));
}

std::unique_ptr<Layer> make_route(const CfgSection& s, const BuildInfo& b) {
  if (!s.has("layers")) s.fail("", "missing required key 'layers'");
  std::vector<int> refs = s.get_ints("layers");
  if (refs.empty()) s.fail("layers", "empty 'layers' list");
  std::vector<int> sources;
  std::vector<Shape> shapes;
  for (int r : refs) {
    int abs = resolve_index(s, "layers", r, b.index);
    const Shape& sh = (*b.previous)[abs]->out;
    if (!shapes.empty() && (sh.h != shapes[0].h || sh.w != shapes[0].w))
      s.fail("layers", "routed layers have different sizes (" + std::to_string(shapes[0].w) + "x" +
                           std::to_string(shapes[0].h) + " vs " + std::to_string(sh.w) + "x" + std::to_string(sh.h) + ")");
    sources.push_back(abs);
    shapes.push_back(sh);
  }
  if (s.has("groups") && s.get_int("groups", 1) != 1) s.fail("groups", "route groups are not supported");
  auto layer = std::make_unique<RouteLayer>(sources);
  layer->resize_from(1, shapes);
  return layer;
}

std::unique_ptr<Layer> make_shortcut(const CfgSection& s, const BuildInfo& b) {
  if (!s.has("from")) s.fail("", "missing required key 'from'");
  std::vector<int> refs = s.get_ints("from");
  if (refs.size() != 1) s.fail("from", "expected one layer index");
  int abs = resolve_index(s, "from", refs[0], b.index);
  const Shape& sh = (*b.previous)[abs]->out;
  if (!(sh == b.input))
    s.fail("from", "shape of layer " + std::to_string(abs) + " (" + std::to_string(sh.w) + "x" + std::to_string(sh.h) +
                       "x" + std::to_string(sh.c) + ") differs from the input (" + std::to_string(b.input.w) + "x" +
                       std::to_string(b.input.h) + "x" + std::to_string(b.input.c) + ")");
  return std::make_unique<ShortcutLayer>(abs, activation_of(s, "linear"));
}

std::unique_ptr<Layer> make_dropout(const CfgSection& s, const BuildInfo&) {
  float p = s.get_float("probability", .5f);
  if (p < 0 || p >= 1) s.fail("probability", "probability must be in [0, 1)");
  return std::make_unique<DropoutLayer>(p);
}

std::unique_ptr<Layer> make_yolo(const CfgSection& s, const BuildInfo& b) {
  int classes = s.require_int("classes");
  if (classes <= 0) s.fail("classes", "classes must be positive");
  if (!s.has("anchors")) s.fail("", "missing required key 'anchors'");
  std::vector<float> anchors = s.get_floats("anchors");
  if (anchors.empty() || anchors.size() % 2) s.fail("anchors", "anchors must be w,h pairs");
  int total = static_cast<int>(anchors.size() / 2);
  int num = s.get_int("num", total);
  if (num != total)
    s.fail("num", "num=" + std::to_string(num) + " but anchors has " + std::to_string(total) + " pairs");
  std::vector<int> mask = s.get_ints("mask");
  if (mask.empty())
    for (int i = 0; i < total; ++i) mask.push_back(i);
  for (int m : mask)
    if (m < 0 || m >= total)
      s.fail("mask", "mask index " + std::to_string(m) + " is beyond the " + std::to_string(total) + " anchors");
  int expected = (classes + 5) * static_cast<int>(mask.size());
  if (b.input.c != expected) {
    // Name the layer in front of [yolo] (usually the conv whose filters= is wrong).
    const CfgSection* prev = b.index > 0 ? (*b.previous_sections)[b.index - 1] : nullptr;
    std::string msg = "[yolo] at " + s.file + ":" + std::to_string(s.line) + " needs " + std::to_string(expected) +
                      " input channels = (classes " + std::to_string(classes) + " + 5) * " +
                      std::to_string(mask.size()) + " masks, but the layer before it gives " +
                      std::to_string(b.input.c);
    if (prev && prev->type.rfind("conv", 0) == 0) fail_at(prev->file, prev->line_of("filters"), "[" + prev->type + "] filters=" + std::to_string(b.input.c) + " is wrong: " + msg);
    s.fail("", msg);
  }
  auto y = std::make_unique<YoloLayer>(classes, mask, anchors);
  read_yolo_detection_keys(*y, s);  // scale_x_y, new_coords, nms_kind, beta_nms (layers/yolo_cfg.cpp)
  read_yolo_training_keys(*y, s);  // thresholds, jitter, random, losses (layers/yolo_cfg.cpp)
  return y;
}

using Maker = std::unique_ptr<Layer> (*)(const CfgSection&, const BuildInfo&);

const std::map<std::string, Maker>& registry() {
  static const std::map<std::string, Maker> r = {
      {"convolutional", make_convolutional}, {"conv", make_convolutional},
      {"maxpool", make_maxpool},             {"max", make_maxpool},
      {"avgpool", make_avgpool},             {"avg", make_avgpool},
      {"upsample", make_upsample},           {"route", make_route},
      {"shortcut", make_shortcut},           {"dropout", make_dropout},
      {"yolo", make_yolo},
  };
  return r;
}

}  // namespace

bool is_known_layer(const std::string& t) { return registry().count(t) > 0; }

std::unique_ptr<Layer> make_layer(const CfgSection& s, const BuildInfo& b) {
  auto it = registry().find(s.type);
  if (it == registry().end()) {
    std::string known;
    for (const auto& [k, v] : registry()) known += (known.empty() ? "" : ", ") + k;
    fail_at(s.file, s.line, "unknown section [" + s.type + "] (known: net, " + known + ")");
  }
  auto layer = it->second(s, b);
  layer->index = b.index;
  return layer;
}

}  // namespace dn
