#include "layers/registry.hpp"

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <sstream>

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

std::string str(int64_t v) { return std::to_string(v); }

// An integer key within [lo, hi] (all arithmetic on sizes below is 64-bit, so nothing overflows
// before it is checked).
int int_in(const CfgSection& s, const std::string& key, int def, int lo, int hi) {
  int v = s.get_int(key, def);
  if (v < lo || v > hi) s.fail(key, key + "=" + str(v) + " is out of range (" + str(lo) + ".." + str(hi) + ")");
  return v;
}
int required_int_in(const CfgSection& s, const std::string& key, int lo, int hi) {
  s.require_int(key);
  return int_in(s, key, 0, lo, hi);
}

// An output side computed in 64-bit must be in 1..kMaxSide; `key`=`value` is the cause named.
int output_side(const CfgSection& s, const std::string& key, int value, bool wide, int64_t side) {
  if (side < 1 || side > kMaxSide)
    s.fail(key, key + "=" + str(value) + " makes the output " + str(side) + " pixels " + (wide ? "wide" : "high") +
                    " (it must be 1.." + str(kMaxSide) + ")");
  return static_cast<int>(side);
}

// The i-th non-empty item of a comma list (for messages).
std::string list_item(const std::string& list, size_t i) {
  std::stringstream ss(list);
  std::string item;
  for (size_t k = 0; std::getline(ss, item, ',');)
    if (!item.empty() && k++ == i) return item;
  return "";
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
  int filters = required_int_in(s, "filters", 1, kMaxChannels);
  int size = required_int_in(s, "size", 1, kMaxSide);
  int stride = int_in(s, "stride", 1, 1, kMaxSide);
  int pad = s.get_int("pad", 0);
  int padding = int_in(s, "padding", 0, 0, kMaxSide);
  if (pad) padding = size / 2;
  int groups = int_in(s, "groups", 1, 1, kMaxChannels);
  bool bn = s.get_int("batch_normalize", 0) != 0;
  Activation act = activation_of(s, "logistic");
  if (b.input.c % groups || filters % groups)
    s.fail("groups", "groups=" + std::to_string(groups) + " must divide the input channels (" +
                         std::to_string(b.input.c) + ") and filters (" + std::to_string(filters) + ")");
  const int64_t ph = int64_t{b.input.h} + 2 * int64_t{padding}, pw = int64_t{b.input.w} + 2 * int64_t{padding};
  if (ph < size || pw < size)
    s.fail("size", "size=" + str(size) + ": kernel larger than its input " + str(b.input.w) + "x" + str(b.input.h) +
                       " (padding " + str(padding) + " on each side)");
  // Only padding can make the output larger than the input.
  const std::string grow_key = s.has("padding") && !pad ? "padding" : "size";
  const int grow_value = grow_key == "padding" ? padding : size;
  const int oh = output_side(s, grow_key, grow_value, false, (ph - size) / stride + 1);
  const int ow = output_side(s, grow_key, grow_value, true, (pw - size) / stride + 1);
  s.get_int("flipped", 0);  // accepted, no effect
  auto layer = std::make_unique<ConvolutionalLayer>(filters, size, stride, padding, groups, bn, act);
  layer->in = b.input;
  layer->out = {filters, oh, ow};
  return layer;
}

std::unique_ptr<Layer> make_maxpool(const CfgSection& s, const BuildInfo& b) {
  int stride = int_in(s, "stride", 1, 1, kMaxSide);
  int size = int_in(s, "size", stride, 1, kMaxSide);
  int padding = int_in(s, "padding", size - 1, 0, kMaxSide);
  const int64_t ph = int64_t{b.input.h} + padding, pw = int64_t{b.input.w} + padding;
  if (ph < size || pw < size)
    s.fail("size", "size=" + str(size) + ": pool window larger than its input " + str(b.input.w) + "x" +
                       str(b.input.h) + " (padding=" + str(padding) + ")");
  auto layer = std::make_unique<MaxpoolLayer>(size, stride, padding);
  layer->in = b.input;
  layer->out = {b.input.c, output_side(s, "padding", padding, false, (ph - size) / stride + 1),
                output_side(s, "padding", padding, true, (pw - size) / stride + 1)};
  return layer;
}

std::unique_ptr<Layer> make_avgpool(const CfgSection&, const BuildInfo& b) {
  auto layer = std::make_unique<AvgpoolLayer>();
  layer->in = b.input;
  layer->out = {b.input.c, 1, 1};
  return layer;
}

std::unique_ptr<Layer> make_upsample(const CfgSection& s, const BuildInfo& b) {
  int stride = int_in(s, "stride", 2, 1, kMaxSide);
  float scale = s.get_float("scale", 1.f);
  if (!std::isfinite(scale))
    s.fail("scale", "scale must be a finite number, got " + quote_input(s.get_string("scale", "")));
  auto layer = std::make_unique<UpsampleLayer>(stride, scale);
  layer->in = b.input;
  layer->out = {b.input.c, output_side(s, "stride", stride, false, int64_t{b.input.h} * stride),
                output_side(s, "stride", stride, true, int64_t{b.input.w} * stride)};
  return layer;
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
  if (refs.size() > static_cast<size_t>(kMaxChannels)) s.fail("layers", "more than " + str(kMaxChannels) + " layers");
  int64_t channels = 0;
  for (const Shape& sh : shapes) channels += sh.c;
  if (channels > kMaxChannels)
    s.fail("layers", "the routed layers have " + str(channels) + " channels together, more than " + str(kMaxChannels));
  if (s.has("groups") && s.get_int("groups", 1) != 1) s.fail("groups", "route groups are not supported");
  auto layer = std::make_unique<RouteLayer>(sources);
  // The shape only: build_network allocates (resize_from) once it has checked the memory.
  layer->out = {static_cast<int>(channels), shapes[0].h, shapes[0].w};
  layer->in = layer->out;
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
  auto layer = std::make_unique<ShortcutLayer>(abs, activation_of(s, "linear"));
  layer->in = layer->out = b.input;
  return layer;
}

std::unique_ptr<Layer> make_dropout(const CfgSection& s, const BuildInfo& b) {
  float p = s.get_float("probability", .5f);
  if (!(p >= 0 && p < 1))
    s.fail("probability", "probability must be in [0, 1), got " + quote_input(s.get_string("probability", "")));
  auto layer = std::make_unique<DropoutLayer>(p);
  layer->in = layer->out = b.input;
  return layer;
}

std::unique_ptr<Layer> make_yolo(const CfgSection& s, const BuildInfo& b) {
  int classes = required_int_in(s, "classes", 1, kMaxClasses);
  if (!s.has("anchors")) s.fail("", "missing required key 'anchors'");
  std::vector<float> anchors = s.get_floats("anchors");
  if (anchors.empty() || anchors.size() % 2) s.fail("anchors", "anchors must be w,h pairs");
  if (anchors.size() / 2 > static_cast<size_t>(kMaxAnchors))
    s.fail("anchors", str(static_cast<int64_t>(anchors.size() / 2)) + " anchor pairs, more than " + str(kMaxAnchors));
  for (size_t i = 0; i < anchors.size(); ++i)
    if (!(std::isfinite(anchors[i]) && anchors[i] > 0 && anchors[i] <= kMaxSide))
      s.fail("anchors", "anchors: item " + str(static_cast<int64_t>(i) + 1) + " (the " +
                            (i % 2 ? "height" : "width") + " of anchor " + str(static_cast<int64_t>(i / 2)) + ") is " +
                            quote_input(list_item(s.get_string("anchors", ""), i)) +
                            ": anchors must be numbers > 0 and <= " + str(kMaxSide) + " (pixels)");
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
  if (mask.size() > static_cast<size_t>(kMaxAnchors))
    s.fail("mask", str(static_cast<int64_t>(mask.size())) + " mask entries, more than " + str(kMaxAnchors));
  const int64_t expected = (int64_t{classes} + 5) * static_cast<int64_t>(mask.size());
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
  y->in = y->out = b.input;
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
    fail_at(s.file, s.line, "unknown section " + section_label(s.type) + " (known: net, " + known + ")");
  }
  auto layer = it->second(s, b);
  layer->index = b.index;
  return layer;
}

LayerMemory layer_memory(const Layer& l, bool training) {
  const double f = sizeof(float);
  const double out = static_cast<double>(l.out.c) * l.out.h * l.out.w * f;
  LayerMemory m;
  m.per_image = training ? 2 * out : out;  // output (and delta)
  if (const auto* c = dynamic_cast<const ConvolutionalLayer*>(&l)) {
    const double per_filter = static_cast<double>(l.in.c / c->groups) * c->size * c->size * f;
    m.weights = (training ? 4 : 2) * per_filter * c->filters;  // weights, folded copy (gradients, momentum)
    if (!(c->size == 1 && c->stride == 1 && c->padding == 0))
      m.workspace = per_filter * l.out.h * l.out.w;  // im2col, one image
    if (training) m.per_image += out * c->training_copies();  // activations kept for backward
    if (training) m.per_image += static_cast<double>(l.in.c) * l.in.h * l.in.w * f;  // oneDNN's copy of the input
  } else if (dynamic_cast<const MaxpoolLayer*>(&l)) {
    m.per_image += out;  // argmax
  } else if (const auto* s = dynamic_cast<const ShortcutLayer*>(&l)) {
    if (training && s->keeps_sum()) m.per_image += out;  // the pre-activation sum
  } else if (dynamic_cast<const DropoutLayer*>(&l) || dynamic_cast<const YoloLayer*>(&l)) {
    if (training) m.per_image += out;  // mask or loss delta
  }
  return m;
}

}  // namespace dn
