#pragma once
// Shared by the benchmark programs.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
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

// main() of a benchmark: -h/--help prints `usage`; an error (a missing file, an unknown option)
// is one message and exit status 1, never an uncaught exception.
inline int guarded_main(const char* name, const char* usage, int argc, char** argv, int (*body)(int, char**)) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::printf("%s", usage);
      return 0;
    }
  try {
    return body(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n%s", name, e.what(), usage);
    return 1;
  }
}

// An argument that looks like an option but is none of the benchmark's.
inline void reject_option(const char* arg) {
  if (arg[0] == '-') throw std::invalid_argument(std::string("unknown option ") + arg);
}

// The value of option argv[i] (argv[i + 1]; i moves past it); a missing one is named.
inline const char* option_value(int& i, int argc, char** argv) {
  if (i + 1 >= argc) throw std::invalid_argument(std::string(argv[i]) + " needs a value");
  return argv[++i];
}

// option_value, which must be a whole number from 1 to 1000000.
inline int positive_int_arg(int& i, int argc, char** argv) {
  const char* flag = argv[i];
  const char* text = option_value(i, argc, argv);
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end || errno == ERANGE || v < 1 || v > 1000000)
    throw std::invalid_argument(std::string(flag) + " " + text + ": expected a whole number from 1 to 1000000");
  return static_cast<int>(v);
}

}  // namespace dn::bench
