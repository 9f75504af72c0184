#pragma once
// Darknet .cfg files: sections of key=value options, each remembering its file and line so that
// every error and warning can name them.
#include <string>
#include <vector>

namespace dn {

struct CfgOption {
  std::string key, value;
  int line = 0;
  mutable bool used = false;
};

class CfgSection {
 public:
  std::string type;  // without brackets, e.g. "convolutional"
  std::string file;
  int line = 0;
  std::vector<CfgOption> options;       // one per key: the first occurrence (Darknet's option_find)
  std::vector<CfgOption> duplicates;    // later occurrences of a key, ignored

  bool has(const std::string& key) const;
  int get_int(const std::string& key, int def) const;
  int require_int(const std::string& key) const;
  float get_float(const std::string& key, float def) const;
  std::string get_string(const std::string& key, const std::string& def) const;
  std::vector<int> get_ints(const std::string& key) const;      // empty if absent
  std::vector<float> get_floats(const std::string& key) const;  // empty if absent
  // Line of a key's option (the section's line if absent), for error messages.
  int line_of(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& msg) const;
  // Warns (file:line) about every option no layer read and every ignored duplicate key.
  void warn_unused() const;

 private:
  const CfgOption* find(const std::string& key) const;
};

struct CfgFile {
  std::string path;
  std::vector<CfgSection> sections;  // sections[0] is [net]
};

// Parses with Darknet's rules: all whitespace in a line is removed, '#' and ';' start comments,
// '[' opens a section, every other line is key=value. Malformed lines are errors naming file:line.
CfgFile parse_cfg_text(const std::string& text, const std::string& name);
CfgFile parse_cfg(const std::string& path);

// "[type]" for messages; a long or non-printable type is quoted and cut as quote_input does.
std::string section_label(const std::string& type);

// Strict number parsing; false on garbage or trailing characters.
bool parse_int(const std::string& s, int& out);
bool parse_float(const std::string& s, float& out);

}  // namespace dn
