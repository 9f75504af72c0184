#pragma once
// Darknet-style YOLO training augmentation of one image and its boxes.
#include <vector>

#include "core/rng.hpp"
#include "data/labels.hpp"
#include "image/image.hpp"

namespace dn {

struct AugmentParams {
  int w = 416, h = 416;  // output size
  float jitter = .3f;    // each crop edge moves by up to jitter * image size, in or out
  float hue = .1f;       // hue shift in [-hue, hue] (fraction of the colour circle)
  float saturation = 1.5f, exposure = 1.5f;  // scaled by a factor in [1/s, s]
  bool flip = true;                          // left-right flip with probability .5
  bool letterbox = false;                    // keep the aspect ratio (grey bars instead of stretching)
  int max_boxes = 90;                        // keep at most this many boxes (a random subset)
};

// Crop window (in source pixels, edges may lie outside the image: the outside is 0.5 grey) of
// the source that becomes the whole output, and whether the output is mirrored.
struct AugmentGeometry {
  float x0, y0, w, h;
  bool flip;
};

// Draws the crop window: each edge of the source rectangle moves independently by a uniform
// amount in [-jitter, jitter] times the source size (this changes the aspect ratio, the scale and
// the placement at once). With letterbox, the window is widened or heightened (centred) to the
// output's aspect ratio so objects are scaled without distortion.
AugmentGeometry random_geometry(int src_w, int src_h, const AugmentParams& p, Rng& rng);

// Maps boxes through the geometry: clipped to the output, boxes left with less than one output
// pixel of width or height are dropped.
void transform_boxes(std::vector<LabelBox>& boxes, int src_w, int src_h, const AugmentGeometry& g,
                     int out_w, int out_h);

// Renders the crop window into out_w x out_h (bilinear, pixel-centre aligned), mirrored if g.flip.
Image render_geometry(const Image& src, const AugmentGeometry& g, int out_w, int out_h);

// The whole augmentation: random_geometry, render, boxes transformed, HSV jitter (hue shift
// in [-hue, hue], saturation and exposure scaled by a random factor in [1/s, s]), and at most
// max_boxes boxes kept. Output is p.w x p.h x src.c. boxes (relative to src) are replaced by boxes
// relative to the output.
Image augment_image(const Image& src, std::vector<LabelBox>& boxes, const AugmentParams& p, Rng& rng);

}  // namespace dn
