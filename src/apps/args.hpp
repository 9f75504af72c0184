#pragma once
// Command-line flags in Darknet's style (-thresh .5, -dont_show, ...). Getters consume their flag;
// positional() then returns what is left and rejects any flag nobody asked for.
#include <string>
#include <vector>

namespace dn {

class Args {
 public:
  Args(int argc, char** argv, int first);
  bool flag(const std::string& name);  // a boolean flag
  bool has(const std::string& name) const;  // the flag is present (not yet consumed)
  int get_int(const std::string& name, int def);
  // A value outside [lo, hi] is an error naming the flag, the range and the value given.
  int get_int_in(const std::string& name, int def, int lo, int hi);
  float get_float(const std::string& name, float def);  // finite numbers only: nan, inf are errors
  // lo_open: lo itself is refused, (lo, hi].
  float get_float_in(const std::string& name, float def, float lo, float hi, bool lo_open = false);
  std::string get_string(const std::string& name, const std::string& def);
  // Remaining positional arguments; an unknown -flag is an error naming it.
  std::vector<std::string> positional() const;

 private:
  const std::string* take_value(const std::string& name);
  std::vector<std::string> tokens_;
  std::vector<bool> used_;
};

}  // namespace dn
