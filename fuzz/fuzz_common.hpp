#pragma once
// Shared by the libFuzzer harnesses (fuzz/fuzz_*.cpp, built by scripts/fuzz.sh): the readers
// take paths, so each input is written to a per-process temporary file first.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace dn::fuzz {

// Writes the input to /tmp/dn_fuzz_<name>_<pid><ext> (overwritten each run) and returns the path.
inline std::string input_file(const char* name, const char* ext, const uint8_t* data, size_t size) {
  const std::string path = "/tmp/dn_fuzz_" + std::string(name) + "_" + std::to_string(getpid()) + ext;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  return path;
}

}  // namespace dn::fuzz
