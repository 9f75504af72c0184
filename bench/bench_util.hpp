#pragma once
// Shared by the benchmark programs.
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "core/error.hpp"

namespace dn::bench {

// The text of a cfg file with its [net] width and height set to `size`.
inline std::string cfg_at_size(const std::string& path, int size) {
  std::ifstream f(path);
  if (!f) dn::fail_at(path, 0, "cannot open the cfg");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string t = ss.str();
  t = std::regex_replace(t, std::regex("\\nwidth=\\d+"), "\nwidth=" + std::to_string(size));
  t = std::regex_replace(t, std::regex("\\nheight=\\d+"), "\nheight=" + std::to_string(size));
  return t;
}

}  // namespace dn::bench
