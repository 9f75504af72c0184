#include "apps/cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "apps/apps.hpp"
#include "cfg/data_file.hpp"
#include "core/error.hpp"
#include "plot/loss_plot.hpp"

namespace dn {

std::string find_data_file(const std::string& name) {
  std::string local = "data/" + name;
  if (file_exists(local)) return local;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = 0;
    std::string dir = dirname_of(exe);
    for (const std::string& cand : {dir + "/data/" + name, dir + "/../data/" + name})
      if (file_exists(cand)) return cand;
  }
  fail("cannot find data/" + name + " (run from the project folder)");
}

static void usage() {
  std::fprintf(stderr,
               "usage: darknet <command> ...\n"
               "  detector test <data> <cfg> <weights> [image...] [-thresh t] [-nms t] [-ext_output] [-out result.json] [-dont_show]\n"
               "  detector demo <data> <cfg> <weights> [video | -c N] [-thresh t] [-out_filename out.avi|out.mp4] [-dont_show] [-prefix P] [-benchmark] [-ext_output]\n"
               "  detector train <data> <cfg> [weights] [-clear] [-dont_show] [-seed N] [-iterations N]\n"
               "  detector map <data> <cfg> <weights> [-thresh .25] [-iou_thresh .5] [-points 0|N] [-out map.json]\n"
               "  detector valid <data> <cfg> <weights>\n"
               "  detector recall <data> <cfg> <weights>\n"
               "  detector calc_anchors <data> [-num_of_clusters 9] [-width 416] [-height 416]\n"
               "  detect <cfg> <weights> [image...]\n"
               "  loss_plot [-out loss_shape.png] [-csv losses.csv]\n"
               "  init <cfg> <out.weights> [-seed N]   (seeded from-scratch initial weights)\n"
               "  partial <cfg> <weights> <out.weights> <N>   (the first N layers: a backbone file)\n");
}

int run_cli(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 1;
  }
  std::string cmd = argv[1];
  try {
    if (cmd == "detector") {
      if (argc < 3) {
        usage();
        return 1;
      }
      std::string sub = argv[2];
      if (sub == "test") return detector_test(argc, argv);
      if (sub == "demo") return detector_demo(argc, argv);
      if (sub == "train") return detector_train(argc, argv);
      if (sub == "map") return detector_map(argc, argv);
      if (sub == "valid") return detector_valid(argc, argv);
      if (sub == "recall") return detector_recall(argc, argv);
      if (sub == "calc_anchors") return calc_anchors(argc, argv);
      fail("unknown detector command " + quote_input(sub));
    }
    if (cmd == "detect") return detect_coco(argc, argv);
    if (cmd == "loss_plot") return run_loss_plot(argc, argv);
    if (cmd == "init") return init_weights(argc, argv);
    if (cmd == "partial") return partial_weights(argc, argv);
    usage();
    fail("unknown command " + quote_input(cmd));
  } catch (const Error& e) {
    std::fprintf(stderr, "darknet: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "darknet: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "darknet: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace dn
