#pragma once
// The CUDA kernels of the backend, behind plain host functions (internal to src/cuda). The .cu
// files define them; the layer classes in the .cpp files call them. Every function enqueues its
// work on `s` and returns at once; every pointer is device memory unless its comment says host.
//
// Tensors are NCHW as on the CPU: "[b][c][n]" below means b images, c channels, n = h*w positions.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "layers/activations.hpp"
#include "layers/yolo_assign.hpp"
#include "losses/list.hpp"

namespace dn::cuda {

// Throws dn::Error if the last kernel launch failed (defined in common.cpp, called by the .cu files).
void check_launch(const char* kernel);

// ---- element-wise ---------------------------------------------------------------------------
// y[i] = f(x[i]) (in place allowed), and delta[i] *= f'(x[i]) with x the pre-activation, as
// activations.cpp.
void activate(Activation a, const float* x, float* y, size_t n, cudaStream_t s);
void activate_gradient(Activation a, const float* x, float* delta, size_t n, cudaStream_t s);
// y[i] += x[i].
void add_into(float* y, const float* x, size_t n, cudaStream_t s);
// out[i] = a[i] + b[i].
void add(const float* a, const float* b, float* out, size_t n, cudaStream_t s);
// dst[b][dst_offset + i] += src[b][src_offset + i] for i < n, b < batch (rows of dst_stride /
// src_stride floats): the route layer's backward.
void add_rows(float* dst, size_t dst_stride, size_t dst_offset, const float* src, size_t src_stride,
              size_t src_offset, size_t n, int batch, cudaStream_t s);

// ---- convolution helpers ----------------------------------------------------------------------
// Darknet's im2col of one image: im[c][h][w] -> cols[c*k*k][oh*ow] (zero outside the input).
void im2col(const float* im, int c, int h, int w, int k, int stride, int pad, float* cols, cudaStream_t s);
// The adjoint, added: im[c][h][w] += col2im(cols).
void col2im_add(const float* cols, int c, int h, int w, int k, int stride, int pad, float* im, cudaStream_t s);
// x[b][c][n] += bias[c].
void add_bias(float* x, const float* bias, int batch, int c, int n, cudaStream_t s);

// Per-channel sums over images and positions, in double, deterministic (fixed order):
//   sum_a[c] = sum a[b][c][i];  sum_ab[c] = sum a[b][c][i] * b[b][c][i] (skipped if b is null).
// `partial` is scratch of channel_sums_scratch(batch, c, n) doubles.
size_t channel_sums_scratch(int batch, int c, int n);
void channel_sums(const float* a, const float* b, int batch, int c, int n, double* sum_a, double* sum_ab,
                  double* partial, cudaStream_t s);
// As channel_sums with b = a (sum and sum of squares).
void channel_sums_sq(const float* a, int batch, int c, int n, double* sum, double* sumsq, double* partial,
                     cudaStream_t s);

// Batch norm in training, from sum/sumsq of x_conv (count = batch*n per channel):
//   mean = sum/count, var = max(0, sumsq/count - mean^2)  (biased, as the CPU),
//   rolling_mean = .99*rolling_mean + .01*mean, rolling_var = .99*rolling_var + .01*var*count/(count-1).
void bn_statistics(const double* sum, const double* sumsq, double count, int c, float* mean, float* var,
                   float* rolling_mean, float* rolling_var, cudaStream_t s);
// x_norm = (x - mean[c]) / sqrt(var[c] + eps);  x_act = x_norm * scale[c] + bias[c].
void bn_normalize(const float* x, const float* mean, const float* var, const float* scales, const float* biases,
                  float eps, int batch, int c, int n, float* x_norm, float* x_act, cudaStream_t s);
// Inference epilogue of a convolution: y = act(x * k[c] + shift[c]) with, for batch norm,
// k = scale/sqrt(rolling_var + eps) and shift = bias - rolling_mean*k, else k = 1, shift = bias
// (scales == nullptr). x and y may alias.
void conv_epilogue(const float* x, const float* biases, const float* scales, const float* rolling_mean,
                   const float* rolling_var, float eps, Activation act, int batch, int c, int n, float* y,
                   cudaStream_t s);
// From the sums of delta and delta*x_norm (sb, ss, over count = batch*n): adds sb to the bias
// gradients; with batch norm (scales != nullptr) also ss to the scale gradients, and turns delta
// (dL/dy of the scale/shift) into dL/dx_conv, as ConvolutionalLayer::backward:
//   delta = inv*scale*delta - inv*(sb*scale/count + x_norm*ss*scale/count),  inv = 1/sqrt(var+eps).
// coef is scratch of 4*c floats.
void bn_backward(const double* sb, const double* ss, const float* x_norm, const float* var, const float* scales,
                 float eps, double count, int batch, int c, int n, float* delta, float* bias_grads,
                 float* scale_grads, float* coef, cudaStream_t s);

// network/sgd_step.hpp over n values (the GPU store of train/sgd.hpp):
//   v = momentum*v - lr*(g*inv_batch + decay*w);  w += v;  g = 0.
void sgd_update(float* w, float* g, float* v, size_t n, float lr, float momentum, float decay, float inv_batch,
                cudaStream_t s);

// ---- pooling, upsampling, dropout ---------------------------------------------------------------
// planes = batch*c. Window of output (oy, ox) starts at (oy*stride + off, ox*stride + off), off =
// -padding/2; positions outside the input are skipped; the first maximum (row-major) wins.
// argmax (nullable) receives the index of the maximum within its input plane, or -1.
void maxpool_forward(const float* in, int planes, int ih, int iw, int oh, int ow, int size, int stride, int off,
                     float* out, int* argmax, cudaStream_t s);
// in_delta[p][argmax[p][o]] += delta[p][o], gathered per input element (deterministic).
void maxpool_backward(const float* delta, const int* argmax, int planes, int ih, int iw, int oh, int ow, int size,
                      int stride, int off, float* in_delta, cudaStream_t s);
// Global average: out[p] = mean of in[p][n]; backward in_delta[p][i] += delta[p] / n.
void avgpool_forward(const float* in, int planes, int n, float* out, cudaStream_t s);
void avgpool_backward(const float* delta, int planes, int n, float* in_delta, cudaStream_t s);
// Nearest neighbour: out[p][y][x] = scale * in[p][y/stride][x/stride]; backward gathers.
void upsample_forward(const float* in, int planes, int ih, int iw, int stride, float scale, float* out,
                      cudaStream_t s);
void upsample_backward(const float* delta, int planes, int ih, int iw, int stride, float scale, float* in_delta,
                       cudaStream_t s);
// mask[i] = 0 with probability p else 1/(1-p), from a counter-based hash of (seed, step, i);
// out[i] = in[i] * mask[i].
void dropout_forward(const float* in, size_t n, float p, uint64_t seed, uint64_t step, float* mask, float* out,
                     cudaStream_t s);
// in_delta[i] += delta[i] * mask[i].
void dropout_backward(const float* delta, const float* mask, size_t n, float* in_delta, cudaStream_t s);

// ---- losses (the maths: src/losses/*.hpp, dispatched by losses/list.hpp) -------------------------
using losses::LossSpec;
// Element-wise: grad[i] = w_i * dL_i/dx_i (overwrites), loss[i] = w_i * L_i (weights nullable = 1).
void loss_elementwise(const LossSpec& spec, const float* logits, const float* targets, const float* weights, int n,
                      float* grad, double* loss, cudaStream_t s);
// Softmax loss per row: logits[rows][classes], target[rows], weight[rows] (host semantics of
// SoftmaxLoss::compute), grad[rows][classes] (overwrites), loss[rows].
void loss_softmax(const LossSpec& spec, const float* logits, const int* target, const float* weight, int rows,
                  int classes, float* grad, double* loss, cudaStream_t s);
// total[0] = sum of x[0..n) in a fixed order (one block).
void sum_doubles(const double* x, size_t n, double* total, cudaStream_t s);

// ---- the [yolo] layer -----------------------------------------------------------------------------
// YoloTruth (one training truth) and YoloGeometry (one layer's geometry and settings, its
// pointers on the device) are layers/yolo_assign.hpp's.

// The statistics yolo_loss sums per layer, by position in its stats array.
enum YoloStat : int {
  kStatBoxLoss, kStatObjLoss, kStatClsLoss,  // the three terms' losses
  kStatNoObj,                                // sum of every prediction's objectness p
  kStatCount,                                // truths with a responsible anchor
  kStatIou, kStatClass, kStatObj,            // sums over those truths: IoU, class p, objectness p
  kStatRecall50, kStatRecall75,              // truths with IoU > .5, > .75
  kYoloStatCount
};

// Scratch per image slot (b, n, loc) and per truth and anchor of the mask (b, k, n) for the loss
// (sized by the layer).
struct YoloScratch {
  double* slot_terms;  // [4][batch*num*h*w]: box loss, objectness loss, class loss, objectness p
  int* assigned_cell;  // [batch][max_truths][num]: the cell where anchor n is responsible for truth k, or -1
  double* truth_terms; // [6][batch*max_truths*num]: assigned (0/1), iou, class p, objectness p, iou > .5, iou > .75
};

// Forward of the layer: logistic on x, y, objectness and (element-wise) classes, softmax over the
// classes when softmax_classes; w, h copied. input/output [batch][num][5+classes][h][w].
void yolo_activate(const YoloGeometry& g, const float* input, float* output, cudaStream_t s);
// The loss of the mini-batch from the logits (the layer's input): fills loss_delta (dLoss/dinput,
// overwritten, zero outside the terms) and stats[kYoloStatCount] (YoloStat): the box, objectness and class losses, the
// sum of objectness p over every prediction, then over the truths assigned to this layer: their
// count, and the sums of IoU, class p, objectness p, IoU > .5 and IoU > .75.
// truths[batch][max_truths], counts[batch] (padding entries are ignored).
void yolo_loss(const YoloGeometry& g, const LossSpec& obj_loss, const LossSpec& cls_loss, const float* logits,
               const YoloTruth* truths, const int* counts, int max_truths, const YoloScratch& scratch,
               float* loss_delta, double* stats, cudaStream_t s);
// input_delta += the gradient from delta (later layers) through the output functions + loss_delta
// (nullable: no loss was computed).
void yolo_backward(const YoloGeometry& g, const float* input, const float* output, const float* delta,
                   const float* loss_delta, float* input_delta, cudaStream_t s);

}  // namespace dn::cuda
