// Every layer type on the GPU against the CPU layers (the reference), through small networks:
// inference forward; training forward (batch statistics, rolling averages); backward from a
// fixed random output gradient (every layer's delta, the input gradient, every parameter
// gradient); one SGD step. Both convolution paths: cuDNN (when built with CUDNN=1) and
// im2col + cuBLAS.
//
// Tolerances, relative to the largest magnitude of the CPU tensor (gpu_test_util.hpp close_to):
//   forward outputs 2e-4, deltas and gradients 1e-3, weights after SGD 1e-5. Both sides compute in
//   float with different summation orders (GEMM/cuDNN blocking, reductions); errors seen on such
//   nets are ~1e-6, the margins are for deeper accumulations. Dropout draws its masks on the device
//   (different from the CPU's), so it has its own test of the mask's properties.
#include <memory>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "core/rng.hpp"
#include "cuda/gpu_network.hpp"
#include "gpu/gpu_test_util.hpp"
#include "layers/convolutional.hpp"
#include "network/network.hpp"
#include "network/param_store.hpp"
#include "train/sgd.hpp"

namespace dn {
namespace {

constexpr double kForwardTol = 2e-4, kBackwardTol = 1e-3, kUpdateTol = 1e-5;

void randomize(Network& net, uint64_t seed) {
  Rng rng(seed);
  for (auto& l : net.layers)
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(l.get())) {
      const float s = std::sqrt(3.f / ((c->in.c / c->groups) * c->size * c->size));
      for (float& w : c->weights) w = rng.uniform(-s, s);
      for (float& b : c->biases) b = .1f * rng.normal();
      if (c->batch_normalize) {
        for (float& v : c->scales) v = rng.uniform(.5f, 1.5f);
        for (float& v : c->rolling_mean) v = .1f * rng.normal();
        for (float& v : c->rolling_variance) v = rng.uniform(.5f, 1.5f);
      }
      c->params_changed();
    }
}

struct Case {
  std::string name, cfg;
  int batch = 3;
};

// Runs the CPU network as the layer gradient checker does (training forward, delta of the last
// layer = R, every backward with an input gradient) and the GPU network the same way; compares.
void compare_network(const Case& c, bool cudnn) {
  SCOPED_TRACE(c.name + (cudnn ? " (cuDNN)" : " (cuBLAS)"));
  auto cpu = build_network(parse_cfg_text(c.cfg, c.name + ".cfg"), c.batch);
  randomize(*cpu, 11);
  cuda::GpuOptions o;
  o.batch = c.batch;
  o.cudnn = cudnn;
  cuda::GpuNetwork gpu(*cpu, o);  // uploads the CPU weights
  auto scratch = build_network(parse_cfg_text(c.cfg, c.name + ".cfg"), c.batch);  // receives GPU state

  Rng rng(5);
  std::vector<float> x(static_cast<size_t>(c.batch) * cpu->input_size());
  for (float& v : x) v = rng.uniform();
  const int last = static_cast<int>(cpu->layers.size()) - 1;

  // Inference.
  cpu->forward(x.data());
  gpu.forward(x.data());
  for (int i = 0; i <= last; ++i)
    EXPECT_TRUE(testing::close_to(gpu.output(i), cpu->layers[i]->output, kForwardTol))
        << "inference output of layer " << i << " (" << cpu->layers[i]->type() << ")";

  // Training forward.
  cpu->set_training(true);
  RunContext ctx;
  ctx.layers = &cpu->layers;
  ctx.train = true;
  ctx.net_w = cpu->params.width;
  ctx.net_h = cpu->params.height;
  for (auto& l : cpu->layers) std::fill(l->delta.begin(), l->delta.end(), 0.f);
  const float* in = x.data();
  for (auto& l : cpu->layers) {
    l->forward(ctx, in);
    in = l->output.data();
  }
  gpu.forward_training(x.data(), nullptr);
  for (int i = 0; i <= last; ++i)
    EXPECT_TRUE(testing::close_to(gpu.output(i), cpu->layers[i]->output, kForwardTol))
        << "training output of layer " << i << " (" << cpu->layers[i]->type() << ")";
  gpu.download_weights(*scratch);  // rolling statistics after one training forward
  for (int i = 0; i <= last; ++i)
    if (auto* cc = dynamic_cast<ConvolutionalLayer*>(cpu->layers[i].get()); cc && cc->batch_normalize) {
      auto* gc = static_cast<ConvolutionalLayer*>(scratch->layers[i].get());
      EXPECT_TRUE(testing::close_to(gc->rolling_mean, cc->rolling_mean, kForwardTol)) << "rolling mean, layer " << i;
      EXPECT_TRUE(testing::close_to(gc->rolling_variance, cc->rolling_variance, kForwardTol))
          << "rolling variance, layer " << i;
    }

  // Backward from R.
  std::vector<float> r(cpu->layers[last]->delta.size());
  for (float& v : r) v = rng.normal();
  cpu->layers[last]->delta = r;
  std::vector<float> cpu_dx(x.size(), 0.f);
  for (int i = last; i >= 0; --i)
    cpu->layers[i]->backward(ctx, i == 0 ? x.data() : cpu->layers[i - 1]->output.data(),
                             i == 0 ? cpu_dx.data() : cpu->layers[i - 1]->delta.data());
  gpu.set_delta(last, r);
  std::vector<float> gpu_dx;
  gpu.backward(&gpu_dx);
  for (int i = 0; i <= last; ++i)
    EXPECT_TRUE(testing::close_to(gpu.delta(i), cpu->layers[i]->delta, kBackwardTol))
        << "delta of layer " << i << " (" << cpu->layers[i]->type() << ")";
  EXPECT_TRUE(testing::close_to(gpu_dx, cpu_dx, kBackwardTol)) << "input gradient";
  gpu.download_gradients(*scratch);
  for (int i = 0; i <= last; ++i) {
    auto cp = cpu->layers[i]->parameters();
    auto gp = scratch->layers[i]->parameters();
    auto sizes = cpu->layers[i]->parameter_sizes();
    for (size_t k = 0; k < cp.size(); ++k) {
      std::vector<float> cg(cp[k].second, cp[k].second + sizes[k]), gg(gp[k].second, gp[k].second + sizes[k]);
      EXPECT_TRUE(testing::close_to(gg, cg, kBackwardTol)) << "gradient " << k << " of layer " << i;
    }
  }

  // One SGD step (decay on weights only).
  const UpdateArgs args{c.batch, .01f, .9f, .0005f};
  CpuParamStore cpu_store(*cpu);
  Sgd cpu_sgd(cpu_store), gpu_sgd(gpu.params());
  cpu_sgd.step(args);
  gpu_sgd.step(args);
  gpu.download_weights(*scratch);
  for (int i = 0; i <= last; ++i) {
    auto cp = cpu->layers[i]->parameters();
    auto gp = scratch->layers[i]->parameters();
    auto sizes = cpu->layers[i]->parameter_sizes();
    for (size_t k = 0; k < cp.size(); ++k) {
      std::vector<float> cw(cp[k].first, cp[k].first + sizes[k]), gw(gp[k].first, gp[k].first + sizes[k]);
      EXPECT_TRUE(testing::close_to(gw, cw, kUpdateTol)) << "parameter " << k << " of layer " << i << " after SGD";
    }
  }
}

const char* kNet = "[net]\nbatch=1\nwidth=%d\nheight=%d\nchannels=3\n";

std::string net_header(int w, int h) {
  char buf[96];
  std::snprintf(buf, sizeof buf, kNet, w, h);
  return buf;
}

std::string conv(int filters, int size, int stride, bool bn, const std::string& act, int groups = 1) {
  return "\n[convolutional]\n" + std::string(bn ? "batch_normalize=1\n" : "") + "filters=" + std::to_string(filters) +
         "\nsize=" + std::to_string(size) + "\nstride=" + std::to_string(stride) + "\npad=1\ngroups=" +
         std::to_string(groups) + "\nactivation=" + act + "\n";
}

// Convolutions: batch norm or bias, 3x3/1, 3x3/2, 1x1 (the pointwise path), groups, 5x5, odd sizes.
const Case kConvs{"convs", net_header(15, 13) + conv(8, 3, 1, true, "leaky") + conv(6, 3, 2, true, "mish") +
                               conv(6, 1, 1, false, "linear") + conv(6, 3, 1, true, "logistic", 2) +
                               conv(4, 5, 1, false, "swish")};

// Pooling, upsampling, routes and a shortcut, as yolov3(-tiny) uses them, plus global average.
const Case kPlumbing{"plumbing", net_header(16, 14) +
                                     conv(4, 3, 1, true, "leaky") +           // 0: 16x14x4
                                     "\n[maxpool]\nsize=2\nstride=2\n" +      // 1: 8x7
                                     conv(8, 3, 1, true, "leaky") +           // 2: 8x7x8
                                     "\n[maxpool]\nsize=2\nstride=1\n" +      // 3: 8x7 (tiny's 13x13 one)
                                     conv(8, 3, 1, false, "linear") +         // 4
                                     "\n[shortcut]\nfrom=3\nactivation=leaky\n" +  // 5
                                     "\n[maxpool]\nsize=3\nstride=2\n" +      // 6: 4x4 (padding 2)
                                     conv(4, 1, 1, true, "leaky") +           // 7: 4x4x4
                                     "\n[upsample]\nstride=2\n" +             // 8: 8x8x4
                                     "\n[route]\nlayers=-1\n" +               // 9
                                     conv(6, 3, 2, true, "leaky") +           // 10: 4x4x6
                                     "\n[route]\nlayers=-1,7\n" +             // 11: 4x4x10
                                     "\n[avgpool]\n"};                        // 12: 1x1x10

class LayersOnGpu : public ::testing::TestWithParam<bool> {};  // param: cuDNN

TEST_P(LayersOnGpu, Convolutions) {
  DN_REQUIRE_GPU();
  compare_network(kConvs, GetParam());
}

TEST_P(LayersOnGpu, PoolingRoutesShortcutUpsample) {
  DN_REQUIRE_GPU();
  compare_network(kPlumbing, GetParam());
}

TEST_P(LayersOnGpu, EveryActivation) {
  DN_REQUIRE_GPU();
  for (const char* act : {"linear", "leaky", "relu", "logistic", "tanh", "mish", "swish", "elu", "selu", "relu6",
                          "hardtan", "lhtan", "ramp"}) {
    // conv + batch norm, conv + bias, and a shortcut, all with this activation.
    const Case c{std::string("activation_") + act, net_header(9, 7) + conv(4, 3, 1, true, act) +
                                                       conv(4, 3, 1, false, act) + "\n[shortcut]\nfrom=-2\nactivation=" +
                                                       act + "\n"};
    compare_network(c, GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(ConvolutionPath, LayersOnGpu, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "cuDNN" : "cuBLAS"; });

// Dropout: identity at inference; in training every element is 0 or x/(1-p), about p of them 0,
// and backward routes the gradient through the same mask.
TEST(DropoutOnGpu, MaskAndBackward) {
  DN_REQUIRE_GPU();
  const std::string cfg = net_header(32, 32) + "\n[dropout]\nprobability=.3\n";
  auto cpu = build_network(parse_cfg_text(cfg, "dropout.cfg"), 2);
  cuda::GpuOptions o;
  o.batch = 2;
  cuda::GpuNetwork gpu(*cpu, o);
  Rng rng(3);
  std::vector<float> x(2 * cpu->input_size());
  for (float& v : x) v = rng.uniform(.5f, 1.5f);
  gpu.forward(x.data());
  EXPECT_EQ(gpu.output(0), x);
  gpu.forward_training(x.data(), nullptr);
  const std::vector<float> y = gpu.output(0);
  size_t zeros = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (y[i] == 0) {
      ++zeros;
      continue;
    }
    ASSERT_NEAR(y[i], x[i] / .7f, 1e-5f * x[i]) << i;
  }
  const double frac = static_cast<double>(zeros) / x.size();
  EXPECT_NEAR(frac, .3, .03);
  std::vector<float> r(x.size());
  for (float& v : r) v = rng.normal();
  gpu.set_delta(0, r);
  std::vector<float> dx;
  gpu.backward(&dx);
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(dx[i], y[i] == 0 ? 0.f : r[i] / .7f, 1e-5f) << i;
  // A second training forward draws another mask.
  gpu.forward_training(x.data(), nullptr);
  EXPECT_NE(gpu.output(0), y);
}

}  // namespace
}  // namespace dn
