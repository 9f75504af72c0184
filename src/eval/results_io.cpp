#include "eval/results_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <unordered_map>

#include "core/error.hpp"
#include "core/fileio.hpp"
#include "core/json.hpp"

namespace dn {

namespace {

void check_detection(const EvalDetection& d, size_t i, size_t num_images, size_t num_classes,
                     const char* who) {
  if (d.image < 0 || static_cast<size_t>(d.image) >= num_images)
    fail(std::string(who) + ": detection " + std::to_string(i) + " has image " +
         std::to_string(d.image) + ", but there are " + std::to_string(num_images) + " images");
  if (d.cls < 0 || static_cast<size_t>(d.cls) >= num_classes)
    fail(std::string(who) + ": detection " + std::to_string(i) + " has class " +
         std::to_string(d.cls) + ", but there are " + std::to_string(num_classes) + " classes");
}

std::string join_path(const std::string& dir, const std::string& file) {
  if (dir.empty()) return file;
  return dir.back() == '/' ? dir + file : dir + "/" + file;
}

}  // namespace

std::string image_id_from_path(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.find('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

int coco_image_id(const std::string& id, int fallback) {
  auto parse = [](const std::string& s, int* out) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    const size_t first = std::min(s.find_first_not_of('0'), s.size());  // leading zeros are fine
    if (s.size() - first > 9) return false;  // would overflow an int
    *out = std::atoi(s.c_str() + first);
    return true;
  };
  int v = 0;
  size_t us = id.find_last_of('_');
  if (us != std::string::npos && parse(id.substr(us + 1), &v)) return v;
  if (parse(id, &v)) return v;
  return fallback;
}

const std::vector<int>& coco80_category_ids() {
  static const std::vector<int> ids = {
      1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
      46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
      67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};
  return ids;
}

void write_voc_results(const std::string& dir, const std::vector<std::string>& names,
                       const std::vector<ImageInfo>& images,
                       const std::vector<EvalDetection>& dets, const std::string& prefix) {
  std::vector<std::string> files(names.size());
  char line[512];
  for (size_t i = 0; i < dets.size(); ++i) {
    const auto& d = dets[i];
    check_detection(d, i, images.size(), names.size(), "write_voc_results");
    if (!(d.score > 0)) continue;
    const ImageInfo& im = images[d.image];
    float xmin = d.box.x - d.box.w / 2 + 1, xmax = d.box.x + d.box.w / 2 + 1;
    float ymin = d.box.y - d.box.h / 2 + 1, ymax = d.box.y + d.box.h / 2 + 1;
    if (im.width > 0) {
      xmin = std::clamp(xmin, 1.f, static_cast<float>(im.width));
      xmax = std::clamp(xmax, 1.f, static_cast<float>(im.width));
    }
    if (im.height > 0) {
      ymin = std::clamp(ymin, 1.f, static_cast<float>(im.height));
      ymax = std::clamp(ymax, 1.f, static_cast<float>(im.height));
    }
    std::snprintf(line, sizeof line, "%s %f %f %f %f %f\n", im.id.c_str(), d.score, xmin, ymin,
                  xmax, ymax);
    files[d.cls] += line;
  }
  for (size_t c = 0; c < names.size(); ++c)
    write_text_file_atomic(join_path(dir, prefix + names[c] + ".txt"), files[c]);
}

std::vector<EvalDetection> read_voc_results(const std::string& dir,
                                            const std::vector<std::string>& names,
                                            const std::vector<ImageInfo>& images,
                                            bool relative_boxes, const std::string& prefix) {
  std::unordered_map<std::string, int> index;
  for (size_t i = 0; i < images.size(); ++i) {
    if (!index.emplace(images[i].id, static_cast<int>(i)).second)
      fail("read_voc_results: image id '" + images[i].id + "' appears twice");
    if (relative_boxes && (images[i].width <= 0 || images[i].height <= 0))
      fail("read_voc_results: relative boxes need the size of image '" + images[i].id + "'");
  }
  std::vector<EvalDetection> dets;
  for (size_t c = 0; c < names.size(); ++c) {
    const std::string path = join_path(dir, prefix + names[c] + ".txt");
    std::istringstream in(read_text_file(path));
    std::string text;
    int lineno = 0;
    while (std::getline(in, text)) {
      ++lineno;
      if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::istringstream fields(text);
      std::string id;
      float score, xmin, ymin, xmax, ymax;
      std::string extra;
      if (!(fields >> id >> score >> xmin >> ymin >> xmax >> ymax) || (fields >> extra))
        fail_at(path, lineno, "expected 'image_id score xmin ymin xmax ymax'");
      auto it = index.find(id);
      if (it == index.end()) fail_at(path, lineno, "unknown image id " + quote_input(id));
      EvalDetection d;
      d.image = it->second;
      d.cls = static_cast<int>(c);
      d.score = score;
      d.box = {(xmin + xmax) / 2 - 1, (ymin + ymax) / 2 - 1, xmax - xmin, ymax - ymin};
      if (relative_boxes) {
        const float w = static_cast<float>(images[d.image].width);
        const float h = static_cast<float>(images[d.image].height);
        d.box = {d.box.x / w, d.box.y / h, d.box.w / w, d.box.h / h};
      }
      dets.push_back(d);
    }
  }
  return dets;
}

void write_coco_results(const std::string& path, const std::vector<ImageInfo>& images,
                        const std::vector<EvalDetection>& dets,
                        const std::vector<int>& category_ids) {
  std::string out = "[";
  bool first = true;
  for (size_t i = 0; i < dets.size(); ++i) {
    const auto& d = dets[i];
    check_detection(d, i, images.size(),
                    category_ids.empty() ? static_cast<size_t>(d.cls) + 1 : category_ids.size(),
                    "write_coco_results");
    if (!(d.score > 0)) continue;
    const ImageInfo& im = images[d.image];
    float xmin = d.box.x - d.box.w / 2, xmax = d.box.x + d.box.w / 2;
    float ymin = d.box.y - d.box.h / 2, ymax = d.box.y + d.box.h / 2;
    if (im.width > 0) {
      xmin = std::clamp(xmin, 0.f, static_cast<float>(im.width));
      xmax = std::clamp(xmax, 0.f, static_cast<float>(im.width));
    }
    if (im.height > 0) {
      ymin = std::clamp(ymin, 0.f, static_cast<float>(im.height));
      ymax = std::clamp(ymax, 0.f, static_cast<float>(im.height));
    }
    const int category = category_ids.empty() ? d.cls : category_ids[d.cls];
    using json::fixed;
    out += first ? "\n" : ",\n";
    out += "{\"image_id\": " + json::number(coco_image_id(im.id, d.image)) + ", \"category_id\": " +
           json::number(category) + ", \"bbox\": [" + fixed(xmin) + ", " + fixed(ymin) + ", " + fixed(xmax - xmin) +
           ", " + fixed(ymax - ymin) + "], \"score\": " + fixed(d.score) + "}";
    first = false;
  }
  out += first ? "]\n" : "\n]\n";
  write_text_file_atomic(path, out);
}

}  // namespace dn
