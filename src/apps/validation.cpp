#include "apps/validation.hpp"

#include <cstdio>

#include "cfg/data_file.hpp"
#include "core/error.hpp"
#include "data/labels.hpp"
#include "layers/weights_io.hpp"

namespace dn {

ValidationData run_validation(Detector& det, const std::string& list_path, int classes, float thresh, float nms,
                              bool quiet) {
  ValidationData v;
  std::vector<std::string> all = read_image_list(list_path, dirname_of(list_path));
  if (all.empty()) fail_at(list_path, 0, "the image list is empty");
  BadList bad("bad.list");
  for (const std::string& path : all) {
    Image im;
    try {
      im = load_image(path, 3);
    } catch (const Error& e) {
      bad.report(path, 0, e.what());
      continue;
    }
    const int idx = static_cast<int>(v.paths.size());
    v.paths.push_back(path);
    v.images.push_back({image_id_from_path(path), im.w, im.h});
    for (const LabelBox& lb : read_labels(label_path_for(path), classes, &bad)) v.truths.push_back({idx, lb.cls, lb.box});
    for (const Detection& d : det.detect(im, thresh, nms)) {
      v.boxes.push_back({idx, 0, d.objectness, d.bbox});
      for (int k = 0; k < static_cast<int>(d.prob.size()); ++k)
        if (d.prob[k] > 0) v.dets.push_back({idx, k, d.prob[k], d.bbox});
    }
    if (!quiet && (idx + 1) % 100 == 0) std::fprintf(stderr, "%d images\n", idx + 1);
  }
  if (v.paths.empty()) fail_at(list_path, 0, "no readable image in the list");
  return v;
}

void copy_weights(const Network& from, Network& to) {
  if (from.layers.size() != to.layers.size()) fail("copy_weights: networks differ");
  for (size_t i = 0; i < from.layers.size(); ++i) {
    if (!from.layers[i]->has_weights()) continue;
    WeightWriter w;
    from.layers[i]->write_weights(w);
    WeightReader r("(in memory)", std::move(w.bytes()), 0);
    to.layers[i]->read_weights(r);
  }
  to.seen = from.seen;
  ++to.weights_version;
}

}  // namespace dn
