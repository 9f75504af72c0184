#include "apps/args.hpp"

#include <climits>
#include <cmath>
#include <cstdio>

#include "cfg/cfg.hpp"
#include "core/error.hpp"

namespace dn {

Args::Args(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) tokens_.push_back(argv[i]);
  used_.assign(tokens_.size(), false);
}

bool Args::flag(const std::string& name) {
  bool found = false;
  for (size_t i = 0; i < tokens_.size(); ++i)
    if (!used_[i] && tokens_[i] == name) used_[i] = found = true;
  return found;
}

bool Args::has(const std::string& name) const {
  for (size_t i = 0; i < tokens_.size(); ++i)
    if (!used_[i] && tokens_[i] == name) return true;
  return false;
}

const std::string* Args::take_value(const std::string& name) {
  const std::string* v = nullptr;
  for (size_t i = 0; i < tokens_.size(); ++i)
    if (!used_[i] && tokens_[i] == name) {
      if (i + 1 >= tokens_.size()) fail("flag " + name + " needs a value");
      used_[i] = used_[i + 1] = true;
      v = &tokens_[i + 1];
    }
  return v;
}

int Args::get_int(const std::string& name, int def) {
  const std::string* v = take_value(name);
  if (!v) return def;
  int x;
  if (!parse_int(*v, x)) fail("flag " + name + " needs an integer, got " + quote_input(*v));
  return x;
}

int Args::get_int_in(const std::string& name, int def, int lo, int hi) {
  const std::string* v = take_value(name);
  if (!v) return def;
  int x;
  if (!parse_int(*v, x)) fail("flag " + name + " needs an integer, got " + quote_input(*v));
  if (x < lo || x > hi) {
    std::string range =
        hi == INT_MAX ? ">= " + std::to_string(lo) : "in " + std::to_string(lo) + ".." + std::to_string(hi);
    fail("flag " + name + " must be " + range + ", got " + quote_input(*v));
  }
  return x;
}

float Args::get_float(const std::string& name, float def) {
  const std::string* v = take_value(name);
  if (!v) return def;
  float x;
  if (!parse_float(*v, x) || !std::isfinite(x)) fail("flag " + name + " needs a finite number, got " + quote_input(*v));
  return x;
}

float Args::get_float_in(const std::string& name, float def, float lo, float hi, bool lo_open) {
  const std::string* v = take_value(name);
  if (!v) return def;
  float x;
  if (!parse_float(*v, x) || !std::isfinite(x)) fail("flag " + name + " needs a finite number, got " + quote_input(*v));
  if (x < lo || x > hi || (lo_open && x == lo)) {
    char range[64];
    std::snprintf(range, sizeof range, "%c%g, %g]", lo_open ? '(' : '[', lo, hi);
    fail("flag " + name + " must be in " + range + ", got " + quote_input(*v));
  }
  return x;
}

std::string Args::get_string(const std::string& name, const std::string& def) {
  const std::string* v = take_value(name);
  return v ? *v : def;
}

std::vector<std::string> Args::positional() const {
  std::vector<std::string> p;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (used_[i]) continue;
    const std::string& t = tokens_[i];
    float num;
    if (t.size() > 1 && t[0] == '-' && !parse_float(t, num)) fail("unknown flag " + quote_input(t));
    p.push_back(t);
  }
  return p;
}

}  // namespace dn
