#include "data/labels.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/fileio.hpp"

namespace fs = std::filesystem;

namespace dn {

BadList::BadList(std::string list_file) : list_file_(std::move(list_file)) {}

bool BadList::report(const std::string& path, int line, const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!seen_.insert(path).second) return false;
  order_.push_back(path);
  warn_at(path, line, message);
  if (!list_file_.empty() && !write_failed_) {
    std::FILE* f = std::fopen(list_file_.c_str(), "a");
    if (f) {
      std::fprintf(f, "%s\n", path.c_str());
      std::fclose(f);
    } else {
      write_failed_ = true;
      warn_at(list_file_, 0, std::string("cannot append to bad list: ") + std::strerror(errno));
    }
  }
  return true;
}

bool BadList::contains(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seen_.count(path) > 0;
}

std::vector<std::string> BadList::paths() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return order_;
}

static std::string replace_first(std::string s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

static std::string with_txt_extension(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + ".txt";
  return path.substr(0, dot) + ".txt";
}

std::string label_path_for(const std::string& image_path) {
  std::string usual = with_txt_extension(
      replace_first(replace_first(image_path, "/images/", "/labels/"), "/JPEGImages/", "/labels/"));
  std::error_code ec;
  if (fs::exists(usual, ec)) return usual;
  std::string beside = with_txt_extension(image_path);
  if (beside != usual && fs::exists(beside, ec)) return beside;
  return usual;
}

// Parses a whole token as a finite float / an int.
static bool parse_float(const std::string& token, float* out) {
  const char* s = token.c_str();
  char* end = nullptr;
  errno = 0;
  float v = std::strtof(s, &end);
  if (end == s || *end != '\0' || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

static bool parse_int(const std::string& token, int* out) {
  const char* s = token.c_str();
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || errno == ERANGE || v < -1000000000L || v > 1000000000L) return false;
  *out = static_cast<int>(v);
  return true;
}

// Why a label line is bad, or "" if it is good (then *out holds the box).
static std::string parse_label_line(const std::string& line, int num_classes, LabelBox* out) {
  std::istringstream in(line);
  std::vector<std::string> tokens;
  for (std::string t; in >> t;) tokens.push_back(t);
  if (tokens.size() != 5)
    return "expected 5 fields (class x_center y_center width height), got " + std::to_string(tokens.size());
  int cls = 0;
  if (!parse_int(tokens[0], &cls)) return "class " + quote_input(tokens[0]) + " is not an integer";
  if (cls < 0 || (num_classes > 0 && cls >= num_classes))
    return "class " + std::to_string(cls) + " outside [0, " + std::to_string(num_classes) + ")";
  float v[4];
  static const char* names[4] = {"x_center", "y_center", "width", "height"};
  for (int i = 0; i < 4; ++i)
    if (!parse_float(tokens[i + 1], &v[i])) return std::string(names[i]) + " " + quote_input(tokens[i + 1]) + " is not a number";
  constexpr float kSlack = 1e-4f;  // rounding in label converters
  for (int i = 0; i < 2; ++i)
    if (v[i] < -kSlack || v[i] > 1 + kSlack)
      return std::string(names[i]) + " " + tokens[i + 1] + " outside [0, 1]";
  for (int i = 2; i < 4; ++i)
    if (v[i] <= 0 || v[i] > 1 + kSlack) return std::string(names[i]) + " " + tokens[i + 1] + " outside (0, 1]";
  out->cls = cls;
  out->box = {std::clamp(v[0], 0.0f, 1.0f), std::clamp(v[1], 0.0f, 1.0f), std::min(v[2], 1.0f), std::min(v[3], 1.0f)};
  return "";
}

static void report_bad(BadList* bad, const std::string& path, int line, const std::string& message) {
  if (bad)
    bad->report(path, line, message);
  else
    warn_at(path, line, message);
}

std::vector<LabelBox> read_labels(const std::string& label_path, int num_classes, BadList* bad) {
  // Opening a directory succeeds and reads nothing: it would silently be an image without objects.
  fail_if_directory(label_path, "a label file");
  std::vector<LabelBox> boxes;
  std::ifstream in(label_path);
  if (!in) {
    report_bad(bad, label_path, 0, std::string("cannot open label file: ") + std::strerror(errno));
    return boxes;
  }
  int line_no = 0, bad_lines = 0, first_bad_line = 0;
  std::string first_reason;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    LabelBox box;
    std::string reason = parse_label_line(line, num_classes, &box);
    if (reason.empty()) {
      boxes.push_back(box);
    } else if (bad_lines++ == 0) {
      first_bad_line = line_no;
      first_reason = reason;
    }
  }
  if (bad_lines > 0) {
    std::string msg = "bad label line: " + first_reason;
    if (bad_lines > 1) msg += " (" + std::to_string(bad_lines) + " bad lines in this file, all skipped)";
    else msg += " (skipped)";
    report_bad(bad, label_path, first_bad_line, msg);
  }
  return boxes;
}

static std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> read_image_list(const std::string& list_path, const std::string& base_dir) {
  fail_if_directory(list_path, "an image list");
  std::ifstream in(list_path);
  if (!in) fail_at(list_path, 0, std::string("cannot read image list: ") + std::strerror(errno));
  std::vector<std::string> paths;
  std::error_code ec;
  for (std::string line; std::getline(in, line);) {
    std::string p = trim(line);
    if (p.empty()) continue;
    if (fs::path(p).is_relative() && !base_dir.empty() && !fs::exists(p, ec)) {
      fs::path joined = fs::path(base_dir) / p;
      if (fs::exists(joined, ec)) p = joined.lexically_normal().string();
    }
    paths.push_back(p);
  }
  return paths;
}

}  // namespace dn
