#pragma once
// Shared by the tests that run the darknet binary (DN_DARKNET_EXE): a small JSON reader (enough
// for the -out files), running the binary, and the result of a run.
#include <sys/wait.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dn::testing {

// ---------------------------------------------------------------------------------------------
// A small JSON reader, enough for result.json.

struct Json {
  enum Type { Null, Bool, Number, String, Array, Object } type = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> items;
  std::map<std::string, Json> fields;

  bool has(const std::string& k) const { return type == Object && fields.count(k); }
  const Json& operator[](const std::string& k) const { return fields.at(k); }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}
  // Throws std::runtime_error on malformed input or trailing garbage.
  Json parse_document() {
    Json v = parse_value();
    skip_ws();
    if (i_ != s_.size()) error("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void error(const std::string& what) {
    throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(i_));
  }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  char peek() {
    skip_ws();
    if (i_ >= s_.size()) error("unexpected end");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++i_;
  }
  bool literal(const char* word) {
    size_t n = std::strlen(word);
    if (s_.compare(i_, n, word) != 0) return false;
    i_ += n;
    return true;
  }
  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      if (i_ >= s_.size()) error("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) error("control character in string");
      if (c == '\\') {
        if (i_ >= s_.size()) error("bad escape");
        char e = s_[i_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u':
            if (i_ + 4 > s_.size()) error("bad \\u escape");
            out += '?';  // not needed here beyond validity
            i_ += 4;
            break;
          default: error("bad escape");
        }
      } else {
        out += c;
      }
    }
  }
  Json parse_value() {
    Json v;
    char c = peek();
    if (c == '{') {
      v.type = Json::Object;
      ++i_;
      if (peek() == '}') {
        ++i_;
        return v;
      }
      while (true) {
        std::string key = parse_string();
        expect(':');
        if (v.fields.count(key)) error("duplicate key '" + key + "'");
        v.fields[key] = parse_value();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.type = Json::Array;
      ++i_;
      if (peek() == ']') {
        ++i_;
        return v;
      }
      while (true) {
        v.items.push_back(parse_value());
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.type = Json::String;
      v.str = parse_string();
      return v;
    }
    if (literal("true")) {
      v.type = Json::Bool;
      v.b = true;
      return v;
    }
    if (literal("false")) {
      v.type = Json::Bool;
      return v;
    }
    if (literal("null")) return v;
    // A number, strictly: -?digits[.digits][e[+-]digits]
    size_t start = i_;
    if (s_[i_] == '-') ++i_;
    auto digits = [&] {
      size_t d = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ == d) error("bad number");
    };
    digits();
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      digits();
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      digits();
    }
    v.type = Json::Number;
    v.num = std::stod(s_.substr(start, i_ - start));
    return v;
  }

  const std::string& s_;
  size_t i_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Running the binary.

struct RunResult {
  int status = -1;       // exit status; -1 if killed by a signal
  bool signaled = false;
  std::string out, err;
  std::vector<std::string> err_lines() const {
    std::vector<std::string> lines;
    std::stringstream ss(err);
    std::string l;
    while (std::getline(ss, l))
      if (!l.empty()) lines.push_back(l);
    return lines;
  }
};

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}


// Reads a whole file ("" if it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `darknet <args>` in dir, stdin from the text `input` (none: /dev/null), stdout and stderr
// through dir/out.txt and dir/err.txt. `prefix` is shell text run first in the same subshell
// ("ulimit -v 4000000;", "DN_MEMORY_LIMIT_MB=64"). Killed after timeout_s seconds: a hang then
// reads as signaled.
inline RunResult run_darknet(const std::string& dir, const std::string& args, const std::string& input = "",
                             const std::string& prefix = "", int timeout_s = 900) {
  std::string in = "/dev/null";
  if (!input.empty()) {
    in = dir + "/stdin.txt";
    std::ofstream(in) << input;
  }
  const std::string cmd = "cd " + quote(dir) + " && (" + prefix + " timeout -s KILL " + std::to_string(timeout_s) +
                          " " + quote(DN_DARKNET_EXE) + " " + args + ") < " + quote(in) + " > out.txt 2> err.txt";
  const int st = std::system(cmd.c_str());
  RunResult r;
  if (WIFEXITED(st)) {
    r.status = WEXITSTATUS(st);
    r.signaled = r.status > 128;  // the shell reports a signal-killed child as 128 + signal
  } else {
    r.signaled = true;
  }
  r.out = slurp(dir + "/out.txt");
  r.err = slurp(dir + "/err.txt");
  return r;
}

}  // namespace dn::testing
