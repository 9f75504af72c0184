// The CUDA backend's speed (docs/cuda.md): for yolov3-tiny and yolov3 at 416x416,
//   - inference latency, batch 1, as the Detector runs it (input up, forward, [yolo] outputs down);
//   - training images/s: forward + backward + SGD at batch 64 / subdivisions 1 (mini-batch 64),
//     falling back to 32, 16, ... when the device runs out of memory; synthetic boxes, no loader.
// Weights are random (seeded): speed does not depend on them.
//   bench_gpu [shared_dir] [-size 416] [-batch 64] [-iterations 10] [-runs 50] [-tf32] [-cublas]
//             [-nets yolov3-tiny,yolov3]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "cuda/device.hpp"
#include "cuda/gpu_network.hpp"
#include "network/network.hpp"
#include "train/sgd.hpp"
#include "../bench_util.hpp"
#include "train/init.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

using dn::bench::cfg_at_size;

struct Options {
  std::string shared = DN_SHARED_DIR;
  int size = 416, batch = 64, iterations = 10, runs = 50;
  bool tf32 = false, cublas = false;
  std::vector<std::string> nets = {"yolov3-tiny", "yolov3"};
};

// Inference: ms per image at batch 1 (median of runs).
double inference_ms(dn::Network& net, const Options& o) {
  dn::cuda::GpuOptions g;
  g.device = dn::cuda::active_device();
  g.batch = 1;
  g.cudnn = !o.cublas;
  g.tf32 = o.tf32;
  dn::cuda::GpuNetwork gpu(net, g);
  dn::Rng rng(5);
  std::vector<float> x(net.input_size());
  for (float& v : x) v = rng.uniform();
  for (int i = 0; i < 5; ++i) {
    gpu.forward(x.data());
    gpu.download_yolo_outputs(net);
  }
  std::vector<double> ms;
  for (int i = 0; i < o.runs; ++i) {
    auto t0 = Clock::now();
    gpu.forward(x.data());
    gpu.download_yolo_outputs(net);  // waits for the device
    ms.push_back(1e3 * seconds_since(t0));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// Training: images/s over o.iterations mini-batches of `batch` after two warm-up iterations.
// Returns 0 (and says why) when the device runs out of memory.
double training_images_per_s(dn::Network& net, int batch, const Options& o, size_t* bytes) {
  dn::cuda::GpuOptions g;
  g.device = dn::cuda::active_device();
  g.batch = batch;
  g.cudnn = !o.cublas;
  g.tf32 = o.tf32;
  dn::Rng rng(7);
  std::vector<float> x(static_cast<size_t>(batch) * net.input_size());
  for (float& v : x) v = rng.uniform();
  std::vector<std::vector<dn::Truth>> truths(batch);
  for (auto& t : truths)
    for (int k = 0; k < 8; ++k) {
      float w = rng.uniform(.03f, .4f), h = rng.uniform(.03f, .4f);
      t.push_back({static_cast<int>(rng.below(80)), {rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2), w, h}});
    }
  try {
    dn::cuda::GpuNetwork gpu(net, g);
    dn::Sgd sgd(gpu.params());
    const dn::UpdateArgs args{batch, 1e-4f, .9f, .0005f};
    for (int i = 0; i < 2; ++i) {
      gpu.forward_backward(x.data(), truths);
      sgd.step(args);
    }
    gpu.synchronize();
    *bytes = gpu.device_bytes();
    auto t0 = Clock::now();
    for (int i = 0; i < o.iterations; ++i) {
      gpu.forward_backward(x.data(), truths);  // waits for the statistics: one sync per iteration
      sgd.step(args);
    }
    gpu.synchronize();
    return batch * o.iterations / seconds_since(t0);
  } catch (const dn::Error& e) {
    std::printf("  batch %d: %s\n", batch, e.what());
    return 0;
  }
}

}  // namespace

int run(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-size")) o.size = dn::bench::positive_int_arg(i, argc, argv);
    else if (!std::strcmp(argv[i], "-batch")) o.batch = dn::bench::positive_int_arg(i, argc, argv);
    else if (!std::strcmp(argv[i], "-iterations")) o.iterations = dn::bench::positive_int_arg(i, argc, argv);
    else if (!std::strcmp(argv[i], "-runs")) o.runs = dn::bench::positive_int_arg(i, argc, argv);
    else if (!std::strcmp(argv[i], "-tf32")) o.tf32 = true;
    else if (!std::strcmp(argv[i], "-cublas")) o.cublas = true;
    else if (!std::strcmp(argv[i], "-nets")) {
      o.nets.clear();
      std::stringstream ss(dn::bench::option_value(i, argc, argv));
      for (std::string n; std::getline(ss, n, ',');) {
        if (n.empty()) throw std::invalid_argument("-nets: an empty name");
        o.nets.push_back(n);
      }
      if (o.nets.empty()) throw std::invalid_argument("-nets: no network named");
    } else {
      dn::bench::reject_option(argv[i]);
      o.shared = argv[i];
    }
  }
  if (dn::cuda::visible_devices() == 0) {
    std::printf("bench_gpu: no CUDA device visible: nothing to measure\n");
    return 0;
  }
  const int dev = dn::cuda::active_device();
  std::printf("# bench_gpu: %s, %s, %s math, %dx%d\n\n", dn::cuda::device_description(dev).c_str(),
              o.cublas ? "im2col + cuBLAS" : "cuDNN (if built with CUDNN=1)", o.tf32 ? "TF32" : "FP32", o.size,
              o.size);
  std::printf("| network | inference ms (batch 1) | training images/s | mini-batch | device memory (training) |\n");
  std::printf("|---|---|---|---|---|\n");
  std::fflush(stdout);
  for (const std::string& name : o.nets) {
    const std::string path = o.shared + "/darknet-cfg/" + name + ".cfg";
    auto net = dn::build_network(dn::parse_cfg_text(cfg_at_size(path, o.size), name + ".cfg"), 1);
    dn::init_network_weights(*net, 1);
    const double ms = inference_ms(*net, o);
    double ips = 0;
    size_t bytes = 0;
    int batch = o.batch;
    for (; batch >= 1; batch /= 2)
      if ((ips = training_images_per_s(*net, batch, o, &bytes)) > 0) break;
    std::printf("| %s | %.2f | %.1f | %d | %.1f GiB |\n", name.c_str(), ms, ips, std::max(batch, 0),
                bytes / (1024.0 * 1024.0 * 1024.0));
    std::fflush(stdout);
  }
  return 0;
}

int main(int argc, char** argv) {
  return dn::bench::guarded_main(
      "bench_gpu",
      "usage: bench_gpu [SHARED] [-size 416] [-batch 64] [-iterations 10] [-runs 50] [-tf32] [-cublas]\n"
      "                 [-nets yolov3-tiny,yolov3]\n"
      "  SHARED: the fixtures folder (../shared); -nets: cfgs of SHARED/darknet-cfg\n",
      argc, argv, run);
}
