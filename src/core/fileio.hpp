#pragma once
// Small file helpers shared by the applications (results, charts, JSON reports).
#include <string>

namespace dn {

// Writes `text` to `path` so that readers never see a half-written file: the text goes to a
// temporary file beside `path` (same directory, so the rename stays on one file system), which
// is then renamed over `path`. On any failure the temporary file is removed and dn::Error is
// thrown with a message naming `path` and the reason (errno text).
void write_text_file_atomic(const std::string& path, const std::string& text);

// Reads a whole file; throws dn::Error naming `path` when it cannot be opened or read.
std::string read_text_file(const std::string& path);

// Throws dn::Error "<path>: is a directory, not <what>" when `path` names a directory (opening a
// directory for reading succeeds on Linux, and the reads then fail with a message naming no
// file). what: "a weights file", "an image" ...
void fail_if_directory(const std::string& path, const std::string& what);

}  // namespace dn
