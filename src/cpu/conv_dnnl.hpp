#pragma once
// Convolutions through oneDNN's convolution primitives (direct, depthwise and grouped kernels
// chosen at run time from the CPU's features: AVX2, AVX-512, AMX).
//
// Tensors cross this interface in Darknet's layouts: activations NCHW, weights
// [filters][channels/groups][size][size]. Inside, each primitive takes the layout it runs fastest
// in (oneDNN's `any`, usually channel-blocked); the reorders to and from it are made once per
// geometry, the blocked buffers are shared by every layer (layers run one after another), and the
// inference weights are reordered once per weights change.
//
// One object per layer geometry (batch, input size, training or not): ConvolutionalLayer makes a
// new one when its resize() changes the geometry. The plain GEMM path (cpu/gemm.hpp + im2col)
// stays beside it as the tests' second implementation and as the fallback where oneDNN refuses a
// geometry; DN_CONV=gemm selects it for every layer (benchmarks compare the paths in one run).
#include <memory>

namespace dn {

struct ConvGeometry {
  int batch = 1, channels = 0, height = 0, width = 0;
  int filters = 0, size = 1, stride = 1, padding = 0, groups = 1;
  int out_h = 0, out_w = 0;
};

// The activation oneDNN applies as a post-op of the inference convolution; anything else is
// applied by the layer after the convolution (PostOp::none).
enum class PostOp { none, leaky, relu };

// Which kernels the convolutions take, from DN_CONV: `gemm` the plain im2col + GEMM path for every
// layer; `direct` oneDNN's direct (and depthwise/grouped) kernels; unset (`winograd`) the same,
// except that 3x3 stride-1 layers take oneDNN's Winograd kernels where the CPU has them (AVX-512:
// about 2x faster, inference and the three training passes; not bit-identical to direct). The
// setter is for benchmarks that time the paths in one run; a layer keeps the path it took first.
enum class ConvPath { gemm, direct, winograd };
ConvPath conv_path();
void set_conv_path(ConvPath p);
bool dnnl_conv_enabled();  // conv_path() != gemm
// Input channels below which a layer stays on the direct kernel (the first layer's 3).
constexpr int kWinogradMinChannels = 16;

class DnnlConv {
 public:
  // nullptr where oneDNN has no primitive for this geometry (the caller keeps the GEMM path).
  static std::unique_ptr<DnnlConv> create(const ConvGeometry& g, bool training, PostOp op);
  ~DnnlConv();

  // out = op(conv(in, w) + bias). w and bias are the batch-norm-folded inference weights; the
  // weights are reordered into the primitive's layout only when weights_changed is true.
  // Hand-over between consecutive convolutions (inference): with `from` non-null and holding its
  // output in its own layout (keeps_output()), the input is taken from there and `in` is not
  // read; with keep_output, the result stays in this object's layout and `out` is not written.
  void forward_inference(const float* in, const float* w, const float* bias, bool weights_changed, float* out,
                         const DnnlConv* from = nullptr, bool keep_output = false);
  // Whether the last forward_inference kept its result here instead of writing `out`.
  bool keeps_output() const;
  // Whether the primitives are oneDNN's Winograd kernels.
  bool winograd() const;
  // out = conv(in, w) (no bias, no activation): the training forward before batch norm.
  void forward_training(const float* in, const float* w, float* out);
  // diff_out is dLoss/d(conv output), NCHW. Adds dLoss/dw into diff_w and, unless diff_in is
  // nullptr, dLoss/d(in) into diff_in (overwrites it with overwrite_in: the caller knows it holds
  // zeros). w and in are those of the forward.
  void backward(const float* in, const float* w, const float* diff_out, float* diff_w, float* diff_in,
                bool overwrite_in = false);

 private:
  struct Impl;
  explicit DnnlConv(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dn
