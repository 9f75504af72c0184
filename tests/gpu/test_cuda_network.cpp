// Whole networks on the GPU against the CPU forward: yolov3-tiny and yolov3 (the original cfgs at
// 416x416, calibrated random weights), every layer's output; the Detector's hook; weights moved
// between host and device.
//
// Tolerance: 1e-3 of the largest |output| of each layer. The CPU folds batch norm into the
// weights and uses oneDNN's GEMM, the GPU normalises after cuDNN/cuBLAS: float rounding differs
// at every layer and compounds through 13 (tiny) and 107 (yolov3) layers; seen ~1e-5.
#include <memory>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "core/fileio.hpp"
#include "cuda/gpu_network.hpp"
#include "gpu/gpu_test_util.hpp"
#include "layers/convolutional.hpp"
#include "layers/yolo.hpp"
#include "net_fixtures.hpp"
#include "network/network.hpp"
#include "train/optimizer_state.hpp"
#include "train/sgd.hpp"

namespace dn {
namespace {

constexpr double kNetworkTol = 1e-3;

std::unique_ptr<Network> original(const std::string& name) {
  return load_network(testing::shared_dir() + "/darknet-cfg/" + name + ".cfg", 1);
}

void compare_whole_network(const std::string& name, bool cudnn) {
  SCOPED_TRACE(name + (cudnn ? " (cuDNN)" : " (cuBLAS)"));
  auto net = original(name);
  net->resize(416, 416);
  const auto x = testing::pattern_input(3, 416, 416, 1);
  testing::randomize_network(*net, x, 2);
  net->forward(x.data());
  cuda::GpuOptions o;
  o.cudnn = cudnn;
  cuda::GpuNetwork gpu(*net, o);
  gpu.forward(x.data());
  for (size_t i = 0; i < net->layers.size(); ++i)
    ASSERT_TRUE(testing::close_to(gpu.output(static_cast<int>(i)), net->layers[i]->output, kNetworkTol))
        << "layer " << i << " (" << net->layers[i]->type() << ")";
}

TEST(NetworkOnGpu, Yolov3TinyEqualsCpuForward) {
  DN_REQUIRE_GPU();
  compare_whole_network("yolov3-tiny", true);
  compare_whole_network("yolov3-tiny", false);
}

TEST(NetworkOnGpu, Yolov3EqualsCpuForward) {
  DN_REQUIRE_GPU();
  compare_whole_network("yolov3", true);
}

// The Detector's hook: [yolo] outputs land in the CPU layers; new weights (a new seen) are uploaded.
TEST(NetworkOnGpu, DetectorHookAndWeightsRoundTrip) {
  DN_REQUIRE_GPU();
  auto net = original("yolov3-tiny");
  net->resize(416, 416);
  const auto x = testing::pattern_input(3, 416, 416, 3);
  testing::randomize_network(*net, x, 4);
  net->forward(x.data());
  std::vector<std::vector<float>> cpu_out;
  for (YoloLayer* y : net->yolo_layers()) cpu_out.push_back(y->output);

  std::shared_ptr<void> state;
  for (YoloLayer* y : net->yolo_layers()) std::fill(y->output.begin(), y->output.end(), 0.f);
  ASSERT_TRUE(cuda::forward_on_gpu(*net, state, x.data()));
  for (size_t k = 0; k < cpu_out.size(); ++k)
    EXPECT_TRUE(testing::close_to(net->yolo_layers()[k]->output, cpu_out[k], kNetworkTol)) << "yolo " << k;

  // Other weights (a new weights_version): the hook uploads them.
  auto other = original("yolov3-tiny");
  other->resize(416, 416);
  testing::randomize_network(*other, x, 5);
  other->forward(x.data());
  std::vector<float> other_out = other->yolo_layers()[0]->output;
  for (size_t i = 0; i < net->layers.size(); ++i)
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(net->layers[i].get())) {
      auto* src = static_cast<ConvolutionalLayer*>(other->layers[i].get());
      c->weights = src->weights;
      c->biases = src->biases;
      c->scales = src->scales;
      c->rolling_mean = src->rolling_mean;
      c->rolling_variance = src->rolling_variance;
      c->params_changed();
    }
  ++net->weights_version;
  ASSERT_TRUE(cuda::forward_on_gpu(*net, state, x.data()));
  EXPECT_TRUE(testing::close_to(net->yolo_layers()[0]->output, other_out, kNetworkTol)) << "after new weights";

  // download_weights / upload_weights round trip: the .weights bytes are the same.
  cuda::GpuNetwork gpu(*other);
  auto copy = original("yolov3-tiny");
  copy->resize(416, 416);
  gpu.download_weights(*copy);
  const std::string dir = testing::temp_dir("gpu_weights");
  save_weights(*other, dir + "/a.weights");
  save_weights(*copy, dir + "/b.weights");
  EXPECT_EQ(read_text_file(dir + "/a.weights"), read_text_file(dir + "/b.weights"));
}

// The optimizer keeps the GPU's momentum on the device and saves it like the CPU's: training 4
// steps straight and training 2, saving weights and momentum, and 2 more in a new GPU network
// from those files give the same weights, byte for byte (cuBLAS path: deterministic kernels).
// Without the momentum file the result differs, so the file is what makes the resume exact.
TEST(NetworkOnGpu, ResumeWithSavedMomentumIsExact) {
  DN_REQUIRE_GPU();
  const std::string dir = testing::temp_dir("gpu_resume");
  auto fresh = [&] {
    auto n = load_network(testing::shared_dir() + "/darknet-cfg/yolov3-tiny.cfg", 2);
    n->resize(160, 160);
    return n;
  };
  auto start = fresh();
  const auto x = testing::pattern_input(3, 160, 160, 2);
  testing::randomize_network(*start, x, 6);
  save_weights(*start, dir + "/start.weights");
  std::vector<std::vector<Truth>> truths(2);
  truths[0] = {{3, {.3f, .4f, .2f, .3f}}, {17, {.7f, .6f, .1f, .1f}}};
  truths[1] = {{0, {.5f, .5f, .6f, .7f}}};
  cuda::GpuOptions o;
  o.cudnn = false;
  const UpdateArgs args{2, .01f, .9f, .0005f};
  auto train = [&](Network& net, int steps, const std::string& state_in, const std::string& state_out) {
    cuda::GpuNetwork gpu(net, o);
    Sgd sgd(gpu.params());
    std::string why;
    if (!state_in.empty()) {
      EXPECT_TRUE(load_optimizer_state(sgd, net.seen, state_in, &why)) << why;
    }
    for (int i = 0; i < steps; ++i) {
      gpu.forward_backward(x.data(), truths);
      sgd.step(args);
    }
    gpu.download_weights(net);
    if (!state_out.empty()) save_optimizer_state(sgd, net.seen, state_out);
  };
  auto straight = fresh();
  load_weights(*straight, dir + "/start.weights");
  train(*straight, 4, "", "");
  save_weights(*straight, dir + "/straight.weights");

  auto first = fresh();
  load_weights(*first, dir + "/start.weights");
  train(*first, 2, "", dir + "/half.state");
  save_weights(*first, dir + "/half.weights");
  auto resumed = fresh();
  load_weights(*resumed, dir + "/half.weights");
  train(*resumed, 2, dir + "/half.state", "");
  save_weights(*resumed, dir + "/resumed.weights");
  EXPECT_TRUE(read_text_file(dir + "/resumed.weights") == read_text_file(dir + "/straight.weights"))
      << "resumed with the momentum differs from straight";

  auto no_state = fresh();
  load_weights(*no_state, dir + "/half.weights");
  train(*no_state, 2, "", "");
  save_weights(*no_state, dir + "/no_state.weights");
  EXPECT_FALSE(read_text_file(dir + "/no_state.weights") == read_text_file(dir + "/straight.weights"));
}

}  // namespace
}  // namespace dn
