// Inference latency: ours against OpenCV DNN's Darknet importer, same cfg, same weights, same
// input, both on 2 threads, measured in one run (the machine is shared: compare the ratio).
//   bench_inference [shared_dir] [-runs N]
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

int main(int argc, char** argv) {
  std::string shared = "../shared";
  int runs = 10;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-runs") && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else
      shared = argv[i];
  }
  omp_set_num_threads(2);
#ifdef DN_OPENCV
  cv::setNumThreads(2);
#endif
  // Ours first for every network, then OpenCV: OpenCV's TBB workers and our OpenMP workers both
  // spin for a while after their work, so interleaving the two would slow whichever runs second.
  struct Case {
    std::string name, dir, cfg, weights;
    double gflop = 0, ours_ms = 0, cv_ms = 0;
  };
  std::vector<Case> cases;
  const int size = 416;
  auto input = dn::testing::pattern_input(3, size, size, 7);
  for (const char* name : {"yolov3-tiny.cfg", "yolov3.cfg"}) {
    Case c;
    c.name = name;
    c.dir = dn::testing::temp_dir(std::string("bench_") + name);
    std::string cfg_text = cfg_at_size(shared + "/darknet-cfg/" + name, size);
    c.cfg = c.dir + "/net.cfg";
    std::ofstream(c.cfg) << cfg_text;
    auto net = dn::build_network(dn::parse_cfg_text(cfg_text, c.cfg), 1);
    dn::testing::randomize_network(*net, input, 11);
    c.weights = c.dir + "/net.weights";
    dn::save_weights(*net, c.weights);
    c.gflop = net->flops() / 1e9;
    std::vector<double> ours;
    net->forward(input.data());  // warm-up
    for (int r = 0; r < runs; ++r) {
      auto t0 = Clock::now();
      net->forward(input.data());
      ours.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    c.ours_ms = median(ours);
    cases.push_back(c);
  }
#ifdef DN_OPENCV
  for (Case& c : cases) {
    cv::dnn::Net cvnet = cv::dnn::readNetFromDarknet(c.cfg, c.weights);
    cvnet.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    cvnet.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    int shape[] = {1, 3, size, size};
    cv::Mat blob(4, shape, CV_32F, input.data());
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
  std::printf("%-16s %5s %9s %10s %7s %13s %12s\n", "network", "size", "ours ms", "opencv ms", "ratio",
              "ours GFLOP/s", "cv GFLOP/s");
  for (const Case& c : cases) {
    std::printf("%-16s %5d %9.1f %10.1f %7.3f %13.1f %12.1f\n", c.name.c_str(), size, c.ours_ms, c.cv_ms,
                c.cv_ms > 0 ? c.ours_ms / c.cv_ms : 0.0, c.gflop / c.ours_ms * 1e3,
                c.cv_ms > 0 ? c.gflop / c.cv_ms * 1e3 : 0.0);
    std::filesystem::remove_all(c.dir);
  }
  std::printf("ratio = ours / OpenCV median latency over %d forwards (below 1: ours is faster)\n", runs);
  return 0;
}
