// The image decoder (stb_image through dn::load_image: JPEG, PNG, BMP, ...), then the resizing
// that every detection applies.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "fuzz_common.hpp"
#include "image/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = dn::fuzz::input_file("image", ".img", data, size);
  try {
    dn::Image im = dn::load_image(path, 3);
    dn::Image sized = dn::letterbox_image(im, 32, 32);
  } catch (const dn::Error&) {
  }
  return 0;
}
