#include "core/fileio.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"

namespace dn {

static std::string errno_text(int err) { return err ? std::strerror(err) : "unknown error"; }

void write_text_file_atomic(const std::string& path, const std::string& text) {
  if (path.empty()) throw Error("cannot write a file with an empty path");
  // The pid keeps two processes writing the same path from sharing a temporary file.
  const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(getpid()));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error(path + ": cannot write (" + errno_text(errno) + ")");
  bool ok = text.empty() || std::fwrite(text.data(), 1, text.size(), f) == text.size();
  int err = ok ? 0 : errno;
  if (std::fflush(f) != 0 && ok) { ok = false; err = errno; }
  if (std::fclose(f) != 0 && ok) { ok = false; err = errno; }
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) { ok = false; err = errno; }
  if (!ok) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot write (" + errno_text(err) + ")");
  }
}

void fail_if_directory(const std::string& path, const std::string& what) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not " + what);
}

std::string read_text_file(const std::string& path) {
  fail_if_directory(path, "a file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(path + ": cannot open (" + errno_text(errno) + ")");
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw Error(path + ": read error");
  return text;
}

}  // namespace dn
