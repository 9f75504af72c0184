// darknet partial <cfg> <weights> <out.weights> <N>: the first N layers' weights, seen reset, as a
// backbone file that `detector train` and load_weights take; bad N and short files are one error.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "app_fixtures.hpp"
#include "layers/convolutional.hpp"
#include "net_fixtures.hpp"
#include "network/network.hpp"

namespace dn {
namespace {

const std::string kModel = std::string(DN_SHARED_DIR) + "/models/yolo-fastest-1.1-xl/";
const std::string kCfg = kModel + "yolo-fastest-1.1-xl.cfg";
const std::string kWeights = kModel + "yolo-fastest-1.1-xl.weights";

// Bytes of the weights of layers [0, n) of the cfg (biases, batch-norm arrays, weights).
size_t weight_bytes_of_first(const Network& net, int n) {
  size_t bytes = 0;
  for (int i = 0; i < n; ++i)
    if (auto* c = dynamic_cast<const ConvolutionalLayer*>(net.layers[i].get()))
      bytes += 4 * (c->biases.size() + c->weights.size() + (c->batch_normalize ? 3 * c->biases.size() : 0));
  return bytes;
}

TEST(Partial, WritesTheFirstLayersWithSeenReset) {
  const std::string dir = testing::temp_dir("partial");
  const int n = 120;  // yolo-fastest-1.1-xl up to its first head (layer 120, 255 filters: 80 classes)
  auto r = testing::run_darknet(dir, "partial " + testing::quote(kCfg) + " " + testing::quote(kWeights) +
                                         " backbone.weights " + std::to_string(n));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string source = testing::slurp(kWeights), out = testing::slurp(dir + "/backbone.weights");
  auto net = load_network(kCfg, 1);
  const size_t body = weight_bytes_of_first(*net, n);
  ASSERT_GT(body, 1000u);
  ASSERT_EQ(out.size(), 20 + body);
  int32_t version[3];
  uint64_t seen = 1;
  std::memcpy(version, out.data(), 12);
  std::memcpy(&seen, out.data() + 12, 8);
  EXPECT_EQ(seen, 0u);
  EXPECT_EQ(version[1], 2);
  // The source is a 0.2 file too (20-byte header): the layers' bytes are copied unchanged.
  ASSERT_GE(source.size(), 20 + body);
  EXPECT_EQ(out.compare(20, body, source, 20, body), 0);

  // Loaded as a backbone: the first n layers equal the model's, the rest keep their initialisation.
  auto full = load_network(kCfg, 1), part = load_network(kCfg, 1);
  load_weights(*full, kWeights);
  WeightsInfo info;
  load_weights(*part, dir + "/backbone.weights", -1, &info);
  EXPECT_LT(info.loaded, info.expected);
  EXPECT_EQ(part->seen, 0u);
  for (int i = 0; i < n; ++i) {
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(part->layers[i].get())) {
      EXPECT_EQ(c->weights, dynamic_cast<ConvolutionalLayer*>(full->layers[i].get())->weights) << "layer " << i;
    }
  }
}

TEST(Partial, BadArgumentsAreOneErrorAndNoFile) {
  const std::string dir = testing::temp_dir("partial_bad");
  const std::string base = "partial " + testing::quote(kCfg) + " " + testing::quote(kWeights) + " out.weights ";
  for (std::string n : {"0", "-3", "x", "12abc", "100000"}) {
    auto r = testing::run_darknet(dir, base + testing::quote(n));
    EXPECT_EQ(r.status, 1) << n << ": " << r.err;
    EXPECT_FALSE(r.signaled) << n;
    EXPECT_NE(r.err.find("usage: darknet partial"), std::string::npos) << n << ": " << r.err;
    // every one of them is a bad N, and the message says which values N may take
    EXPECT_NE(r.err.find("N must be a whole number of layers from 1 to"), std::string::npos) << n << ": " << r.err;
    EXPECT_NE(r.err.find("got '" + n + "'"), std::string::npos) << n << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/out.weights"));
  // A weights file with fewer layers than asked for names the file.
  auto r = testing::run_darknet(dir, "partial " + testing::quote(kCfg) + " " + testing::quote(kWeights) + " b.weights 20");
  ASSERT_EQ(r.status, 0) << r.err;
  r = testing::run_darknet(dir, "partial " + testing::quote(kCfg) + " b.weights c.weights 60");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("b.weights"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the first 60 layers"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/c.weights"));
}

}  // namespace
}  // namespace dn
