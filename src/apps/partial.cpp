// darknet partial <cfg> <weights> <out.weights> <N>
// Darknet's command: writes the weights of the first N layers of a model (a backbone file, as
// darknet53.conv.74 is cut from darknet53.weights), for training a cfg with new heads from it.
// The images-seen counter is reset to 0, so that training starts its schedule from the beginning.
#include <cstdio>
#include <string>
#include <vector>

#include "apps/apps.hpp"
#include "apps/args.hpp"
#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "network/network.hpp"

namespace dn {

int partial_weights(int argc, char** argv) {
  const char* usage = "usage: darknet partial <cfg> <weights> <out.weights> <N>  (the first N layers)";
  // Four positionals; the fourth, N, may look like a negative number ("-1"): it is still N (and
  // gets the range message below), not a flag.
  std::vector<std::string> p;
  for (int i = 2; i < argc && p.size() < 4; ++i) {
    const bool negative_number = argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9';
    if (argv[i][0] == '-' && !(p.size() == 3 && negative_number)) break;
    p.push_back(argv[i]);
  }
  if (p.size() != 4) fail(usage);
  Args args(argc, argv, 2 + static_cast<int>(p.size()));
  if (!args.positional().empty()) fail("unexpected argument '" + args.positional()[0] + "'");
  auto net = load_network(p[0], 1);
  const int layers = static_cast<int>(net->layers.size());
  int n = 0;
  if (!parse_int(p[3], n) || n < 1 || n > layers)
    fail("N must be a whole number of layers from 1 to " + std::to_string(layers) + " (" + p[0] + " has " +
         std::to_string(layers) + "), got '" + p[3] + "'\n" + usage);
  WeightsInfo info;
  load_weights(*net, p[1], n, &info);
  if (info.loaded < info.expected)
    fail_at(p[1], 0, "holds the weights of " + std::to_string(info.loaded) + " layers, but the first " +
                         std::to_string(n) + " layers of " + p[0] + " have " + std::to_string(info.expected));
  net->seen = 0;
  save_weights(*net, p[2], n);
  std::printf("Wrote the weights of layers 0-%d of %s (%d layers with weights) to %s\n", n - 1, p[0].c_str(),
              info.loaded, p[2].c_str());
  return 0;
}

}  // namespace dn
