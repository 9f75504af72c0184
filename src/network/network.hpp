#pragma once
// A network built from a Darknet cfg: [net] parameters plus the layers in order.
#include <memory>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "layers/layer.hpp"

namespace dn {

class YoloLayer;

struct NetParams {
  int batch = 1, subdivisions = 1;
  int width = 416, height = 416, channels = 3;
  float momentum = .9f, decay = .0001f;  // the parser's defaults (Darknet's)
  float learning_rate = .001f;
  int burn_in = 0, max_batches = 0;
  float power = 4.f;  // burn-in exponent, and the exponent of policy=poly (one key, as Darknet)
  std::string policy = "constant";
  std::vector<int> steps;
  std::vector<float> scales;
  int step = 1;        // policy=step
  float gamma = 1.f;   // policy=step/exp
  float angle = 0, saturation = 1, exposure = 1, hue = 0;
  int letter_box = 0, flip = 1;
};

class Network {
 public:
  NetParams params;
  std::string cfg_path;
  std::vector<std::unique_ptr<Layer>> layers;
  uint64_t seen = 0;  // images trained on
  // Grows whenever the parameters change (load_weights, copy_weights, initialisation, an optimizer
  // step, a download from a GPU): a copy of them elsewhere (a GPU) compares it to know it is stale.
  uint64_t weights_version = 0;
  int batch = 1;      // current mini-batch (images per forward)
  bool training = false;

  int input_size() const { return params.channels * params.height * params.width; }
  Layer& layer(int i) { return *layers[i]; }
  std::vector<YoloLayer*> yolo_layers();

  // Runs the network over batch images (NCHW, input_size() floats each).
  void forward(const float* input, bool reference = false);
  // Training pass: forward with batch statistics and targets, then backward.
  // truths[b] are image b's boxes (relative to the network input).
  void forward_backward(const float* input, const std::vector<std::vector<Truth>>& truths);
  void set_batch(int b);
  void resize(int w, int h);  // new input size (multi-scale training)
  void set_training(bool on);
  // Inference: a convolution whose output only the next layer, a convolution, reads hands it over
  // in oneDNN's layout and leaves its own `output` unwritten (saves two copies per layer). For
  // detection, where only the [yolo] layers' outputs are read; off by default.
  void set_hand_over(bool on);
  // Per layer: whether a route or shortcut reads its output (besides the next layer).
  std::vector<bool> read_elsewhere() const;
  double flops() const;  // per image
  void print_summary(FILE* f) const;
  // Per-layer time accounting (forward, backward) for benchmarks: enable, run, print.
  void enable_profile(bool on);
  void print_profile(FILE* f) const;

 private:
  void run_forward(const float* input, RunContext& ctx);
  bool profile_ = false;
  std::vector<double> forward_s_, backward_s_;
  int profile_forwards_ = 0, profile_backwards_ = 0;
};

// The [net] section's parameters (errors name file:line).
NetParams parse_net_section(const CfgSection& net_section);

// Builds the network; batch_override > 0 replaces [net] batch (as Darknet's test mode sets 1).
std::unique_ptr<Network> build_network(const CfgFile& cfg, int batch_override = 1);
std::unique_ptr<Network> load_network(const std::string& cfg_path, int batch_override = 1);

// What load_weights read from a file.
struct WeightsInfo {
  int loaded = 0;        // layers whose weights came from the file
  int expected = 0;      // layers with weights the file could have filled (all, or those before cutoff)
  int last_loaded = -1;  // index of the last layer read, -1 if none
};

// Weights files: see ../shared/docs/compat.md. cutoff < 0 means all layers.
// Reading stops cleanly at end-of-file on a layer boundary (partial backbone); returns the
// number of layers with weights that were loaded (details in *info when given). A NaN or
// infinite value is an error naming the file and the layer; so is a directory.
int load_weights(Network& net, const std::string& path, int cutoff = -1, WeightsInfo* info = nullptr);
// For detection (test, map, valid, recall, demo): the file must fill every layer with weights;
// a header-only or truncated file is an error naming it and how many layers it held.
void load_inference_weights(Network& net, const std::string& path);
// Number of layers that have weights (convolutional).
int weighted_layer_count(const Network& net);
// Writes version 0.2.5 with a 64-bit seen, to path.tmp then renamed.
void save_weights(const Network& net, const std::string& path, int cutoff = -1);

}  // namespace dn
