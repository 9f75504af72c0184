#include "apps/args.hpp"

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
  if (!parse_int(*v, x)) fail("flag " + name + " needs an integer, got '" + *v + "'");
  return x;
}

float Args::get_float(const std::string& name, float def) {
  const std::string* v = take_value(name);
  if (!v) return def;
  float x;
  if (!parse_float(*v, x)) fail("flag " + name + " needs a number, got '" + *v + "'");
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
    if (t.size() > 1 && t[0] == '-' && !parse_float(t, num)) fail("unknown flag '" + t + "'");
    p.push_back(t);
  }
  return p;
}

}  // namespace dn
