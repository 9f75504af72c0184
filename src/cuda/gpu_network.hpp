#pragma once
// The CUDA backend (docs/cuda.md): a network built from a CPU Network of the same cfg, whose
// every layer runs on the device. The CPU Network stays the source of truth for the cfg, the
// shapes (resize it, the GPU network follows at its next pass) and the .weights files
// (download_weights / upload_weights move the parameters between the two). This header needs no
// CUDA headers.
#include <cstdint>
#include <memory>
#include <vector>

#include "layers/layer.hpp"
#include "network/param_store.hpp"

namespace dn {
class Network;
}

namespace dn::cuda {

struct GpuOptions {
  int device = 0;
  int batch = -1;     // images per pass; -1: the CPU network's batch
  bool cudnn = true;  // convolutions through cuDNN when built with CUDNN=1 (false: im2col + cuBLAS)
  bool tf32 = false;  // allow TF32 tensor-core math in cuDNN and cuBLAS (faster, ~1e-3 relative error)
};

class GpuNetwork {
 public:
  // Mirrors every layer of net on the device and uploads its weights. Throws dn::Error for a layer
  // type without a GPU version or when the device is out of memory.
  explicit GpuNetwork(Network& net, const GpuOptions& o = {});
  ~GpuNetwork();
  GpuNetwork(const GpuNetwork&) = delete;
  GpuNetwork& operator=(const GpuNetwork&) = delete;

  int batch() const;
  bool uses_cudnn() const;

  // Inference over batch() images: input[batch][c][h][w] on the host. Outputs stay on the device.
  void forward(const float* input);
  // Copies every [yolo] layer's output into the CPU layer's output (for get_network_detections).
  void download_yolo_outputs(Network& net) const;

  // A training pass, as Network::forward_backward: forward with batch statistics and the [yolo]
  // losses of truths[batch], backward, gradients accumulated on the device. Copies back only the
  // [yolo] statistics (into each CPU YoloLayer's stats, so that loss() and stats_line() work) and
  // returns the summed loss; the CPU network's seen grows by batch().
  double forward_backward(const float* input, const std::vector<std::vector<Truth>>& truths);
  // The parameters on the device, for the optimizer (train/sgd.hpp, which keeps its momentum
  // on the device too).
  ParamStore& params();

  // Parameters and batch-norm rolling statistics, device -> CPU network and back. net must have
  // the same cfg (checked: layer count and types).
  void download_weights(Network& net) const;
  void upload_weights(const Network& net);

  // ---- for tests and benchmarks ----------------------------------------------------------------
  // The two halves of forward_backward. forward_training zeroes every delta, runs the training
  // forward (truths may be null: no loss) and copies the [yolo] statistics back; backward runs every
  // layer's backward, and with input_delta also the first layer's input gradient (downloaded).
  void forward_training(const float* input, const std::vector<std::vector<Truth>>* truths);
  void backward(std::vector<float>* input_delta = nullptr);
  // A layer's output / delta (batch * out.size() floats), and setting its delta (dLoss/doutput).
  std::vector<float> output(int layer) const;
  std::vector<float> delta(int layer) const;
  void set_delta(int layer, const std::vector<float>& d);
  // Parameter gradients (weight_grads, bias_grads, scale_grads) into the CPU layers.
  void download_gradients(Network& net) const;
  // Waits for the device.
  void synchronize() const;
  // Bytes of device memory this network holds.
  size_t device_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `detector train`: the GPU network that trains net (with net's mini-batch), or nullptr for the CPU
// (-nogpu, or no device visible: then active_device() has printed its warning). On the GPU, net
// keeps only the weights: its batch becomes 1 and it stays out of training mode.
std::unique_ptr<GpuNetwork> gpu_for_training(Network& net);

// The Detector's hook: runs net's forward on the device when one is active, leaving the [yolo]
// outputs in net's layers, and returns true; returns false (the caller runs the CPU) otherwise.
// `state` is the Detector's opaque slot: it holds the GPU network, created at the first call. The
// weights are uploaded again whenever net.weights_version changed since the last upload
// (load_weights, copy_weights and the optimizer bump it).
bool forward_on_gpu(Network& net, std::shared_ptr<void>& state, const float* input);

}  // namespace dn::cuda
