// Training throughput: forward + backward + update of yolov3-tiny at 416x416 on synthetic boxes
// (no image decoding: the loader runs in its own thread during real training).
//   bench_train [shared_dir] [-batch 8] [-iterations 5] [-size 416]
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
#include "core/rng.hpp"
#include "network/network.hpp"
#include "train/init.hpp"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string shared = "../shared";
  int batch = 8, iterations = 5, size = 416;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-batch") && i + 1 < argc) batch = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "-iterations") && i + 1 < argc) iterations = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "-size") && i + 1 < argc) size = std::atoi(argv[++i]);
    else shared = argv[i];
  }
  std::string t = dn::bench::cfg_at_size(shared + "/darknet-cfg/yolov3-tiny.cfg", size);
  auto net = dn::build_network(dn::parse_cfg_text(t, "yolov3-tiny.cfg"), batch);
  dn::init_network_weights(*net, 1);
  net->set_training(true);
  dn::Rng rng(3);
  std::vector<float> images(static_cast<size_t>(batch) * net->input_size());
  for (float& v : images) v = rng.uniform();
  std::vector<std::vector<dn::Truth>> truths(batch);
  for (auto& tr : truths)
    for (int k = 0; k < 10; ++k)
      tr.push_back({static_cast<int>(rng.below(80)), {rng.uniform(.1f, .9f), rng.uniform(.1f, .9f), rng.uniform(.05f, .4f), rng.uniform(.05f, .4f)}});
  std::vector<double> fb, up;
  for (int it = 0; it < iterations + 1; ++it) {
    if (it == 1) net->enable_profile(true);
    auto t0 = Clock::now();
    net->forward_backward(images.data(), truths);
    auto t1 = Clock::now();
    net->update({batch, 1e-4f, .9f, .0005f});
    auto t2 = Clock::now();
    if (it == 0) continue;  // warm-up
    fb.push_back(std::chrono::duration<double>(t1 - t0).count());
    up.push_back(std::chrono::duration<double>(t2 - t1).count());
  }
  std::sort(fb.begin(), fb.end());
  std::sort(up.begin(), up.end());
  double per_batch = fb[fb.size() / 2] + up[up.size() / 2];
  double per_image = per_batch / batch;
  // Training FLOPs of the convolutions: forward, input gradient and weight gradient, ~3x forward.
  double gflop = 3 * net->flops() / 1e9;
  std::printf("yolov3-tiny %dx%d, batch %d, %d threads: %.3f s per batch (forward+backward %.3f, update %.3f)\n", size,
              size, batch, omp_get_max_threads(), per_batch, fb[fb.size() / 2], up[up.size() / 2]);
  std::printf("%.1f ms per image, %.2f images/s, ~%.0f GFLOP/s (3 x %.2f GFLOP forward per image)\n",
              per_image * 1e3, 1 / per_image, gflop / per_image, net->flops() / 1e9);
  if (std::getenv("DN_PROFILE")) net->print_profile(stdout);
  std::printf("original Darknet on this CPU: ~2.1 s per image (../shared/docs/performance.md): %.1fx\n", 2.1 / per_image);
  return 0;
}
