#include "cfg/data_file.hpp"

#include <sys/stat.h>

#include <fstream>
#include <unordered_map>

#include "cfg/cfg.hpp"
#include "core/error.hpp"
#include "core/fileio.hpp"

namespace dn {

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string dirname_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string resolve_relative(const std::string& path, const std::string& from_file) {
  if (path.empty() || path[0] == '/' || file_exists(path)) return path;
  std::string alt = dirname_of(from_file) + "/" + path;
  if (file_exists(alt)) return alt;
  // backup= folders may not exist yet: resolve them next to the .data file only if its folder
  // holds the parent.
  return path;
}

DataConfig read_data_file(const std::string& path) {
  fail_if_directory(path, "a .data file");
  std::ifstream f(path);
  if (!f) fail_at(path, 0, "cannot open .data file");
  DataConfig d;
  d.path = path;
  std::string raw;
  int lineno = 0;
  bool have_classes = false;
  std::unordered_map<std::string, int> first_line;  // key -> line of its first occurrence
  while (std::getline(f, raw)) {
    ++lineno;
    std::string line;
    for (char ch : raw)
      if (!std::isspace(static_cast<unsigned char>(ch))) line += ch;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0)
      fail_at(path, lineno, "malformed line (expected key=value): " + quote_input(raw));
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    auto [at, fresh] = first_line.emplace(key, lineno);
    if (!fresh) {
      // Darknet's option_find returns the first occurrence: keep it, ignore this one, say so.
      warn_at(path, lineno, "duplicate key " + quote_input(key) + " ignored: the first, at line " +
                                std::to_string(at->second) + ", is used (as in Darknet)");
      continue;
    }
    if (key == "classes") {
      // At most 65536, as [yolo] classes (layers/registry.hpp): names_for makes one name per class.
      if (!parse_int(value, d.classes) || d.classes <= 0 || d.classes > 65536)
        fail_at(path, lineno, "bad value for 'classes': " + quote_input(value) + " (an integer in 1..65536)");
      have_classes = true;
    } else if (key == "train") {
      d.train = resolve_relative(value, path);
    } else if (key == "valid") {
      d.valid = resolve_relative(value, path);
    } else if (key == "names") {
      d.names = resolve_relative(value, path);
    } else if (key == "backup") {
      d.backup = resolve_relative(value, path);
    } else if (key == "results") {
      d.results = resolve_relative(value, path);
    } else if (key == "eval") {
      d.eval = value;
    } else {
      warn_at(path, lineno, "unused key " + quote_input(key));
    }
  }
  if (!have_classes) fail_at(path, 0, "missing required key 'classes'");
  return d;
}

std::vector<std::string> read_names(const std::string& path) {
  fail_if_directory(path, "a names file");
  std::ifstream f(path);
  if (!f) fail_at(path, 0, "cannot open names file");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(f, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    names.push_back(line);
  }
  while (!names.empty() && names.back().empty()) names.pop_back();
  return names;
}

std::vector<std::string> names_for(const DataConfig& d) {
  std::vector<std::string> names;
  if (!d.names.empty()) {
    names = read_names(d.names);
    if (static_cast<int>(names.size()) < d.classes)
      fail_at(d.names, 0, "has " + std::to_string(names.size()) + " names but " + d.path + " says classes=" +
                              std::to_string(d.classes));
  }
  for (int i = static_cast<int>(names.size()); i < d.classes; ++i) names.push_back(std::to_string(i));
  names.resize(d.classes);
  return names;
}

}  // namespace dn
