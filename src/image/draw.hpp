#pragma once
// Drawing detections: boxes, labels, per-class colours.
#include <string>

#include "image/image.hpp"

namespace dn {

// Rectangle outline with corners (x1, y1), (x2, y2) (inclusive, any order), `thickness` pixels
// growing inwards, clipped to the image. Grey images take r.
void draw_box(Image& im, int x1, int y1, int x2, int y2, float r, float g, float b, int thickness);

// Size in pixels of the label draw_label would draw for `text` on `im` (its font scale follows the
// image size: 1 below 600 pixels on the short side, then 1 more per 600).
struct LabelSize {
  int w, h;
};
LabelSize label_size(const Image& im, const std::string& text);

// A filled rectangle of colour (r, g, b) with its top-left corner at (x, y) and size label_size(),
// clipped to the image, with `text` in black or white (whichever contrasts with the fill).
// Pixels outside that rectangle are untouched.
void draw_label(Image& im, int x, int y, const std::string& text, float r, float g, float b);

// Distinct colours for classes: spread over a purple-blue-cyan-green-yellow-red ramp by a
// scrambled index, as Darknet does, so neighbouring class ids do not get similar colours.
void get_class_colour(int cls, int num_classes, float rgb[3]);

}  // namespace dn
