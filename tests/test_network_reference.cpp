// The fast inference path against the plain reference for whole networks:
// Network::forward(input, /*reference=*/true) runs every conv as a direct convolution with double
// accumulation and unfolded batch norm; forward(input) runs the folded GEMM path. Every layer's
// output must agree within
//   |fast - ref| <= 1e-3 * (rms(ref of that layer) + |ref|)
// (float rounding compounds over the layers: observed worst errors are about 2e-5 on yolov3-tiny,
// 1e-6 on the small nets).
// Layer-level comparisons (single convs, GEMM) are in test_layers_reference.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "layers/convolutional.hpp"
#include "layers/yolo.hpp"
#include "net_fixtures.hpp"
#include "network/network.hpp"

namespace dn {
namespace {

constexpr double kTolerance = 1e-3;

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

// Runs the reference and the fast path on `input` (net->batch images) and compares every layer.
// Returns the worst relative error over all layers.
double compare_paths(Network& net, const std::vector<float>& input) {
  net.forward(input.data(), /*reference=*/true);
  std::vector<std::vector<float>> ref;
  for (auto& l : net.layers) ref.push_back(l->output);
  net.forward(input.data());
  double overall = 0;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = *net.layers[i];
    SCOPED_TRACE("layer " + std::to_string(i) + " (" + l.type() + ")");
    EXPECT_EQ(l.output.size(), ref[i].size());
    if (l.output.size() != ref[i].size()) return INFINITY;
    double ss = 0;
    for (float v : ref[i]) ss += static_cast<double>(v) * v;
    const double rms = std::sqrt(ss / ref[i].size());
    EXPECT_GT(rms, 1e-4) << "a layer of zeros compares nothing";
    double worst = 0;
    size_t worst_at = 0;
    for (size_t k = 0; k < ref[i].size(); ++k) {
      double err = std::fabs(static_cast<double>(l.output[k]) - ref[i][k]) / (rms + std::fabs(ref[i][k]));
      if (!(err <= worst)) {
        worst = err;
        worst_at = k;
      }
    }
    EXPECT_LE(worst, kTolerance) << "at " << worst_at << ": fast " << l.output[worst_at] << " ref "
                                 << ref[i][worst_at];
    overall = std::max(overall, worst);
  }
  std::printf("%s: worst relative error over %zu layers: %.3g\n", net.cfg_path.c_str(), net.layers.size(), overall);
  return overall;
}

TEST(NetworkReference, Yolov3TinyAt160) {
  std::string text = read_text(std::string(DN_SHARED_DIR) + "/darknet-cfg/yolov3-tiny.cfg");
  replace_once(text, "width=416", "width=160");
  replace_once(text, "height=416", "height=160");
  auto net = build_network(parse_cfg_text(text, "yolov3-tiny-160.cfg"), 1);
  ASSERT_EQ(net->layers.size(), 24u);
  EXPECT_EQ(net->layers[16]->out, (Shape{255, 5, 5}));
  EXPECT_EQ(net->layers[23]->out, (Shape{255, 10, 10}));
  testing::randomize_network(*net, testing::pattern_input(3, 160, 160, 5), 20240601);
  compare_paths(*net, testing::pattern_input(3, 160, 160, 6));
}

// Random weights and batch-norm statistics for small hand-written nets.
void randomize_small(Network& net, uint64_t seed) {
  Rng rng(seed);
  for (auto& l : net.layers)
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(l.get())) {
      const float scale = std::sqrt(3.f / ((c->in.c / c->groups) * c->size * c->size));
      for (float& w : c->weights) w = rng.uniform(-scale, scale);
      for (float& v : c->biases) v = rng.uniform(-.3f, .3f);
      if (c->batch_normalize) {
        for (float& v : c->scales) v = rng.uniform(.5f, 1.5f);
        for (float& v : c->rolling_mean) v = rng.uniform(-.2f, .2f);
        for (float& v : c->rolling_variance) v = rng.uniform(.1f, .6f);
      }
      c->params_changed();
    }
}

std::vector<float> random_input(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(n);
  for (float& v : x) v = rng.uniform(0, 1);
  return x;
}

// Every conv variant in one net: stride 2, groups, 1x1 with and without batch norm, 1x1 stride 2,
// with maxpool, upsample and a route that mixes two scales. Shapes (w x h x c) in the comments.
const char* kMixedCfg =
    "[net]\nwidth=20\nheight=20\nchannels=4\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n"  // 0: 10x10x8
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\ngroups=4\nactivation=linear\n"
    "[convolutional]\nfilters=16\nsize=1\nstride=1\npad=1\nactivation=leaky\n"  // 2: 10x10x16
    "[maxpool]\nsize=2\nstride=2\n"                                             // 3: 5x5x16
    "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=1\nstride=1\nactivation=mish\n"
    "[convolutional]\nfilters=6\nsize=3\nstride=1\npad=1\ngroups=2\nactivation=logistic\n"  // 5: 5x5x6
    "[upsample]\nstride=2\n"                                                     // 6: 10x10x6
    "[route]\nlayers=-1,-6\n"                                                    // 7: 10x10x14
    "[convolutional]\nfilters=4\nsize=1\nstride=2\nactivation=linear\n";      // 8: 5x5x4

TEST(NetworkReference, MixedConvsBatchOfThree) {
  const std::string text = kMixedCfg;
  auto net = build_network(parse_cfg_text(text, "mixed.cfg"), 3);
  ASSERT_EQ(net->batch, 3);
  EXPECT_EQ(net->layers[3]->out, (Shape{16, 5, 5}));
  EXPECT_EQ(net->layers[7]->out, (Shape{14, 10, 10}));
  EXPECT_EQ(net->layers[8]->out, (Shape{4, 5, 5}));
  randomize_small(*net, 31);
  auto input = random_input(3 * net->input_size(), 32);
  compare_paths(*net, input);

  // The images of a batch are independent: image 2 alone gives the same outputs.
  std::string dir = testing::temp_dir("reference");
  save_weights(*net, dir + "/mixed.weights");
  auto single = build_network(parse_cfg_text(text, "mixed.cfg"), 1);
  load_weights(*single, dir + "/mixed.weights");
  single->forward(input.data() + 2 * net->input_size());
  net->forward(input.data());
  const std::vector<float>& batched = net->layers.back()->output;
  const std::vector<float>& alone = single->layers.back()->output;
  const size_t n = alone.size();
  for (size_t k = 0; k < n; ++k) EXPECT_NEAR(alone[k], batched[2 * n + k], 1e-5 * (1 + std::fabs(alone[k])));
  std::filesystem::remove_all(dir);
}

TEST(NetworkReference, BatchSizeChangeKeepsResults) {
  auto net = build_network(parse_cfg_text(kMixedCfg, "mixed.cfg"), 1);
  randomize_small(*net, 41);
  auto input = random_input(2 * net->input_size(), 42);
  net->forward(input.data() + net->input_size());
  std::vector<float> one = net->layers.back()->output;
  net->set_batch(2);
  compare_paths(*net, input);
  const std::vector<float>& two = net->layers.back()->output;
  ASSERT_EQ(two.size(), 2 * one.size());
  for (size_t k = 0; k < one.size(); ++k) EXPECT_NEAR(one[k], two[one.size() + k], 1e-5 * (1 + std::fabs(one[k])));
}

// Detection runs with the hand-over between consecutive convolutions (Network::set_hand_over):
// on the real yolo-fastest model (depthwise and 1x1 chains), the [yolo] outputs are exactly those
// of the plain layout, and the hand-over really happens.
TEST(NetworkReference, HandOverLeavesTheYoloOutputsUnchanged) {
  const std::string dir = std::string(DN_SHARED_DIR) + "/models/yolo-fastest-1.1-xl/";
  auto plain = load_network(dir + "yolo-fastest-1.1-xl.cfg", 1);
  auto handed = load_network(dir + "yolo-fastest-1.1-xl.cfg", 1);
  load_weights(*plain, dir + "yolo-fastest-1.1-xl.weights");
  load_weights(*handed, dir + "yolo-fastest-1.1-xl.weights");
  handed->set_hand_over(true);
  int handing = 0;
  for (auto& l : handed->layers)
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(l.get())) handing += c->hand_over;
  EXPECT_GT(handing, 40);
  auto input = testing::pattern_input(3, 320, 320, 9);
  for (int pass = 0; pass < 2; ++pass) {  // the second pass reuses the primitives
    plain->forward(input.data());
    handed->forward(input.data());
    auto a = plain->yolo_layers(), b = handed->yolo_layers();
    ASSERT_EQ(a.size(), 2u);
    for (size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k]->output, b[k]->output) << "yolo layer " << k;
  }
}

}  // namespace
}  // namespace dn

