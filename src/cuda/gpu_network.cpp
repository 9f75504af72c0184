#include "cuda/gpu_network.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "cuda/common.hpp"
#include "cuda/device.hpp"
#include "cuda/gpu_layers.hpp"
#include "layers/yolo.hpp"
#include "layers/yolo_targets.hpp"
#include "network/network.hpp"
#include "network/passes.hpp"

namespace dn::cuda {

namespace {

class GpuFloats final : public DeviceFloats {
 public:
  GpuFloats(size_t n, int device, cudaStream_t s) : device_(device), s_(s) {
    buf_.resize(n, "optimizer state");
    buf_.zero(s_);
  }
  float* data() override { return buf_.data(); }
  size_t size() const override { return buf_.size(); }
  void to_host(float* host) const override {
    DN_CUDA_CHECK(cudaSetDevice(device_));
    buf_.download(host, buf_.size(), s_);
  }
  void from_host(const float* host) override {
    DN_CUDA_CHECK(cudaSetDevice(device_));
    buf_.upload(host, buf_.size(), s_);
    DN_CUDA_CHECK(cudaStreamSynchronize(s_));  // the host buffer may go away
  }

 private:
  int device_;
  cudaStream_t s_;
  DeviceBuffer<float> buf_;
};

// The GPU layers' parameters; SGD runs as a kernel on the network's stream.
class GpuParamStore final : public ParamStore {
 public:
  GpuParamStore(std::vector<std::unique_ptr<GpuLayer>>& layers, GpuContext& ctx, int device)
      : layers_(layers), ctx_(ctx), device_(device) {}
  std::unique_ptr<DeviceFloats> zeros(size_t n) override {
    DN_CUDA_CHECK(cudaSetDevice(device_));
    return std::make_unique<GpuFloats>(n, device_, ctx_.stream);
  }
  void sgd(const Param& p, float* v, const UpdateArgs& a) override {
    DN_CUDA_CHECK(cudaSetDevice(device_));
    sgd_update(p.value, p.grad, v, p.size, a.learning_rate, a.momentum, p.decay ? a.decay : 0.f, 1.f / a.batch,
               ctx_.stream);
  }
  void changed() override {}

 private:
  size_t layer_count() const override { return layers_.size(); }
  std::vector<Param> layer_params(size_t i) override { return layers_[i]->params(); }
  std::vector<std::unique_ptr<GpuLayer>>& layers_;
  GpuContext& ctx_;
  int device_;
};

}  // namespace

struct GpuNetwork::Impl {
  Network& net;
  GpuOptions opts;
  GpuContext ctx;
  std::vector<std::unique_ptr<GpuLayer>> layers;
  std::vector<int> yolo;  // indices of the [yolo] layers
  int batch = 1;
  // The shape the layers were last allocated for.
  int shaped_w = -1, shaped_h = -1;
  bool shaped_training = false;
  DeviceBuffer<float> input, input_delta;
  DeviceBuffer<YoloTruth> truths;
  DeviceBuffer<int> truth_counts;
  DeviceBuffer<double> yolo_stats;  // [yolo layers][kYoloStats]
  std::vector<YoloTruth> host_truths;
  std::vector<int> host_counts;
  std::unique_ptr<GpuParamStore> store;

  Impl(Network& n, const GpuOptions& o) : net(n), opts(o) {
    batch = o.batch > 0 ? o.batch : n.batch;
    DN_CUDA_CHECK(cudaSetDevice(o.device));
    DN_CUDA_CHECK(cudaStreamCreateWithFlags(&ctx.stream, cudaStreamNonBlocking));
    DN_CUBLAS_CHECK(cublasCreate(&ctx.cublas));
    DN_CUBLAS_CHECK(cublasSetStream(ctx.cublas, ctx.stream));
    // FP32 unless TF32 is asked for (parity with the CPU within float rounding).
    DN_CUBLAS_CHECK(cublasSetMathMode(ctx.cublas, o.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    ctx.tf32 = o.tf32;
#ifdef DN_CUDNN
    ctx.use_cudnn = o.cudnn;
    if (ctx.use_cudnn) {
      DN_CUDNN_CHECK(cudnnCreate(&ctx.cudnn));
      DN_CUDNN_CHECK(cudnnSetStream(ctx.cudnn, ctx.stream));
    }
#endif
    ctx.layers = &layers;
    for (auto& l : net.layers) {
      layers.push_back(make_gpu_layer(ctx, *l));
      if (dynamic_cast<YoloLayer*>(l.get())) yolo.push_back(static_cast<int>(layers.size()) - 1);
    }
    yolo_stats.resize(std::max<size_t>(1, yolo.size() * kYoloStats), "yolo statistics");
    yolo_stats.zero(ctx.stream);
    for (size_t k = 0; k < yolo.size(); ++k) set_yolo_stats_slot(*layers[yolo[k]], yolo_stats.data() + k * kYoloStats);
  }

  ~Impl() {
    cudaSetDevice(opts.device);
    if (ctx.stream) cudaStreamSynchronize(ctx.stream);
    layers.clear();
    ctx.workspace.release();
    ctx.sums.release();
    if (ctx.cublas) cublasDestroy(ctx.cublas);
#ifdef DN_CUDNN
    if (ctx.cudnn) cudnnDestroy(ctx.cudnn);
#endif
    if (ctx.stream) cudaStreamDestroy(ctx.stream);
  }

  void activate_device() const { DN_CUDA_CHECK(cudaSetDevice(opts.device)); }

  // Follows the CPU network's input size, and allocates training buffers when first needed.
  void ensure_shape(bool training) {
    const bool want_training = training || shaped_training;
    if (shaped_w == net.params.width && shaped_h == net.params.height && want_training == shaped_training) return;
    if (net.layers.size() != layers.size()) fail("GPU network: the CPU network changed its layers");
    size_t ws = 0, sums = 0;
    for (auto& l : layers) {
      l->reshape(ctx, batch, want_training);
      ws = std::max(ws, l->workspace_bytes());
      sums = std::max(sums, l->sums_doubles());
    }
    ctx.workspace.resize(std::max<size_t>(ws, 1), "convolution workspace");
    ctx.sums.resize(std::max<size_t>(sums, 1), "channel sums");
    shaped_w = net.params.width;
    shaped_h = net.params.height;
    shaped_training = want_training;
  }

  void upload_input(const float* x) {
    input.upload(x, static_cast<size_t>(batch) * net.input_size(), ctx.stream, "the input");
  }

  void run_forward(bool train) {
    ctx.train = train;
    ctx.net_w = net.params.width;
    ctx.net_h = net.params.height;
    forward_pass(layers, ctx, input.data());
  }

  void upload_truths(const std::vector<std::vector<Truth>>& t) {
    if (static_cast<int>(t.size()) != batch)
      fail("GPU network: " + std::to_string(t.size()) + " images of truths for a mini-batch of " +
           std::to_string(batch));
    // The CPU's check (assign_targets): a usable truth's class must be one of the layer's.
    for (int k : yolo)
      for (const auto& image : t) yolo_check_truth_classes(static_cast<const YoloLayer&>(layers[k]->cpu), image);
    size_t max_truths = 1;
    for (const auto& image : t) max_truths = std::max(max_truths, image.size());
    host_truths.assign(static_cast<size_t>(batch) * max_truths, YoloTruth{0, 0, 0, 0, 0});
    host_counts.assign(batch, 0);
    for (int b = 0; b < batch; ++b) {
      host_counts[b] = static_cast<int>(t[b].size());
      for (size_t k = 0; k < t[b].size(); ++k) {
        const Truth& tr = t[b][k];
        host_truths[b * max_truths + k] = YoloTruth{tr.cls, tr.box.x, tr.box.y, tr.box.w, tr.box.h};
      }
    }
    truths.upload(host_truths.data(), host_truths.size(), ctx.stream, "truths");
    truth_counts.upload(host_counts.data(), host_counts.size(), ctx.stream, "truth counts");
    ctx.truths = truths.data();
    ctx.truth_counts = truth_counts.data();
    ctx.max_truths = static_cast<int>(max_truths);
  }

  void training_forward(const float* x, const std::vector<std::vector<Truth>>* t) {
    ensure_shape(true);
    upload_input(x);
    ctx.truths = nullptr;
    if (t) upload_truths(*t);
    for (auto& l : layers) l->delta.zero(ctx.stream);
    run_forward(true);
  }

  void run_backward(std::vector<float>* in_delta) {
    ctx.train = true;
    if (in_delta) {
      input_delta.resize(input.size(), "the input gradient");
      input_delta.zero(ctx.stream);
    }
    backward_pass(layers, ctx, input.data(), in_delta ? input_delta.data() : nullptr);
    if (in_delta) *in_delta = input_delta.to_host(ctx.stream);
  }

  // One copy for every [yolo] layer's statistics; returns their summed loss.
  double fetch_stats() {
    if (yolo.empty()) return 0;
    std::vector<double> host(yolo.size() * kYoloStats);
    yolo_stats.download(host.data(), host.size(), ctx.stream);
    double total = 0;
    for (size_t k = 0; k < yolo.size(); ++k) {
      if (!yolo_has_loss(*layers[yolo[k]])) continue;
      store_yolo_stats(*layers[yolo[k]], host.data() + k * kYoloStats);
      total += static_cast<const YoloLayer&>(layers[yolo[k]]->cpu).stats.total_loss();
    }
    return total;
  }

  void check_same_cfg(const Network& other) const {
    if (other.layers.size() != layers.size()) fail("GPU weights: the networks have different layers");
    for (size_t i = 0; i < layers.size(); ++i)
      if (std::strcmp(other.layers[i]->type(), layers[i]->cpu.type()) != 0)
        fail("GPU weights: layer " + std::to_string(i) + " is " + other.layers[i]->type() + " in one network and " +
             layers[i]->cpu.type() + " in the other");
  }
};

GpuNetwork::GpuNetwork(Network& net, const GpuOptions& o) : impl_(std::make_unique<Impl>(net, o)) {}
GpuNetwork::~GpuNetwork() = default;

int GpuNetwork::batch() const { return impl_->batch; }
bool GpuNetwork::uses_cudnn() const { return impl_->ctx.use_cudnn; }

void GpuNetwork::forward(const float* input) {
  Impl& m = *impl_;
  m.activate_device();
  m.ensure_shape(false);
  m.upload_input(input);
  m.ctx.truths = nullptr;
  m.run_forward(false);
}

void GpuNetwork::download_yolo_outputs(Network& net) const {
  const Impl& m = *impl_;
  m.activate_device();
  for (int k : m.yolo) {
    Layer& cpu = *net.layers[k];
    const auto& out = m.layers[k]->output;
    cpu.output.resize(out.size());
    out.download(cpu.output.data(), out.size(), m.ctx.stream);
  }
}

double GpuNetwork::forward_backward(const float* input, const std::vector<std::vector<Truth>>& truths) {
  Impl& m = *impl_;
  m.activate_device();
  m.training_forward(input, &truths);
  m.run_backward(nullptr);
  const double loss = m.fetch_stats();  // the one wait of the pass
  m.net.seen += m.batch;
  return loss;
}

ParamStore& GpuNetwork::params() {
  Impl& m = *impl_;
  if (!m.store) m.store = std::make_unique<GpuParamStore>(m.layers, m.ctx, m.opts.device);
  return *m.store;
}

void GpuNetwork::download_weights(Network& net) const {
  const Impl& m = *impl_;
  m.activate_device();
  m.check_same_cfg(net);
  for (size_t i = 0; i < m.layers.size(); ++i)
    m.layers[i]->download_weights(const_cast<GpuContext&>(m.ctx), *net.layers[i]);
  net.seen = m.net.seen;
  ++net.weights_version;
}

void GpuNetwork::upload_weights(const Network& net) {
  Impl& m = *impl_;
  m.activate_device();
  m.check_same_cfg(net);
  for (size_t i = 0; i < m.layers.size(); ++i) m.layers[i]->upload_weights(m.ctx, *net.layers[i]);
}

void GpuNetwork::forward_training(const float* input, const std::vector<std::vector<Truth>>* truths) {
  Impl& m = *impl_;
  m.activate_device();
  m.training_forward(input, truths);
  m.fetch_stats();
}

void GpuNetwork::backward(std::vector<float>* input_delta) {
  Impl& m = *impl_;
  m.activate_device();
  if (!m.shaped_training) fail("GPU network: backward before a training forward");
  m.run_backward(input_delta);
}

std::vector<float> GpuNetwork::output(int layer) const {
  impl_->activate_device();
  return impl_->layers.at(layer)->output.to_host(impl_->ctx.stream);
}

std::vector<float> GpuNetwork::delta(int layer) const {
  impl_->activate_device();
  return impl_->layers.at(layer)->delta.to_host(impl_->ctx.stream);
}

void GpuNetwork::set_delta(int layer, const std::vector<float>& d) {
  Impl& m = *impl_;
  m.activate_device();
  auto& buf = m.layers.at(layer)->delta;
  if (d.size() != buf.size()) fail("GPU network: set_delta of the wrong size");
  buf.upload(d.data(), d.size(), m.ctx.stream);
  DN_CUDA_CHECK(cudaStreamSynchronize(m.ctx.stream));
}

void GpuNetwork::download_gradients(Network& net) const {
  const Impl& m = *impl_;
  m.activate_device();
  m.check_same_cfg(net);
  for (size_t i = 0; i < m.layers.size(); ++i)
    m.layers[i]->download_gradients(const_cast<GpuContext&>(m.ctx), *net.layers[i]);
}

void GpuNetwork::synchronize() const {
  impl_->activate_device();
  DN_CUDA_CHECK(cudaStreamSynchronize(impl_->ctx.stream));
}

size_t GpuNetwork::device_bytes() const {
  const Impl& m = *impl_;
  size_t bytes = (m.ctx.workspace.size() + m.ctx.sums.size() * sizeof(double)) +
                 (m.input.size() + m.input_delta.size()) * sizeof(float);
  for (const auto& l : m.layers) bytes += (l->output.size() + l->delta.size()) * sizeof(float) + l->parameter_bytes();
  return bytes;
}

std::unique_ptr<GpuNetwork> gpu_for_training(Network& net) {
  const int device = active_device();
  if (device < 0) return nullptr;
  GpuOptions o;
  o.device = device;
  o.batch = net.batch;
  auto gpu = std::make_unique<GpuNetwork>(net, o);
  std::fprintf(stderr, "Training on GPU %d: %s%s\n", device, device_description(device).c_str(),
               gpu->uses_cudnn() ? ", cuDNN" : ", cuBLAS");
  net.set_training(false);
  net.set_batch(1);  // the host copy keeps only the weights
  return gpu;
}

namespace {
// What the Detector's opaque slot holds: the GPU network (null: the CPU runs) and the
// weights_version of the weights it holds.
struct DetectorGpu {
  std::unique_ptr<GpuNetwork> gpu;
  uint64_t version = 0;
};
}  // namespace

bool forward_on_gpu(Network& net, std::shared_ptr<void>& state, const float* input) {
  if (!state) {
    auto s = std::make_shared<DetectorGpu>();
    const int device = active_device();
    if (device >= 0) {
      GpuOptions o;
      o.device = device;
      o.batch = net.batch;
      s->gpu = std::make_unique<GpuNetwork>(net, o);
      s->version = net.weights_version;
    }
    state = s;
  }
  auto& s = *static_cast<DetectorGpu*>(state.get());
  if (!s.gpu) return false;
  if (s.version != net.weights_version) {
    s.gpu->upload_weights(net);
    s.version = net.weights_version;
  }
  s.gpu->forward(input);
  s.gpu->download_yolo_outputs(net);
  return true;
}

}  // namespace dn::cuda
