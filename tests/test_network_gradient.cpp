// Every layer type's backward pass against finite differences, through the one generic checker
// (layer_gradcheck.hpp): small networks from cfg text, batch 2, training mode, loss =
// sum(output * R). (It lives with the network tests because it builds networks from cfg text.)
#include <gtest/gtest.h>

#include <string>

#include "layer_gradcheck.hpp"
#include "layers/dropout.hpp"

namespace dn {
namespace {

using testing::expect_gradients_match;
using testing::LayerGradCheckOptions;

std::string net_section(int w, int h, int c) {
  return "[net]\nwidth=" + std::to_string(w) + "\nheight=" + std::to_string(h) + "\nchannels=" + std::to_string(c) +
         "\n";
}

std::string conv(int filters, int size, int stride, bool bn, const std::string& act, int groups = 1) {
  return "[convolutional]\nfilters=" + std::to_string(filters) + "\nsize=" + std::to_string(size) +
         "\nstride=" + std::to_string(stride) + "\npad=1\nbatch_normalize=" + (bn ? "1" : "0") +
         "\ngroups=" + std::to_string(groups) + "\nactivation=" + act + "\n";
}

// ---------------------------------------------------------------------------------------------
// Convolutional

class ConvActivation : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(ConvActivation, Gradients) {
  const auto& [act, bn] = GetParam();
  // 3 -> 4 channels on 6x5 (not square), batch 2.
  expect_gradients_match(net_section(6, 5, 3) + conv(4, 3, 1, bn, act), "conv_" + act + (bn ? "_bn" : ""));
}

INSTANTIATE_TEST_SUITE_P(Layers, ConvActivation,
                         ::testing::Combine(::testing::Values("linear", "leaky", "relu", "logistic", "tanh", "mish",
                                                              "swish", "elu"),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::get<0>(info.param) + (std::get<1>(info.param) ? "_bn" : "_plain");
                         });

TEST(ConvGradient, Groups) {
  expect_gradients_match(net_section(5, 5, 4) + conv(6, 3, 1, false, "linear", 2), "conv_groups");
  expect_gradients_match(net_section(5, 5, 4) + conv(4, 3, 1, true, "logistic", 4), "conv_depthwise_bn");
}

TEST(ConvGradient, Stride2) {
  expect_gradients_match(net_section(7, 6, 3) + conv(4, 3, 2, true, "tanh"), "conv_stride2_bn");
  expect_gradients_match(net_section(8, 8, 2) + conv(3, 3, 2, false, "swish"), "conv_stride2");
}

TEST(ConvGradient, Pointwise) {
  expect_gradients_match(net_section(5, 4, 6) + conv(5, 1, 1, true, "mish"), "conv_1x1_bn");
  expect_gradients_match(net_section(5, 4, 6) + conv(5, 1, 1, false, "linear"), "conv_1x1");
  expect_gradients_match(net_section(7, 7, 3) + conv(4, 1, 2, false, "logistic"), "conv_1x1_stride2");
}

TEST(ConvGradient, TwoConvsBatchNormThenLeaky) {
  // Gradients through one conv's batch norm into the previous conv's parameters.
  expect_gradients_match(net_section(6, 6, 2) + conv(4, 3, 1, true, "leaky") + conv(3, 3, 1, true, "linear"),
                         "conv_conv_bn");
}

TEST(ConvGradient, BatchOfThree) {
  LayerGradCheckOptions o;
  o.batch = 3;
  expect_gradients_match(net_section(4, 4, 3) + conv(4, 3, 1, true, "swish"), "conv_bn_batch3", o);
}

// ---------------------------------------------------------------------------------------------
// Pooling, upsample

TEST(MaxpoolGradient, Size2Stride2) {
  expect_gradients_match(net_section(6, 6, 3) + "[maxpool]\nsize=2\nstride=2\n", "maxpool_2_2");
}

TEST(MaxpoolGradient, Size2Stride1LikeYolov3Tiny) {
  // padding = size - 1 = 1: output keeps the input size.
  expect_gradients_match(net_section(5, 5, 3) + "[maxpool]\nsize=2\nstride=1\n", "maxpool_2_1");
}

TEST(MaxpoolGradient, Size3Stride1) {
  expect_gradients_match(net_section(5, 6, 2) + "[maxpool]\nsize=3\nstride=1\n", "maxpool_3_1");
}

TEST(MaxpoolGradient, OddInputStride2) {
  expect_gradients_match(net_section(7, 5, 2) + "[maxpool]\nsize=2\nstride=2\n", "maxpool_2_2_odd");
}

TEST(MaxpoolGradient, AfterAConv) {
  expect_gradients_match(net_section(6, 6, 2) + conv(3, 3, 1, true, "linear") + "[maxpool]\nsize=2\nstride=2\n",
                         "conv_maxpool");
}

TEST(AvgpoolGradient, Global) {
  expect_gradients_match(net_section(5, 4, 3) + "[avgpool]\n", "avgpool");
  expect_gradients_match(net_section(5, 4, 3) + conv(4, 3, 1, true, "leaky") + "[avgpool]\n", "conv_avgpool");
}

TEST(UpsampleGradient, Stride2) {
  expect_gradients_match(net_section(3, 4, 2) + "[upsample]\nstride=2\n", "upsample_2");
}

TEST(UpsampleGradient, Stride3WithScale) {
  expect_gradients_match(net_section(3, 3, 2) + "[upsample]\nstride=3\nscale=0.5\n", "upsample_3_scale");
}

// ---------------------------------------------------------------------------------------------
// Route, shortcut, dropout

TEST(RouteGradient, TwoSources) {
  // 0: conv a (4 ch), 1: conv b on a (3 ch), 2: route b, a -> 7 channels.
  expect_gradients_match(net_section(5, 5, 2) + conv(4, 3, 1, false, "tanh") + conv(3, 3, 1, true, "linear") +
                             "[route]\nlayers=-1,-2\n",
                         "route_two");
}

TEST(RouteGradient, SingleEarlierSource) {
  // Like yolov3-tiny's route -4: a route back to an earlier layer and a conv on it; a final route
  // joins the skipped branch (layer 1) so that every layer gets a gradient.
  expect_gradients_match(net_section(5, 5, 2) + conv(3, 3, 1, false, "logistic") +  // 0
                             conv(2, 1, 1, false, "linear") +                          // 1
                             "[route]\nlayers=-2\n" +                                // 2 = 0
                             conv(2, 3, 1, false, "linear") +                          // 3
                             "[route]\nlayers=-1,1\n",                               // 4 = 3, 1
                         "route_back");
}

TEST(ShortcutGradient, Linear) {
  expect_gradients_match(net_section(5, 5, 2) + conv(3, 3, 1, false, "tanh") + conv(3, 3, 1, true, "linear") +
                             "[shortcut]\nfrom=-2\nactivation=linear\n",
                         "shortcut_linear");
}

TEST(ShortcutGradient, Leaky) {
  expect_gradients_match(net_section(5, 5, 2) + conv(3, 3, 1, false, "linear") + conv(3, 3, 1, false, "logistic") +
                             "[shortcut]\nfrom=-2\nactivation=leaky\n",
                         "shortcut_leaky");
}

TEST(ShortcutGradient, FromTheFirstLayerTwoLayersBack) {
  expect_gradients_match(net_section(4, 4, 2) + conv(3, 3, 1, true, "leaky") + conv(3, 3, 1, false, "mish") +
                             conv(3, 1, 1, false, "linear") + "[shortcut]\nfrom=0\n",
                         "shortcut_from0");
}

TEST(DropoutGradient, SameMaskBothSides) {
  // The checker reseeds every dropout layer before each forward: the analytic and the numeric
  // passes see the same mask.
  expect_gradients_match(net_section(5, 5, 2) + conv(4, 3, 1, false, "tanh") + "[dropout]\nprobability=0.3\n" +
                             conv(2, 1, 1, false, "linear"),
                         "dropout");
}

TEST(DropoutGradient, MaskIsAppliedInTrainingOnly) {
  LayerGradCheckOptions o;
  testing::LayerGradientChecker checker(net_section(8, 8, 2) + "[dropout]\nprobability=0.25\n", "dropout_mask", o);
  Network& net = checker.network();
  checker.loss(checker.input().data());
  const std::vector<float>& in = checker.input();
  const std::vector<float>& out = net.layers[0]->output;
  int dropped = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0.f) {
      ++dropped;
    } else {
      EXPECT_NEAR(out[i], in[i] / 0.75f, 1e-6);
    }
  }
  // 256 values, p = .25: about 64 dropped.
  EXPECT_GT(dropped, 30);
  EXPECT_LT(dropped, 100);
  // Inference: identity.
  net.forward(in.data());
  EXPECT_EQ(net.layers[0]->output, in);
}

// ---------------------------------------------------------------------------------------------
// A small whole network: conv-bn-leaky, maxpool, conv, upsample, shortcut, route, conv.

TEST(NetworkGradient, SmallYoloLikeNet) {
  const std::string net = net_section(8, 8, 3) +
                          conv(4, 3, 1, true, "leaky") +              // 0: 8x8x4
                          "[maxpool]\nsize=2\nstride=2\n" +           // 1: 4x4x4
                          conv(4, 3, 1, false, "leaky") +             // 2: 4x4x4
                          "[upsample]\nstride=2\n" +                  // 3: 8x8x4
                          "[shortcut]\nfrom=0\nactivation=leaky\n" +  // 4: 8x8x4, act(layer 3 + layer 0)
                          "[route]\nlayers=-1,0\n" +                  // 5: 8x8x8, layers 4 and 0
                          conv(3, 1, 1, true, "logistic");            // 6: 8x8x3
  expect_gradients_match(net, "small_net");
}

}  // namespace
}  // namespace dn
