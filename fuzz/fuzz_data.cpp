// The .data and .names readers.
#include <cstddef>
#include <cstdint>

#include "cfg/data_file.hpp"
#include "core/error.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = dn::fuzz::input_file("data", ".data", data, size);
  try {
    dn::DataConfig d = dn::read_data_file(path);
  } catch (const dn::Error&) {
  }
  try {
    auto names = dn::read_names(path);
  } catch (const dn::Error&) {
  }
  return 0;
}
