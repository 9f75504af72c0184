#pragma once
// The layer interface. Every layer keeps its output for the whole mini-batch, NCHW:
//   output[batch][out.c][out.h][out.w]
// and, in training, delta of the same shape holding dLoss/d(output).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/box.hpp"

namespace dn {

struct Shape {
  int c = 0, h = 0, w = 0;
  size_t size() const { return static_cast<size_t>(c) * h * w; }
  bool operator==(const Shape&) const = default;
};

class Layer;
class WeightReader;
class WeightWriter;

// One training truth: class and box relative to the network input (letterboxed/augmented).
struct Truth {
  int cls;
  Box box;
};

// What a layer sees of the network while it runs.
struct RunContext {
  std::vector<std::unique_ptr<Layer>>* layers = nullptr;
  bool train = false;      // batch statistics, keep what backward needs
  bool reference = false;  // use the plain reference implementations
  int net_w = 0, net_h = 0;
  // Training truths per image of the mini-batch (YOLO layers).
  const std::vector<std::vector<Truth>>* truths = nullptr;
  Layer& layer(int i) const { return *(*layers)[i]; }
};

// One learnable tensor of a layer and its gradient, both on the layer's device (a CPU layer's
// vectors, or a GPU layer's device buffers). decay: whether weight decay applies to it (Darknet
// decays convolution weights, not biases or batch-norm scales).
struct Param {
  float* value;
  float* grad;
  size_t size;
  bool decay;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual const char* type() const = 0;

  // Sets the mini-batch size and input shape, computes out and (re)allocates buffers.
  virtual void resize(int batch, Shape in);
  virtual void forward(RunContext& ctx, const float* input) = 0;
  // Adds dLoss/d(input) into input_delta (nullptr for the first layer) and accumulates
  // parameter gradients. delta holds dLoss/d(output) on entry and may be overwritten.
  virtual void backward(RunContext& ctx, const float* input, float* input_delta) = 0;
  virtual void set_training(bool on);

  virtual bool has_weights() const { return false; }
  virtual void read_weights(WeightReader&) {}
  virtual void write_weights(WeightWriter&) const {}
  // The parameters and their gradients (allocated in training mode), in a fixed order: what the
  // optimizer steps (train/sgd.hpp), which layers never do themselves.
  virtual std::vector<Param> params() { return {}; }
  // Called after the optimizer changed the parameters (e.g. to drop copies derived from them).
  virtual void params_changed() {}
  // params() as (value, gradient) pairs and sizes, for the gradient checks.
  std::vector<std::pair<float*, float*>> parameters();
  std::vector<size_t> parameter_sizes();
  virtual double flops() const { return 0; }  // per image, multiply-add = 2
  // The loss this layer computed in the last training forward (summed over the mini-batch).
  virtual double loss() const { return 0; }
  virtual std::string describe() const;

  int index = 0;
  int batch = 1;
  Shape in, out;
  bool training = false;
  std::vector<float> output, delta;

 protected:
  void allocate_outputs();
};

}  // namespace dn
