#include "core/error.hpp"

#include <cstdio>

namespace dn {

static std::string where(const std::string& file, int line) {
  if (file.empty()) return "";
  return line > 0 ? file + ":" + std::to_string(line) + ": " : file + ": ";
}

void fail_at(const std::string& file, int line, const std::string& msg) {
  throw Error(where(file, line) + msg);
}

void fail(const std::string& msg) { throw Error(msg); }

void warn_at(const std::string& file, int line, const std::string& msg) {
  std::fprintf(stderr, "%swarning: %s\n", where(file, line).c_str(), msg.c_str());
}

}  // namespace dn
