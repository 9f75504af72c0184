#include "cfg/cfg.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "core/error.hpp"
#include "core/fileio.hpp"

namespace dn {

bool parse_int(const std::string& s, int& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s.c_str(), &end, 10);
  if (errno || *end != '\0' || v < -2147483647L || v > 2147483647L) return false;
  out = static_cast<int>(v);
  return true;
}

bool parse_float(const std::string& s, float& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  float v = std::strtof(s.c_str(), &end);
  if (errno || *end != '\0') return false;
  out = v;
  return true;
}

std::string section_label(const std::string& type) {
  std::string q = quote_input(type);
  // Shown as it is when quoting changed nothing (a short, printable name).
  return q.size() == type.size() + 2 ? "[" + type + "]" : "[" + q + "]";
}

const CfgOption* CfgSection::find(const std::string& key) const {
  // The first occurrence wins, as in Darknet's option_find (parse_cfg_text drops the later ones
  // with a warning; a section built in code may still hold several).
  for (const auto& o : options)
    if (o.key == key) {
      o.used = true;
      return &o;
    }
  return nullptr;
}

bool CfgSection::has(const std::string& key) const { return find(key) != nullptr; }

int CfgSection::line_of(const std::string& key) const {
  for (const auto& o : options)
    if (o.key == key) return o.line;
  return line;
}

void CfgSection::fail(const std::string& key, const std::string& msg) const {
  fail_at(file, key.empty() ? line : line_of(key), section_label(type) + " " + msg);
}

int CfgSection::get_int(const std::string& key, int def) const {
  const CfgOption* o = find(key);
  if (!o) return def;
  int v;
  if (!parse_int(o->value, v)) {
    // Darknet accepts "1.0" style integers through atoi; accept an integral float too.
    float f;
    // (In range first: converting NaN or a float beyond int to int is undefined.)
    if (parse_float(o->value, f) && f >= -2147483520.f && f <= 2147483520.f && f == std::trunc(f))
      return static_cast<int>(f);
    fail_at(file, o->line, "bad integer for '" + key + "': " + quote_input(o->value));
  }
  return v;
}

int CfgSection::require_int(const std::string& key) const {
  if (!find(key)) fail_at(file, line, section_label(type) + " missing required key '" + key + "'");
  return get_int(key, 0);
}

float CfgSection::get_float(const std::string& key, float def) const {
  const CfgOption* o = find(key);
  if (!o) return def;
  float v;
  if (!parse_float(o->value, v)) fail_at(file, o->line, "bad number for '" + key + "': " + quote_input(o->value));
  return v;
}

std::string CfgSection::get_string(const std::string& key, const std::string& def) const {
  const CfgOption* o = find(key);
  return o ? o->value : def;
}

template <typename T, typename Parse>
static std::vector<T> parse_list(const CfgSection& s, const CfgOption* o, const std::string& key, Parse parse) {
  std::vector<T> out;
  if (!o) return out;
  std::string item;
  std::stringstream ss(o->value);
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;  // tolerate "1,2," as Darknet does
    T v;
    if (!parse(item, v)) fail_at(s.file, o->line, "bad list item for '" + key + "': " + quote_input(item));
    out.push_back(v);
  }
  return out;
}

std::vector<int> CfgSection::get_ints(const std::string& key) const {
  return parse_list<int>(*this, find(key), key, [](const std::string& s, int& v) { return parse_int(s, v); });
}

std::vector<float> CfgSection::get_floats(const std::string& key) const {
  return parse_list<float>(*this, find(key), key, [](const std::string& s, float& v) { return parse_float(s, v); });
}

void CfgSection::warn_unused() const {
  for (const auto& d : duplicates)
    warn_at(file, d.line,
            section_label(type) + " duplicate key " + quote_input(d.key) + " ignored: the first, at line " +
                std::to_string(line_of(d.key)) + ", is used (as in Darknet)");
  for (const auto& o : options)
    if (!o.used) warn_at(file, o.line, section_label(type) + " unused key " + quote_input(o.key));
}

CfgFile parse_cfg_text(const std::string& text, const std::string& name) {
  CfgFile cfg;
  cfg.path = name;
  std::stringstream in(text);
  std::string raw;
  int lineno = 0;
  std::unordered_set<std::string> seen_keys;  // the current section's keys
  while (std::getline(in, raw)) {
    ++lineno;
    std::string line;
    for (char ch : raw)
      if (!std::isspace(static_cast<unsigned char>(ch))) line += ch;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']' || line.size() < 3) fail_at(name, lineno, "malformed section header " + quote_input(raw));
      CfgSection s;
      s.type = line.substr(1, line.size() - 2);
      s.file = name;
      s.line = lineno;
      if (cfg.sections.empty() && s.type != "net" && s.type != "network")
        fail_at(name, lineno, "the first section must be [net], found " + section_label(s.type));
      cfg.sections.push_back(std::move(s));
      seen_keys.clear();
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == line.size())
      fail_at(name, lineno, "malformed line (expected key=value): " + quote_input(raw));
    if (cfg.sections.empty()) fail_at(name, lineno, "option outside any section: " + quote_input(raw));
    CfgSection& sec = cfg.sections.back();
    std::string key = line.substr(0, eq);
    // Darknet's option_find returns the first occurrence: a later one is set aside (warn_unused
    // says so, naming its line).
    const bool fresh = seen_keys.insert(key).second;
    (fresh ? sec.options : sec.duplicates).push_back({std::move(key), line.substr(eq + 1), lineno});
  }
  if (cfg.sections.empty()) fail_at(name, 0, "no [net] section (empty cfg file?)");
  return cfg;
}

CfgFile parse_cfg(const std::string& path) {
  fail_if_directory(path, "a cfg file");
  std::ifstream f(path, std::ios::binary);
  if (!f) fail_at(path, 0, "cannot open cfg file");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_cfg_text(ss.str(), path);
}

}  // namespace dn
