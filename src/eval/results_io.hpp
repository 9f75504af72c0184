#pragma once
// Result files of `detector valid`: the VOC per-class text files and COCO's JSON list, and a
// reader for the VOC files (to re-score a `valid` run with evaluate_map).
#include <string>
#include <vector>

#include "eval/map.hpp"

namespace dn {

// One evaluated image: its id as written in the result files and its size in pixels (used to
// clamp boxes as Darknet does; 0 = unknown, no clamping).
struct ImageInfo {
  std::string id;
  int width = 0, height = 0;
};

inline constexpr const char* kVocResultPrefix = "comp4_det_test_";

// Darknet's image id: the file name without its directory and without everything from its
// first '.' ("data/img/a_01.jpg" -> "a_01").
std::string image_id_from_path(const std::string& path);

// COCO's numeric image id: the digits after the last '_' of `id` ("COCO_val2014_000000000042"
// -> 42), else the whole id when it is a number; `fallback` when neither parses.
int coco_image_id(const std::string& id, int fallback);

// The 80 Darknet COCO classes' category ids in the COCO annotations (1..90 with gaps).
const std::vector<int>& coco80_category_ids();

// Writes <dir>/<prefix><names[c]>.txt for every class c (empty files included), one line per
// detection with score > 0, in input order:
//   "image_id score xmin ymin xmax ymax"   ("%s %f %f %f %f %f")
// `dets` boxes are centre boxes in PIXELS of their image; the corners are 1-based like
// Darknet's (xmin = x - w/2 + 1, xmax = x + w/2 + 1), clamped to [1, width] x [1, height] when
// the image size is known. Each file is written atomically; throws dn::Error on failure or on
// an image/class index out of range.
void write_voc_results(const std::string& dir, const std::vector<std::string>& names,
                       const std::vector<ImageInfo>& images,
                       const std::vector<EvalDetection>& dets,
                       const std::string& prefix = kVocResultPrefix);

// Reads the files write_voc_results writes, for every class in `names`, back into detections:
// image = the index in `images` whose id matches, box = pixel centre box (inverse of the
// corner formula above), or relative to the image size when `relative_boxes` (needs the size).
// A missing file, a malformed line or an unknown image id throws dn::Error naming file:line.
std::vector<EvalDetection> read_voc_results(const std::string& dir,
                                            const std::vector<std::string>& names,
                                            const std::vector<ImageInfo>& images,
                                            bool relative_boxes = false,
                                            const std::string& prefix = kVocResultPrefix);

// Writes a COCO results list to `path` (atomically), one object per detection with score > 0:
//   {"image_id": N, "category_id": C, "bbox": [x, y, w, h], "score": S}
// bbox is the 0-based top-left corner and size in pixels, the corners clamped to the image
// when its size is known. image_id = coco_image_id(images[i].id, i); category_id =
// category_ids[cls], or cls itself when category_ids is empty.
void write_coco_results(const std::string& path, const std::vector<ImageInfo>& images,
                        const std::vector<EvalDetection>& dets,
                        const std::vector<int>& category_ids = {});

}  // namespace dn
