#include "apps/device_flags.hpp"

#include <cstdio>
#include <string>

#include "apps/args.hpp"
#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "network/device.hpp"

namespace dn {

void take_device_flags(Args& args) {
  const bool nogpu = args.flag("-nogpu");
  const int index = args.get_int("-i", -1);
  const std::string gpus = args.get_string("-gpus", "");
  int device = index;
  if (!gpus.empty()) {
    const std::string first = gpus.substr(0, gpus.find(','));
    int g;
    if (!parse_int(first, g) || g < 0) fail("flag -gpus needs a device index (or a comma list), got '" + gpus + "'");
    if (gpus.find(',') != std::string::npos)
      std::fprintf(stderr, "warning: -gpus %s: training on several GPUs is not supported, using GPU %d\n",
                   gpus.c_str(), g);
    if (device < 0) device = g;
  }
  if (index < -1) fail("flag -i needs a device index >= 0, got " + std::to_string(index));
  if (nogpu)
    device::request_cpu();
  else if (device >= 0)
    device::request_device(device);
}

}  // namespace dn
