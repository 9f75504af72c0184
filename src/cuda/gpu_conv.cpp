// [convolutional] on the GPU (ConvolutionalLayer): the convolution itself through cuDNN (builds
// with CUDNN=1; algorithms picked once per input shape) or im2col + cuBLAS; bias, batch norm,
// activation and SGD through our kernels, with the CPU's semantics (batch statistics, rolling
// averages .99/.01 with the unbiased variance, eps 1e-6, no decay on biases and scales).
#include <map>
#include <tuple>

#include "core/error.hpp"
#include "cuda/gpu_layers.hpp"
#include "layers/convolutional.hpp"

namespace dn::cuda {

namespace {

#ifdef DN_CUDNN
// cuDNN's scratch for one algorithm may not exceed this (the heuristics offer slower algorithms
// that need less).
constexpr size_t kCudnnWorkspaceLimit = size_t(1) << 30;

struct CudnnAlgos {
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnMathType_t math = CUDNN_FMA_MATH;
  size_t workspace = 0;
};

// A perf result is usable when it ran, fits, is deterministic (-seed N reproduces a run, as on the
// CPU) and does not use TF32 unless allowed.
template <class Perf>
bool usable(const Perf& p, bool tf32, bool deterministic) {
  if (p.status != CUDNN_STATUS_SUCCESS || p.memory > kCudnnWorkspaceLimit) return false;
  if (deterministic && p.determinism != CUDNN_DETERMINISTIC) return false;
  return tf32 || p.mathType == CUDNN_FMA_MATH || p.mathType == CUDNN_DEFAULT_MATH;
}

// The first usable result of the heuristics (sorted fastest first), preferring deterministic ones;
// -1 if none.
template <class Perf>
int pick(const Perf* perf, int found, bool tf32) {
  for (bool deterministic : {true, false})
    for (int i = 0; i < found; ++i)
      if (usable(perf[i], tf32, deterministic)) return i;
  return -1;
}
#endif

class GpuConvolutional : public GpuLayer {
 public:
  GpuConvolutional(GpuContext& ctx, ConvolutionalLayer& l) : GpuLayer(l), l_(l) {
    weights_.resize(l.weights.size(), "conv weights");
    biases_.resize(l.filters, "conv biases");
    if (l.batch_normalize) {
      scales_.resize(l.filters, "conv scales");
      rolling_mean_.resize(l.filters, "conv rolling mean");
      rolling_var_.resize(l.filters, "conv rolling variance");
    }
    upload_weights(ctx, l);
#ifdef DN_CUDNN
    if (ctx.use_cudnn) {
      DN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x_desc_));
      DN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y_desc_));
      DN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w_desc_));
      DN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv_desc_));
    }
#endif
  }
  ~GpuConvolutional() override {
#ifdef DN_CUDNN
    if (x_desc_) cudnnDestroyTensorDescriptor(x_desc_);
    if (y_desc_) cudnnDestroyTensorDescriptor(y_desc_);
    if (w_desc_) cudnnDestroyFilterDescriptor(w_desc_);
    if (conv_desc_) cudnnDestroyConvolutionDescriptor(conv_desc_);
#endif
  }

  void reshape(GpuContext& ctx, int b, bool train) override {
    GpuLayer::reshape(ctx, b, train);
    const size_t n = output.size();
    if (train) {
      x_act_.resize(n, "conv pre-activation");
      if (l_.batch_normalize) {
        x_norm_.resize(n, "conv normalised");
        mean_.resize(l_.filters, "conv batch mean");
        var_.resize(l_.filters, "conv batch variance");
      }
      coef_.resize(4 * static_cast<size_t>(l_.filters), "conv bn coefficients");
      if (weight_grads_.empty()) {  // first time in training: gradients from zero
        auto zeroed = [&](DeviceBuffer<float>& buf, size_t size, const char* what) {
          buf.resize(size, what);
          buf.zero(ctx.stream);
        };
        zeroed(weight_grads_, weights_.size(), "conv weight gradients");
        zeroed(bias_grads_, biases_.size(), "conv bias gradients");
        if (l_.batch_normalize) {
          zeroed(scale_grads_, scales_.size(), "conv scale gradients");
        }
      }
    } else {
      x_act_.release();
      x_norm_.release();
    }
    workspace_ = 0;
#ifdef DN_CUDNN
    if (ctx.use_cudnn) {
      setup_cudnn(ctx);
      return;
    }
#endif
    if (!pointwise())
      workspace_ = static_cast<size_t>(l_.in.c / l_.groups) * l_.size * l_.size * l_.out.h * l_.out.w * sizeof(float);
  }

  size_t workspace_bytes() const override { return workspace_; }
  size_t sums_doubles() const override {
    // sums[2c] + channel_sums scratch
    return 2 * static_cast<size_t>(l_.filters) + channel_sums_scratch(batch, l_.filters, l_.out.h * l_.out.w);
  }
  size_t parameter_bytes() const override {
    return (weights_.size() + biases_.size() + scales_.size() + rolling_mean_.size() + rolling_var_.size()) *
           sizeof(float);
  }

  void forward(GpuContext& ctx, const float* input) override {
    const int n = l_.out.h * l_.out.w;
    if (!ctx.train) {
      convolve(ctx, input, output.data());
      conv_epilogue(output.data(), biases_.data(), l_.batch_normalize ? scales_.data() : nullptr,
                    rolling_mean_.data(), rolling_var_.data(), ConvolutionalLayer::kBnEps, l_.activation, batch,
                    l_.filters, n, output.data(), ctx.stream);
      return;
    }
    // Training: the raw convolution into x_act, then batch norm (x_norm, and x_act = scale*x_norm
    // + bias in place) or the bias, then the activation into output.
    convolve(ctx, input, x_act_.data());
    if (l_.batch_normalize) {
      double* sum = ctx.sums.data();
      double* sumsq = sum + l_.filters;
      channel_sums_sq(x_act_.data(), batch, l_.filters, n, sum, sumsq, sumsq + l_.filters, ctx.stream);
      bn_statistics(sum, sumsq, static_cast<double>(batch) * n, l_.filters, mean_.data(), var_.data(),
                    rolling_mean_.data(), rolling_var_.data(), ctx.stream);
      bn_normalize(x_act_.data(), mean_.data(), var_.data(), scales_.data(), biases_.data(), ConvolutionalLayer::kBnEps,
                   batch, l_.filters, n, x_norm_.data(), x_act_.data(), ctx.stream);
    } else {
      add_bias(x_act_.data(), biases_.data(), batch, l_.filters, n, ctx.stream);
    }
    activate(l_.activation, x_act_.data(), output.data(), output.size(), ctx.stream);
  }

  void backward(GpuContext& ctx, const float* input, float* input_delta) override {
    const int n = l_.out.h * l_.out.w;
    activate_gradient(l_.activation, x_act_.data(), delta.data(), delta.size(), ctx.stream);
    double* sb = ctx.sums.data();
    double* ss = sb + l_.filters;
    channel_sums(delta.data(), l_.batch_normalize ? x_norm_.data() : nullptr, batch, l_.filters, n, sb, ss,
                 ss + l_.filters, ctx.stream);
    bn_backward(sb, ss, x_norm_.data(), var_.data(), l_.batch_normalize ? scales_.data() : nullptr,
                ConvolutionalLayer::kBnEps, static_cast<double>(batch) * n, batch, l_.filters, n, delta.data(),
                bias_grads_.data(), scale_grads_.data(), coef_.data(), ctx.stream);
#ifdef DN_CUDNN
    if (ctx.use_cudnn) {
      const float one = 1.f;
      void* ws = ctx.workspace.data();
      const size_t ws_size = ctx.workspace.size();
      DN_CUDNN_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &one, x_desc_, input, y_desc_, delta.data(),
                                                    conv_desc_, algos_.bwd_filter, ws, ws_size, &one, w_desc_,
                                                    weight_grads_.data()));
      if (input_delta)
        DN_CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &one, w_desc_, weights_.data(), y_desc_, delta.data(),
                                                    conv_desc_, algos_.bwd_data, ws, ws_size, &one, x_desc_,
                                                    input_delta));
      return;
    }
#endif
    // im2col + GEMM per image and group, as the CPU's backward.
    const int g_in = l_.in.c / l_.groups, m = l_.filters / l_.groups;
    const int k = g_in * l_.size * l_.size;
    const size_t in_plane = static_cast<size_t>(l_.in.h) * l_.in.w;
    const size_t wpg = weights_.size() / l_.groups;
    float* cols_ws = reinterpret_cast<float*>(ctx.workspace.data());
    for (int b = 0; b < batch; ++b)
      for (int g = 0; g < l_.groups; ++g) {
        const float* im = input + b * in_size() + g * g_in * in_plane;
        const float* d = delta.data() + b * out_size() + static_cast<size_t>(g) * m * n;
        const float* cols = im;
        if (!pointwise()) {
          im2col(im, g_in, l_.in.h, l_.in.w, l_.size, l_.stride, l_.padding, cols_ws, ctx.stream);
          cols = cols_ws;
        }
        gemm(ctx, false, true, m, k, n, 1.f, d, n, cols, n, 1.f, weight_grads_.data() + g * wpg, k);
        if (!input_delta) continue;
        float* id = input_delta + b * in_size() + g * g_in * in_plane;
        const float* w = weights_.data() + g * wpg;
        if (pointwise()) {
          gemm(ctx, true, false, k, n, m, 1.f, w, k, d, n, 1.f, id, n);
        } else {
          gemm(ctx, true, false, k, n, m, 1.f, w, k, d, n, 0.f, cols_ws, n);
          col2im_add(cols_ws, g_in, l_.in.h, l_.in.w, l_.size, l_.stride, l_.padding, id, ctx.stream);
        }
      }
  }

  std::vector<Param> params() override {
    std::vector<Param> p{{weights_.data(), weight_grads_.data(), weights_.size(), true},
                         {biases_.data(), bias_grads_.data(), biases_.size(), false}};
    if (l_.batch_normalize) p.push_back({scales_.data(), scale_grads_.data(), scales_.size(), false});
    return p;
  }

  void upload_weights(GpuContext& ctx, const Layer& from) override {
    const auto& c = checked(from);
    weights_.upload(c.weights.data(), c.weights.size(), ctx.stream);
    biases_.upload(c.biases.data(), c.biases.size(), ctx.stream);
    if (l_.batch_normalize) {
      scales_.upload(c.scales.data(), c.scales.size(), ctx.stream);
      rolling_mean_.upload(c.rolling_mean.data(), c.rolling_mean.size(), ctx.stream);
      rolling_var_.upload(c.rolling_variance.data(), c.rolling_variance.size(), ctx.stream);
    }
    // Pageable uploads may still read the host vectors: finish before the caller changes them.
    DN_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  }

  void download_weights(GpuContext& ctx, Layer& to) const override {
    auto& c = const_cast<ConvolutionalLayer&>(checked(to));
    weights_.download(c.weights.data(), c.weights.size(), ctx.stream);
    biases_.download(c.biases.data(), c.biases.size(), ctx.stream);
    if (l_.batch_normalize) {
      scales_.download(c.scales.data(), c.scales.size(), ctx.stream);
      rolling_mean_.download(c.rolling_mean.data(), c.rolling_mean.size(), ctx.stream);
      rolling_var_.download(c.rolling_variance.data(), c.rolling_variance.size(), ctx.stream);
    }
    c.params_changed();
  }

  void download_gradients(GpuContext& ctx, Layer& to) const override {
    auto& c = const_cast<ConvolutionalLayer&>(checked(to));
    if (weight_grads_.empty()) return;
    c.weight_grads.resize(weight_grads_.size());
    c.bias_grads.resize(bias_grads_.size());
    weight_grads_.download(c.weight_grads.data(), weight_grads_.size(), ctx.stream);
    bias_grads_.download(c.bias_grads.data(), bias_grads_.size(), ctx.stream);
    if (l_.batch_normalize) {
      c.scale_grads.resize(scale_grads_.size());
      scale_grads_.download(c.scale_grads.data(), scale_grads_.size(), ctx.stream);
    }
  }

 private:
  bool pointwise() const { return l_.size == 1 && l_.stride == 1 && l_.padding == 0; }

  const ConvolutionalLayer& checked(const Layer& other) const {
    auto* c = dynamic_cast<const ConvolutionalLayer*>(&other);
    if (!c || c->weights.size() != weights_.size() || c->filters != l_.filters ||
        c->batch_normalize != l_.batch_normalize)
      fail("GPU weights: layer " + std::to_string(l_.index) + " differs between the networks (not the same cfg?)");
    return *c;
  }

  // result[b][filters][oh][ow] = conv(input) without bias.
  void convolve(GpuContext& ctx, const float* input, float* result) {
#ifdef DN_CUDNN
    if (ctx.use_cudnn) {
      const float one = 1.f, zero = 0.f;
      DN_CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn, &one, x_desc_, input, w_desc_, weights_.data(), conv_desc_,
                                             algos_.fwd, ctx.workspace.data(), ctx.workspace.size(), &zero, y_desc_,
                                             result));
      return;
    }
#endif
    const int g_in = l_.in.c / l_.groups, m = l_.filters / l_.groups;
    const int n = l_.out.h * l_.out.w, k = g_in * l_.size * l_.size;
    const size_t in_plane = static_cast<size_t>(l_.in.h) * l_.in.w;
    const size_t wpg = weights_.size() / l_.groups;
    float* cols_ws = reinterpret_cast<float*>(ctx.workspace.data());
    for (int b = 0; b < batch; ++b)
      for (int g = 0; g < l_.groups; ++g) {
        const float* im = input + b * in_size() + g * g_in * in_plane;
        const float* cols = im;
        if (!pointwise()) {
          im2col(im, g_in, l_.in.h, l_.in.w, l_.size, l_.stride, l_.padding, cols_ws, ctx.stream);
          cols = cols_ws;
        }
        gemm(ctx, false, false, m, n, k, 1.f, weights_.data() + g * wpg, k, cols, n, 0.f,
             result + b * out_size() + static_cast<size_t>(g) * m * n, n);
      }
  }

#ifdef DN_CUDNN
  void setup_cudnn(GpuContext& ctx) {
    DN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_desc_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, batch, l_.in.c, l_.in.h,
                                              l_.in.w));
    DN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y_desc_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, batch, l_.out.c,
                                              l_.out.h, l_.out.w));
    DN_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_desc_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, l_.filters,
                                              l_.in.c / l_.groups, l_.size, l_.size));
    DN_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv_desc_, l_.padding, l_.padding, l_.stride, l_.stride, 1, 1,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    DN_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv_desc_, l_.groups));
    int dims[4];
    DN_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv_desc_, x_desc_, w_desc_, &dims[0], &dims[1], &dims[2],
                                                         &dims[3]));
    if (dims[0] != batch || dims[1] != l_.out.c || dims[2] != l_.out.h || dims[3] != l_.out.w)
      fail("layer " + std::to_string(l_.index) + ": cuDNN's output shape differs from the CPU layer's");
    // Algorithms once per (batch, input size, training): multi-scale training comes back to the
    // same shapes.
    const auto key = std::make_tuple(batch, l_.in.h, l_.in.w, training);
    auto it = algos_cache_.find(key);
    if (it == algos_cache_.end()) it = algos_cache_.emplace(key, choose_algorithms(ctx)).first;
    algos_ = it->second;
    DN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_desc_, algos_.math));
    workspace_ = algos_.workspace;
  }

  CudnnAlgos choose_algorithms(GpuContext& ctx) {
    CudnnAlgos a;
    a.math = ctx.tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
    DN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_desc_, a.math));
    const std::string where = "layer " + std::to_string(l_.index) + ": ";
    {
      cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
      int found = 0;
      DN_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(ctx.cudnn, x_desc_, w_desc_, conv_desc_, y_desc_,
                                                            CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &found, perf));
      const int i = pick(perf, found, ctx.tf32);
      if (i < 0) fail(where + "cuDNN offers no forward algorithm for this convolution");
      a.fwd = perf[i].algo;
      a.workspace = std::max(a.workspace, perf[i].memory);
    }
    if (training) {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      int found = 0;
      DN_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
          ctx.cudnn, x_desc_, y_desc_, conv_desc_, w_desc_, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &found, perf));
      int i = pick(perf, found, ctx.tf32);
      if (i < 0) fail(where + "cuDNN offers no backward-filter algorithm for this convolution");
      a.bwd_filter = perf[i].algo;
      a.workspace = std::max(a.workspace, perf[i].memory);

      cudnnConvolutionBwdDataAlgoPerf_t dperf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      DN_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
          ctx.cudnn, w_desc_, y_desc_, conv_desc_, x_desc_, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &found, dperf));
      i = pick(dperf, found, ctx.tf32);
      if (i < 0) fail(where + "cuDNN offers no backward-data algorithm for this convolution");
      a.bwd_data = dperf[i].algo;
      a.workspace = std::max(a.workspace, dperf[i].memory);
    }
    return a;
  }

  cudnnTensorDescriptor_t x_desc_ = nullptr, y_desc_ = nullptr;
  cudnnFilterDescriptor_t w_desc_ = nullptr;
  cudnnConvolutionDescriptor_t conv_desc_ = nullptr;
  CudnnAlgos algos_;
  std::map<std::tuple<int, int, int, bool>, CudnnAlgos> algos_cache_;
#endif

  ConvolutionalLayer& l_;
  size_t workspace_ = 0;
  DeviceBuffer<float> weights_, biases_, scales_, rolling_mean_, rolling_var_;
  DeviceBuffer<float> weight_grads_, bias_grads_, scale_grads_;
  DeviceBuffer<float> x_act_, x_norm_, mean_, var_, coef_;
};

}  // namespace

std::unique_ptr<GpuLayer> make_gpu_convolutional(GpuContext& ctx, Layer& cpu) {
  return std::make_unique<GpuConvolutional>(ctx, static_cast<ConvolutionalLayer&>(cpu));
}

}  // namespace dn::cuda
