// .weights files (../shared/docs/compat.md): bit-exact round trips, header versions, partial
// (backbone) files, truncation and trailing bytes, and the atomic writer.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "error_matchers.hpp"
#include "core/error.hpp"
#include "layers/convolutional.hpp"
#include "net_fixtures.hpp"
#include "network/network.hpp"

namespace dn {
namespace {

using testing::error_of;

namespace fs = std::filesystem;



std::vector<char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// yolov3-tiny with a 160x160 input: the same weights as at 416, built and randomised quickly.
std::unique_ptr<Network> tiny_net() {
  std::ifstream f(std::string(DN_SHARED_DIR) + "/darknet-cfg/yolov3-tiny.cfg");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (const char* key : {"width=416", "height=416"}) {
    size_t at = text.find(key);
    EXPECT_NE(at, std::string::npos);
    text.replace(at, std::strlen(key), std::string(key).substr(0, std::strlen(key) - 3) + "160");
  }
  return build_network(parse_cfg_text(text, "yolov3-tiny-160.cfg"), 1);
}

std::unique_ptr<Network> random_tiny_net(uint64_t seed) {
  auto net = tiny_net();
  testing::randomize_network(*net, testing::pattern_input(3, 160, 160, seed), seed);
  return net;
}

std::vector<ConvolutionalLayer*> convs_of(Network& net) {
  std::vector<ConvolutionalLayer*> v;
  for (auto& l : net.layers)
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(l.get())) v.push_back(c);
  return v;
}

// Every array a convolutional layer stores in a weights file, in file order.
std::vector<std::vector<float>*> arrays_of(ConvolutionalLayer& c) {
  if (c.batch_normalize) return {&c.biases, &c.scales, &c.rolling_mean, &c.rolling_variance, &c.weights};
  return {&c.biases, &c.weights};
}

size_t file_bytes_of(ConvolutionalLayer& c) {
  size_t n = 0;
  for (auto* a : arrays_of(c)) n += a->size();
  return n * sizeof(float);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

bool same_parameters(ConvolutionalLayer& a, ConvolutionalLayer& b) {
  auto x = arrays_of(a), y = arrays_of(b);
  if (x.size() != y.size()) return false;
  for (size_t k = 0; k < x.size(); ++k)
    if (!same_bits(*x[k], *y[k])) return false;
  return true;
}

// Fills every stored array of every conv with `v` (to see what a load left untouched).
void fill_parameters(Network& net, float v) {
  for (auto* c : convs_of(net))
    for (auto* a : arrays_of(*c)) std::fill(a->begin(), a->end(), v);
}

bool all_equal_to(ConvolutionalLayer& c, float v) {
  for (auto* a : arrays_of(c))
    for (float x : *a)
      if (x != v) return false;
  return true;
}

class WeightsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::temp_dir("weights"));
    source_ = random_tiny_net(424242).release();
    source_->seen = 12345678901ull;  // needs more than 32 bits
    save_weights(*source_, path("source.weights"));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete source_;
    delete dir_;
  }
  static std::string path(const std::string& name) { return *dir_ + "/" + name; }

  static std::string* dir_;
  static Network* source_;
};
std::string* WeightsTest::dir_ = nullptr;
Network* WeightsTest::source_ = nullptr;

TEST_F(WeightsTest, RoundTripIsBitExact) {
  std::vector<char> bytes = read_bytes(path("source.weights"));
  // Header: version 0.2.5 and a 64-bit seen; then every conv's arrays, nothing else.
  int32_t version[3];
  uint64_t seen;
  ASSERT_GE(bytes.size(), 20u);
  std::memcpy(version, bytes.data(), 12);
  std::memcpy(&seen, bytes.data() + 12, 8);
  EXPECT_EQ(version[0], 0);
  EXPECT_EQ(version[1], 2);
  EXPECT_EQ(version[2], 5);
  EXPECT_EQ(seen, 12345678901ull);
  size_t expected = 20;
  auto convs = convs_of(*source_);
  ASSERT_EQ(convs.size(), 13u);
  for (auto* c : convs) expected += file_bytes_of(*c);
  EXPECT_EQ(bytes.size(), expected);
  // The first conv's biases come first, in order.
  ASSERT_EQ(std::memcmp(bytes.data() + 20, convs[0]->biases.data(), convs[0]->biases.size() * 4), 0);

  auto fresh = tiny_net();
  EXPECT_EQ(load_weights(*fresh, path("source.weights")), 13);
  EXPECT_EQ(fresh->seen, 12345678901ull);
  auto fresh_convs = convs_of(*fresh);
  for (size_t k = 0; k < convs.size(); ++k) EXPECT_TRUE(same_parameters(*convs[k], *fresh_convs[k])) << "conv " << k;
  save_weights(*fresh, path("again.weights"));
  EXPECT_EQ(read_bytes(path("again.weights")), bytes);

  // And the reloaded network computes exactly what the original does.
  auto input = testing::pattern_input(3, 160, 160, 7);
  source_->forward(input.data());
  fresh->forward(input.data());
  for (size_t i = 0; i < source_->layers.size(); ++i)
    EXPECT_TRUE(same_bits(source_->layers[i]->output, fresh->layers[i]->output)) << "layer " << i;
}

TEST_F(WeightsTest, Version010With32BitSeen) {
  // A file as Darknet 0.1 wrote it: major 0, minor 1, revision 0, then a uint32 seen.
  std::vector<char> bytes = read_bytes(path("source.weights"));
  std::vector<char> old(16);
  int32_t header[3] = {0, 1, 0};
  uint32_t seen = 4000000000u;
  std::memcpy(old.data(), header, 12);
  std::memcpy(old.data() + 12, &seen, 4);
  old.insert(old.end(), bytes.begin() + 20, bytes.end());
  write_bytes(path("v010.weights"), old);

  auto net = tiny_net();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(load_weights(*net, path("v010.weights")), 13);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "");  // no trailing-bytes warning: the header was read as 16 bytes
  EXPECT_EQ(net->seen, 4000000000ull);
  auto a = convs_of(*source_), b = convs_of(*net);
  for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(same_parameters(*a[k], *b[k])) << "conv " << k;
  // Saving writes the current version (0.2.5, 64-bit seen).
  save_weights(*net, path("v010_resaved.weights"));
  std::vector<char> resaved = read_bytes(path("v010_resaved.weights"));
  ASSERT_EQ(resaved.size(), bytes.size());
  EXPECT_TRUE(std::equal(resaved.begin() + 20, resaved.end(), bytes.begin() + 20));
}

TEST_F(WeightsTest, Version100UsesA64BitSeen) {
  // major*10 + minor >= 2 means a 64-bit seen: true of 1.0 as well.
  std::vector<char> bytes = read_bytes(path("source.weights"));
  int32_t header[3] = {1, 0, 0};
  std::memcpy(bytes.data(), header, 12);
  write_bytes(path("v100.weights"), bytes);
  auto net = tiny_net();
  EXPECT_EQ(load_weights(*net, path("v100.weights")), 13);
  EXPECT_EQ(net->seen, 12345678901ull);
  EXPECT_TRUE(same_parameters(*convs_of(*source_).back(), *convs_of(*net).back()));
}

TEST_F(WeightsTest, TruncatedInsideALayerIsRejected) {
  std::vector<char> bytes = read_bytes(path("source.weights"));
  auto convs = convs_of(*source_);
  // Cut 10 bytes into the third conv (layer index 4 of yolov3-tiny).
  ASSERT_EQ(convs[2]->index, 4);
  size_t cut = 20 + file_bytes_of(*convs[0]) + file_bytes_of(*convs[1]) + 10;
  bytes.resize(cut);
  write_bytes(path("cut_inside.weights"), bytes);
  auto net = tiny_net();
  std::string msg = error_of([&] { load_weights(*net, path("cut_inside.weights")); });
  EXPECT_CONTAINS(msg, path("cut_inside.weights"));
  EXPECT_CONTAINS(msg, "layer 4");
  EXPECT_CONTAINS(msg, "convolutional");
}

TEST_F(WeightsTest, TruncatedInsideTheLastLayerIsRejected) {
  std::vector<char> bytes = read_bytes(path("source.weights"));
  bytes.pop_back();
  write_bytes(path("cut_last.weights"), bytes);
  auto net = tiny_net();
  std::string msg = error_of([&] { load_weights(*net, path("cut_last.weights")); });
  EXPECT_CONTAINS(msg, "layer 22");
  EXPECT_CONTAINS(msg, "convolutional");
}

TEST_F(WeightsTest, CutAtALayerBoundaryLoadsAPartialBackbone) {
  // Like darknet53.conv.74: the first 5 convs (layers 0, 2, 4, 6, 8), then end of file.
  std::vector<char> bytes = read_bytes(path("source.weights"));
  auto convs = convs_of(*source_);
  size_t cut = 20;
  for (int k = 0; k < 5; ++k) cut += file_bytes_of(*convs[k]);
  bytes.resize(cut);
  write_bytes(path("backbone.weights"), bytes);

  auto net = tiny_net();
  fill_parameters(*net, 0.25f);
  ::testing::internal::CaptureStderr();
  int loaded = load_weights(*net, path("backbone.weights"));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(loaded, 5);
  EXPECT_EQ(err, "");
  EXPECT_EQ(net->seen, 12345678901ull);
  auto got = convs_of(*net);
  for (size_t k = 0; k < got.size(); ++k) {
    if (k < 5)
      EXPECT_TRUE(same_parameters(*convs[k], *got[k])) << "conv " << k;
    else
      EXPECT_TRUE(all_equal_to(*got[k], 0.25f)) << "conv " << k << " should be untouched";
  }
}

TEST_F(WeightsTest, HeaderOnlyLoadsNothing) {
  std::vector<char> bytes = read_bytes(path("source.weights"));
  bytes.resize(20);
  write_bytes(path("header_only.weights"), bytes);
  auto net = tiny_net();
  fill_parameters(*net, -1.f);
  EXPECT_EQ(load_weights(*net, path("header_only.weights")), 0);
  for (auto* c : convs_of(*net)) EXPECT_TRUE(all_equal_to(*c, -1.f));
}

TEST_F(WeightsTest, CutoffStopsEarlyWithoutWarning) {
  auto net = tiny_net();
  fill_parameters(*net, 0.5f);
  ::testing::internal::CaptureStderr();
  int loaded = load_weights(*net, path("source.weights"), 9);  // layers 0..8: 5 convs
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(loaded, 5);
  EXPECT_EQ(err, "");
  auto a = convs_of(*source_), b = convs_of(*net);
  EXPECT_TRUE(same_parameters(*a[4], *b[4]));
  EXPECT_TRUE(all_equal_to(*b[5], 0.5f));
  // save_weights with a cutoff writes exactly those layers.
  save_weights(*source_, path("cutoff.weights"), 9);
  size_t expected = 20;
  for (int k = 0; k < 5; ++k) expected += file_bytes_of(*a[k]);
  EXPECT_EQ(read_bytes(path("cutoff.weights")).size(), expected);
}

TEST_F(WeightsTest, TrailingBytesWarn) {
  std::vector<char> bytes = read_bytes(path("source.weights"));
  bytes.insert(bytes.end(), 12, '\0');
  write_bytes(path("trailing.weights"), bytes);
  auto net = tiny_net();
  ::testing::internal::CaptureStderr();
  int loaded = load_weights(*net, path("trailing.weights"));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(loaded, 13);
  EXPECT_CONTAINS(err, path("trailing.weights"));
  EXPECT_CONTAINS(err, "warning");
  EXPECT_CONTAINS(err, "12 trailing bytes");
  EXPECT_TRUE(same_parameters(*convs_of(*source_).back(), *convs_of(*net).back()));
}

TEST_F(WeightsTest, ShorterThanAHeader) {
  write_bytes(path("short.weights"), std::vector<char>(10, '\0'));
  auto net = tiny_net();
  std::string msg = error_of([&] { load_weights(*net, path("short.weights")); });
  EXPECT_CONTAINS(msg, path("short.weights"));
  EXPECT_CONTAINS(msg, "header");
  write_bytes(path("empty.weights"), {});
  msg = error_of([&] { load_weights(*net, path("empty.weights")); });
  EXPECT_CONTAINS(msg, path("empty.weights"));
  EXPECT_CONTAINS(msg, "header");
}

TEST_F(WeightsTest, VersionTwoHeaderCutBeforeItsSeen) {
  // 0.2 needs 20 header bytes; 18 is inside the 64-bit seen.
  std::vector<char> bytes = read_bytes(path("source.weights"));
  bytes.resize(18);
  write_bytes(path("short_seen.weights"), bytes);
  auto net = tiny_net();
  std::string msg = error_of([&] { load_weights(*net, path("short_seen.weights")); });
  EXPECT_CONTAINS(msg, path("short_seen.weights"));
  EXPECT_CONTAINS(msg, "header");
}

TEST_F(WeightsTest, GarbageHeaderIsRejected) {
  std::vector<char> bytes(64, '\x7f');
  write_bytes(path("garbage.weights"), bytes);
  auto net = tiny_net();
  std::string msg = error_of([&] { load_weights(*net, path("garbage.weights")); });
  EXPECT_CONTAINS(msg, path("garbage.weights"));
  EXPECT_CONTAINS(msg, "not a Darknet weights file");
}

TEST_F(WeightsTest, NonexistentFile) {
  auto net = tiny_net();
  std::string missing = path("no_such.weights");
  std::string msg = error_of([&] { load_weights(*net, missing); });
  EXPECT_CONTAINS(msg, missing);
  EXPECT_CONTAINS(msg, "cannot open");
}

TEST_F(WeightsTest, SaveLeavesNoTemporaryFile) {
  save_weights(*source_, path("clean.weights"));
  EXPECT_TRUE(fs::exists(path("clean.weights")));
  EXPECT_FALSE(fs::exists(path("clean.weights.tmp")));
  // Overwriting an existing file works the same way.
  save_weights(*source_, path("clean.weights"));
  EXPECT_FALSE(fs::exists(path("clean.weights.tmp")));
  EXPECT_EQ(read_bytes(path("clean.weights")), read_bytes(path("source.weights")));
}

TEST_F(WeightsTest, UnwritableFolderFailsClearly) {
  std::string target = path("no_such_folder/x.weights");
  std::string msg = error_of([&] { save_weights(*source_, target); });
  EXPECT_CONTAINS(msg, target);
  EXPECT_CONTAINS(msg, "cannot write");
  EXPECT_FALSE(fs::exists(target));
  EXPECT_FALSE(fs::exists(target + ".tmp"));
}

TEST_F(WeightsTest, FailedSaveKeepsTheOldFile) {
  // The temporary cannot be created (a folder has its name): the old target stays as it was.
  std::string target = path("keep.weights");
  write_bytes(target, {'o', 'l', 'd'});
  fs::create_directories(target + ".tmp");
  std::string msg = error_of([&] { save_weights(*source_, target); });
  EXPECT_CONTAINS(msg, target);
  EXPECT_EQ(read_bytes(target), (std::vector<char>{'o', 'l', 'd'}));
  fs::remove_all(target + ".tmp");
}

TEST_F(WeightsTest, TargetThatIsAFolderFailsWithoutLeftovers) {
  std::string target = path("a_folder.weights");
  fs::create_directories(target + "/inside");
  std::string msg = error_of([&] { save_weights(*source_, target); });
  EXPECT_CONTAINS(msg, target);
  EXPECT_TRUE(fs::is_directory(target + "/inside"));
  EXPECT_FALSE(fs::exists(target + ".tmp"));
}

}  // namespace
}  // namespace dn
