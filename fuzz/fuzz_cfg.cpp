// The .cfg reader and the network builder: any bytes must give a network or a dn::Error, never a
// crash, a sanitizer report, a hang or a huge allocation (libFuzzer's -rss_limit_mb).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "network/network.hpp"

// The network's memory is checked against DN_MEMORY_LIMIT_MB before anything is allocated: 1 GiB
// keeps every accepted cfg under libFuzzer's 2 GB limit, so an out-of-memory here means the
// estimate missed an allocation (a real finding).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("DN_MEMORY_LIMIT_MB", "1024", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    dn::CfgFile cfg = dn::parse_cfg_text(text, "fuzz.cfg");
    auto net = dn::build_network(cfg, 1);
  } catch (const dn::Error&) {
  }
  return 0;
}
