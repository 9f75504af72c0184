#pragma once
// Section name -> layer constructor. A new layer type is one file plus one line in registry.cpp.
#include <memory>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "layers/layer.hpp"

namespace dn {

struct BuildInfo {
  int index = 0;  // this layer's index (0 = first section after [net])
  Shape input;    // output shape of the previous layer (or the network input)
  int net_w = 0, net_h = 0;
  const std::vector<std::unique_ptr<Layer>>* previous = nullptr;  // layers 0..index-1
  const std::vector<const CfgSection*>* previous_sections = nullptr;
};

// Builds the layer of a cfg section; every error names the section's file:line.
std::unique_ptr<Layer> make_layer(const CfgSection& section, const BuildInfo& info);
bool is_known_layer(const std::string& section_type);

}  // namespace dn
