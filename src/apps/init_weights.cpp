// darknet init <cfg> <out.weights> [-seed N]
// Writes the seeded from-scratch initial weights of a cfg (what `detector train` starts from
// without a weights file), so that several trainings can start from the very same weights.
#include <climits>
#include <cstdio>

#include "apps/apps.hpp"
#include "apps/args.hpp"
#include "core/error.hpp"
#include "layers/convolutional.hpp"
#include "layers/yolo.hpp"
#include "network/network.hpp"
#include "train/init.hpp"

namespace dn {

int init_weights(int argc, char** argv) {
  std::vector<std::string> p;
  for (int i = 2; i < argc && argv[i][0] != '-'; ++i) p.push_back(argv[i]);
  if (p.size() != 2) fail("usage: darknet init <cfg> <out.weights> [-seed N]");
  Args args(argc, argv, 2 + static_cast<int>(p.size()));
  int seed = args.get_int_in("-seed", 0, 0, INT_MAX);
  if (!args.positional().empty()) fail("unexpected argument '" + args.positional()[0] + "'");
  auto net = load_network(p[0], 1);
  init_network_weights(*net, static_cast<uint64_t>(seed));
  save_weights(*net, p[1]);
  std::printf("Wrote the initial weights of %s (seed %d) to %s\n", p[0].c_str(), seed, p[1].c_str());
  return 0;
}

}  // namespace dn
