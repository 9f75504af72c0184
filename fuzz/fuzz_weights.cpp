// The .weights reader (header and per-layer values) on a small network with every kind of
// weighted layer we read: convolutions with and without batch norm, grouped, and a [yolo] head.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "fuzz_common.hpp"
#include "network/network.hpp"

namespace {

const char* kCfg = R"([net]
width=16
height=16
channels=3
[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky
[convolutional]
filters=8
groups=8
size=3
stride=2
pad=1
activation=relu
[convolutional]
filters=14
size=1
stride=1
activation=linear
[yolo]
mask=0,1
anchors=4,5,8,9
classes=2
num=2
)";

dn::Network& network() {
  static std::unique_ptr<dn::Network> net = dn::build_network(dn::parse_cfg_text(kCfg, "fuzz.cfg"), 1);
  return *net;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = dn::fuzz::input_file("weights", ".weights", data, size);
  try {
    dn::load_weights(network(), path);
  } catch (const dn::Error&) {
  }
  try {
    dn::load_inference_weights(network(), path);
  } catch (const dn::Error&) {
  }
  return 0;
}
