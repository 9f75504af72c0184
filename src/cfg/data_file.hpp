#pragma once
// Darknet .data files (classes=, train=, valid=, names=, backup=, results=, eval=) and .names files.
#include <string>
#include <vector>

namespace dn {

struct DataConfig {
  std::string path;  // the .data file itself
  int classes = 0;
  std::string train, valid, names, backup = "backup/", results = "results", eval;
};

// Relative paths resolve against the current folder first, then the .data file's folder.
DataConfig read_data_file(const std::string& path);
// Resolves a path named inside `from_file`: as given if it exists (or is absolute), else relative
// to from_file's folder if that exists; otherwise as given.
std::string resolve_relative(const std::string& path, const std::string& from_file);
std::string dirname_of(const std::string& path);
bool file_exists(const std::string& path);

// One class name per line; blank trailing lines ignored. Error naming the file if unreadable.
std::vector<std::string> read_names(const std::string& path);
// Names for `classes` classes: from the .data's names= if present, else "0", "1", ...
std::vector<std::string> names_for(const DataConfig& d);

}  // namespace dn
