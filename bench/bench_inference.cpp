// Inference latency: ours against OpenCV DNN's Darknet importer, same cfg, same weights, same
// input, both on 2 threads, measured in one run (the machine is shared: compare the ratio).
//   bench_inference [shared_dir] [-runs N]       (DN_PROFILE=1: per-layer times and GFLOP/s too)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../tests/net_fixtures.hpp"
#include "bench_util.hpp"
#include "cfg/cfg.hpp"
#include "cpu/conv_dnnl.hpp"
#include "network/network.hpp"

#ifdef DN_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#endif

using Clock = std::chrono::steady_clock;

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

using dn::bench::cfg_at_size;

// GFLOP/s of oneDNN's own convolution on one large layer (yolov3's 256 -> 512 3x3 at 26x26, batch
// 1): the practical peak the per-layer profile (DN_PROFILE=1) is read against.
static double practical_peak_gflops(int runs) {
  const dn::ConvPath before = dn::conv_path();
  dn::set_conv_path(dn::ConvPath::direct);  // Winograd does fewer multiplications than it is credited with
  dn::ConvGeometry g;
  g.channels = 256, g.height = g.width = 26, g.filters = 512, g.size = 3, g.padding = 1;
  g.out_h = g.out_w = 26;
  auto conv = dn::DnnlConv::create(g, false, dn::PostOp::leaky);
  dn::set_conv_path(before);
  if (!conv) return 0;
  std::vector<float> in(static_cast<size_t>(g.channels) * 26 * 26, .5f), out(static_cast<size_t>(g.filters) * 26 * 26);
  std::vector<float> w(static_cast<size_t>(g.filters) * g.channels * 9, .01f), b(g.filters, .1f);
  conv->forward_inference(in.data(), w.data(), b.data(), true, out.data());
  std::vector<double> t;
  for (int r = 0; r < runs * 3; ++r) {
    auto t0 = Clock::now();
    conv->forward_inference(in.data(), w.data(), b.data(), false, out.data());
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return 2.0 * g.filters * g.channels * 9 * 26 * 26 / median(t) / 1e9;
}

int run(int argc, char** argv) {
  std::string shared = "../shared";
  int runs = 10;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-runs"))
      runs = dn::bench::positive_int_arg(i, argc, argv);
    else {
      dn::bench::reject_option(argv[i]);
      shared = argv[i];
    }
  }
  omp_set_num_threads(2);
#ifdef DN_OPENCV
  cv::setNumThreads(2);
#endif
  // Ours first for every network (the oneDNN convolutions and the im2col + GEMM path of the
  // previous version, alternately, one forward each), then OpenCV: OpenCV's TBB workers and our
  // OpenMP workers both spin for a while after their work, so interleaving OpenCV with ours would
  // slow whichever runs second.
  struct Case {
    std::string name, dir, cfg, weights;
    int size = 0;
    double gflop = 0, ours_ms = 0, direct_ms = 0, gemm_ms = 0, cv_ms = 0;
    std::vector<float> input;
  };
  std::vector<Case> cases;
  for (const char* name : {"yolov3-tiny.cfg", "yolov3.cfg"}) {
    Case c;
    c.name = name;
    c.size = 416;
    c.dir = dn::testing::temp_dir(std::string("bench_") + name);
    std::string cfg_text = cfg_at_size(shared + "/darknet-cfg/" + name, c.size);
    c.cfg = c.dir + "/net.cfg";
    std::ofstream(c.cfg) << cfg_text;
    c.input = dn::testing::pattern_input(3, c.size, c.size, 7);
    auto net = dn::build_network(dn::parse_cfg_text(cfg_text, c.cfg), 1);
    dn::testing::randomize_network(*net, c.input, 11);
    c.weights = c.dir + "/net.weights";
    dn::save_weights(*net, c.weights);
    cases.push_back(c);
  }
  {
    // A real AlexeyAB-format model with depthwise convolutions, its cfg and weights unchanged.
    Case c;
    c.name = "yolo-fastest-1.1-xl";
    c.size = 320;
    const std::string dir = shared + "/models/yolo-fastest-1.1-xl/";
    c.cfg = dir + "yolo-fastest-1.1-xl.cfg";
    c.weights = dir + "yolo-fastest-1.1-xl.weights";
    c.input = dn::testing::pattern_input(3, c.size, c.size, 7);
    cases.push_back(c);
  }
  // "ours" is the default path (Winograd where the CPU has it, unless DN_CONV says otherwise);
  // "direct" oneDNN's direct kernels only (DN_CONV=direct); "gemm" the previous version's path.
  const dn::ConvPath ours_path = dn::conv_path();
  for (Case& c : cases) {
    auto load = [&](dn::ConvPath path) {
      dn::set_conv_path(path);
      auto net = dn::build_network(dn::parse_cfg(c.cfg), 1);
      dn::load_weights(*net, c.weights);
      net->set_hand_over(path != dn::ConvPath::gemm);  // as detection runs it (GEMM has nothing to hand over)
      net->forward(c.input.data());  // warm-up: creates the primitives
      return net;
    };
    auto fast = load(ours_path);
    auto direct = load(dn::ConvPath::direct);
    auto gemm = load(dn::ConvPath::gemm);
    dn::set_conv_path(ours_path);
    c.gflop = fast->flops() / 1e9;
    std::vector<double> ours, dir, old;
    for (int r = 0; r < runs; ++r) {
      auto t0 = Clock::now();
      fast->forward(c.input.data());
      auto t1 = Clock::now();
      direct->forward(c.input.data());
      auto t2 = Clock::now();
      gemm->forward(c.input.data());
      auto t3 = Clock::now();
      ours.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      dir.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
      old.push_back(std::chrono::duration<double, std::milli>(t3 - t2).count());
    }
    c.ours_ms = median(ours);
    c.direct_ms = median(dir);
    c.gemm_ms = median(old);
    if (std::getenv("DN_PROFILE")) {
      fast->enable_profile(true);
      for (int r = 0; r < runs; ++r) fast->forward(c.input.data());
      std::printf("%s, oneDNN convolutions, %d forwards:\n", c.name.c_str(), runs);
      fast->print_profile(stdout);
    }
  }
  const double peak = practical_peak_gflops(runs);
#ifdef DN_OPENCV
  for (Case& c : cases) {
    cv::dnn::Net cvnet = cv::dnn::readNetFromDarknet(c.cfg, c.weights);
    cvnet.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    cvnet.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    int shape[] = {1, 3, c.size, c.size};
    cv::Mat blob(4, shape, CV_32F, c.input.data());
    std::vector<cv::Mat> outs;
    auto names = cvnet.getUnconnectedOutLayersNames();
    cvnet.setInput(blob);
    cvnet.forward(outs, names);  // warm-up
    std::vector<double> theirs;
    for (int r = 0; r < runs; ++r) {
      auto t0 = Clock::now();
      cvnet.setInput(blob);
      cvnet.forward(outs, names);
      theirs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    c.cv_ms = median(theirs);
  }
#endif
  std::printf("%-20s %5s %8s %9s %8s %10s %7s %9s %10s %8s\n", "network", "size", "ours ms", "direct ms", "gemm ms",
              "opencv ms", "ratio", "vs gemm", "GFLOP/s", "cv GF/s");
  for (const Case& c : cases) {
    std::printf("%-20s %5d %8.1f %9.1f %8.1f %10.1f %7.3f %9.2f %10.1f %8.1f\n", c.name.c_str(), c.size, c.ours_ms,
                c.direct_ms, c.gemm_ms, c.cv_ms, c.cv_ms > 0 ? c.ours_ms / c.cv_ms : 0.0, c.gemm_ms / c.ours_ms,
                c.gflop / c.ours_ms * 1e3, c.cv_ms > 0 ? c.gflop / c.cv_ms * 1e3 : 0.0);
    if (!c.dir.empty()) std::filesystem::remove_all(c.dir);
  }
  const char* path_name = ours_path == dn::ConvPath::winograd ? "Winograd for 3x3 stride-1 layers where the CPU has it"
                          : ours_path == dn::ConvPath::direct ? "DN_CONV=direct"
                                                              : "DN_CONV=gemm";
  std::printf("ours = the default convolution path (%s); direct = oneDNN's direct kernels only\n"
              "(DN_CONV=direct); gemm = the im2col + GEMM path of the previous version (DN_CONV=gemm); the three\n"
              "timed alternately in this run. ratio = ours / OpenCV median latency over %d forwards (below 1:\n"
              "ours is faster); vs gemm = gemm / ours. GFLOP/s counts a direct convolution's operations.\n"
              "Practical peak (oneDNN's direct convolution, 256->512 3x3 at 26x26): %.1f GFLOP/s\n",
              path_name, runs, peak);
  return 0;
}

int main(int argc, char** argv) {
  return dn::bench::guarded_main("bench_inference",
                                 "usage: bench_inference [SHARED] [-runs N]\n"
                                 "  SHARED: the fixtures folder (../shared); DN_PROFILE=1 adds the per-layer breakdown\n",
                                 argc, argv, run);
}
