#pragma once
#include <memory>

#include "cpu/conv_dnnl.hpp"
#include "layers/activations.hpp"
#include "layers/layer.hpp"

namespace dn {

// [convolutional]: filters, size, stride, pad/padding, groups, batch_normalize, activation.
//   weights: [filters][in.c/groups][size][size]   (Darknet's filter-major order)
//   biases, scales, rolling_mean, rolling_variance: [filters]
// Convolutions run through oneDNN's convolution primitives (cpu/conv_dnnl.hpp): inference with
// batch norm folded into the weights and bias plus activation fused; training forward, backward
// data and backward weights. Where oneDNN refuses a geometry, or with DN_CONV=gemm, they take
// im2col (skipped for 1x1 stride 1) + GEMM instead; forward_reference() is the plain direct
// convolution the tests compare both with.
class ConvolutionalLayer : public Layer {
 public:
  ConvolutionalLayer(int filters, int size, int stride, int padding, int groups, bool batch_normalize,
                     Activation act);
  const char* type() const override { return "conv"; }
  void resize(int batch, Shape in) override;
  void set_training(bool on) override;
  void forward(RunContext& ctx, const float* input) override;
  void backward(RunContext& ctx, const float* input, float* input_delta) override;

  bool has_weights() const override { return true; }
  void read_weights(WeightReader& r) override;
  void write_weights(WeightWriter& w) const override;
  std::vector<Param> params() override;
  // After the parameters change (the optimizer, an initialisation, a copy): the folded batch-norm
  // weights of inference are made again at the next forward.
  void params_changed() override { folded_valid_ = false; }
  double flops() const override;
  std::string describe() const override;

  // Inference only, set by Network::set_hand_over(): the next layer is a convolution and the only
  // reader of this output, so the result stays in oneDNN's layout for it and `output` is not
  // written (when the activation is fused into the convolution).
  bool hand_over = false;
  // Training, set by Network::set_training(): this layer is the only one that writes its input's
  // gradient (no route or shortcut reads its input), so that gradient is still zero when its
  // backward runs and is written instead of added to.
  bool sole_input_reader = false;

  int filters, size, stride, padding, groups;
  bool batch_normalize;
  Activation activation;
  std::vector<float> weights, biases, scales, rolling_mean, rolling_variance;
  std::vector<float> weight_grads, bias_grads, scale_grads;
  static constexpr float kBnEps = 1e-6f;  // as OpenCV's Darknet importer (Darknet's .000001)

  // Training keeps the pre-activation values for the backward pass only where the activation's
  // gradient needs them (not gradient_from_output: activations.hpp). The output holds the
  // convolution's result until batch norm and the activation overwrite it in place.
  bool keeps_pre_activation() const { return !gradient_from_output(activation); }
  // Arrays of the output's size that training keeps per layer besides the output and its delta.
  int training_copies() const { return (batch_normalize ? 1 : 0) + (keeps_pre_activation() ? 1 : 0); }

 private:
  void forward_inference(RunContext& ctx, const float* input);
  void forward_training(const float* input);
  void forward_reference(const float* input);
  void convolve(const float* w, const float* input, float* out);  // raw conv of the whole batch (GEMM)
  void backward_gemm(const float* input, float* input_delta);
  DnnlConv* dnnl(bool training_mode);  // nullptr: the GEMM path
  void fold_batchnorm();
  size_t weights_per_group() const { return static_cast<size_t>(filters / groups) * (in.c / groups) * size * size; }
  bool is_pointwise() const { return size == 1 && stride == 1 && padding == 0; }

  std::vector<float> folded_w_, folded_b_;
  bool folded_valid_ = false;
  std::unique_ptr<DnnlConv> dnnl_;
  bool dnnl_tried_ = false, dnnl_training_ = false, dnnl_fresh_weights_ = true;
  PostOp dnnl_op_ = PostOp::none;
  std::vector<float> workspace_;
  // Training state.
  std::vector<float> x_norm_, x_act_, mean_, variance_;  // x_act_: see keeps_pre_activation()
};

}  // namespace dn
