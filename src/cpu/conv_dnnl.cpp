#include "cpu/conv_dnnl.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <string>

#include "core/error.hpp"

namespace dn {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

dnnl::engine& cpu_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream s(cpu_engine());
  return s;
}

// A growable 64-byte-aligned float buffer.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { std::free(p_); }
  float* ptr() const { return p_; }
  float* get(size_t bytes) {
    if (bytes > cap_) {
      std::free(p_);
      cap_ = (bytes + 63) / 64 * 64;
      p_ = static_cast<float*>(std::aligned_alloc(64, cap_));
      if (!p_) fail("out of memory allocating " + std::to_string(cap_) + " bytes for a convolution buffer");
    }
    return p_;
  }

 private:
  float* p_ = nullptr;
  size_t cap_ = 0;
};

// The blocked copies of activations live only while one layer runs, so every layer of a thread
// shares them.
enum Slot { kSrc, kDst, kDiffDst, kDiffSrc, kDiffWeights, kScratch, kSlots };
Buffer& shared_buffer(Slot s) {
  thread_local Buffer buffers[kSlots];
  return buffers[s];
}

// Moves a tensor between the caller's plain layout and a primitive's layout. The reorders are
// built once; `same` means the primitive takes the caller's layout and nothing moves.
struct Xfer {
  memory::desc user, inner;
  bool same = true;
  dnnl::reorder in, out, out_add;  // user -> inner; inner -> user; inner -> user with dst += src

  enum Use { kIn, kOut, kOutAdd };
  Xfer() = default;
  Xfer(const memory::desc& u, const memory::desc& i, Use use) : user(u), inner(i) {
    same = user == inner;
    auto& e = cpu_engine();
    if (use == kIn && !same) in = dnnl::reorder(dnnl::reorder::primitive_desc(e, user, e, inner));
    if ((use == kOut || use == kOutAdd) && !same) out = dnnl::reorder(dnnl::reorder::primitive_desc(e, inner, e, user));
    if (use == kOutAdd) {
      dnnl::post_ops po;
      po.append_sum(1.f);
      dnnl::primitive_attr attr;
      attr.set_post_ops(po);
      out_add = dnnl::reorder(dnnl::reorder::primitive_desc(e, inner, e, user, attr));
    }
  }
  // The tensor in the primitive's layout: the caller's memory itself, or a copy in buf.
  memory to_inner(const float* src, float* buf) const {
    memory u(user, cpu_engine(), const_cast<float*>(src));
    if (same) return u;
    memory m(inner, cpu_engine(), buf);
    in.execute(cpu_stream(), u, m);
    return m;
  }
  // The result in the caller's layout: written there directly when the layouts agree.
  void to_user(const memory& m, float* dst) const {
    if (same) return;
    memory u(user, cpu_engine(), dst);
    out.execute(cpu_stream(), const_cast<memory&>(m), u);
  }
  void add_to_user(const memory& m, float* dst) const {
    memory u(user, cpu_engine(), dst);
    out_add.execute(cpu_stream(), const_cast<memory&>(m), u);
  }
};

std::atomic<ConvPath>& path_switch() {
  static std::atomic<ConvPath> path{[] {
    const char* v = std::getenv("DN_CONV");
    if (v && std::strcmp(v, "gemm") == 0) return ConvPath::gemm;
    if (v && std::strcmp(v, "direct") == 0) return ConvPath::direct;
    return ConvPath::winograd;
  }()};
  return path;
}

// Primitives take their scratch memory from one shared buffer instead of allocating it on every
// call (large allocations are fresh pages from the kernel each time).
dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

memory scratch(const memory::desc& d) { return memory(d, cpu_engine(), shared_buffer(kScratch).get(d.get_size())); }

// Winograd's F(4x4, 3x3) and F(2x2, 3x3) (oneDNN has them for AVX-512 and newer, not for AVX2):
// about 2x faster on 3x3 stride-1 layers. Layers with few input channels (the first layer's 3)
// gain nothing from it.
bool winograd_suits(const ConvGeometry& g) {
  return conv_path() == ConvPath::winograd && g.size == 3 && g.stride == 1 && g.groups == 1 &&
         g.channels >= kWinogradMinChannels;
}

}  // namespace

ConvPath conv_path() { return path_switch().load(); }
void set_conv_path(ConvPath p) { path_switch().store(p); }
bool dnnl_conv_enabled() { return conv_path() != ConvPath::gemm; }

struct DnnlConv::Impl {
  ConvGeometry g;
  bool training = false;
  dnnl::convolution_forward fwd;
  dnnl::convolution_backward_data bwd_data;
  dnnl::convolution_backward_weights bwd_weights;
  Xfer fwd_src, fwd_w, fwd_dst, bwd_w, bwd_diff_dst, bwd_diff_src, bww_src, bww_diff_dst, bww_diff_w;
  memory::desc bias_md, fwd_scratch, bwd_data_scratch, bwd_weights_scratch;
  Buffer weights, bwd_weights_buf;  // this layer's weights in the primitives' layouts
  Buffer kept;                      // the inference output handed to the next convolution
  Buffer train_src;                 // the training forward's input in its layout, for backward weights
  const float* train_src_of = nullptr;  // the input it was made from
  // Whether the training forward keeps its reordered input for backward weights (both primitives
  // take it in one layout, not the caller's): one reorder per layer and iteration less, for one
  // more copy of the layer's input in memory.
  bool keeps_train_src() const { return !fwd_src.same && bww_src.inner == fwd_src.inner; }
  bool keeps_output = false;
  bool winograd = false;            // the primitives are oneDNN's Winograd kernels
  bool separate_activation = false; // its activation is not fused: `activation` applies it after
  dnnl::eltwise_forward activation;
  memory::desc from_desc;           // the layout the previous convolution hands over, and
  dnnl::reorder from_reorder;       // the reorder from it to this one's input layout
};

DnnlConv::DnnlConv(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnnlConv::~DnnlConv() = default;

std::unique_ptr<DnnlConv> DnnlConv::create(const ConvGeometry& g, bool training, PostOp op) {
  if (!dnnl_conv_enabled()) return nullptr;
  auto impl = std::make_unique<Impl>();
  impl->g = g;
  impl->training = training;
  const memory::dim G = g.groups;
  memory::dims src_dims{g.batch, g.channels, g.height, g.width};
  memory::dims dst_dims{g.batch, g.filters, g.out_h, g.out_w};
  memory::dims w_dims = G > 1 ? memory::dims{G, g.filters / G, g.channels / G, g.size, g.size}
                              : memory::dims{g.filters, g.channels, g.size, g.size};
  const Tag w_tag = G > 1 ? Tag::goihw : Tag::oihw;
  memory::desc src_user(src_dims, f32, Tag::nchw), dst_user(dst_dims, f32, Tag::nchw), w_user(w_dims, f32, w_tag);
  memory::desc src_any(src_dims, f32, Tag::any), dst_any(dst_dims, f32, Tag::any), w_any(w_dims, f32, Tag::any);
  impl->bias_md = memory::desc({g.filters}, f32, Tag::x);
  memory::dims strides{g.stride, g.stride}, pad{g.padding, g.padding};
  auto& e = cpu_engine();
  try {
    if (!training) {
      // Darknet's leaky is oneDNN's relu with negative slope .1.
      const float slope = op == PostOp::leaky ? .1f : 0.f;
      auto make = [&](dnnl::algorithm alg, bool fused) {
        dnnl::primitive_attr attr = user_scratchpad();
        if (fused && op != PostOp::none) {
          dnnl::post_ops po;
          po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, slope, 0.f);
          attr.set_post_ops(po);
        }
        dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, alg, src_any, w_any, impl->bias_md,
                                          dst_any, strides, pad, pad);
        return dnnl::convolution_forward::primitive_desc(d, attr, e);
      };
      dnnl::convolution_forward::primitive_desc pd;
      // Winograd's kernels fuse relu but not leaky: leaky then runs as a separate pass over the
      // output, in the output's layout.
      if (winograd_suits(g)) {
        for (bool fused : {true, false}) {
          try {
            pd = make(dnnl::algorithm::convolution_winograd, fused);
            impl->winograd = true;
            if (!fused && op != PostOp::none) {
              dnnl::eltwise_forward::desc ad(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_relu,
                                             pd.dst_desc(), slope);
              impl->activation = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(ad, e));
              impl->separate_activation = true;
            }
            break;
          } catch (const dnnl::error&) {
            // not on this CPU or for this geometry (or not fused): the next try, then the direct kernel
            impl->winograd = impl->separate_activation = false;
          }
        }
      }
      if (!impl->winograd) pd = make(dnnl::algorithm::convolution_direct, true);
      impl->fwd = dnnl::convolution_forward(pd);
      impl->fwd_scratch = pd.scratchpad_desc();
      impl->fwd_src = Xfer(src_user, pd.src_desc(), Xfer::kIn);
      impl->fwd_w = Xfer(w_user, pd.weights_desc(), Xfer::kIn);
      impl->fwd_dst = Xfer(dst_user, pd.dst_desc(), Xfer::kOut);
    } else {
      // The three passes with one algorithm: Winograd's where it suits the layer and the CPU has
      // it (all three or none), else the direct kernels.
      auto make = [&](dnnl::algorithm alg) {
        dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, alg, src_any, w_any, dst_any, strides,
                                          pad, pad);
        dnnl::convolution_forward::primitive_desc pd(d, user_scratchpad(), e);
        dnnl::convolution_backward_data::desc bd(alg, src_any, w_any, dst_any, strides, pad, pad);
        dnnl::convolution_backward_data::primitive_desc bpd(bd, user_scratchpad(), e, pd);
        dnnl::convolution_backward_weights::desc wd(alg, src_any, w_any, dst_any, strides, pad, pad);
        dnnl::convolution_backward_weights::primitive_desc wpd(wd, user_scratchpad(), e, pd);
        impl->fwd = dnnl::convolution_forward(pd);
        impl->fwd_scratch = pd.scratchpad_desc();
        impl->fwd_src = Xfer(src_user, pd.src_desc(), Xfer::kIn);
        impl->fwd_w = Xfer(w_user, pd.weights_desc(), Xfer::kIn);
        impl->fwd_dst = Xfer(dst_user, pd.dst_desc(), Xfer::kOut);
        impl->bwd_data = dnnl::convolution_backward_data(bpd);
        impl->bwd_data_scratch = bpd.scratchpad_desc();
        impl->bwd_w = Xfer(w_user, bpd.weights_desc(), Xfer::kIn);
        impl->bwd_diff_dst = Xfer(dst_user, bpd.diff_dst_desc(), Xfer::kIn);
        impl->bwd_diff_src = Xfer(src_user, bpd.diff_src_desc(), Xfer::kOutAdd);
        impl->bwd_weights = dnnl::convolution_backward_weights(wpd);
        impl->bwd_weights_scratch = wpd.scratchpad_desc();
        impl->bww_src = Xfer(src_user, wpd.src_desc(), Xfer::kIn);
        impl->bww_diff_dst = Xfer(dst_user, wpd.diff_dst_desc(), Xfer::kIn);
        impl->bww_diff_w = Xfer(w_user, wpd.diff_weights_desc(), Xfer::kOutAdd);
      };
      if (winograd_suits(g)) {
        try {
          make(dnnl::algorithm::convolution_winograd);
          impl->winograd = true;
        } catch (const dnnl::error&) {
          impl->winograd = false;  // not on this CPU or for this geometry
        }
      }
      if (!impl->winograd) make(dnnl::algorithm::convolution_direct);
    }
  } catch (const dnnl::error&) {
    return nullptr;  // no primitive for this geometry: the caller keeps the GEMM path
  }
  return std::unique_ptr<DnnlConv>(new DnnlConv(std::move(impl)));
}

void DnnlConv::forward_inference(const float* in, const float* w, const float* bias, bool weights_changed,
                                 float* out, const DnnlConv* from, bool keep_output) {
  Impl& m = *impl_;
  memory src;
  if (from && from->keeps_output()) {
    // The previous convolution's result, in its layout: used as is, or reordered between the
    // two blocked layouts (the reorder is made once).
    const Impl& f = *from->impl_;
    memory kept(f.fwd_dst.inner, cpu_engine(), f.kept.ptr());
    if (f.fwd_dst.inner == m.fwd_src.inner) {
      src = kept;
    } else {
      if (!(m.from_desc == f.fwd_dst.inner)) {
        m.from_desc = f.fwd_dst.inner;
        m.from_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), m.from_desc, cpu_engine(), m.fwd_src.inner));
      }
      src = memory(m.fwd_src.inner, cpu_engine(), shared_buffer(kSrc).get(m.fwd_src.inner.get_size()));
      m.from_reorder.execute(cpu_stream(), kept, src);
    }
  } else {
    src = m.fwd_src.to_inner(in, shared_buffer(kSrc).get(m.fwd_src.inner.get_size()));
  }
  float* wbuf = m.weights.get(m.fwd_w.inner.get_size());
  memory wts = m.fwd_w.same ? memory(m.fwd_w.user, cpu_engine(), const_cast<float*>(w)) : memory(m.fwd_w.inner, cpu_engine(), wbuf);
  if (weights_changed && !m.fwd_w.same) m.fwd_w.to_inner(w, wbuf);
  memory b(m.bias_md, cpu_engine(), const_cast<float*>(bias));
  m.keeps_output = keep_output;
  memory dst = keep_output     ? memory(m.fwd_dst.inner, cpu_engine(), m.kept.get(m.fwd_dst.inner.get_size()))
               : m.fwd_dst.same ? memory(m.fwd_dst.user, cpu_engine(), out)
                                : memory(m.fwd_dst.inner, cpu_engine(), shared_buffer(kDst).get(m.fwd_dst.inner.get_size()));
  m.fwd.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, dst},
                                {DNNL_ARG_SCRATCHPAD, scratch(m.fwd_scratch)}});
  if (m.separate_activation) m.activation.execute(cpu_stream(), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
  if (!keep_output) m.fwd_dst.to_user(dst, out);
  cpu_stream().wait();
}

bool DnnlConv::keeps_output() const { return impl_->keeps_output; }
bool DnnlConv::winograd() const { return impl_->winograd; }

void DnnlConv::forward_training(const float* in, const float* w, float* out) {
  Impl& m = *impl_;
  const size_t src_bytes = m.fwd_src.inner.get_size();
  const bool keep = m.keeps_train_src();
  memory src = m.fwd_src.to_inner(in, keep ? m.train_src.get(src_bytes) : shared_buffer(kSrc).get(src_bytes));
  m.train_src_of = keep ? in : nullptr;
  memory wts = m.fwd_w.to_inner(w, m.weights.get(m.fwd_w.inner.get_size()));
  memory dst = m.fwd_dst.same ? memory(m.fwd_dst.user, cpu_engine(), out)
                              : memory(m.fwd_dst.inner, cpu_engine(), shared_buffer(kDst).get(m.fwd_dst.inner.get_size()));
  m.fwd.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DST, dst},
                                {DNNL_ARG_SCRATCHPAD, scratch(m.fwd_scratch)}});
  m.fwd_dst.to_user(dst, out);
  cpu_stream().wait();
}

void DnnlConv::backward(const float* in, const float* w, const float* diff_out, float* diff_w, float* diff_in,
                        bool overwrite_in) {
  Impl& m = *impl_;
  // Weight gradients (from the forward's reordered input when it kept it: the input is unchanged
  // between a layer's forward and its backward).
  memory src = m.train_src_of == in && m.keeps_train_src()
                   ? memory(m.fwd_src.inner, cpu_engine(), m.train_src.ptr())
                   : m.bww_src.to_inner(in, shared_buffer(kSrc).get(m.bww_src.inner.get_size()));
  memory dd = m.bww_diff_dst.to_inner(diff_out, shared_buffer(kDiffDst).get(m.bww_diff_dst.inner.get_size()));
  memory dw(m.bww_diff_w.inner, cpu_engine(), shared_buffer(kDiffWeights).get(m.bww_diff_w.inner.get_size()));
  m.bwd_weights.execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, dd}, {DNNL_ARG_DIFF_WEIGHTS, dw},
                                        {DNNL_ARG_SCRATCHPAD, scratch(m.bwd_weights_scratch)}});
  m.bww_diff_w.add_to_user(dw, diff_w);
  if (diff_in) {
    // Input gradient; the diff_dst copy above is reused when both primitives take one layout.
    memory dd2 = m.bwd_diff_dst.inner == m.bww_diff_dst.inner
                     ? dd
                     : m.bwd_diff_dst.to_inner(diff_out, shared_buffer(kSrc).get(m.bwd_diff_dst.inner.get_size()));
    // The forward's copy of the weights is reused when both primitives take one layout (the
    // weights do not change between a forward and its backward).
    memory wts = m.bwd_w.inner == m.fwd_w.inner
                     ? (m.fwd_w.same ? memory(m.fwd_w.user, cpu_engine(), const_cast<float*>(w))
                                     : memory(m.fwd_w.inner, cpu_engine(), m.weights.ptr()))
                     : m.bwd_w.to_inner(w, m.bwd_weights_buf.get(m.bwd_w.inner.get_size()));
    // Overwriting: straight into diff_in when it is the primitive's layout, else one plain reorder
    // (a reorder that adds reads diff_in too).
    const bool direct = overwrite_in && m.bwd_diff_src.same;
    memory ds = direct ? memory(m.bwd_diff_src.user, cpu_engine(), diff_in)
                       : memory(m.bwd_diff_src.inner, cpu_engine(),
                                shared_buffer(kDiffSrc).get(m.bwd_diff_src.inner.get_size()));
    m.bwd_data.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, dd2}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DIFF_SRC, ds},
                                     {DNNL_ARG_SCRATCHPAD, scratch(m.bwd_data_scratch)}});
    if (overwrite_in)
      m.bwd_diff_src.to_user(ds, diff_in);  // nothing to do when direct
    else
      m.bwd_diff_src.add_to_user(ds, diff_in);
  }
  cpu_stream().wait();
}

}  // namespace dn
