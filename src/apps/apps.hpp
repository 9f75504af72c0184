#pragma once
// Entry points of the command-line applications (argv as given to main).
#include <string>

namespace dn {

int detector_test(int argc, char** argv);  // darknet detector test ...
int detect_coco(int argc, char** argv);    // darknet detect ...

// A file shipped in the project's data/ folder: ./data/<name>, else next to the executable.
std::string find_data_file(const std::string& name);

}  // namespace dn
