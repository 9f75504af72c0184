#include "image/draw.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace dn {

static void set_colour(Image& im, int x, int y, float r, float g, float b) {
  const float rgb[3] = {r, g, b};
  for (int k = 0; k < im.c && k < 3; ++k) im.at(x, y, k) = im.c == 1 ? r : rgb[k];
}

// Fills [x0, x1) x [y0, y1), clipped to the image and to the clip rectangle.
static void fill_rect(Image& im, int x0, int y0, int x1, int y1, float r, float g, float b,
                      int cx0 = 0, int cy0 = 0, int cx1 = 1 << 30, int cy1 = 1 << 30) {
  x0 = std::max({x0, 0, cx0});
  y0 = std::max({y0, 0, cy0});
  x1 = std::min({x1, im.w, cx1});
  y1 = std::min({y1, im.h, cy1});
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) set_colour(im, x, y, r, g, b);
}

void draw_box(Image& im, int x1, int y1, int x2, int y2, float r, float g, float b, int thickness) {
  if (x1 > x2) std::swap(x1, x2);
  if (y1 > y2) std::swap(y1, y2);
  thickness = std::max(1, thickness);
  for (int i = 0; i < thickness; ++i) {
    int l = x1 + i, t = y1 + i, rr = x2 - i, bb = y2 - i;
    if (l > rr || t > bb) break;
    fill_rect(im, l, t, rr + 1, t + 1, r, g, b);    // top
    fill_rect(im, l, bb, rr + 1, bb + 1, r, g, b);  // bottom
    fill_rect(im, l, t, l + 1, bb + 1, r, g, b);    // left
    fill_rect(im, rr, t, rr + 1, bb + 1, r, g, b);  // right
  }
}

// stb_easy_font indexes a table by (char - 32): keep printable ASCII on one line.
static std::string printable(const std::string& text) {
  std::string s;
  s.reserve(text.size());
  for (char ch : text) {
    unsigned char u = static_cast<unsigned char>(ch);
    s.push_back(u >= 32 && u < 127 ? ch : (ch == '\n' || ch == '\t' ? ' ' : '?'));
  }
  return s;
}

static int font_scale(const Image& im) { return 1 + std::min(im.w, im.h) / 600; }

constexpr int kPad = 2;          // font units of padding left and right
constexpr int kLineHeight = 12;  // stb_easy_font's line advance

LabelSize label_size(const Image& im, const std::string& text) {
  std::string s = printable(text);
  const int scale = font_scale(im);
  return {(stb_easy_font_width(s.data()) + 2 * kPad) * scale, kLineHeight * scale};
}

void draw_label(Image& im, int x, int y, const std::string& text, float r, float g, float b) {
  std::string s = printable(text);
  const int scale = font_scale(im);
  const LabelSize size = label_size(im, text);
  const int bx1 = x + size.w, by1 = y + size.h;
  fill_rect(im, x, y, bx1, by1, r, g, b);

  const float luminance = 0.299f * r + 0.587f * g + 0.114f * b;
  const float ink = luminance > 0.5f ? 0.0f : 1.0f;
  // Each quad is 4 vertices of {float x, y, z; uint8 rgba[4]} (16 bytes), axis-aligned.
  std::vector<char> buffer(s.size() * 400 + 64);
  int quads = stb_easy_font_print(kPad, 1, s.data(), nullptr, buffer.data(), static_cast<int>(buffer.size()));
  for (int q = 0; q < quads; ++q) {
    float xs[4], ys[4];
    for (int v = 0; v < 4; ++v) {
      const char* vert = buffer.data() + (q * 4 + v) * 16;
      std::memcpy(&xs[v], vert, sizeof(float));
      std::memcpy(&ys[v], vert + 4, sizeof(float));
    }
    const float qx0 = *std::min_element(xs, xs + 4), qx1 = *std::max_element(xs, xs + 4);
    const float qy0 = *std::min_element(ys, ys + 4), qy1 = *std::max_element(ys, ys + 4);
    fill_rect(im, x + static_cast<int>(std::lround(qx0 * scale)), y + static_cast<int>(std::lround(qy0 * scale)),
              x + static_cast<int>(std::lround(qx1 * scale)), y + static_cast<int>(std::lround(qy1 * scale)),
              ink, ink, ink, x, y, bx1, by1);
  }
}

void get_class_colour(int cls, int num_classes, float rgb[3]) {
  // Darknet's colour ramp, stored as (b, g, r): magenta, red, yellow, green, cyan, blue.
  static const float ramp[6][3] = {{1, 0, 1}, {0, 0, 1}, {0, 1, 1}, {0, 1, 0}, {1, 1, 0}, {1, 0, 0}};
  if (num_classes <= 0) num_classes = 1;
  const int64_t offset = (static_cast<int64_t>(std::max(cls, 0)) * 123457) % num_classes;
  float pos = static_cast<float>(offset) / num_classes * 5;
  const int i = static_cast<int>(std::floor(pos)), j = static_cast<int>(std::ceil(pos));
  pos -= i;
  for (int k = 0; k < 3; ++k) {
    const int table_col = 2 - k;  // rgb[0] (red) comes from the table's third column
    rgb[k] = (1 - pos) * ramp[i][table_col] + pos * ramp[j][table_col];
  }
}

}  // namespace dn
