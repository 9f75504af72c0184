#pragma once
// An RGB raster with the few primitives charts need: rectangles, anti-aliased polylines, text in
// the stb_easy_font bitmap font, and PNG output (temporary file + rename).
#include <string>
#include <vector>

namespace dn::plot {

struct rgb {
  unsigned char r = 0, g = 0, b = 0;
  bool operator==(const rgb&) const = default;
};

// Pixel rectangle [x0, x1) x [y0, y1).
struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};
Rect intersect(const Rect& a, const Rect& b);

// A point in pixel coordinates (x right, y down); pixel (i, j) covers [i, i+1) x [j, j+1).
struct Point {
  double x = 0, y = 0;
};

class Canvas {
 public:
  Canvas(int width, int height, rgb background = {255, 255, 255});
  int width() const { return width_; }
  int height() const { return height_; }
  // RGB bytes, row by row, 3 * width * height.
  const std::vector<unsigned char>& pixels() const { return pixels_; }
  Rect bounds() const { return {0, 0, width_, height_}; }

  rgb at(int x, int y) const;
  void set(int x, int y, rgb c);                          // outside the canvas: ignored
  void blend(int x, int y, rgb c, double coverage);       // coverage in [0, 1]
  void fill_rect(const Rect& r, rgb c);
  void draw_rect(const Rect& r, rgb c);                   // 1-pixel outline inside r

  // A polyline `width` pixels wide through pts, anti-aliased and clipped to `clip`. A non-finite
  // point breaks the line. dash > 0 draws dashes and gaps of that many pixels. Overlapping
  // segments of one polyline do not darken each other (coverage is the maximum, blended once).
  void draw_polyline(const std::vector<Point>& pts, rgb c, double width, const Rect& clip,
                     double dash = 0);

  // Text in the stb_easy_font bitmap font (ASCII; other bytes print as '?'), `scale` pixels per
  // font pixel. Horizontal text has its top-left corner at (x, y). Vertical text reads bottom to
  // top, with the top-left corner of its unrotated box at (x, y) mapped to the bottom-left.
  void draw_text(double x, double y, const std::string& text, rgb c, double scale = 2,
                 bool vertical = false);

  // Writes a PNG: to a temporary file beside `path`, renamed over it. Throws dn::Error.
  void save_png(const std::string& path) const;

 private:
  int width_, height_;
  std::vector<unsigned char> pixels_;
};

// Size of a one-line text in pixels at `scale` (height includes descenders).
double text_width(const std::string& text, double scale = 2);
double text_height(double scale = 2);

}  // namespace dn::plot
