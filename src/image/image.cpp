#include "image/image.hpp"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>

#include "core/error.hpp"
#include "core/fileio.hpp"

namespace dn {

Image make_image(int w, int h, int c, float fill) {
  if (w < 0 || h < 0 || c < 0) fail("make_image: negative size");
  Image im;
  im.w = w;
  im.h = h;
  im.c = c;
  im.data.assign(static_cast<size_t>(w) * h * c, fill);
  return im;
}

// The maxval of a binary PGM/PPM ("P5"/"P6") header, or -1 for any other file. Leaves the file
// at its start.
static long pnm_maxval(FILE* f) {
  char buf[256] = {0};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fseek(f, 0, SEEK_SET);
  if (n < 2 || buf[0] != 'P' || (buf[1] != '5' && buf[1] != '6')) return -1;
  size_t i = 2;
  long fields[3] = {0, 0, 0};  // width, height, maxval
  for (long& v : fields) {
    while (i < n && (std::isspace(static_cast<unsigned char>(buf[i])) || buf[i] == '#')) {
      if (buf[i] == '#')
        while (i < n && buf[i] != '\n') ++i;
      else
        ++i;
    }
    if (i >= n || !std::isdigit(static_cast<unsigned char>(buf[i]))) return -1;
    while (i < n && std::isdigit(static_cast<unsigned char>(buf[i])) && v < 1000000) v = v * 10 + (buf[i++] - '0');
  }
  return fields[2];
}

Image load_image(const std::string& path, int channels, int64_t max_pixels) {
  if (channels != 1 && channels != 3 && channels != 4)
    fail_at(path, 0, "cannot read image: unsupported channel count " + std::to_string(channels));
  fail_if_directory(path, "an image");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail_at(path, 0, std::string("cannot read image: ") + std::strerror(errno));
  std::fseek(f, 0, SEEK_END);
  long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  if (size == 0) {
    std::fclose(f);
    fail_at(path, 0, "cannot read image: empty file");
  }
  // 16-bit binary PGM/PPM: the stb_image of Debian 12 reads past its buffer on some (found by
  // fuzz/fuzz_image.cpp), so they are refused before it sees them.
  if (const long maxval = pnm_maxval(f); maxval > 255) {
    std::fclose(f);
    fail_at(path, 0, "cannot read image: 16-bit PGM/PPM (maxval " + std::to_string(maxval) +
                         ") is not supported: convert it to 8 bits or PNG");
  }
  int w = 0, h = 0, n = 0;
  const auto too_large = [&] { return static_cast<int64_t>(w) * h > max_pixels; };
  const auto fail_too_large = [&] {
    fail_at(path, 0, "cannot read image: " + std::to_string(w) + "x" + std::to_string(h) + " is " +
                         std::to_string((static_cast<int64_t>(w) * h + 500000) / 1000000) +
                         " megapixels, more than the limit of " + std::to_string(max_pixels / 1000000) +
                         " megapixels (downscale it)");
  };
  // The size from the header, before anything is allocated: one huge image must not take all the
  // memory (the float image alone needs 4 * channels bytes per pixel).
  if (stbi_info_from_file(f, &w, &h, &n) && too_large()) {
    std::fclose(f);
    fail_too_large();
  }
  unsigned char* pixels = stbi_load_from_file(f, &w, &h, &n, channels);
  std::fclose(f);
  if (!pixels) {
    const char* why = stbi_failure_reason();
    fail_at(path, 0, std::string("cannot read image: ") + (why ? why : "unknown error"));
  }
  // Again after decoding, for a file whose header stbi_info could not read.
  if (too_large()) {
    stbi_image_free(pixels);
    fail_too_large();
  }
  Image im;
  try {
    im = make_image(w, h, channels);
  } catch (const std::bad_alloc&) {
    stbi_image_free(pixels);
    fail_at(path, 0, "cannot read image: out of memory for its " + std::to_string(w) + "x" + std::to_string(h) + " pixels");
  }
  const size_t plane = static_cast<size_t>(w) * h;
  for (size_t i = 0; i < plane; ++i)
    for (int k = 0; k < channels; ++k)
      im.data[k * plane + i] = pixels[i * channels + k] / 255.0f;
  stbi_image_free(pixels);
  return im;
}

static std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext;
}

void save_image(const Image& im, const std::string& path, int jpeg_quality) {
  if (im.w <= 0 || im.h <= 0 || (im.c != 1 && im.c != 3 && im.c != 4))
    fail_at(path, 0, "cannot write image: bad image size " + std::to_string(im.w) + "x" +
                         std::to_string(im.h) + "x" + std::to_string(im.c));
  const std::string ext = lower_extension(path);
  if (ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".bmp" && ext != ".tga")
    fail_at(path, 0, "cannot write image: unknown extension '" + ext + "' (use .jpg, .png, .bmp or .tga)");

  const size_t plane = static_cast<size_t>(im.w) * im.h;
  std::vector<unsigned char> pixels(plane * im.c);
  for (size_t i = 0; i < plane; ++i)
    for (int k = 0; k < im.c; ++k) {
      float v = std::clamp(im.data[k * plane + i], 0.0f, 1.0f);
      pixels[i * im.c + k] = static_cast<unsigned char>(std::lround(v * 255.0f));
    }

  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  int ok = 0;
  if (ext == ".png")
    ok = stbi_write_png(tmp.c_str(), im.w, im.h, im.c, pixels.data(), im.w * im.c);
  else if (ext == ".bmp")
    ok = stbi_write_bmp(tmp.c_str(), im.w, im.h, im.c, pixels.data());
  else if (ext == ".tga")
    ok = stbi_write_tga(tmp.c_str(), im.w, im.h, im.c, pixels.data());
  else
    ok = stbi_write_jpg(tmp.c_str(), im.w, im.h, im.c, pixels.data(), std::clamp(jpeg_quality, 1, 100));
  if (!ok) {
    int err = errno;
    std::remove(tmp.c_str());
    fail_at(path, 0, std::string("cannot write image: ") + (err ? std::strerror(err) : "encoder failed"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    fail_at(path, 0, "cannot write image: " + ec.message());
  }
}

Image resize_image(const Image& im, int w, int h) {
  if (w <= 0 || h <= 0) fail("resize_image: bad target size " + std::to_string(w) + "x" + std::to_string(h));
  if (im.w <= 0 || im.h <= 0) fail("resize_image: empty source image");
  // Horizontal pass: im.w x im.h -> w x im.h.
  Image part = make_image(w, im.h, im.c);
  const float w_scale = w > 1 ? static_cast<float>(im.w - 1) / (w - 1) : 0.0f;
  for (int k = 0; k < im.c; ++k)
    for (int y = 0; y < im.h; ++y) {
      const float* src = &im.data[(static_cast<size_t>(k) * im.h + y) * im.w];
      float* dst = &part.data[(static_cast<size_t>(k) * im.h + y) * w];
      for (int x = 0; x < w; ++x) {
        if (x == w - 1 || im.w == 1) {
          dst[x] = src[im.w - 1];
          continue;
        }
        float sx = x * w_scale;
        int ix = static_cast<int>(sx);
        float dx = sx - ix;
        int ix1 = std::min(ix + 1, im.w - 1);
        dst[x] = (1 - dx) * src[ix] + dx * src[ix1];
      }
    }
  // Vertical pass: w x im.h -> w x h.
  Image out = make_image(w, h, im.c);
  const float h_scale = h > 1 ? static_cast<float>(im.h - 1) / (h - 1) : 0.0f;
  for (int k = 0; k < im.c; ++k)
    for (int y = 0; y < h; ++y) {
      float* dst = &out.data[(static_cast<size_t>(k) * h + y) * w];
      if (y == h - 1 || im.h == 1) {
        const float* src = &part.data[(static_cast<size_t>(k) * im.h + im.h - 1) * w];
        std::copy(src, src + w, dst);
        continue;
      }
      float sy = y * h_scale;
      int iy = static_cast<int>(sy);
      float dy = sy - iy;
      int iy1 = std::min(iy + 1, im.h - 1);
      const float* r0 = &part.data[(static_cast<size_t>(k) * im.h + iy) * w];
      const float* r1 = &part.data[(static_cast<size_t>(k) * im.h + iy1) * w];
      for (int x = 0; x < w; ++x) dst[x] = (1 - dy) * r0[x] + dy * r1[x];
    }
  return out;
}

LetterboxGeometry letterbox_geometry(int src_w, int src_h, int w, int h) {
  LetterboxGeometry g{};
  if (static_cast<float>(w) / src_w < static_cast<float>(h) / src_h) {
    g.new_w = w;
    g.new_h = std::max(1, src_h * w / src_w);
  } else {
    g.new_h = h;
    g.new_w = std::max(1, src_w * h / src_h);
  }
  g.dx = (w - g.new_w) / 2;
  g.dy = (h - g.new_h) / 2;
  return g;
}

Image letterbox_image(const Image& im, int w, int h) {
  if (w <= 0 || h <= 0) fail("letterbox_image: bad target size " + std::to_string(w) + "x" + std::to_string(h));
  if (im.w <= 0 || im.h <= 0) fail("letterbox_image: empty source image");
  LetterboxGeometry g = letterbox_geometry(im.w, im.h, w, h);
  Image resized = resize_image(im, g.new_w, g.new_h);
  Image boxed = make_image(w, h, im.c, 0.5f);
  embed_image(resized, boxed, g.dx, g.dy);
  return boxed;
}

float bilinear_sample(const Image& im, float x, float y, int ch) {
  int ix = static_cast<int>(std::floor(x));
  int iy = static_cast<int>(std::floor(y));
  float dx = x - ix, dy = y - iy;
  int x0 = std::clamp(ix, 0, im.w - 1), x1 = std::clamp(ix + 1, 0, im.w - 1);
  int y0 = std::clamp(iy, 0, im.h - 1), y1 = std::clamp(iy + 1, 0, im.h - 1);
  return (1 - dy) * ((1 - dx) * im.at(x0, y0, ch) + dx * im.at(x1, y0, ch)) +
         dy * ((1 - dx) * im.at(x0, y1, ch) + dx * im.at(x1, y1, ch));
}

void fill_image(Image& im, float value) { std::fill(im.data.begin(), im.data.end(), value); }

void flip_image(Image& im) {
  for (int k = 0; k < im.c; ++k)
    for (int y = 0; y < im.h; ++y) {
      float* row = &im.data[(static_cast<size_t>(k) * im.h + y) * im.w];
      std::reverse(row, row + im.w);
    }
}

void embed_image(const Image& src, Image& dst, int dx, int dy) {
  const int c = std::min(src.c, dst.c);
  const int x0 = std::max(0, -dx), x1 = std::min(src.w, dst.w - dx);
  const int y0 = std::max(0, -dy), y1 = std::min(src.h, dst.h - dy);
  if (x0 >= x1 || y0 >= y1) return;
  for (int k = 0; k < c; ++k)
    for (int y = y0; y < y1; ++y) {
      const float* s = &src.data[(static_cast<size_t>(k) * src.h + y) * src.w];
      float* d = &dst.data[(static_cast<size_t>(k) * dst.h + y + dy) * dst.w + dx];
      std::copy(s + x0, s + x1, d + x0);
    }
}

void clamp_image(Image& im) {
  for (auto& v : im.data) v = std::clamp(v, 0.0f, 1.0f);
}

static void require_rgb(const Image& im, const char* what) {
  if (im.c != 3) fail(std::string(what) + ": needs a 3-channel image, got " + std::to_string(im.c));
}

void rgb_to_hsv(Image& im) {
  require_rgb(im, "rgb_to_hsv");
  const size_t plane = static_cast<size_t>(im.w) * im.h;
  float* R = im.data.data();
  float* G = R + plane;
  float* B = G + plane;
  for (size_t i = 0; i < plane; ++i) {
    float r = R[i], g = G[i], b = B[i];
    float mx = std::max({r, g, b}), mn = std::min({r, g, b});
    float delta = mx - mn;
    float h = 0, s = 0, v = mx;
    if (mx > 0 && delta > 0) {
      s = delta / mx;
      if (r == mx)
        h = (g - b) / delta;
      else if (g == mx)
        h = 2 + (b - r) / delta;
      else
        h = 4 + (r - g) / delta;
      if (h < 0) h += 6;
      h /= 6;
    }
    R[i] = h;
    G[i] = s;
    B[i] = v;
  }
}

void hsv_to_rgb(Image& im) {
  require_rgb(im, "hsv_to_rgb");
  const size_t plane = static_cast<size_t>(im.w) * im.h;
  float* H = im.data.data();
  float* S = H + plane;
  float* V = S + plane;
  for (size_t i = 0; i < plane; ++i) {
    float h = 6 * H[i], s = S[i], v = V[i];
    float r, g, b;
    if (s == 0) {
      r = g = b = v;
    } else {
      float fl = std::floor(h);
      float f = h - fl;
      int index = static_cast<int>(fl) % 6;
      if (index < 0) index += 6;
      float p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
      switch (index) {
        case 0: r = v; g = t; b = p; break;
        case 1: r = q; g = v; b = p; break;
        case 2: r = p; g = v; b = t; break;
        case 3: r = p; g = q; b = v; break;
        case 4: r = t; g = p; b = v; break;
        default: r = v; g = p; b = q; break;
      }
    }
    H[i] = r;
    S[i] = g;
    V[i] = b;
  }
}

void distort_image(Image& im, float dhue, float dsat, float dexp) {
  rgb_to_hsv(im);
  const size_t plane = static_cast<size_t>(im.w) * im.h;
  float* H = im.data.data();
  float* S = H + plane;
  float* V = S + plane;
  for (size_t i = 0; i < plane; ++i) {
    float h = H[i] + dhue;
    if (h > 1) h -= 1;
    if (h < 0) h += 1;
    H[i] = h;
    S[i] *= dsat;
    V[i] *= dexp;
  }
  hsv_to_rgb(im);
  clamp_image(im);
}

}  // namespace dn
