#pragma once
// The one writer of JSON strings and numbers for every JSON file we write (-out of detector test
// and map, coco_results.json, detector train's -progress lines): strings escaped, and never a NaN or an infinity (JSON has neither:
// they become null).
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>

namespace dn::json {

inline std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// Enough digits to read back the double; JSON has no NaN or infinity, so those become null.
inline std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

inline std::string number(int v) { return std::to_string(v); }
inline std::string number(size_t v) { return std::to_string(v); }

// Fixed-point with `decimals` digits, as printf's %f (Darknet's JSON formats); null if not finite.
inline std::string fixed(double v, int decimals = 6) {
  if (!std::isfinite(v)) return "null";
  char buf[400];  // %f of the largest double has 309 digits before the point
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace dn::json
