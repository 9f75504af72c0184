#include "train/optimizer_state.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/fileio.hpp"
#include "network/network.hpp"

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

struct Buffer {
  uint32_t layer, k;
  std::vector<float>* v;
};

std::vector<Buffer> buffers_of(const Network& net) {
  std::vector<Buffer> out;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    auto state = net.layers[i]->optimizer_state();
    for (size_t k = 0; k < state.size(); ++k)
      out.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(k), state[k]});
  }
  return out;
}

}  // namespace

std::string optimizer_state_path(const std::string& weights_path) {
  const std::string ext = ".weights";
  if (weights_path.size() > ext.size() && weights_path.compare(weights_path.size() - ext.size(), ext.size(), ext) == 0)
    return weights_path.substr(0, weights_path.size() - ext.size()) + ".state";
  return weights_path + ".state";
}

void save_optimizer_state(const Network& net, const std::string& path) {
  const std::vector<Buffer> bufs = buffers_of(net);
  std::string out(kMagic, sizeof kMagic);
  put<uint64_t>(out, net.seen);
  put<uint32_t>(out, static_cast<uint32_t>(bufs.size()));
  for (const Buffer& b : bufs) {
    put<uint32_t>(out, b.layer);
    put<uint32_t>(out, b.k);
    put<uint64_t>(out, b.v->size());
    out.append(reinterpret_cast<const char*>(b.v->data()), b.v->size() * sizeof(float));
  }
  write_text_file_atomic(path, out);
}

bool load_optimizer_state(Network& net, const std::string& path, std::string* why) {
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
  if (seen != net.seen)
    return no(path + " was saved at " + std::to_string(seen) + " images seen, the weights at " +
              std::to_string(net.seen));
  const std::vector<Buffer> bufs = buffers_of(net);
  if (count != bufs.size())
    return no(path + " holds " + std::to_string(count) + " buffers, this network has " + std::to_string(bufs.size()));
  std::vector<std::vector<float>> loaded(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t layer, k;
    uint64_t n;
    if (!r.get(&layer) || !r.get(&k) || !r.get(&n)) return no(path + ": truncated");
    if (layer != bufs[i].layer || k != bufs[i].k || n != bufs[i].v->size())
      return no(path + ": buffer " + std::to_string(i) + " is of layer " + std::to_string(layer) + " with " +
                std::to_string(n) + " values, this network's is of layer " + std::to_string(bufs[i].layer) + " with " +
                std::to_string(bufs[i].v->size()));
    if (!r.get_floats(&loaded[i], n)) return no(path + ": truncated");
  }
  if (!r.at_end()) return no(path + ": unexpected bytes after the last buffer");
  for (uint32_t i = 0; i < count; ++i) *bufs[i].v = std::move(loaded[i]);
  return true;
}

}  // namespace dn
