#include "layers/weights_io.hpp"

#include <cmath>
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
  // A NaN or an infinity spreads through every layer after it: the network would silently
  // detect nothing.
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(dst[i]))
      fail_at(file_, 0, std::string(std::isnan(dst[i]) ? "NaN" : "infinite value") + " in " + what + " (value " +
                            std::to_string(i + 1) + " of " + std::to_string(n) + ", at byte " +
                            std::to_string(pos_ + i * sizeof(float)) + "): the file is corrupt");
  pos_ += need;
}

void WeightWriter::write(const float* src, size_t n) {
  const char* p = reinterpret_cast<const char*>(src);
  bytes_.insert(bytes_.end(), p, p + n * sizeof(float));
}

}  // namespace dn
