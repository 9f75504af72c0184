#include "train/optimizer_state.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/fileio.hpp"
#include "train/sgd.hpp"

namespace dn {

namespace {

constexpr char kMagic[8] = {'D', 'N', 'O', 'P', 'T', 'S', 'T', '1'};

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

class Reader {
 public:
  explicit Reader(const std::string& bytes) : b_(bytes) {}
  template <class T>
  bool get(T* v) {
    if (b_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool get_floats(std::vector<float>* v, uint64_t n) {
    if ((b_.size() - pos_) / sizeof(float) < n) return false;
    v->resize(n);
    std::memcpy(v->data(), b_.data() + pos_, n * sizeof(float));
    pos_ += n * sizeof(float);
    return true;
  }
  bool at_end() const { return pos_ == b_.size(); }

 private:
  const std::string& b_;
  size_t pos_ = 0;
};

}  // namespace

std::string optimizer_state_path(const std::string& weights_path) {
  const std::string ext = ".weights";
  if (weights_path.size() > ext.size() && weights_path.compare(weights_path.size() - ext.size(), ext.size(), ext) == 0)
    return weights_path.substr(0, weights_path.size() - ext.size()) + ".state";
  return weights_path + ".state";
}

void save_optimizer_state(const Sgd& sgd, uint64_t seen, const std::string& path) {
  std::string out(kMagic, sizeof kMagic);
  put<uint64_t>(out, seen);
  put<uint32_t>(out, static_cast<uint32_t>(sgd.momentum().size()));
  std::vector<float> host;
  for (const Sgd::Momentum& m : sgd.momentum()) {
    put<uint32_t>(out, static_cast<uint32_t>(m.layer));
    put<uint32_t>(out, static_cast<uint32_t>(m.number));
    put<uint64_t>(out, m.v->size());
    host.resize(m.v->size());
    m.v->to_host(host.data());
    out.append(reinterpret_cast<const char*>(host.data()), host.size() * sizeof(float));
  }
  write_text_file_atomic(path, out);
}

bool load_optimizer_state(Sgd& sgd, uint64_t want_seen, const std::string& path, std::string* why) {
  auto no = [&](const std::string& reason) {
    if (why) *why = reason;
    return false;
  };
  std::string bytes;
  try {
    bytes = read_text_file(path);
  } catch (const Error& e) {
    return no(e.what());
  }
  Reader r(bytes);
  char magic[8];
  uint64_t seen;
  uint32_t count;
  if (!r.get(&magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0) return no(path + ": not an optimizer state file");
  if (!r.get(&seen) || !r.get(&count)) return no(path + ": truncated");
  if (seen != want_seen)
    return no(path + " was saved at " + std::to_string(seen) + " images seen, the weights at " +
              std::to_string(want_seen));
  auto& bufs = sgd.momentum();
  if (count != bufs.size())
    return no(path + " holds " + std::to_string(count) + " buffers, this network has " + std::to_string(bufs.size()));
  std::vector<std::vector<float>> loaded(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t layer, k;
    uint64_t n;
    if (!r.get(&layer) || !r.get(&k) || !r.get(&n)) return no(path + ": truncated");
    if (layer != static_cast<uint32_t>(bufs[i].layer) || k != static_cast<uint32_t>(bufs[i].number) ||
        n != bufs[i].v->size())
      return no(path + ": buffer " + std::to_string(i) + " is of layer " + std::to_string(layer) + " with " +
                std::to_string(n) + " values, this network's is of layer " + std::to_string(bufs[i].layer) + " with " +
                std::to_string(bufs[i].v->size()));
    if (!r.get_floats(&loaded[i], n)) return no(path + ": truncated");
  }
  if (!r.at_end()) return no(path + ": unexpected bytes after the last buffer");
  for (uint32_t i = 0; i < count; ++i) bufs[i].v->from_host(loaded[i].data());
  return true;
}

}  // namespace dn
