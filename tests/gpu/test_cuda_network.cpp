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

  // Other weights with another seen: the hook uploads them.
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
      c->weights_changed();
    }
  net->seen += 64;
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

}  // namespace
}  // namespace dn
