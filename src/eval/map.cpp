#include "eval/map.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <unordered_map>

#include "core/error.hpp"

namespace dn {

namespace {

// Truths grouped by (image, class): the only ones a detection may match.
using TruthGroups = std::unordered_map<int64_t, std::vector<int>>;

int64_t group_key(int image, int cls) {
  return (static_cast<int64_t>(image) << 32) | static_cast<uint32_t>(cls);
}

TruthGroups group_truths(const std::vector<EvalTruth>& truths) {
  TruthGroups groups;
  for (size_t i = 0; i < truths.size(); ++i)
    groups[group_key(truths[i].image, truths[i].cls)].push_back(static_cast<int>(i));
  return groups;
}

// Detection indices by score descending, ties in input order.
std::vector<int> rank_order(const std::vector<EvalDetection>& dets) {
  std::vector<int> order(dets.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return dets[a].score > dets[b].score; });
  return order;
}

std::vector<DetectionMatch> match_ranked(const std::vector<EvalDetection>& dets,
                                         const std::vector<EvalTruth>& truths,
                                         const std::vector<int>& order, const TruthGroups& groups,
                                         float iou_thresh, MatchRule rule) {
  std::vector<DetectionMatch> matches(dets.size());
  std::vector<char> taken(truths.size(), 0);
  const bool coco = rule == MatchRule::coco;
  for (int d : order) {
    auto it = groups.find(group_key(dets[d].image, dets[d].cls));
    if (it == groups.end()) continue;
    int best = -1;
    float best_iou = 0;
    for (int t : it->second) {
      if (coco && taken[t]) continue;  // COCO: only the free truths; Darknet: all of them
      float iou = box_iou(dets[d].box, truths[t].box);
      const bool enough = coco ? iou >= iou_thresh : iou > iou_thresh;
      if (enough && (best < 0 || iou > best_iou)) {
        best = t;
        best_iou = iou;
      }
    }
    if (best >= 0 && !taken[best]) {
      taken[best] = 1;
      matches[d] = {best, best_iou};
    }
  }
  return matches;
}

// AP of every class at one IoU threshold (per-class detections in rank order).
std::vector<double> class_aps(const std::vector<EvalDetection>& dets,
                              const std::vector<int>& order,
                              const std::vector<DetectionMatch>& matches,
                              const std::vector<int>& truths_per_class, int points) {
  const int num_classes = static_cast<int>(truths_per_class.size());
  std::vector<std::vector<bool>> flags(num_classes);
  for (int d : order) flags[dets[d].cls].push_back(matches[d].truth >= 0);
  std::vector<double> aps(num_classes);
  for (int c = 0; c < num_classes; ++c)
    aps[c] = average_precision(flags[c], truths_per_class[c], points);
  return aps;
}

double mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

void check_inputs(const std::vector<EvalDetection>& dets, const std::vector<EvalTruth>& truths,
                  int num_classes, const std::vector<std::string>& names,
                  const MapOptions& opts) {
  if (num_classes <= 0) fail("evaluate_map: num_classes must be positive, got " +
                             std::to_string(num_classes));
  if (!names.empty() && static_cast<int>(names.size()) < num_classes)
    fail("evaluate_map: " + std::to_string(names.size()) + " class names for " +
         std::to_string(num_classes) + " classes");
  if (opts.points < 0 || opts.points == 1)
    fail("evaluate_map: points must be 0 (all points) or >= 2, got " +
         std::to_string(opts.points));
  if (!(opts.iou_thresh > 0 && opts.iou_thresh <= 1))
    fail("evaluate_map: iou_thresh must be in (0, 1], got " + std::to_string(opts.iou_thresh));
  for (size_t i = 0; i < dets.size(); ++i) {
    const auto& d = dets[i];
    if (d.cls < 0 || d.cls >= num_classes)
      fail("evaluate_map: detection " + std::to_string(i) + " has class " +
           std::to_string(d.cls) + ", outside 0.." + std::to_string(num_classes - 1));
    if (d.image < 0)
      fail("evaluate_map: detection " + std::to_string(i) + " has a negative image index");
    if (std::isnan(d.score)) fail("evaluate_map: detection " + std::to_string(i) + " has a NaN score");
  }
  for (size_t i = 0; i < truths.size(); ++i) {
    const auto& t = truths[i];
    if (t.cls < 0 || t.cls >= num_classes)
      fail("evaluate_map: truth " + std::to_string(i) + " has class " + std::to_string(t.cls) +
           ", outside 0.." + std::to_string(num_classes - 1));
    if (t.image < 0) fail("evaluate_map: truth " + std::to_string(i) + " has a negative image index");
  }
}

}  // namespace

std::vector<DetectionMatch> match_detections(const std::vector<EvalDetection>& dets,
                                             const std::vector<EvalTruth>& truths,
                                             float iou_thresh, MatchRule rule) {
  return match_ranked(dets, truths, rank_order(dets), group_truths(truths), iou_thresh, rule);
}

double average_precision(const std::vector<bool>& tp, int truths, int points) {
  if (points < 0 || points == 1)
    fail("average_precision: points must be 0 or >= 2, got " + std::to_string(points));
  if (truths <= 0 || tp.empty()) return 0;
  const size_t n = tp.size();
  std::vector<double> precision(n), recall(n);
  int cum_tp = 0;
  for (size_t k = 0; k < n; ++k) {
    cum_tp += tp[k] ? 1 : 0;
    precision[k] = static_cast<double>(cum_tp) / static_cast<double>(k + 1);
    recall[k] = static_cast<double>(cum_tp) / static_cast<double>(truths);
  }
  // Monotone envelope, right to left: envelope[k] = max precision at rank k or later.
  std::vector<double> envelope(precision);
  for (size_t k = n - 1; k-- > 0;) envelope[k] = std::max(envelope[k], envelope[k + 1]);

  if (points == 0) {
    double ap = 0, prev_recall = 0;
    for (size_t k = 0; k < n; ++k) {
      ap += (recall[k] - prev_recall) * envelope[k];
      prev_recall = recall[k];
    }
    return ap;
  }
  // Recall is non-decreasing in rank, so "max precision at recall >= t" is the envelope at the
  // first rank whose recall reaches t.
  double sum = 0;
  size_t k = 0;
  for (int i = 0; i < points; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(points - 1);
    while (k < n && recall[k] < t) ++k;
    if (k == n) break;  // no rank reaches this recall, nor any larger one
    sum += envelope[k];
  }
  return sum / points;
}

double expected_calibration_error(const std::vector<EvalDetection>& dets,
                                  const std::vector<bool>& correct,
                                  std::vector<CalibrationBin>* bins_out) {
  constexpr int kBins = 10;
  if (correct.size() != dets.size())
    fail("expected_calibration_error: " + std::to_string(correct.size()) + " flags for " +
         std::to_string(dets.size()) + " detections");
  std::vector<double> conf_sum(kBins, 0), correct_sum(kBins, 0);
  std::vector<int> count(kBins, 0);
  for (size_t i = 0; i < dets.size(); ++i) {
    const double s = std::clamp(static_cast<double>(dets[i].score), 0.0, 1.0);
    const int b = std::min(static_cast<int>(s * kBins), kBins - 1);
    ++count[b];
    conf_sum[b] += s;
    correct_sum[b] += correct[i] ? 1 : 0;
  }
  double ece = 0;
  std::vector<CalibrationBin> bins(kBins);
  for (int b = 0; b < kBins; ++b) {
    if (count[b] == 0) continue;
    bins[b].count = count[b];
    bins[b].confidence = conf_sum[b] / count[b];
    bins[b].accuracy = correct_sum[b] / count[b];
    ece += static_cast<double>(count[b]) / static_cast<double>(dets.size()) *
           std::fabs(bins[b].accuracy - bins[b].confidence);
  }
  if (bins_out) *bins_out = std::move(bins);
  return ece;
}

MapResult evaluate_map(const std::vector<EvalDetection>& dets,
                       const std::vector<EvalTruth>& truths, int num_classes,
                       const std::vector<std::string>& names, const MapOptions& opts) {
  check_inputs(dets, truths, num_classes, names, opts);
  MapResult r;
  r.detections = static_cast<int>(dets.size());
  r.truths = static_cast<int>(truths.size());
  if (opts.num_images > 0) {
    r.num_images = opts.num_images;
  } else {
    for (const auto& d : dets) r.num_images = std::max(r.num_images, d.image + 1);
    for (const auto& t : truths) r.num_images = std::max(r.num_images, t.image + 1);
  }

  std::vector<int> truths_per_class(num_classes, 0);
  for (const auto& t : truths) ++truths_per_class[t.cls];
  const std::vector<int> order = rank_order(dets);
  const TruthGroups groups = group_truths(truths);

  // At opts.iou_thresh, Darknet's rule: AP per class, and the counts at the confidence threshold.
  // Because the matching visits detections by score, the detections above thresh are matched
  // exactly as if the others did not exist.
  const auto matches = match_ranked(dets, truths, order, groups, opts.iou_thresh, MatchRule::darknet);
  const auto aps = class_aps(dets, order, matches, truths_per_class, opts.points);
  r.classes.resize(num_classes);
  double iou_sum = 0;
  for (int c = 0; c < num_classes; ++c) {
    r.classes[c].cls = c;
    r.classes[c].name = names.empty() ? std::to_string(c) : names[c];
    r.classes[c].ap = aps[c];
    r.classes[c].truths = truths_per_class[c];
  }
  for (size_t d = 0; d < dets.size(); ++d) {
    if (!(dets[d].score > opts.thresh)) continue;
    auto& cr = r.classes[dets[d].cls];
    if (matches[d].truth >= 0) {
      ++cr.tp;
      iou_sum += matches[d].iou;
    } else {
      ++cr.fp;
    }
  }
  for (const auto& cr : r.classes) {
    r.tp += cr.tp;
    r.fp += cr.fp;
  }
  r.fn = r.truths - r.tp;
  r.precision = r.tp + r.fp > 0 ? static_cast<double>(r.tp) / (r.tp + r.fp) : 0;
  r.recall = r.truths > 0 ? static_cast<double>(r.tp) / r.truths : 0;
  r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0;
  r.avg_iou = r.tp > 0 ? iou_sum / r.tp : 0;
  r.map50 = mean(aps);

  std::vector<bool> correct(dets.size());
  for (size_t d = 0; d < dets.size(); ++d) correct[d] = matches[d].truth >= 0;
  r.ece = expected_calibration_error(dets, correct, &r.calibration);

  // COCO-style: IoU .50, .55, ..., .95, 101-point AP, mean over all classes at each.
  for (int k = 0; k < 10; ++k) {
    const float iou = static_cast<float>(0.50 + 0.05 * k);
    const auto m = match_ranked(dets, truths, order, groups, iou, MatchRule::coco);
    r.map_per_iou.push_back(mean(class_aps(dets, order, m, truths_per_class, 101)));
  }
  r.map_coco = mean(r.map_per_iou);
  return r;
}

}  // namespace dn
