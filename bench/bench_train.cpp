// Training throughput: forward + backward + update on synthetic images and boxes (no image
// decoding: the loader runs in its own thread during real training) of yolov3-tiny at 416x416 (80
// classes) and yolo-fastest-1.1-xl at 320x320 (3 classes, as fine-tuned on BCCD).
//   bench_train [shared_dir] [-batch 16] [-iterations 3] [-size 416] [-net all|tiny|fastest]
//   (DN_PROFILE=1: per-layer times and GFLOP/s of the oneDNN network too)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "bench_util.hpp"
#include "cfg/cfg.hpp"
#include "cpu/conv_dnnl.hpp"
#include "core/rng.hpp"
#include "network/network.hpp"
#include "network/param_store.hpp"
#include "train/init.hpp"
#include "train/sgd.hpp"

using Clock = std::chrono::steady_clock;

namespace {

struct Timing {
  double fb = 0, update = 0;  // median seconds per batch
};

// One training network: forward + backward + update on synthetic images and boxes.
struct Trainer {
  std::unique_ptr<dn::Network> net;
  std::unique_ptr<dn::CpuParamStore> store;
  std::unique_ptr<dn::Sgd> sgd;
  std::vector<float> images;
  std::vector<std::vector<dn::Truth>> truths;
  std::vector<double> fb, up;

  Trainer(const std::string& cfg_text, int batch, int classes) {
    net = dn::build_network(dn::parse_cfg_text(cfg_text, "bench.cfg"), batch);
    dn::init_network_weights(*net, 1);
    net->set_training(true);
    store = std::make_unique<dn::CpuParamStore>(*net);
    sgd = std::make_unique<dn::Sgd>(*store);
    dn::Rng rng(3);
    images.resize(static_cast<size_t>(batch) * net->input_size());
    for (float& v : images) v = rng.uniform();
    truths.resize(batch);
    for (auto& tr : truths)
      for (int k = 0; k < 10; ++k)
        tr.push_back({static_cast<int>(rng.below(classes)),
                      {rng.uniform(.1f, .9f), rng.uniform(.1f, .9f), rng.uniform(.05f, .4f), rng.uniform(.05f, .4f)}});
  }
  void step(bool timed) {
    auto t0 = Clock::now();
    net->forward_backward(images.data(), truths);
    auto t1 = Clock::now();
    sgd->step({net->batch, 1e-4f, .9f, .0005f});
    auto t2 = Clock::now();
    if (!timed) return;
    fb.push_back(std::chrono::duration<double>(t1 - t0).count());
    up.push_back(std::chrono::duration<double>(t2 - t1).count());
  }
  Timing timing() {
    std::sort(fb.begin(), fb.end());
    std::sort(up.begin(), up.end());
    return {fb[fb.size() / 2], up[up.size() / 2]};
  }
};

}  // namespace

int run(int argc, char** argv) {
  std::string shared = "../shared";
  int batch = 16, iterations = 3, size = 416;
  std::string which = "all";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-batch")) batch = dn::bench::positive_int_arg(i, argc, argv);
    else if (!std::strcmp(argv[i], "-iterations")) iterations = dn::bench::positive_int_arg(i, argc, argv);
    else if (!std::strcmp(argv[i], "-size")) size = dn::bench::positive_int_arg(i, argc, argv);
    else if (!std::strcmp(argv[i], "-net")) which = dn::bench::option_value(i, argc, argv);
    else {
      dn::bench::reject_option(argv[i]);
      shared = argv[i];
    }
  }
  if (which != "all" && which != "tiny" && which != "fastest")
    throw std::invalid_argument("-net " + which + ": expected all, tiny or fastest");
  struct Case {
    std::string name, cfg;
    int size, classes;
  };
  std::vector<Case> cases;
  if (which == "all" || which == "tiny")
    cases.push_back({"yolov3-tiny", dn::bench::cfg_at_size(shared + "/darknet-cfg/yolov3-tiny.cfg", size), size, 80});
  if (which == "all" || which == "fastest") {
    // yolo-fastest-1.1-xl at 320 with 3 classes (BCCD's): the heads' filters become 3 x (3 + 5).
    std::string t = dn::bench::cfg_at_size(shared + "/models/yolo-fastest-1.1-xl/yolo-fastest-1.1-xl.cfg", 320);
    t = std::regex_replace(t, std::regex("filters=255"), "filters=24");
    t = std::regex_replace(t, std::regex("classes=80"), "classes=3");
    cases.push_back({"yolo-fastest-1.1-xl", t, 320, 3});
  }
  std::printf("%d threads, batch %d, median of %d iterations after one warm-up; the oneDNN convolutions and the\n"
              "im2col + GEMM path (the previous version's, DN_CONV=gemm) alternately, one iteration each.\n",
              omp_get_max_threads(), batch, iterations);
  const dn::ConvPath ours = dn::conv_path() == dn::ConvPath::gemm ? dn::ConvPath::direct : dn::conv_path();
  for (const Case& c : cases) {
    Trainer fast(c.cfg, batch, c.classes), gemm(c.cfg, batch, c.classes);
    for (int it = 0; it < iterations + 1; ++it) {
      if (it == 1 && std::getenv("DN_PROFILE")) fast.net->enable_profile(true);
      // A layer keeps the path it took on its first forward (the warm-up).
      dn::set_conv_path(ours);
      fast.step(it > 0);
      dn::set_conv_path(dn::ConvPath::gemm);
      gemm.step(it > 0);
    }
    dn::set_conv_path(ours);
    Timing a = fast.timing(), b = gemm.timing();
    const double fa = (a.fb + a.update) / batch, fg = (b.fb + b.update) / batch;
    // Training FLOPs of the convolutions: forward, input gradient and weight gradient, ~3x forward.
    const double gflop = 3 * fast.net->flops() / 1e9;
    std::printf("%s %dx%d: oneDNN %.1f ms per image (forward+backward %.3f s, update %.3f s per batch, ~%.0f GFLOP/s); "
                "GEMM %.1f ms per image; speed-up %.2fx\n",
                c.name.c_str(), c.size, c.size, fa * 1e3, a.fb, a.update, gflop / fa, fg * 1e3, fg / fa);
    if (std::getenv("DN_PROFILE")) fast.net->print_profile(stdout);
  }
  return 0;
}

int main(int argc, char** argv) {
  return dn::bench::guarded_main(
      "bench_train",
      "usage: bench_train [SHARED] [-batch N] [-iterations N] [-size N] [-net all|tiny|fastest]\n"
      "  SHARED: the fixtures folder (../shared); DN_PROFILE=1 adds the per-layer breakdown\n",
      argc, argv, run);
}
