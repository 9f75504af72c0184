#include "plot/canvas.hpp"

// stb_easy_font is header-only (every function static, no IMPLEMENTATION macro); we use part of it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop
#include <stb/stb_image_write.h>  // declarations only: the implementation is compiled in libstb

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/fileio.hpp"

namespace dn::plot {

namespace {

// stb_easy_font indexes a table by (char - 32): keep to printable ASCII.
std::string printable(const std::string& s) {
  std::string out = s;
  for (char& ch : out)
    if (ch < 32 || ch > 126) ch = '?';
  return out;
}

// The glyph rectangles of `text` in font units (one font pixel = 1), origin at the top-left.
struct FontRect {
  float x0, y0, x1, y1;
};
std::vector<FontRect> glyph_rects(const std::string& text) {
  std::string s = printable(text);
  // stb_easy_font emits 4 vertices of 16 bytes per quad; ~270 bytes per character on average.
  std::vector<char> vbuf(s.size() * 1200 + 64);
  int quads = stb_easy_font_print(0, 0, s.data(), nullptr, vbuf.data(), static_cast<int>(vbuf.size()));
  std::vector<FontRect> rects;
  rects.reserve(quads);
  for (int q = 0; q < quads; ++q) {
    FontRect r{1e30f, 1e30f, -1e30f, -1e30f};
    for (int v = 0; v < 4; ++v) {
      const float* xyz = reinterpret_cast<const float*>(vbuf.data() + (q * 4 + v) * 16);
      r.x0 = std::min(r.x0, xyz[0]);
      r.x1 = std::max(r.x1, xyz[0]);
      r.y0 = std::min(r.y0, xyz[1]);
      r.y1 = std::max(r.y1, xyz[1]);
    }
    rects.push_back(r);
  }
  return rects;
}

}  // namespace

Rect intersect(const Rect& a, const Rect& b) {
  return {std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
}

Canvas::Canvas(int width, int height, rgb background) : width_(width), height_(height) {
  if (width <= 0 || height <= 0)
    fail("canvas size must be positive, got " + std::to_string(width) + "x" + std::to_string(height));
  pixels_.resize(static_cast<size_t>(width) * height * 3);
  fill_rect(bounds(), background);
}

rgb Canvas::at(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return {};
  const unsigned char* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  return {p[0], p[1], p[2]};
}

void Canvas::set(int x, int y, rgb c) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  unsigned char* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void Canvas::blend(int x, int y, rgb c, double coverage) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_ || !(coverage > 0)) return;
  double a = std::min(coverage, 1.0);
  unsigned char* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  const unsigned char src[3] = {c.r, c.g, c.b};
  for (int k = 0; k < 3; ++k) p[k] = static_cast<unsigned char>(std::lround(p[k] + a * (src[k] - p[k])));
}

void Canvas::fill_rect(const Rect& r, rgb c) {
  Rect q = intersect(r, bounds());
  for (int y = q.y0; y < q.y1; ++y)
    for (int x = q.x0; x < q.x1; ++x) set(x, y, c);
}

void Canvas::draw_rect(const Rect& r, rgb c) {
  if (r.empty()) return;
  fill_rect({r.x0, r.y0, r.x1, r.y0 + 1}, c);
  fill_rect({r.x0, r.y1 - 1, r.x1, r.y1}, c);
  fill_rect({r.x0, r.y0, r.x0 + 1, r.y1}, c);
  fill_rect({r.x1 - 1, r.y0, r.x1, r.y1}, c);
}

void Canvas::draw_polyline(const std::vector<Point>& pts, rgb c, double width, const Rect& clip,
                           double dash) {
  Rect cr = intersect(clip, bounds());
  if (cr.empty() || pts.size() < 2) return;
  const double r = std::max(width, 0.5) / 2;
  std::vector<float> cov(static_cast<size_t>(cr.width()) * cr.height(), 0.0f);
  double along = 0;  // arc length at the start of the segment, for dashes
  for (size_t i = 1; i < pts.size(); ++i) {
    Point a = pts[i - 1], b = pts[i];
    if (!std::isfinite(a.x) || !std::isfinite(a.y) || !std::isfinite(b.x) || !std::isfinite(b.y))
      continue;
    double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy, len = std::sqrt(len2);
    double bx0 = std::min(a.x, b.x) - r - 1, bx1 = std::max(a.x, b.x) + r + 1;
    double by0 = std::min(a.y, b.y) - r - 1, by1 = std::max(a.y, b.y) + r + 1;
    int x0 = static_cast<int>(std::max<double>(cr.x0, std::floor(bx0)));
    int x1 = static_cast<int>(std::min<double>(cr.x1, std::ceil(bx1)));
    int y0 = static_cast<int>(std::max<double>(cr.y0, std::floor(by0)));
    int y1 = static_cast<int>(std::min<double>(cr.y1, std::ceil(by1)));
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        double px = x + 0.5 - a.x, py = y + 0.5 - a.y;
        double t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0, 1.0) : 0.0;
        double ex = px - t * dx, ey = py - t * dy;
        double v = std::clamp(r + 0.5 - std::sqrt(ex * ex + ey * ey), 0.0, 1.0);
        if (v <= 0) continue;
        if (dash > 0 && std::fmod(along + t * len, 2 * dash) > dash) continue;
        float& cell = cov[static_cast<size_t>(y - cr.y0) * cr.width() + (x - cr.x0)];
        cell = std::max(cell, static_cast<float>(v));
      }
    }
    along += len;
  }
  for (int y = cr.y0; y < cr.y1; ++y)
    for (int x = cr.x0; x < cr.x1; ++x) {
      float v = cov[static_cast<size_t>(y - cr.y0) * cr.width() + (x - cr.x0)];
      if (v > 0) blend(x, y, c, v);
    }
}

void Canvas::draw_text(double x, double y, const std::string& text, rgb c, double scale,
                       bool vertical) {
  for (const FontRect& f : glyph_rects(text)) {
    double rx0, rx1, ry0, ry1;
    if (!vertical) {
      rx0 = x + f.x0 * scale;
      rx1 = x + f.x1 * scale;
      ry0 = y + f.y0 * scale;
      ry1 = y + f.y1 * scale;
    } else {  // rotated 90 degrees counter-clockwise: font (u, v) -> (x + v, y - u)
      rx0 = x + f.y0 * scale;
      rx1 = x + f.y1 * scale;
      ry0 = y - f.x1 * scale;
      ry1 = y - f.x0 * scale;
    }
    fill_rect({static_cast<int>(std::lround(rx0)), static_cast<int>(std::lround(ry0)),
               static_cast<int>(std::lround(rx1)), static_cast<int>(std::lround(ry1))},
              c);
  }
}

void Canvas::save_png(const std::string& path) const {
  std::string png;
  auto append = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size);
  };
  if (!stbi_write_png_to_func(append, &png, width_, height_, 3, pixels_.data(), width_ * 3))
    fail(path + ": cannot encode PNG");
  write_text_file_atomic(path, png);
}

double text_width(const std::string& text, double scale) {
  std::string s = printable(text);
  // The last character's advance includes its trailing gap of one font pixel.
  return s.empty() ? 0 : (stb_easy_font_width(s.data()) - 1) * scale;
}

double text_height(double scale) { return 9 * scale; }

}  // namespace dn::plot
