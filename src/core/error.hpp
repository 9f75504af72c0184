#pragma once
// Errors that reach the user: one line naming the file (and line) at fault.
#include <stdexcept>
#include <string>

namespace dn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

// "file:line: message" (line <= 0 leaves the line out).
[[noreturn]] void fail_at(const std::string& file, int line, const std::string& msg);
[[noreturn]] void fail(const std::string& msg);
// A warning on stderr, same "file:line: warning: message" form.
void warn_at(const std::string& file, int line, const std::string& msg);

// Input echoed in a message (a cfg line or value, a name, a flag): in single quotes, bytes outside
// printable ASCII escaped (\t, \r, \n, \\, \xNN), and cut to its first max_chars characters
// with "..." and the whole length when longer, so that a 50 MB line stays a one-line error.
std::string quote_input(const std::string& s, size_t max_chars = 80);

}  // namespace dn
