#pragma once
// Section name -> layer constructor. A new layer type is one file plus one line in registry.cpp.
#include <memory>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "layers/layer.hpp"

namespace dn {

// Sane bounds on cfg sizes, far beyond any real model (a 65536-pixel side, 65536 filters), so that
// every size below them fits the 32-bit ints of the layers and a typo is an error, not a crash.
inline constexpr int kMaxSide = 65536;       // width, height, kernel size, stride, padding
inline constexpr int kMaxChannels = 65536;   // filters, groups, channels of any layer output
inline constexpr int kMaxClasses = 65536;    // [yolo] classes
inline constexpr int kMaxAnchors = 4096;     // [yolo] anchor pairs and mask entries

struct BuildInfo {
  int index = 0;  // this layer's index (0 = first section after [net])
  Shape input;    // output shape of the previous layer (or the network input)
  int net_w = 0, net_h = 0;
  const std::vector<std::unique_ptr<Layer>>* previous = nullptr;  // layers 0..index-1
  const std::vector<const CfgSection*>* previous_sections = nullptr;
};

// Builds the layer of a cfg section; every error names the section's file:line. Sizes are checked
// in 64-bit against the bounds above; the layer comes back with its in and out shapes set but
// nothing allocated (Layer::resize allocates), so that its memory can be estimated first.
std::unique_ptr<Layer> make_layer(const CfgSection& section, const BuildInfo& info);
// The memory a layer built by make_layer will allocate, from its shapes (in double: no overflow):
// per image of the mini-batch (output; in training also delta and what backward keeps), its
// workspace (im2col, one image), and its weights (with gradients and momentum in training).
struct LayerMemory {
  double per_image = 0, workspace = 0, weights = 0;  // bytes
  double at(int batch) const { return per_image * batch + workspace + weights; }
};
LayerMemory layer_memory(const Layer& layer, bool training);
bool is_known_layer(const std::string& section_type);

}  // namespace dn
