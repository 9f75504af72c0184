// darknet detector train <data> <cfg> [weights] [-clear] [-dont_show] [-seed N] [-map] [-iterations N]
//                        [-chart chart.png] [-progress FILE|-] [-quiet]
#include <climits>
#include <cstdio>

#include "apps/apps.hpp"
#include "apps/args.hpp"
#include "apps/device_flags.hpp"
#include "core/error.hpp"
#include "apps/train_monitor.hpp"
#include "cfg/data_file.hpp"
#include "data/labels.hpp"
#include "network/network.hpp"
#include "train/trainer.hpp"

namespace dn {

int detector_train(int argc, char** argv) {
  std::vector<std::string> p;
  for (int i = 3; i < argc && argv[i][0] != '-'; ++i) p.push_back(argv[i]);
  if (p.size() < 2 || p.size() > 3)
    fail("usage: darknet detector train <data> <cfg> [weights] [-clear] [-dont_show] [-seed N] [-map] [-iterations N] [-chart chart.png] [-progress FILE]");
  Args args(argc, argv, 3 + static_cast<int>(p.size()));
  TrainOptions o;
  o.data_path = p[0];
  o.cfg_path = p[1];
  if (p.size() > 2) o.weights_path = p[2];
  o.clear = args.flag("-clear");
  args.flag("-dont_show");
  if (args.has("-seed")) {
    o.seeded = true;
    o.seed = static_cast<uint64_t>(args.get_int_in("-seed", 0, 0, INT_MAX));
  }
  o.calc_map = args.flag("-map");
  o.max_batches = args.get_int_in("-iterations", -1, 1, INT_MAX);  // -1: the cfg's max_batches
  o.quiet = args.flag("-quiet");
  std::string chart = args.get_string("-chart", "chart.png");
  const std::string progress_path = args.get_string("-progress", "");  // JSON lines (train/progress.hpp)
  take_device_flags(args);  // -nogpu, -i N, -gpus N (docs/cuda.md)
  if (!args.positional().empty()) fail("unexpected argument '" + args.positional()[0] + "'");
  // The files are read once; the chart (and -map's evaluations) hang off the training loop's
  // per-iteration callback.
  const TrainSetup setup = load_train_setup(o);
  ProgressLog progress(progress_path);
  if (!progress_path.empty()) o.progress = &progress;
  TrainMonitor monitor(setup, o.cfg_path, o.calc_map, chart, o.progress);
  o.on_iteration = [&](Network& net, int it, float avg) { monitor.on_iteration(net, it, avg); };
  train_detector(o, setup);
  return 0;
}

}  // namespace dn
