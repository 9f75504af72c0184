#pragma once
// Images as Darknet keeps them: float, planar CHW (all of channel 0, then channel 1 ...),
// values in [0, 1], channel order R, G, B.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dn {

struct Image {
  int w = 0, h = 0, c = 0;
  std::vector<float> data;  // [c][h][w]

  // Unchecked access; (x, y) in pixels, ch the channel.
  float& at(int x, int y, int ch) { return data[(static_cast<size_t>(ch) * h + y) * w + x]; }
  float at(int x, int y, int ch) const { return data[(static_cast<size_t>(ch) * h + y) * w + x]; }
  bool empty() const { return data.empty(); }
};

Image make_image(int w, int h, int c, float fill = 0);

// The largest image load_image decodes, in pixels (width x height): 67,108,864, e.g. 8192x8192.
// The size is read from the file's header before anything is allocated (an image this size
// already takes about 1 GB as floats).
constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

// Decodes with stb_image (jpg, png, bmp, tga, gif, ppm ...). channels: 1 (grey), 3 (RGB) or 4 (RGBA);
// the file's own channel count is converted. Throws dn::Error "path: cannot read image: <reason>"
// (also for an image larger than max_pixels, and "path: is a directory, not an image").
// max_pixels below kMaxImagePixels is for callers that must bound their time, such as the fuzzer
// (fuzz/fuzz_image.cpp): a 40-byte header of several formats (HDR, TGA, BMP, PGM) decodes to a
// full-size image of zeros, which takes seconds to decode and convert in a sanitizer build.
Image load_image(const std::string& path, int channels = 3, int64_t max_pixels = kMaxImagePixels);
// Format from the extension (.jpg/.jpeg, .png, .bmp, .tga; any case). Values are clamped to [0, 1]
// and rounded to 8 bits. Written to a temporary name beside the target and renamed over it, so a
// reader never sees a half-written file. Throws dn::Error naming the path on failure.
void save_image(const Image& im, const std::string& path, int jpeg_quality = 90);

// Darknet's bilinear resize: separable (horizontal pass, then vertical), with source sample
// position x_src = x_dst * (src_w - 1) / (dst_w - 1) (corners map onto corners), same in y.
Image resize_image(const Image& im, int w, int h);
// Keep the aspect ratio: resize so the image fits in w x h, centred on a canvas filled with 0.5.
// The resized size is (w, src_h * w / src_w) or (src_w * h / src_h, h) in integer arithmetic, and
// the offset ((w - new_w) / 2, (h - new_h) / 2), as in Darknet.
Image letterbox_image(const Image& im, int w, int h);
// Geometry of letterbox_image without doing it: resized size and offset of the content.
struct LetterboxGeometry {
  int new_w, new_h, dx, dy;
};
LetterboxGeometry letterbox_geometry(int src_w, int src_h, int w, int h);

// Bilinear sample at continuous pixel coordinates (pixel centres at integers), edges extended.
float bilinear_sample(const Image& im, float x, float y, int ch);

void fill_image(Image& im, float value);
void flip_image(Image& im);  // mirror left-right in place
// Copies src into dst with src's (0,0) at (dx, dy); parts outside dst are dropped.
void embed_image(const Image& src, Image& dst, int dx, int dy);
void clamp_image(Image& im);  // clamp every value into [0, 1]

// In place, on 3-channel images. HSV as Darknet stores it: H in [0, 1) (a fraction of the circle),
// S and V in [0, 1].
void rgb_to_hsv(Image& im);
void hsv_to_rgb(Image& im);
// Darknet's colour jitter: hue shifted by dhue (wrapping), saturation times dsat, value times dexp,
// then clamped to [0, 1].
void distort_image(Image& im, float dhue, float dsat, float dexp);

}  // namespace dn
