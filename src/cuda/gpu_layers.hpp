#pragma once
// The GPU counterpart of each CPU layer (internal to src/cuda). Same interface as dn::Layer, with
// device pointers: a GpuLayer keeps its output (and in training its delta) for the whole
// mini-batch, NCHW, [batch][out.c][out.h][out.w], and reads its configuration and shapes from the
// CPU layer it mirrors (resize the CPU network; reshape() follows).
#include <memory>

#include "cuda/common.hpp"
#include "layers/layer.hpp"

namespace dn::cuda {

class GpuLayer {
 public:
  explicit GpuLayer(Layer& cpu) : cpu(cpu) {}
  virtual ~GpuLayer() = default;

  // (Re)allocates for `batch` images of the CPU layer's current in/out shapes; training keeps
  // what backward needs.
  virtual void reshape(GpuContext& ctx, int batch, bool training);
  // Scratch this layer needs from ctx.workspace (bytes) and ctx.sums (doubles) at this shape.
  virtual size_t workspace_bytes() const { return 0; }
  virtual size_t sums_doubles() const { return 0; }

  virtual void forward(GpuContext& ctx, const float* input) = 0;
  // Adds dLoss/d(input) into input_delta (nullptr for the first layer) and accumulates parameter
  // gradients; delta holds dLoss/d(output) on entry and may be overwritten.
  virtual void backward(GpuContext& ctx, const float* input, float* input_delta) = 0;
  // The parameters and their gradients on the device, in the CPU layer's params() order (the
  // gradients exist once the layer has trained).
  virtual std::vector<Param> params() { return {}; }

  // Parameters between this layer and a CPU layer of the same type (not necessarily `cpu`).
  virtual void upload_weights(GpuContext&, const Layer&) {}
  virtual void download_weights(GpuContext&, Layer&) const {}
  virtual void download_gradients(GpuContext&, Layer&) const {}
  virtual size_t parameter_bytes() const { return 0; }

  size_t out_size() const { return cpu.out.size(); }
  size_t in_size() const { return cpu.in.size(); }

  Layer& cpu;
  int batch = 0;
  bool training = false;
  DeviceBuffer<float> output, delta;
};

// The GPU layer for a CPU layer; throws dn::Error for a type without one.
std::unique_ptr<GpuLayer> make_gpu_layer(GpuContext& ctx, Layer& cpu);
// Per type (gpu_conv.cpp, gpu_layers.cpp, gpu_yolo.cpp).
std::unique_ptr<GpuLayer> make_gpu_convolutional(GpuContext& ctx, Layer& cpu);
std::unique_ptr<GpuLayer> make_gpu_yolo(GpuContext& ctx, Layer& cpu);

// The [yolo] layers' statistics: GpuNetwork gives each its slice of one device array (so that one
// copy brings all back) and turns them into YoloStats.
constexpr int kYoloStats = kYoloStatCount;  // kernels.hpp's YoloStat
void set_yolo_stats_slot(GpuLayer& yolo, double* device_stats);
void store_yolo_stats(GpuLayer& yolo, const double* host_stats);  // into the CPU layer's stats
bool yolo_has_loss(const GpuLayer& yolo);

}  // namespace dn::cuda
