// darknet detector train <data> <cfg> [weights] [-clear] [-dont_show] [-seed N] [-map] [-iterations N]
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
    fail("usage: darknet detector train <data> <cfg> [weights] [-clear] [-dont_show] [-seed N] [-map] [-iterations N] [-chart chart.png]");
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
  take_device_flags(args);  // -nogpu, -i N, -gpus N (docs/cuda.md)
  if (!args.positional().empty()) fail("unexpected argument '" + args.positional()[0] + "'");
  // The chart (and -map's evaluations) hang off the training loop's per-iteration callback.
  DataConfig data = read_data_file(o.data_path);
  NetParams params = parse_net_section(parse_cfg(o.cfg_path).sections[0]);
  int train_images = data.train.empty() ? 0 : static_cast<int>(read_image_list(data.train, dirname_of(data.train)).size());
  int max_batches = o.max_batches > 0 ? o.max_batches : params.max_batches;
  TrainMonitor monitor(data, o.cfg_path, o.calc_map, train_images, params.batch, params.burn_in,
                       max_batches, chart);
  o.on_iteration = [&](Network& net, int it, float avg) { monitor.on_iteration(net, it, avg); };
  train_detector(o);
  return 0;
}

}  // namespace dn
