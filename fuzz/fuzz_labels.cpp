// The label-file reader ("class x y w h" lines) and the image-list reader.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "data/labels.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = dn::fuzz::input_file("labels", ".txt", data, size);
  try {
    auto boxes = dn::read_labels(path, 3, nullptr);
  } catch (const dn::Error&) {
  }
  try {
    auto list = dn::read_image_list(path, "/tmp");
  } catch (const dn::Error&) {
  }
  return 0;
}
