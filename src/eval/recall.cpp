#include "eval/recall.hpp"

#include <algorithm>
#include <cstdio>

#include "core/error.hpp"

namespace dn {

std::vector<RecallLine> recall_statistics(const std::vector<EvalDetection>& dets,
                                          const std::vector<EvalTruth>& truths, int num_images,
                                          const RecallOptions& opts) {
  if (num_images < 0) fail("recall_statistics: negative number of images");
  std::vector<std::vector<int>> dets_of(num_images), truths_of(num_images);
  for (size_t i = 0; i < dets.size(); ++i) {
    if (dets[i].image < 0 || dets[i].image >= num_images)
      fail("recall_statistics: detection " + std::to_string(i) + " has image " +
           std::to_string(dets[i].image) + ", outside 0.." + std::to_string(num_images - 1));
    if (dets[i].score > opts.thresh) dets_of[dets[i].image].push_back(static_cast<int>(i));
  }
  for (size_t i = 0; i < truths.size(); ++i) {
    if (truths[i].image < 0 || truths[i].image >= num_images)
      fail("recall_statistics: truth " + std::to_string(i) + " has image " +
           std::to_string(truths[i].image) + ", outside 0.." + std::to_string(num_images - 1));
    truths_of[truths[i].image].push_back(static_cast<int>(i));
  }
  std::vector<RecallLine> lines;
  RecallLine run;
  double iou_sum = 0;
  for (int im = 0; im < num_images; ++im) {
    run.image = im;
    run.proposals += static_cast<int>(dets_of[im].size());
    for (int t : truths_of[im]) {
      ++run.total;
      float best = 0;
      for (int d : dets_of[im]) best = std::max(best, box_iou(dets[d].box, truths[t].box));
      iou_sum += best;
      if (best > opts.iou_thresh) ++run.correct;
    }
    run.rps_per_image = static_cast<double>(run.proposals) / (im + 1);
    run.avg_iou = run.total > 0 ? iou_sum / run.total : 0;
    run.recall = run.total > 0 ? static_cast<double>(run.correct) / run.total : 0;
    lines.push_back(run);
  }
  return lines;
}

std::string format_recall_line(const RecallLine& l) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%5d %5d %5d\tRPs/Img: %.2f\tIOU: %.2f%%\tRecall:%.2f%%", l.image,
                l.correct, l.total, l.rps_per_image, l.avg_iou * 100, l.recall * 100);
  return buf;
}

}  // namespace dn
