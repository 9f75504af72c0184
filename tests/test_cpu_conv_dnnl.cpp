// oneDNN's convolution primitives (cpu/conv_dnnl) against a plain direct convolution written here,
// in double, for every kind of geometry the networks use; the training passes against their
// definitions (backward data is the adjoint of forward, backward weights the gradient), and the
// hand-over between convolutions against the plain layout. Bounds are relative to the magnitude
// of the sums compared (sum of |w*x| terms), so they hold for AVX2 and AVX-512 kernels alike: CI
// runs these tests a second time under ONEDNN_MAX_CPU_ISA=AVX2 where the CPU has AVX-512.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <dnnl.hpp>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "cpu/conv_dnnl.hpp"

namespace dn {
namespace {

ConvGeometry geometry(int batch, int c, int h, int w, int filters, int size, int stride, int pad, int groups) {
  ConvGeometry g;
  g.batch = batch, g.channels = c, g.height = h, g.width = w;
  g.filters = filters, g.size = size, g.stride = stride, g.padding = pad, g.groups = groups;
  g.out_h = (h + 2 * pad - size) / stride + 1;
  g.out_w = (w + 2 * pad - size) / stride + 1;
  return g;
}

std::string name_of(const ConvGeometry& g) {
  return std::to_string(g.batch) + "x" + std::to_string(g.channels) + "x" + std::to_string(g.height) + "x" +
         std::to_string(g.width) + " -> " + std::to_string(g.filters) + " k" + std::to_string(g.size) + " s" +
         std::to_string(g.stride) + " p" + std::to_string(g.padding) + " g" + std::to_string(g.groups);
}

std::vector<float> random(size_t n, uint64_t seed, float lo = -1, float hi = 1) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.uniform(lo, hi);
  return v;
}

size_t in_size(const ConvGeometry& g) { return static_cast<size_t>(g.batch) * g.channels * g.height * g.width; }
size_t out_size(const ConvGeometry& g) { return static_cast<size_t>(g.batch) * g.filters * g.out_h * g.out_w; }
size_t w_size(const ConvGeometry& g) { return static_cast<size_t>(g.filters) * (g.channels / g.groups) * g.size * g.size; }

// Visits every (output element, input element, weight) triple of the convolution.
template <class F>
void for_each_term(const ConvGeometry& g, F f) {
  const int cpg = g.channels / g.groups, fpg = g.filters / g.groups;
  for (int b = 0; b < g.batch; ++b)
    for (int o = 0; o < g.filters; ++o)
      for (int oy = 0; oy < g.out_h; ++oy)
        for (int ox = 0; ox < g.out_w; ++ox) {
          const size_t oi = ((static_cast<size_t>(b) * g.filters + o) * g.out_h + oy) * g.out_w + ox;
          for (int c = 0; c < cpg; ++c)
            for (int ky = 0; ky < g.size; ++ky)
              for (int kx = 0; kx < g.size; ++kx) {
                const int iy = oy * g.stride + ky - g.padding, ix = ox * g.stride + kx - g.padding;
                if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
                const int ic = (o / fpg) * cpg + c;
                const size_t ii = ((static_cast<size_t>(b) * g.channels + ic) * g.height + iy) * g.width + ix;
                const size_t wi = ((static_cast<size_t>(o) * cpg + c) * g.size + ky) * g.size + kx;
                f(oi, ii, wi);
              }
        }
}

// out = conv(in, w) in double, with the sum of |terms| of each output for its error bound.
void reference_forward(const ConvGeometry& g, const std::vector<float>& in, const std::vector<float>& w,
                       std::vector<double>& out, std::vector<double>& magnitude) {
  out.assign(out_size(g), 0);
  magnitude.assign(out_size(g), 0);
  for_each_term(g, [&](size_t oi, size_t ii, size_t wi) {
    const double t = static_cast<double>(in[ii]) * w[wi];
    out[oi] += t;
    magnitude[oi] += std::fabs(t);
  });
}

// float sums of n terms differ from the exact sum by at most ~n * 2^-24 of the terms' magnitudes;
// oneDNN's blocked sums stay far inside this.
constexpr double kRelative = 2e-6;

// The inference forward's definition: op(conv(in, w) + bias), in double, with the magnitudes.
void reference_inference(const ConvGeometry& g, const std::vector<float>& in, const std::vector<float>& w,
                         const std::vector<float>& bias, PostOp op, std::vector<double>& out,
                         std::vector<double>& magnitude) {
  reference_forward(g, in, w, out, magnitude);
  const size_t plane = static_cast<size_t>(g.out_h) * g.out_w;
  for (size_t i = 0; i < out.size(); ++i) {
    const double v = out[i] + bias[(i / plane) % g.filters];
    out[i] = op == PostOp::leaky ? (v > 0 ? v : .1 * v) : op == PostOp::relu ? std::max(0.0, v) : v;
    magnitude[i] += std::fabs(bias[(i / plane) % g.filters]);
  }
}

// Returns the worst error relative to the magnitude.
double expect_close(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& magnitude,
                    const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  if (got.size() != want.size()) return INFINITY;
  size_t bad = 0, worst_at = 0;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]) / (magnitude[i] + 1e-12);
    if (err > kRelative * 8) ++bad;
    if (!(err <= worst)) worst = err, worst_at = i;
  }
  EXPECT_EQ(bad, 0u) << what << ": worst relative error " << worst << " at " << worst_at << " (got " << got[worst_at]
                     << ", want " << want[worst_at] << ")";
  return worst;
}

// Every kind of convolution the networks use: 3-channel first layers, 3x3 stride 1 (Winograd on
// AVX-512 CPUs, for 16 or more input channels) and 2, 1x1 (stride 1 and 2), grouped, depthwise 3x3
// and 5x5 (yolo-fastest), odd sizes and batches.
std::vector<ConvGeometry> geometries() {
  return {geometry(1, 3, 17, 23, 16, 3, 1, 1, 1),   geometry(2, 3, 20, 20, 8, 3, 2, 1, 1),
          geometry(1, 32, 13, 13, 64, 3, 1, 1, 1),  geometry(2, 16, 12, 9, 24, 3, 2, 1, 1),
          geometry(2, 64, 7, 7, 32, 1, 1, 0, 1),    geometry(1, 24, 9, 9, 40, 1, 2, 0, 1),
          geometry(1, 32, 10, 10, 32, 3, 1, 1, 32), geometry(2, 48, 11, 11, 48, 3, 2, 1, 48),
          geometry(1, 40, 8, 8, 40, 5, 1, 2, 40),   geometry(2, 16, 9, 9, 32, 3, 1, 1, 4),
          geometry(1, 8, 6, 6, 255, 1, 1, 0, 1),    geometry(2, 32, 14, 10, 48, 3, 1, 1, 1)};
}

TEST(ConvDnnl, ForwardInferenceMatchesDirectConvolution) {
  for (const ConvGeometry& g : geometries())
    for (PostOp op : {PostOp::none, PostOp::leaky, PostOp::relu}) {
      SCOPED_TRACE(name_of(g) + " post-op " + std::to_string(static_cast<int>(op)));
      auto conv = DnnlConv::create(g, false, op);
      ASSERT_NE(conv, nullptr);
      auto in = random(in_size(g), 1), w = random(w_size(g), 2), bias = random(g.filters, 3);
      std::vector<double> want, mag;
      reference_inference(g, in, w, bias, op, want, mag);
      std::vector<float> out(out_size(g), NAN);
      conv->forward_inference(in.data(), w.data(), bias.data(), true, out.data());
      expect_close(out, want, mag, "forward");
      // New weights flagged as changed are taken (the cached reorder of the old ones is not reused).
      auto w2 = random(w_size(g), 4);
      std::vector<double> want2, mag2;
      reference_inference(g, in, w2, bias, op, want2, mag2);
      std::vector<float> again(out_size(g), NAN);
      conv->forward_inference(in.data(), w2.data(), bias.data(), true, again.data());
      expect_close(again, want2, mag2, "forward with new weights");
    }
}

// 3x3 stride-1 layers take Winograd's kernels where oneDNN has them for the CPU (AVX-512 and
// newer; under ONEDNN_MAX_CPU_ISA=AVX2, as CI's second run, none), and still compute the
// convolution, within the direct kernels' bound (measured on a Zen 4: 1e-7 of the magnitude,
// about half the direct kernel's worst).
TEST(ConvDnnl, WinogradWhereTheCpuHasIt) {
  const ConvPath before = conv_path();
  set_conv_path(ConvPath::winograd);
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  const bool has_winograd = isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
                            isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
  for (const ConvGeometry& g : {geometry(1, 32, 13, 13, 64, 3, 1, 1, 1), geometry(2, 64, 26, 20, 32, 3, 1, 1, 1),
                                geometry(1, 128, 13, 13, 256, 3, 1, 1, 1)}) {
    SCOPED_TRACE(name_of(g));
    auto conv = DnnlConv::create(g, false, PostOp::leaky);
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(conv->winograd(), has_winograd);
    auto in = random(in_size(g), 11), w = random(w_size(g), 12, -.1f, .1f), bias = random(g.filters, 13);
    std::vector<double> want, mag;
    reference_inference(g, in, w, bias, PostOp::leaky, want, mag);
    std::vector<float> out(out_size(g), NAN);
    conv->forward_inference(in.data(), w.data(), bias.data(), true, out.data());
    const double worst = expect_close(out, want, mag, "forward");
    std::printf("%s: %s, worst error %.2g of the magnitude\n", name_of(g).c_str(),
                conv->winograd() ? "Winograd" : "direct", worst);
  }
  // Not for layers it does not suit: the 3-channel first layer, stride 2, 1x1, grouped.
  for (const ConvGeometry& g : {geometry(1, 3, 17, 23, 16, 3, 1, 1, 1), geometry(2, 16, 12, 9, 24, 3, 2, 1, 1),
                                geometry(2, 64, 7, 7, 32, 1, 1, 0, 1), geometry(2, 16, 9, 9, 32, 3, 1, 1, 4)}) {
    auto conv = DnnlConv::create(g, false, PostOp::leaky);
    ASSERT_NE(conv, nullptr);
    EXPECT_FALSE(conv->winograd()) << name_of(g);
  }
  // Training too (TrainingPassesMatchTheirDefinitions checks its passes on the 3x3 stride-1
  // geometries), and DN_CONV=direct keeps every layer on the direct kernels.
  auto train = DnnlConv::create(geometry(2, 32, 13, 13, 64, 3, 1, 1, 1), true, PostOp::none);
  ASSERT_NE(train, nullptr);
  EXPECT_EQ(train->winograd(), has_winograd);
  set_conv_path(ConvPath::direct);
  for (bool training : {false, true}) {
    auto direct = DnnlConv::create(geometry(2, 32, 13, 13, 64, 3, 1, 1, 1), training, PostOp::leaky);
    ASSERT_NE(direct, nullptr);
    EXPECT_FALSE(direct->winograd()) << "training " << training;
  }
  set_conv_path(before);
}

TEST(ConvDnnl, TrainingPassesMatchTheirDefinitions) {
  for (const ConvGeometry& g : geometries()) {
    SCOPED_TRACE(name_of(g));
    auto conv = DnnlConv::create(g, true, PostOp::none);
    ASSERT_NE(conv, nullptr);
    auto in = random(in_size(g), 5), w = random(w_size(g), 6), dout = random(out_size(g), 7);
    std::vector<double> want, mag;
    reference_forward(g, in, w, want, mag);
    std::vector<float> out(out_size(g), NAN);
    conv->forward_training(in.data(), w.data(), out.data());
    expect_close(out, want, mag, "forward_training");

    // Gradients accumulate: start from non-zero values and expect them added to.
    std::vector<float> dw = random(w_size(g), 8), din = random(in_size(g), 9);
    const std::vector<float> dw0 = dw;
    std::vector<double> want_dw(dw.begin(), dw.end()), want_din(din.begin(), din.end());
    std::vector<double> mag_dw(dw.size()), mag_din(din.size());
    for (size_t i = 0; i < dw.size(); ++i) mag_dw[i] = std::fabs(dw[i]);
    for (size_t i = 0; i < din.size(); ++i) mag_din[i] = std::fabs(din[i]);
    for_each_term(g, [&](size_t oi, size_t ii, size_t wi) {
      want_dw[wi] += static_cast<double>(dout[oi]) * in[ii];
      mag_dw[wi] += std::fabs(static_cast<double>(dout[oi]) * in[ii]);
      want_din[ii] += static_cast<double>(dout[oi]) * w[wi];
      mag_din[ii] += std::fabs(static_cast<double>(dout[oi]) * w[wi]);
    });
    conv->backward(in.data(), w.data(), dout.data(), dw.data(), din.data());
    expect_close(dw, want_dw, mag_dw, "backward weights");
    expect_close(din, want_din, mag_din, "backward data");
    // The first layer has no input gradient to compute: the weight gradient alone.
    std::vector<float> dw2(w_size(g), 0.f);
    std::vector<double> grad(w_size(g));
    for (size_t i = 0; i < grad.size(); ++i) grad[i] = want_dw[i] - dw0[i];
    conv->backward(in.data(), w.data(), dout.data(), dw2.data(), nullptr);
    expect_close(dw2, grad, mag_dw, "backward weights without backward data");
  }
}

TEST(ConvDnnl, HandOverGivesTheSameResultAsThePlainLayout) {
  // Two convolutions in a row, the second reading the first's output: handed over in oneDNN's
  // layout (no reorders) and through NCHW must agree exactly, including a 1x1 after a depthwise
  // layer (different blocked layouts on some CPUs).
  const std::vector<std::pair<ConvGeometry, ConvGeometry>> pairs = {
      {geometry(1, 3, 32, 32, 16, 3, 2, 1, 1), geometry(1, 16, 16, 16, 32, 3, 1, 1, 1)},
      {geometry(1, 48, 20, 20, 48, 3, 1, 1, 48), geometry(1, 48, 20, 20, 16, 1, 1, 0, 1)},
      {geometry(1, 16, 20, 20, 96, 1, 1, 0, 1), geometry(1, 96, 20, 20, 96, 5, 2, 2, 96)},
      // Winograd (on AVX-512) with leaky applied after it, then Winograd without an activation
      {geometry(1, 32, 16, 16, 32, 3, 1, 1, 1), geometry(1, 32, 16, 16, 48, 3, 1, 1, 1)}};
  for (const auto& [g1, g2] : pairs) {
    SCOPED_TRACE(name_of(g1) + " then " + name_of(g2));
    auto a1 = DnnlConv::create(g1, false, PostOp::leaky), a2 = DnnlConv::create(g2, false, PostOp::none);
    auto b1 = DnnlConv::create(g1, false, PostOp::leaky), b2 = DnnlConv::create(g2, false, PostOp::none);
    ASSERT_TRUE(a1 && a2 && b1 && b2);
    auto in = random(in_size(g1), 10), w1 = random(w_size(g1), 11), w2 = random(w_size(g2), 12);
    auto bias1 = random(g1.filters, 13), bias2 = random(g2.filters, 14);
    std::vector<float> mid(out_size(g1)), plain(out_size(g2)), handed(out_size(g2), NAN), untouched(out_size(g1), 7.f);
    a1->forward_inference(in.data(), w1.data(), bias1.data(), true, mid.data());
    EXPECT_FALSE(a1->keeps_output());
    a2->forward_inference(mid.data(), w2.data(), bias2.data(), true, plain.data());
    b1->forward_inference(in.data(), w1.data(), bias1.data(), true, untouched.data(), nullptr, true);
    EXPECT_TRUE(b1->keeps_output());
    EXPECT_EQ(untouched, std::vector<float>(out_size(g1), 7.f)) << "a kept output is not written to the caller's";
    b2->forward_inference(nullptr, w2.data(), bias2.data(), true, handed.data(), b1.get());
    EXPECT_EQ(handed, plain);
  }
}

TEST(ConvDnnl, SwitchSelectsTheGemmPath) {
  const ConvPath before = conv_path();
  ASSERT_TRUE(dnnl_conv_enabled());
  set_conv_path(ConvPath::gemm);
  EXPECT_EQ(DnnlConv::create(geometry(1, 3, 8, 8, 4, 3, 1, 1, 1), false, PostOp::none), nullptr);
  set_conv_path(ConvPath::direct);
  auto direct = DnnlConv::create(geometry(1, 32, 8, 8, 16, 3, 1, 1, 1), false, PostOp::none);
  ASSERT_NE(direct, nullptr);
  EXPECT_FALSE(direct->winograd());
  set_conv_path(before);
}

}  // namespace
}  // namespace dn
