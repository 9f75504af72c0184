#pragma once
// Reading and writing the float arrays of Darknet .weights files (little-endian, no per-layer header).
#include <cstdint>
#include <string>
#include <vector>

namespace dn {

class WeightReader {
 public:
  WeightReader(std::string file, std::vector<char> bytes, size_t pos);
  bool at_end() const { return pos_ >= bytes_.size(); }
  size_t remaining() const { return bytes_.size() - pos_; }
  // Reads n floats; a file that ends inside them, or a NaN or infinity among them, is an error
  // naming the file and `what`.
  void read(float* dst, size_t n, const std::string& what);
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<char> bytes_;
  size_t pos_;
};

class WeightWriter {
 public:
  void write(const float* src, size_t n);
  std::vector<char>& bytes() { return bytes_; }

 private:
  std::vector<char> bytes_;
};

}  // namespace dn
