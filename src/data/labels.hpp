#pragma once
// Darknet's data files: image lists, label files, and the bad.list of files that failed.
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/box.hpp"

namespace dn {

// One ground-truth box; box is relative to the image (centre x, centre y, width, height in 0..1).
struct LabelBox {
  int cls = 0;
  Box box;
};

// Collects files that could not be used (missing or malformed labels, unreadable images).
// Each path is reported once: the first report prints a warning and appends the path to the
// list file; later reports of the same path are silent. Safe to share between threads.
class BadList {
 public:
  // list_file: where bad paths are appended, one per line ("" = do not write a file).
  explicit BadList(std::string list_file = "bad.list");
  // Warns "path[:line]: warning: message" and records path, the first time path is reported.
  // Returns true if this was the first report of path.
  bool report(const std::string& path, int line, const std::string& message);
  bool contains(const std::string& path) const;
  std::vector<std::string> paths() const;  // in order of first report
  const std::string& list_file() const { return list_file_; }

 private:
  std::string list_file_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string> seen_;
  std::vector<std::string> order_;
  bool write_failed_ = false;
};

// The label file of an image: "/images/" and "/JPEGImages/" replaced by "/labels/" (first
// occurrence each, as Darknet does) and the extension by ".txt". If that file does not exist but
// the ".txt" next to the image does, that one; if neither exists, the first (so messages name the
// usual place).
std::string label_path_for(const std::string& image_path);

// Reads "class x y w h" lines (relative centre coordinates). Blank lines are skipped. A missing
// file, or lines with the wrong field count, a bad number, a class outside [0, num_classes), a
// centre outside [0, 1] or w/h outside (0, 1], are reported through `bad` once per file (first bad
// line, with the count of bad lines) and skipped; bad == nullptr only warns. num_classes <= 0
// skips the class range check. A label path that is a directory is an error (dn::Error naming
// it); the training loader checks for it first and puts such an image in the bad list.
std::vector<LabelBox> read_labels(const std::string& label_path, int num_classes, BadList* bad);

// One image path per line (surrounding whitespace and blank lines ignored). A relative path is
// kept as written if it exists from the current folder, else resolved against base_dir (the list's
// or the .data file's folder) if it exists there; paths found in neither are kept as written (the
// loader reports them). Throws dn::Error naming the list if it cannot be read.
std::vector<std::string> read_image_list(const std::string& list_path, const std::string& base_dir);

}  // namespace dn
