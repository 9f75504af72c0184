#include "layers/convolutional.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "cpu/gemm.hpp"
#include "cpu/im2col.hpp"
#include "layers/weights_io.hpp"

namespace dn {

ConvolutionalLayer::ConvolutionalLayer(int n, int k, int s, int p, int g, bool bn, Activation act)
    : filters(n), size(k), stride(s), padding(p), groups(g), batch_normalize(bn), activation(act) {}

void ConvolutionalLayer::resize(int b, Shape s) {
  if (b != batch || !(in == s)) {
    dnnl_.reset();
    dnnl_tried_ = false;
  }
  batch = b;
  bool shape_changed = !(in == s) || weights.empty();
  in = s;
  out.c = filters;
  out.h = (in.h + 2 * padding - size) / stride + 1;
  out.w = (in.w + 2 * padding - size) / stride + 1;
  if (shape_changed && weights.size() != weights_per_group() * groups) {
    weights.assign(weights_per_group() * groups, 0.f);
    biases.assign(filters, 0.f);
    if (batch_normalize) {
      scales.assign(filters, 1.f);
      rolling_mean.assign(filters, 0.f);
      rolling_variance.assign(filters, 1.f);
    }
    folded_valid_ = false;
  }
  allocate_outputs();
  if (training) set_training(true);
}

void ConvolutionalLayer::set_training(bool on) {
  training = on;
  allocate_outputs();
  if (!on) {
    x_norm_.clear(); x_act_.clear();
    return;
  }
  size_t n = output.size();
  if (keeps_pre_activation())
    x_act_.assign(n, 0.f);
  else
    x_act_.clear();
  if (batch_normalize) {
    x_norm_.assign(n, 0.f);
    mean_.assign(filters, 0.f);
    variance_.assign(filters, 0.f);
    scale_grads.resize(filters, 0.f);
  }
  weight_grads.resize(weights.size(), 0.f);
  bias_grads.resize(filters, 0.f);
}

double ConvolutionalLayer::flops() const {
  return 2.0 * filters * (in.c / groups) * size * size * out.h * out.w;
}

std::string ConvolutionalLayer::describe() const {
  char buf[200];
  std::snprintf(buf, sizeof buf, "conv  %5d%s %2d x%2d/%2d  %4d x%4d x%4d -> %4d x%4d x%4d %6.3f BF", filters,
                groups > 1 ? (std::string("/") + std::to_string(groups)).c_str() : "", size, size, stride, in.w,
                in.h, in.c, out.w, out.h, out.c, flops() / 1e9);
  // After a forward (the per-layer profile): which layers run Winograd's kernel.
  if (dnnl_ && dnnl_->winograd()) return std::string(buf) + " winograd";
  return buf;
}

void ConvolutionalLayer::read_weights(WeightReader& r) {
  std::string what = "layer " + std::to_string(index) + " (convolutional)";
  r.read(biases.data(), filters, what + " biases");
  if (batch_normalize) {
    r.read(scales.data(), filters, what + " scales");
    r.read(rolling_mean.data(), filters, what + " rolling mean");
    r.read(rolling_variance.data(), filters, what + " rolling variance");
  }
  r.read(weights.data(), weights.size(), what + " weights");
  folded_valid_ = false;
}

void ConvolutionalLayer::write_weights(WeightWriter& w) const {
  w.write(biases.data(), filters);
  if (batch_normalize) {
    w.write(scales.data(), filters);
    w.write(rolling_mean.data(), filters);
    w.write(rolling_variance.data(), filters);
  }
  w.write(weights.data(), weights.size());
}

std::vector<Param> ConvolutionalLayer::params() {
  std::vector<Param> p{{weights.data(), weight_grads.data(), weights.size(), true},
                       {biases.data(), bias_grads.data(), biases.size(), false}};
  if (batch_normalize) p.push_back({scales.data(), scale_grads.data(), scales.size(), false});
  return p;
}

void ConvolutionalLayer::fold_batchnorm() {
  folded_w_ = weights;
  folded_b_ = biases;
  if (batch_normalize) {
    const size_t per_filter = weights.size() / filters;
    for (int f = 0; f < filters; ++f) {
      float k = scales[f] / std::sqrt(rolling_variance[f] + kBnEps);
      for (size_t i = 0; i < per_filter; ++i) folded_w_[f * per_filter + i] *= k;
      folded_b_[f] = biases[f] - rolling_mean[f] * k;
    }
  }
  folded_valid_ = true;
}

void ConvolutionalLayer::convolve(const float* w, const float* input, float* result) {
  if (!is_pointwise()) workspace_.resize(static_cast<size_t>(in.c / groups) * size * size * out.h * out.w);
  const int M = filters / groups;
  const int N = out.h * out.w;
  const int K = (in.c / groups) * size * size;
  const size_t in_plane = static_cast<size_t>(in.h) * in.w;
  for (int b = 0; b < batch; ++b)
    for (int g = 0; g < groups; ++g) {
      const float* im = input + b * in.size() + g * (in.c / groups) * in_plane;
      const float* B = im;
      if (!is_pointwise()) {
        im2col(im, in.c / groups, in.h, in.w, size, stride, padding, workspace_.data());
        B = workspace_.data();
      }
      float* C = result + b * out.size() + static_cast<size_t>(g) * M * N;
      gemm(false, false, M, N, K, 1.f, w + g * weights_per_group(), K, B, N, 0.f, C, N);
    }
}

static PostOp post_op_of(Activation a) {
  switch (a) {
    case Activation::Leaky: return PostOp::leaky;
    case Activation::Relu: return PostOp::relu;
    default: return PostOp::none;  // linear needs none; the others are applied by the layer
  }
}

DnnlConv* ConvolutionalLayer::dnnl(bool training_mode) {
  // `activation` is a public member (tests change it), so the fused post-op is part of the key.
  const PostOp op = post_op_of(activation);
  if (dnnl_tried_ && dnnl_training_ == training_mode && dnnl_op_ == op) return dnnl_.get();
  ConvGeometry g;
  g.batch = batch;
  g.channels = in.c;
  g.height = in.h;
  g.width = in.w;
  g.filters = filters;
  g.size = size;
  g.stride = stride;
  g.padding = padding;
  g.groups = groups;
  g.out_h = out.h;
  g.out_w = out.w;
  dnnl_ = DnnlConv::create(g, training_mode, op);
  dnnl_op_ = op;
  dnnl_tried_ = true;
  dnnl_training_ = training_mode;
  dnnl_fresh_weights_ = true;
  return dnnl_.get();
}

void ConvolutionalLayer::forward(RunContext& ctx, const float* input) {
  if (ctx.train)
    forward_training(input);
  else if (ctx.reference)
    forward_reference(input);
  else
    forward_inference(ctx, input);
}

void ConvolutionalLayer::forward_inference(RunContext& ctx, const float* input) {
  if (!folded_valid_) {
    fold_batchnorm();
    dnnl_fresh_weights_ = true;
  }
  if (DnnlConv* d = dnnl(false)) {
    const bool fused = post_op_of(activation) != PostOp::none || activation == Activation::Linear;
    const DnnlConv* from = nullptr;
    if (ctx.layers && index > 0)
      if (auto* prev = dynamic_cast<const ConvolutionalLayer*>(&ctx.layer(index - 1)))
        if (prev->hand_over && input == prev->output.data() && prev->dnnl_ && !prev->dnnl_training_)
          from = prev->dnnl_.get();
    d->forward_inference(input, folded_w_.data(), folded_b_.data(), dnnl_fresh_weights_, output.data(), from,
                         hand_over && fused);
    dnnl_fresh_weights_ = false;
    if (!fused) activate(activation, output.data(), output.data(), output.size());
    return;
  }
  convolve(folded_w_.data(), input, output.data());
  const int N = out.h * out.w;
  const int planes = batch * filters;
  const Activation act = activation;
#pragma omp parallel for schedule(static)
  for (int p = 0; p < planes; ++p) {
    float* o = output.data() + static_cast<size_t>(p) * N;
    const float bias = folded_b_[p % filters];
    if (act == Activation::Leaky) {
#pragma omp simd
      for (int i = 0; i < N; ++i) {
        float v = o[i] + bias;
        o[i] = v > 0 ? v : .1f * v;
      }
    } else if (act == Activation::Linear) {
#pragma omp simd
      for (int i = 0; i < N; ++i) o[i] += bias;
    } else {
      for (int i = 0; i < N; ++i) o[i] = activate_one(act, o[i] + bias);
    }
  }
}

void ConvolutionalLayer::forward_reference(const float* input) {
  const int cpg = in.c / groups, fpg = filters / groups;
  for (int b = 0; b < batch; ++b)
    for (int f = 0; f < filters; ++f) {
      const int g = f / fpg;
      float k = 1, shift = biases[f];
      if (batch_normalize) {
        k = scales[f] / std::sqrt(rolling_variance[f] + kBnEps);
        shift = biases[f] - rolling_mean[f] * k;
      }
      for (int oy = 0; oy < out.h; ++oy)
        for (int ox = 0; ox < out.w; ++ox) {
          double sum = 0;
          for (int c = 0; c < cpg; ++c)
            for (int ky = 0; ky < size; ++ky)
              for (int kx = 0; kx < size; ++kx) {
                int iy = oy * stride + ky - padding, ix = ox * stride + kx - padding;
                if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                float v = input[b * in.size() + (static_cast<size_t>(g * cpg + c) * in.h + iy) * in.w + ix];
                float wv = weights[((static_cast<size_t>(f) * cpg + c) * size + ky) * size + kx];
                sum += static_cast<double>(v) * wv;
              }
          float pre = static_cast<float>(sum) * k + shift;
          output[b * out.size() + (static_cast<size_t>(f) * out.h + oy) * out.w + ox] = activate_one(activation, pre);
        }
    }
}

void ConvolutionalLayer::forward_training(const float* input) {
  const size_t N = static_cast<size_t>(out.h) * out.w;
  const bool keep_x = keeps_pre_activation();
  if (keep_x) x_act_.resize(output.size());  // `activation` is public: it may have changed
  // The convolution's result goes into the output; batch norm and the activation overwrite it in
  // place, plane by plane.
  float* y = output.data();
  if (DnnlConv* d = dnnl(true))
    d->forward_training(input, weights.data(), y);
  else
    convolve(weights.data(), input, y);
  if (!batch_normalize) {
#pragma omp parallel for schedule(static)
    for (long p = 0; p < static_cast<long>(batch) * filters; ++p) {
      float* o = y + p * N;
      const float bias = biases[p % filters];
      for (size_t i = 0; i < N; ++i) o[i] += bias;
      if (keep_x) {
        std::copy(o, o + N, x_act_.data() + p * N);
        activate_run(activation, x_act_.data() + p * N, o, N);
      } else {
        activate_run(activation, o, o, N);
      }
    }
  } else {
    // Batch statistics per filter over the batch and spatial positions (biased variance).
    // Sums per image plane in float (vectorised), across planes in double.
    const double count = static_cast<double>(batch) * N;
#pragma omp parallel for schedule(static)
    for (int f = 0; f < filters; ++f) {
      double s = 0, ss = 0;
      for (int b = 0; b < batch; ++b) {
        const float* x = y + (static_cast<size_t>(b) * filters + f) * N;
        float ps = 0, pss = 0;
#pragma omp simd reduction(+ : ps, pss)
        for (size_t i = 0; i < N; ++i) {
          ps += x[i];
          pss += x[i] * x[i];
        }
        s += ps;
        ss += pss;
      }
      double m = s / count;
      double v = std::max(0.0, ss / count - m * m);
      mean_[f] = static_cast<float>(m);
      variance_[f] = static_cast<float>(v);
      rolling_mean[f] = .99f * rolling_mean[f] + .01f * mean_[f];
      // The rolling variance is the unbiased estimate, as batch-norm inference expects.
      float unbiased = count > 1 ? static_cast<float>(v * count / (count - 1)) : static_cast<float>(v);
      rolling_variance[f] = .99f * rolling_variance[f] + .01f * unbiased;
      const float inv = 1.f / std::sqrt(variance_[f] + kBnEps);
      const float mu = mean_[f], sc = scales[f], bi = biases[f];
      for (int b = 0; b < batch; ++b) {
        size_t off = (static_cast<size_t>(b) * filters + f) * N;
        float* o = y + off;  // the convolution's result in, the layer's output out
        float* xn = x_norm_.data() + off;
        float* xa = keep_x ? x_act_.data() + off : o;
#pragma omp simd
        for (size_t i = 0; i < N; ++i) {
          xn[i] = (o[i] - mu) * inv;
          xa[i] = xn[i] * sc + bi;
        }
        activate_run(activation, xa, o, N);  // while the plane is in cache
      }
    }
    folded_valid_ = false;
  }
}

void ConvolutionalLayer::backward(RunContext& ctx, const float* input, float* input_delta) {
  const size_t N = static_cast<size_t>(out.h) * out.w;
#pragma omp parallel for schedule(static)
  for (int f = 0; f < filters; ++f) {
    double sb = 0, ss = 0;
    for (int b = 0; b < batch; ++b) {
      size_t off = (static_cast<size_t>(b) * filters + f) * N;
      float* d = delta.data() + off;
      activate_gradient_run(activation, (keeps_pre_activation() ? x_act_.data() : output.data()) + off, d, N);
      float psb = 0, pss = 0;
      if (batch_normalize) {
        const float* xn = x_norm_.data() + off;
#pragma omp simd reduction(+ : psb, pss)
        for (size_t i = 0; i < N; ++i) {
          psb += d[i];
          pss += d[i] * xn[i];
        }
      } else {
#pragma omp simd reduction(+ : psb)
        for (size_t i = 0; i < N; ++i) psb += d[i];
      }
      sb += psb;
      ss += pss;
    }
    bias_grads[f] += static_cast<float>(sb);
    if (!batch_normalize) continue;
    scale_grads[f] += static_cast<float>(ss);
    // dL/dx_hat = delta * scale; dL/dx = inv/count * (count*dxh - sum(dxh) - x_hat*sum(dxh*x_hat)).
    const double count = static_cast<double>(batch) * N;
    const float inv = 1.f / std::sqrt(variance_[f] + kBnEps);
    const float k1 = inv * scales[f];
    const float k2 = static_cast<float>(sb * scales[f] / count);
    const float k3 = static_cast<float>(ss * scales[f] / count);
    for (int b = 0; b < batch; ++b) {
      size_t off = (static_cast<size_t>(b) * filters + f) * N;
      float* d = delta.data() + off;
      const float* xn = x_norm_.data() + off;
#pragma omp simd
      for (size_t i = 0; i < N; ++i) d[i] = k1 * d[i] - inv * (k2 + xn[i] * k3);
    }
  }
  if (DnnlConv* d = dnnl(true))
    d->backward(input, weights.data(), delta.data(), weight_grads.data(), input_delta, sole_input_reader);
  else
    backward_gemm(input, input_delta);
}

// Weight gradients and the input gradient, per image and group, through im2col + GEMM.
void ConvolutionalLayer::backward_gemm(const float* input, float* input_delta) {
  if (!is_pointwise()) workspace_.resize(static_cast<size_t>(in.c / groups) * size * size * out.h * out.w);
  const size_t N = static_cast<size_t>(out.h) * out.w;
  const int M = filters / groups;
  const int K = (in.c / groups) * size * size;
  const size_t in_plane = static_cast<size_t>(in.h) * in.w;
  for (int b = 0; b < batch; ++b)
    for (int g = 0; g < groups; ++g) {
      const float* im = input + b * in.size() + g * (in.c / groups) * in_plane;
      const float* D = delta.data() + b * out.size() + static_cast<size_t>(g) * M * N;
      const float* cols = im;
      if (!is_pointwise()) {
        im2col(im, in.c / groups, in.h, in.w, size, stride, padding, workspace_.data());
        cols = workspace_.data();
      }
      gemm(false, true, M, K, static_cast<int>(N), 1.f, D, static_cast<int>(N), cols, static_cast<int>(N), 1.f,
           weight_grads.data() + g * weights_per_group(), K);
      if (!input_delta) continue;
      float* id = input_delta + b * in.size() + g * (in.c / groups) * in_plane;
      const float* W = weights.data() + g * weights_per_group();
      if (is_pointwise()) {
        gemm(true, false, K, static_cast<int>(N), M, 1.f, W, K, D, static_cast<int>(N), 1.f, id, static_cast<int>(N));
      } else {
        gemm(true, false, K, static_cast<int>(N), M, 1.f, W, K, D, static_cast<int>(N), 0.f, workspace_.data(),
             static_cast<int>(N));
        col2im_add(workspace_.data(), in.c / groups, in.h, in.w, size, stride, padding, id);
      }
    }
}

}  // namespace dn
