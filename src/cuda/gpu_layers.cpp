// The GPU layers without parameters: maxpool, avgpool, upsample, route, shortcut, dropout; the
// factory from CPU layer to GPU layer.
#include "cuda/gpu_layers.hpp"

#include <cstring>

#include "core/error.hpp"
#include "layers/avgpool.hpp"
#include "layers/convolutional.hpp"
#include "layers/dropout.hpp"
#include "layers/maxpool.hpp"
#include "layers/route.hpp"
#include "layers/shortcut.hpp"
#include "layers/upsample.hpp"
#include "layers/yolo.hpp"

namespace dn::cuda {

void GpuLayer::reshape(GpuContext&, int b, bool train) {
  batch = b;
  training = train;
  output.resize(static_cast<size_t>(b) * out_size(), "a layer output");
  if (train)
    delta.resize(output.size(), "a layer delta");
  else
    delta.release();
}

namespace {

// [maxpool] (MaxpoolLayer): argmax kept in training for backward.
class GpuMaxpool : public GpuLayer {
 public:
  explicit GpuMaxpool(MaxpoolLayer& l) : GpuLayer(l), l_(l) {}
  void reshape(GpuContext& ctx, int b, bool train) override {
    GpuLayer::reshape(ctx, b, train);
    if (train)
      argmax_.resize(output.size(), "maxpool argmax");
    else
      argmax_.release();
  }
  void forward(GpuContext& ctx, const float* input) override {
    maxpool_forward(input, batch * l_.in.c, l_.in.h, l_.in.w, l_.out.h, l_.out.w, l_.size, l_.stride, -l_.padding / 2,
                    output.data(), ctx.train ? argmax_.data() : nullptr, ctx.stream);
  }
  void backward(GpuContext& ctx, const float*, float* input_delta) override {
    if (!input_delta) return;
    maxpool_backward(delta.data(), argmax_.data(), batch * l_.in.c, l_.in.h, l_.in.w, l_.out.h, l_.out.w, l_.size,
                     l_.stride, -l_.padding / 2, input_delta, ctx.stream);
  }

 private:
  MaxpoolLayer& l_;
  DeviceBuffer<int> argmax_;
};

// [avgpool] (AvgpoolLayer): global average.
class GpuAvgpool : public GpuLayer {
 public:
  using GpuLayer::GpuLayer;
  void forward(GpuContext& ctx, const float* input) override {
    avgpool_forward(input, batch * cpu.in.c, cpu.in.h * cpu.in.w, output.data(), ctx.stream);
  }
  void backward(GpuContext& ctx, const float*, float* input_delta) override {
    if (input_delta) avgpool_backward(delta.data(), batch * cpu.in.c, cpu.in.h * cpu.in.w, input_delta, ctx.stream);
  }
};

// [upsample] (UpsampleLayer).
class GpuUpsample : public GpuLayer {
 public:
  explicit GpuUpsample(UpsampleLayer& l) : GpuLayer(l), l_(l) {}
  void forward(GpuContext& ctx, const float* input) override {
    upsample_forward(input, batch * l_.in.c, l_.in.h, l_.in.w, l_.stride, l_.scale, output.data(), ctx.stream);
  }
  void backward(GpuContext& ctx, const float*, float* input_delta) override {
    if (input_delta)
      upsample_backward(delta.data(), batch * l_.in.c, l_.in.h, l_.in.w, l_.stride, l_.scale, input_delta, ctx.stream);
  }

 private:
  UpsampleLayer& l_;
};

// [route] (RouteLayer): concatenation along channels, per image.
class GpuRoute : public GpuLayer {
 public:
  explicit GpuRoute(RouteLayer& l) : GpuLayer(l), l_(l) {}
  void forward(GpuContext& ctx, const float*) override {
    size_t offset = 0;
    const size_t row = out_size();
    for (int src : l_.sources) {
      GpuLayer& s = ctx.layer(src);
      const size_t n = s.out_size();
      DN_CUDA_CHECK(cudaMemcpy2DAsync(output.data() + offset, row * sizeof(float), s.output.data(), n * sizeof(float),
                                      n * sizeof(float), batch, cudaMemcpyDeviceToDevice, ctx.stream));
      offset += n;
    }
  }
  void backward(GpuContext& ctx, const float*, float*) override {
    size_t offset = 0;
    const size_t row = out_size();
    for (int src : l_.sources) {
      GpuLayer& s = ctx.layer(src);
      const size_t n = s.out_size();
      add_rows(s.delta.data(), n, 0, delta.data(), row, offset, n, batch, ctx.stream);
      offset += n;
    }
  }

 private:
  RouteLayer& l_;
};

// [shortcut] (ShortcutLayer): output = act(input + output of layer `from`).
class GpuShortcut : public GpuLayer {
 public:
  explicit GpuShortcut(ShortcutLayer& l) : GpuLayer(l), l_(l) {}
  void reshape(GpuContext& ctx, int b, bool train) override {
    GpuLayer::reshape(ctx, b, train);
    if (train && l_.activation != Activation::Linear)
      sum_.resize(output.size(), "shortcut sum");
    else
      sum_.release();
  }
  void forward(GpuContext& ctx, const float* input) override {
    const size_t n = output.size();
    float* sum = sum_.empty() ? output.data() : sum_.data();
    add(input, ctx.layer(l_.from).output.data(), sum, n, ctx.stream);
    activate(l_.activation, sum, output.data(), n, ctx.stream);
  }
  void backward(GpuContext& ctx, const float*, float* input_delta) override {
    const size_t n = delta.size();
    if (l_.activation != Activation::Linear) activate_gradient(l_.activation, sum_.data(), delta.data(), n, ctx.stream);
    add_into(ctx.layer(l_.from).delta.data(), delta.data(), n, ctx.stream);
    if (input_delta) add_into(input_delta, delta.data(), n, ctx.stream);
  }

 private:
  ShortcutLayer& l_;
  DeviceBuffer<float> sum_;
};

// [dropout] (DropoutLayer): the mask comes from a counter-based hash on the device, seeded from the
// CPU layer's generator, so that no mask crosses the bus (the masks differ from the CPU's).
class GpuDropout : public GpuLayer {
 public:
  explicit GpuDropout(DropoutLayer& l) : GpuLayer(l), l_(l) {
    Rng copy = l.rng;
    seed_ = copy.next();
  }
  void reshape(GpuContext& ctx, int b, bool train) override {
    GpuLayer::reshape(ctx, b, train);
    if (train)
      mask_.resize(output.size(), "dropout mask");
    else
      mask_.release();
  }
  void forward(GpuContext& ctx, const float* input) override {
    const size_t n = output.size();
    if (!ctx.train) {
      DN_CUDA_CHECK(cudaMemcpyAsync(output.data(), input, n * sizeof(float), cudaMemcpyDeviceToDevice, ctx.stream));
      return;
    }
    dropout_forward(input, n, l_.probability, seed_, step_++, mask_.data(), output.data(), ctx.stream);
  }
  void backward(GpuContext& ctx, const float*, float* input_delta) override {
    if (input_delta) dropout_backward(delta.data(), mask_.data(), delta.size(), input_delta, ctx.stream);
  }

 private:
  DropoutLayer& l_;
  DeviceBuffer<float> mask_;
  uint64_t seed_ = 0, step_ = 0;
};

}  // namespace

namespace {
template <class Gpu, class Cpu>
std::unique_ptr<GpuLayer> make_plain(GpuContext&, Layer& cpu) {
  return std::make_unique<Gpu>(static_cast<Cpu&>(cpu));
}

// The GPU layer of each CPU layer type (Layer::type()); a new GPU layer is one line here.
struct GpuLayerEntry {
  const char* type;
  std::unique_ptr<GpuLayer> (*make)(GpuContext&, Layer&);
};
const GpuLayerEntry kGpuLayers[] = {
    {"conv", make_gpu_convolutional},
    {"yolo", make_gpu_yolo},
    {"max", make_plain<GpuMaxpool, MaxpoolLayer>},
    {"avg", make_plain<GpuAvgpool, Layer>},
    {"upsample", make_plain<GpuUpsample, UpsampleLayer>},
    {"route", make_plain<GpuRoute, RouteLayer>},
    {"shortcut", make_plain<GpuShortcut, ShortcutLayer>},
    {"dropout", make_plain<GpuDropout, DropoutLayer>},
};
}  // namespace

std::unique_ptr<GpuLayer> make_gpu_layer(GpuContext& ctx, Layer& cpu) {
  for (const auto& e : kGpuLayers)
    if (std::strcmp(cpu.type(), e.type) == 0) return e.make(ctx, cpu);
  fail("layer " + std::to_string(cpu.index) + " (" + cpu.type() + ") has no GPU version: run with -nogpu");
}

}  // namespace dn::cuda
