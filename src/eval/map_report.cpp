#include "eval/map_report.hpp"

#include <cstdarg>

#include "core/json.hpp"

namespace dn {

namespace {

void appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& out, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof buf) {
    out.append(buf, n);
    return;
  }
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  big.resize(n);
  out += big;
}

}  // namespace

std::string format_map(const MapResult& r, const MapOptions& opts) {
  std::string s;
  appendf(s, "\n detections_count = %d, unique_truth_count = %d  \n", r.detections, r.truths);
  for (const auto& c : r.classes)
    appendf(s, "class_id = %d, name = %s, ap = %2.2f%%   \t (TP = %d, FP = %d) \n", c.cls,
            c.name.c_str(), c.ap * 100, c.tp, c.fp);
  appendf(s, "\n for conf_thresh = %1.2f, precision = %1.2f, recall = %1.2f, F1-score = %1.2f \n",
          opts.thresh, r.precision, r.recall, r.f1);
  appendf(s, " for conf_thresh = %0.2f, TP = %d, FP = %d, FN = %d, average IoU = %2.2f %% \n",
          opts.thresh, r.tp, r.fp, r.fn, r.avg_iou * 100);
  appendf(s, "\n IoU threshold = %2.0f %%, ", opts.iou_thresh * 100);
  if (opts.points)
    appendf(s, "used %d Recall-points \n", opts.points);
  else
    appendf(s, "used Area-Under-Curve for each unique Recall \n");
  appendf(s, " mean average precision (mAP@%0.2f) = %f, or %2.2f %% \n", opts.iou_thresh, r.map50,
          r.map50 * 100);
  appendf(s, " mean average precision (mAP@0.50:0.95) = %f, or %2.2f %% \n", r.map_coco,
          r.map_coco * 100);
  appendf(s, " expected calibration error (ECE, 10 bins) = %f \n", r.ece);
  return s;
}

void print_map(std::FILE* out, const MapResult& r, const MapOptions& opts) {
  const std::string s = format_map(r, opts);
  std::fwrite(s.data(), 1, s.size(), out);
  std::fflush(out);
}

std::string map_to_json(const MapResult& r, const MapOptions& opts) {
  using json::number;
  std::string s = "{\n";
  s += "  \"thresh\": " + number(static_cast<double>(opts.thresh)) + ",\n";
  s += "  \"iou_thresh\": " + number(static_cast<double>(opts.iou_thresh)) + ",\n";
  s += "  \"points\": " + number(opts.points) + ",\n";
  s += "  \"num_images\": " + number(r.num_images) + ",\n";
  s += "  \"detections_count\": " + number(r.detections) + ",\n";
  s += "  \"unique_truth_count\": " + number(r.truths) + ",\n";
  s += "  \"classes\": [";
  for (size_t i = 0; i < r.classes.size(); ++i) {
    const auto& c = r.classes[i];
    s += i ? ",\n    " : "\n    ";
    s += "{\"class_id\": " + number(c.cls) + ", \"name\": " + json::quote(c.name) +
         ", \"ap\": " + number(c.ap) + ", \"tp\": " + number(c.tp) + ", \"fp\": " +
         number(c.fp) + ", \"truths\": " + number(c.truths) + "}";
  }
  s += r.classes.empty() ? "],\n" : "\n  ],\n";
  s += "  \"precision\": " + number(r.precision) + ",\n";
  s += "  \"recall\": " + number(r.recall) + ",\n";
  s += "  \"f1\": " + number(r.f1) + ",\n";
  s += "  \"tp\": " + number(r.tp) + ",\n";
  s += "  \"fp\": " + number(r.fp) + ",\n";
  s += "  \"fn\": " + number(r.fn) + ",\n";
  s += "  \"avg_iou\": " + number(r.avg_iou) + ",\n";
  s += "  \"map50\": " + number(r.map50) + ",\n";
  s += "  \"map_coco\": " + number(r.map_coco) + ",\n";
  s += "  \"map_per_iou\": [";
  for (size_t i = 0; i < r.map_per_iou.size(); ++i)
    s += (i ? ", " : "") + number(r.map_per_iou[i]);
  s += "],\n";
  s += "  \"ece\": " + number(r.ece) + ",\n";
  s += "  \"calibration\": [";
  for (size_t i = 0; i < r.calibration.size(); ++i) {
    const auto& b = r.calibration[i];
    s += i ? ",\n    " : "\n    ";
    s += "{\"count\": " + number(b.count) + ", \"confidence\": " + number(b.confidence) +
         ", \"accuracy\": " + number(b.accuracy) + "}";
  }
  s += r.calibration.empty() ? "]\n" : "\n  ]\n";
  s += "}\n";
  return s;
}

}  // namespace dn
