#include "apps/cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "apps/apps.hpp"
#include "cfg/data_file.hpp"
#include "core/error.hpp"

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
               "  detector test <data> <cfg> <weights> [image] [-thresh t] [-ext_output] [-out result.json] [-dont_show]\n"
               "  detect <cfg> <weights> [image]\n");
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
      fail("unknown detector command '" + sub + "'");
    }
    if (cmd == "detect") return detect_coco(argc, argv);
    usage();
    fail("unknown command '" + cmd + "'");
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
