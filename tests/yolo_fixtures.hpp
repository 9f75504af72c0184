#pragma once
// Building one [yolo] layer from cfg keys, for the tests of its keys (test_layers_yolo*.cpp): a
// 2-class, 2-anchor layer on a 4x4 grid of a 64x64 network, its keys starting at line 8 of t.cfg.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "layers/registry.hpp"
#include "layers/yolo.hpp"

namespace dn::testing {

inline const char* kYoloCfgHead = "[net]\nwidth=64\nheight=64\n[yolo]\nclasses=2\nanchors=10,14,23,27,37,58\nmask=0,1\n";

// The layer; with expect_all_used, every key must have been read (a key nobody reads is a key
// silently ignored).
inline std::unique_ptr<YoloLayer> build_yolo(const std::string& keys, bool expect_all_used = true) {
  CfgFile cfg = parse_cfg_text(kYoloCfgHead + keys, "t.cfg");
  std::vector<std::unique_ptr<Layer>> prev;
  std::vector<const CfgSection*> prev_sections;
  BuildInfo b;
  b.index = 0;
  b.input = Shape{14, 4, 4};
  b.net_w = b.net_h = 64;
  b.previous = &prev;
  b.previous_sections = &prev_sections;
  std::unique_ptr<Layer> layer = make_layer(cfg.sections[1], b);
  if (expect_all_used) {
    for (const auto& o : cfg.sections[1].options) EXPECT_TRUE(o.used) << o.key;
  }
  return std::unique_ptr<YoloLayer>(static_cast<YoloLayer*>(layer.release()));
}

// The error message building the layer gives, or "(no error)".
inline std::string yolo_error_of(const std::string& keys) {
  try {
    build_yolo(keys);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace dn::testing
