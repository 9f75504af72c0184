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

std::string quote_input(const std::string& s, size_t max_chars) {
  std::string q = "'";
  size_t shown = 0, i = 0;
  for (; i < s.size() && shown < max_chars; ++i, ++shown) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\t': q += "\\t"; break;
      case '\r': q += "\\r"; break;
      case '\n': q += "\\n"; break;
      case '\\': q += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          q += static_cast<char>(c);
        } else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          q += hex;
        }
    }
  }
  q += "'";
  if (i < s.size()) q.insert(q.size() - 1, "...").append(" (" + std::to_string(s.size()) + " bytes)");
  return q;
}

}  // namespace dn
