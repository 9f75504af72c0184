// The fast paths against the plain references, at the layer level:
//   - dn::gemm (oneDNN) against dn::gemm_reference (double-accumulated triple loop), all four
//     transpose combinations, odd sizes, row strides larger than the rows, alpha and beta;
//   - the convolutional layer's inference path (batch norm folded into the weights, im2col or the
//     1x1 shortcut, GEMM, fused bias+activation) against forward_reference() (direct convolution
//     with double accumulation), for groups > 1, stride 2, 1x1, batch > 1, built from cfg text.
// The whole-network comparison (yolov3-tiny) is in test_network_reference.cpp.
//
// Tolerances, stated once:
//   gemm:  |fast - ref| <= 1e-5 * (|alpha| * sum_k |a_ik b_kj| + |beta c_ij|) + 1e-30, i.e. well
//          inside the float error bound K * 2^-24 for these K;
//   conv:  |fast - ref| <= 1e-4 * (rms(ref) + |ref|) per element.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "core/rng.hpp"
#include "cpu/gemm.hpp"
#include "layers/convolutional.hpp"
#include "layers/registry.hpp"

namespace dn {
namespace {

// ---------------------------------------------------------------------------------------------
// GEMM

struct GemmCase {
  bool ta, tb;
  int M, N, K;
  int pad;  // extra elements at the end of every stored row
  float alpha, beta;
};

void check_gemm(const GemmCase& g, uint64_t seed) {
  SCOPED_TRACE(::testing::Message() << "ta=" << g.ta << " tb=" << g.tb << " M=" << g.M << " N=" << g.N
                                    << " K=" << g.K << " pad=" << g.pad << " alpha=" << g.alpha
                                    << " beta=" << g.beta);
  Rng rng(seed);
  // Stored shapes: A is M x K (K x M when ta), B is K x N (N x K when tb), C is M x N.
  const int a_rows = g.ta ? g.K : g.M, a_cols = g.ta ? g.M : g.K;
  const int b_rows = g.tb ? g.N : g.K, b_cols = g.tb ? g.K : g.N;
  const int lda = a_cols + g.pad, ldb = b_cols + g.pad, ldc = g.N + g.pad;
  std::vector<float> A(static_cast<size_t>(std::max(a_rows, 1)) * std::max(lda, 1));
  std::vector<float> B(static_cast<size_t>(std::max(b_rows, 1)) * std::max(ldb, 1));
  std::vector<float> C(static_cast<size_t>(g.M) * ldc);
  for (float& v : A) v = rng.uniform(-1, 1);
  for (float& v : B) v = rng.uniform(-1, 1);
  for (float& v : C) v = rng.uniform(-1, 1);
  std::vector<float> fast = C, ref = C;
  gemm(g.ta, g.tb, g.M, g.N, g.K, g.alpha, A.data(), std::max(lda, 1), B.data(), std::max(ldb, 1), g.beta,
       fast.data(), ldc);
  gemm_reference(g.ta, g.tb, g.M, g.N, g.K, g.alpha, A.data(), std::max(lda, 1), B.data(), std::max(ldb, 1),
                 g.beta, ref.data(), ldc);
  double worst = 0;
  for (int i = 0; i < g.M; ++i)
    for (int j = 0; j < ldc; ++j) {
      const size_t at = static_cast<size_t>(i) * ldc + j;
      if (j >= g.N) {
        // Padding beyond the N columns is never written.
        ASSERT_EQ(fast[at], C[at]) << "padding written at " << i << "," << j;
        continue;
      }
      double bound = std::fabs(g.beta * C[at]);
      for (int k = 0; k < g.K; ++k) {
        float a = g.ta ? A[static_cast<size_t>(k) * lda + i] : A[static_cast<size_t>(i) * lda + k];
        float b = g.tb ? B[static_cast<size_t>(j) * ldb + k] : B[static_cast<size_t>(k) * ldb + j];
        bound += std::fabs(g.alpha) * std::fabs(static_cast<double>(a) * b);
      }
      double err = std::fabs(static_cast<double>(fast[at]) - ref[at]);
      ASSERT_LE(err, 1e-5 * bound + 1e-30) << "at " << i << "," << j << ": fast " << fast[at] << " ref " << ref[at];
      worst = std::max(worst, err / (bound + 1e-30));
    }
  ::testing::Test::RecordProperty("worst_relative_error", std::to_string(worst));
}

TEST(GemmReference, AllTransposesOddSizes) {
  uint64_t seed = 1;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_gemm({ta, tb, 37, 29, 53, 0, 1.f, 0.f}, seed++);
      check_gemm({ta, tb, 5, 131, 7, 3, 0.7f, 0.3f}, seed++);    // row strides > rows, alpha, beta
      check_gemm({ta, tb, 1, 1, 1, 0, 1.f, 1.f}, seed++);        // the smallest product
      check_gemm({ta, tb, 1, 67, 33, 1, -1.f, 0.f}, seed++);     // a row vector
      check_gemm({ta, tb, 67, 1, 33, 2, 2.f, -0.5f}, seed++);    // a column vector
      check_gemm({ta, tb, 63, 65, 257, 5, 1.f, 1.f}, seed++);    // around the kernels' block sizes
    }
}

TEST(GemmReference, BetaOneAccumulates) {
  // The backward pass accumulates weight gradients with beta = 1: twice the same product doubles.
  Rng rng(99);
  const int M = 13, N = 11, K = 17;
  std::vector<float> A(M * K), B(K * N), C(M * N, 0.f), R(M * N, 0.f);
  for (float& v : A) v = rng.uniform(-1, 1);
  for (float& v : B) v = rng.uniform(-1, 1);
  gemm(false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 1.f, C.data(), N);
  gemm(false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 1.f, C.data(), N);
  gemm_reference(false, false, M, N, K, 2.f, A.data(), K, B.data(), N, 0.f, R.data(), N);
  for (int i = 0; i < M * N; ++i) EXPECT_NEAR(C[i], R[i], 1e-5 * (std::fabs(R[i]) + 1));
}

// ---------------------------------------------------------------------------------------------
// Convolution: fast inference path vs direct reference.

// Builds the single layer after [net] in `cfg_text`, for the given batch.
std::unique_ptr<ConvolutionalLayer> conv_from_cfg(const std::string& cfg_text, int batch) {
  CfgFile cfg = parse_cfg_text(cfg_text, "conv.cfg");
  const CfgSection& net = cfg.sections[0];
  BuildInfo b;
  b.input = {net.get_int("channels", 3), net.get_int("height", 0), net.get_int("width", 0)};
  std::vector<std::unique_ptr<Layer>> previous;
  std::vector<const CfgSection*> previous_sections;
  b.previous = &previous;
  b.previous_sections = &previous_sections;
  std::unique_ptr<Layer> layer = make_layer(cfg.sections.at(1), b);
  layer->resize(batch, b.input);
  auto* conv = dynamic_cast<ConvolutionalLayer*>(layer.get());
  EXPECT_NE(conv, nullptr);
  layer.release();
  return std::unique_ptr<ConvolutionalLayer>(conv);
}

void randomize(ConvolutionalLayer& c, Rng& rng) {
  const float scale = std::sqrt(3.f / ((c.in.c / c.groups) * c.size * c.size));
  for (float& w : c.weights) w = rng.uniform(-scale, scale);
  for (float& v : c.biases) v = rng.uniform(-.5f, .5f);
  if (c.batch_normalize) {
    for (float& v : c.scales) v = rng.uniform(.5f, 1.5f);
    for (float& v : c.rolling_mean) v = rng.uniform(-.3f, .3f);
    for (float& v : c.rolling_variance) v = rng.uniform(.2f, 2.f);
  }
  c.params_changed();
}

void compare_conv(const std::string& section, int c, int h, int w, int batch, uint64_t seed) {
  SCOPED_TRACE(section + " batch " + std::to_string(batch));
  std::string text = "[net]\nwidth=" + std::to_string(w) + "\nheight=" + std::to_string(h) +
                     "\nchannels=" + std::to_string(c) + "\n" + section;
  auto conv = conv_from_cfg(text, batch);
  ASSERT_NE(conv, nullptr);
  Rng rng(seed);
  randomize(*conv, rng);
  std::vector<float> input(static_cast<size_t>(batch) * conv->in.size());
  for (float& v : input) v = rng.uniform(-1, 1);

  RunContext ctx;
  ctx.reference = true;
  conv->forward(ctx, input.data());
  std::vector<float> ref = conv->output;
  ctx.reference = false;
  conv->forward(ctx, input.data());
  const std::vector<float>& fast = conv->output;
  ASSERT_EQ(ref.size(), fast.size());
  double ss = 0;
  for (float v : ref) ss += static_cast<double>(v) * v;
  const double rms = std::sqrt(ss / ref.size());
  ASSERT_GT(rms, 1e-3);  // a meaningful comparison: outputs are not all zero
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_LE(std::fabs(fast[i] - ref[i]), 1e-4 * (rms + std::fabs(ref[i]))) << "element " << i;
  // Images of a batch are independent: image 1 alone gives what it gave in the batch.
  if (batch > 1) {
    auto single = conv_from_cfg(text, 1);
    single->weights = conv->weights;
    single->biases = conv->biases;
    single->scales = conv->scales;
    single->rolling_mean = conv->rolling_mean;
    single->rolling_variance = conv->rolling_variance;
    single->params_changed();
    single->forward(ctx, input.data() + conv->in.size());
    for (size_t i = 0; i < single->output.size(); ++i)
      ASSERT_LE(std::fabs(single->output[i] - ref[conv->out.size() + i]),
                1e-4 * (rms + std::fabs(ref[conv->out.size() + i])));
  }
}

TEST(ConvReference, Plain3x3) {
  compare_conv("[convolutional]\nfilters=7\nsize=3\nstride=1\npad=1\nactivation=leaky\n", 5, 11, 13, 1, 11);
}

TEST(ConvReference, BatchNormLeaky) {
  compare_conv("[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\nactivation=leaky\n", 8, 9,
               9, 1, 12);
}

TEST(ConvReference, Groups) {
  compare_conv("[convolutional]\nbatch_normalize=1\nfilters=12\nsize=3\nstride=1\npad=1\ngroups=3\nactivation=linear\n",
               6, 10, 7, 1, 13);
  // Depthwise: one input channel per group.
  compare_conv("[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\ngroups=8\nactivation=relu\n", 8, 6, 6, 2, 14);
}

TEST(ConvReference, Stride2) {
  compare_conv("[convolutional]\nbatch_normalize=1\nfilters=9\nsize=3\nstride=2\npad=1\nactivation=leaky\n", 4, 13,
               12, 1, 15);
  // No padding, odd size, a 5x5 kernel.
  compare_conv("[convolutional]\nfilters=3\nsize=5\nstride=2\npad=0\nactivation=mish\n", 3, 15, 17, 1, 16);
}

TEST(ConvReference, Pointwise) {
  // 1x1 stride 1 skips im2col.
  compare_conv("[convolutional]\nbatch_normalize=1\nfilters=10\nsize=1\nstride=1\npad=1\nactivation=leaky\n", 6, 7, 5,
               1, 17);
  compare_conv("[convolutional]\nfilters=255\nsize=1\nstride=1\npad=1\nactivation=linear\n", 32, 5, 5, 1, 18);
  // 1x1 stride 2 goes through im2col.
  compare_conv("[convolutional]\nfilters=4\nsize=1\nstride=2\nactivation=logistic\n", 6, 9, 9, 1, 19);
}

TEST(ConvReference, BatchGreaterThanOne) {
  compare_conv("[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n", 3, 12, 12,
               3, 20);
  compare_conv("[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\nstride=2\npad=1\ngroups=2\nactivation=swish\n",
               4, 9, 11, 2, 21);
  compare_conv("[convolutional]\nfilters=5\nsize=1\nstride=1\nactivation=tanh\n", 7, 6, 4, 4, 22);
}

TEST(ConvReference, EveryActivation) {
  for (const char* act : {"linear", "leaky", "relu", "logistic", "tanh", "mish", "swish", "elu", "selu", "relu6",
                          "hardtan", "lhtan", "ramp"})
    compare_conv(std::string("[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=") + act + "\n", 3, 6, 6, 2, 23);
}

}  // namespace
}  // namespace dn
