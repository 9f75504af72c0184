#include "layers/weights_io.hpp"

#include <cstring>

#include "core/error.hpp"

namespace dn {

WeightReader::WeightReader(std::string file, std::vector<char> bytes, size_t pos)
    : file_(std::move(file)), bytes_(std::move(bytes)), pos_(pos) {}

void WeightReader::read(float* dst, size_t n, const std::string& what) {
  size_t need = n * sizeof(float);
  if (remaining() < need)
    fail_at(file_, 0, "file ends inside " + what + " (needs " + std::to_string(need) + " more bytes, " +
                          std::to_string(remaining()) + " left): truncated or made for another cfg");
  std::memcpy(dst, bytes_.data() + pos_, need);
  pos_ += need;
}

void WeightWriter::write(const float* src, size_t n) {
  const char* p = reinterpret_cast<const char*>(src);
  bytes_.insert(bytes_.end(), p, p + n * sizeof(float));
}

}  // namespace dn
