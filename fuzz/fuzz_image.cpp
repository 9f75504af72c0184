// The image decoder (stb_image through dn::load_image: JPEG, PNG, BMP, ...), then the resizing
// that every detection applies.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "fuzz_common.hpp"
#include "image/image.hpp"

// Images up to 4 megapixels instead of the 67 of a real run. A 40-byte header of several formats
// (HDR, TGA, BMP, PGM) decodes to a full-size image of zeros: at 67 megapixels one such input
// takes 4-8 s in this ASan/UBSan build (the HDR one 7.6 s on an Intel Xeon), past the 10 s timeout
// on a slower machine. That is the work the image asks for, not a hang; the code paths are the
// same at 4 megapixels.
constexpr int64_t kFuzzMaxPixels = int64_t{1} << 22;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = dn::fuzz::input_file("image", ".img", data, size);
  try {
    dn::Image im = dn::load_image(path, 3, kFuzzMaxPixels);
    dn::Image sized = dn::letterbox_image(im, 32, 32);
  } catch (const dn::Error&) {
  }
  return 0;
}
