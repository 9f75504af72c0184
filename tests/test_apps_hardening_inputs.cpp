// Hardening against bad inputs (issue 16): weights, images, label paths and [net] parameters.
// Every bad input is one clear error naming the file (and line, key or layer) and a non-zero exit,
// or, for one bad image among many, one error line while the rest is processed: never a hang, a
// memory blow-up, lost output or a silently wrong result. The tests run the built binary
// (DN_DARKNET_EXE) on tiny inputs made in a temp folder (a small two-head detector at 160x160).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "app_fixtures.hpp"
#include "core/fileio.hpp"
#include "detect/detection.hpp"
#include "error_matchers.hpp"
#include "image/image.hpp"
#include "layers/convolutional.hpp"
#include "network/network.hpp"
#include "train/init.hpp"
#include "train/trainer.hpp"
#include "train_fixtures.hpp"

namespace dn {
namespace {

namespace fs = std::filesystem;
using testing::Json;
using testing::JsonParser;
using testing::quote;
using testing::RunResult;
using testing::TrainFixture;

const std::string kShared = DN_SHARED_DIR;
const std::string kDog = kShared + "/media/dog.jpg";
const std::string kEagle = kShared + "/media/eagle.jpg";

// darknet in dir; a hang is killed after 60 s and reads as signaled.
RunResult run_darknet(const std::string& dir, const std::string& args, const std::string& input = "",
                      const std::string& limits = "") {
  return testing::run_darknet(dir, args, input, limits, 60);
}

// Expects exit status 1 (not a signal) and the one stderr line `line` exactly.
void expect_one_error_line(const RunResult& r, const std::string& line) {
  EXPECT_FALSE(r.signaled) << r.err;
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.err, line + "\n");
}

// Initial weights of f.cfg with header seen = `seen`, the first `cutoff` layers only (-1: all), after
// `edit` (to plant a NaN).
std::string make_weights(const TrainFixture& f, const std::string& name, uint64_t seen = 0, int cutoff = -1,
                         const std::function<void(Network&)>& edit = {}) {
  auto net = load_network(f.cfg, 1);
  init_network_weights(*net, 11);
  net->seen = seen;
  if (edit) edit(*net);
  const std::string path = f.dir + "/" + name;
  save_weights(*net, path, cutoff);
  return path;
}

std::string train_args(const TrainFixture& f, const std::string& weights, const std::string& extra = "") {
  return "detector train " + quote(f.data) + " " + quote(f.cfg) + (weights.empty() ? "" : " " + quote(weights)) +
         " -seed 3 -dont_show -quiet -chart ''" + (extra.empty() ? "" : " " + extra);
}

std::string test_args(const TrainFixture& f, const std::string& weights, const std::string& extra = "") {
  return "detector test " + quote(f.data) + " " + quote(f.cfg) + " " + quote(weights) + " -dont_show" +
         (extra.empty() ? "" : " " + extra);
}

void write_list(const TrainFixture& f, const std::vector<std::string>& images) {
  std::ofstream out(f.list, std::ios::trunc);
  for (const std::string& p : images) out << p << "\n";
}

// ---------------------------------------------------------------------------------------------
// A valid PNG whose header says w x h (1-bit grey, all black) in a few hundred KB: the deflate
// stream is written by hand (fixed Huffman codes: one literal zero, then matches of 258 zeros at
// distance 1), so nothing of that size is ever in memory here.

uint32_t crc32(const std::string& bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}

struct DeflateBits {
  std::string out;
  uint32_t acc = 0;
  int n = 0;
  void put(uint32_t v, int count) {  // LSB first
    acc |= v << n;
    n += count;
    for (; n >= 8; n -= 8, acc >>= 8) out += static_cast<char>(acc & 0xFF);
  }
  void code(uint32_t c, int len) {  // Huffman codes go MSB first
    uint32_t r = 0;
    for (int i = 0; i < len; ++i) r |= ((c >> i) & 1u) << (len - 1 - i);
    put(r, len);
  }
  void flush() {
    if (n > 0) out += static_cast<char>(acc & 0xFF);
    acc = 0;
    n = 0;
  }
};

// zlib stream of `total` zero bytes.
std::string zlib_zeros(uint64_t total) {
  DeflateBits d;
  d.put(1, 1);  // BFINAL
  d.put(1, 2);  // fixed Huffman codes
  d.code(0x30, 8);  // literal 0
  uint64_t left = total - 1;
  for (; left >= 258; left -= 258) {
    d.code(0xC5, 8);  // length code 285: 258
    d.code(0, 5);     // distance code 0: 1
  }
  for (; left > 0; --left) d.code(0x30, 8);
  d.code(0, 7);  // end of block
  d.flush();
  const uint32_t adler = static_cast<uint32_t>((total % 65521) << 16 | 1);  // a = 1, b = total
  return std::string("\x78\x01", 2) + d.out + be32(adler);
}

void write_black_png(const std::string& path, uint32_t w, uint32_t h) {
  const uint64_t row = 1 + (w + 7) / 8;  // filter byte + 1 bit per pixel
  const std::string ihdr = be32(w) + be32(h) + std::string("\x01\x00\x00\x00\x00", 5);
  std::ofstream(path, std::ios::binary) << std::string("\x89PNG\r\n\x1a\n", 8) << png_chunk("IHDR", ihdr)
                                        << png_chunk("IDAT", zlib_zeros(row * h)) << png_chunk("IEND", "");
}

// The 4 GB of address space darknet gets in the image tests: enough for the network (on two
// OpenMP threads, whatever the machine's core count), too little for a 20000x20000 image decoded
// to floats (4.8 GB), so that decoding it would fail here too instead of taking the machine's memory.
// Under AddressSanitizer (scripts/sanitize.sh) the address-space limit is left out: ASan reserves
// terabytes of virtual memory for its shadow and would not start under it.
#if defined(__SANITIZE_ADDRESS__)
const std::string kMemoryLimit = "export OMP_NUM_THREADS=2;";
#else
const std::string kMemoryLimit = "ulimit -v 4000000; export OMP_NUM_THREADS=2;";
#endif

TEST(HardeningImages, HeaderCheckedBeforeDecoding) {
  const std::string dir = testing::temp_dir("hard_png");
  write_black_png(dir + "/small.png", 37, 5);
  Image small = load_image(dir + "/small.png", 3);  // the hand-made PNG is valid
  EXPECT_EQ(small.w, 37);
  EXPECT_EQ(small.h, 5);
  EXPECT_EQ(small.data[0], 0.f);
  write_black_png(dir + "/huge.png", 20000, 20000);
  EXPECT_LT(fs::file_size(dir + "/huge.png"), 1000000u);
  EXPECT_EQ(testing::error_of([&] { load_image(dir + "/huge.png", 3); }),
            dir + "/huge.png: cannot read image: 20000x20000 is 400 megapixels, more than the limit of 67 megapixels "
                  "(downscale it)");
  fs::remove_all(dir);
}

TEST(HardeningImages, HugeImageInATestListIsOneErrorAndTheOthersAreProcessed) {
  TrainFixture f = testing::make_train_fixture("hard_huge_test", testing::small_detector_cfg(10, "", 2), 1);
  const std::string w = make_weights(f, "w.weights");
  write_black_png(f.dir + "/huge.png", 20000, 20000);
  RunResult r = run_darknet(f.dir, test_args(f, w, "-out result.json"), kDog + "\nhuge.png\n" + kEagle + "\n", kMemoryLimit);
  EXPECT_FALSE(r.signaled) << r.err;
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err,
            "error: huge.png: cannot read image: 20000x20000 is 400 megapixels, more than the limit of 67 megapixels "
            "(downscale it)\n");
  EXPECT_CONTAINS(r.out, kDog + ": Predicted in ");
  EXPECT_CONTAINS(r.out, kEagle + ": Predicted in ");
  ASSERT_TRUE(fs::exists(f.dir + "/result.json")) << "-out must be written";
  Json frames = JsonParser(read_text_file(f.dir + "/result.json")).parse_document();
  ASSERT_EQ(frames.items.size(), 2u);
  EXPECT_EQ(frames.items[0]["filename"].str, kDog);
  EXPECT_EQ(frames.items[1]["filename"].str, kEagle);
  fs::remove_all(f.dir);
}

TEST(HardeningImages, HugeImageInATrainingListGoesToTheBadList) {
  TrainFixture f = testing::make_train_fixture("hard_huge_train", testing::small_detector_cfg(10, "", 2), 1);
  write_black_png(f.dir + "/huge.png", 20000, 20000);
  write_list(f, {f.images[0], f.dir + "/huge.png"});
  RunResult r = run_darknet(f.dir, train_args(f, "", "-iterations 2"), "", kMemoryLimit);
  EXPECT_FALSE(r.signaled) << r.err;
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, f.dir + "/huge.png: warning: cannot read image: 20000x20000 is 400 megapixels");
  EXPECT_CONTAINS(read_text_file(f.dir + "/bad.list"), f.dir + "/huge.png\n");
  EXPECT_TRUE(fs::exists(backup_weights_path(f.dir + "/backup", f.cfg, "final")));
  fs::remove_all(f.dir);
}

// ---------------------------------------------------------------------------------------------
// Weights.

TEST(HardeningWeights, AbsurdSeenIsAnErrorNamingTheWeightsNotAHang) {
  // random=1: the multi-scale draws of the iterations already done are replayed on resuming.
  std::string cfg = testing::small_detector_cfg(20, "", 2);
  for (size_t at; (at = cfg.find("random=0")) != std::string::npos;) cfg.replace(at, 8, "random=1");
  TrainFixture f = testing::make_train_fixture("hard_seen", cfg, 2);
  const std::string final_weights = backup_weights_path(f.dir + "/backup", f.cfg, "final");
  struct Case {
    uint64_t seen;
    const char* iteration;
  };
  for (const Case& c : {Case{4294967294u, "2147483647"}, Case{std::numeric_limits<uint64_t>::max(), "9223372036854775807"},
                        Case{2000000000u, "1000000000"}}) {
    const std::string w = make_weights(f, "seen.weights", c.seen);
    RunResult r = run_darknet(f.dir, train_args(f, w));
    expect_one_error_line(r, "darknet: error: " + w + ": its header says " + std::to_string(c.seen) +
                                 " images seen, i.e. iteration " + c.iteration +
                                 " at batch=2, beyond max_batches=20: add -clear to train from these weights from "
                                 "iteration 0 (or raise max_batches/-iterations)");
    EXPECT_FALSE(fs::exists(final_weights)) << c.seen;
  }
  // The advice works.
  const std::string w = make_weights(f, "seen.weights", 4294967294u);
  RunResult r = run_darknet(f.dir, train_args(f, w, "-clear -iterations 2"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(final_weights));
  fs::remove_all(f.dir);
}

TEST(HardeningWeights, TruncatedWeightsAreAnErrorForDetection) {
  TrainFixture f = testing::make_train_fixture("hard_trunc", testing::small_detector_cfg(10, "", 2), 1);
  // Layers with weights: 0 2 4 6 8 9 (first [yolo] at 10) 12 13.
  const std::string header = make_weights(f, "header.weights", 0, 0);
  const std::string one = make_weights(f, "one.weights", 0, 1);
  const std::string six = make_weights(f, "six.weights", 0, 11);
  expect_one_error_line(run_darknet(f.dir, test_args(f, header, quote(kDog))),
                        "darknet: error: " + header +
                            ": holds no layer's weights (only the header; the cfg has 8 layers with weights): "
                            "truncated, or not the weights of this cfg");
  expect_one_error_line(run_darknet(f.dir, test_args(f, one, quote(kDog))),
                        "darknet: error: " + one +
                            ": holds the weights of only 1 of the 8 layers with weights (it ends after layer 0, "
                            "conv), before the first [yolo] layer (10): truncated, or a partial backbone for "
                            "training; detection needs them all");
  expect_one_error_line(run_darknet(f.dir, test_args(f, six, quote(kDog))),
                        "darknet: error: " + six +
                            ": holds the weights of only 6 of the 8 layers with weights (it ends after layer 9, "
                            "conv): truncated, or a partial backbone for training; detection needs them all");
  for (const char* cmd : {"map", "valid", "recall"}) {
    RunResult r = run_darknet(f.dir, std::string("detector ") + cmd + " " + quote(f.data) + " " + quote(f.cfg) + " " +
                                         quote(one));
    EXPECT_EQ(r.status, 1) << cmd << ": " << r.err;
    EXPECT_CONTAINS(r.err, one + ": holds the weights of only 1 of the 8 layers");
  }
  fs::remove_all(f.dir);
}

TEST(HardeningWeights, TrainingSaysHowManyLayersAPartialBackboneHeld) {
  TrainFixture f = testing::make_train_fixture("hard_backbone", testing::small_detector_cfg(10, "", 2), 2);
  const std::string five = make_weights(f, "five.weights", 0, 9);
  RunResult r = run_darknet(f.dir, train_args(f, five, "-iterations 1"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, "Loaded 5 of the 8 layers with weights from " + five +
                             " (a partial backbone, up to layer 8; the other layers start from their initialisation)");
  const std::string all = make_weights(f, "all.weights");
  r = run_darknet(f.dir, train_args(f, all, "-iterations 1"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, "Loaded all 8 layers with weights from " + all);
  const std::string header = make_weights(f, "header.weights", 0, 0);
  expect_one_error_line(run_darknet(f.dir, train_args(f, header, "-iterations 1")),
                        "darknet: error: " + header +
                            ": holds no layer's weights (only the header; the cfg has 8 layers with weights): truncated?");
  fs::remove_all(f.dir);
}

TEST(HardeningWeights, NanOrInfinityInWeightsIsAnErrorNamingTheLayer) {
  TrainFixture f = testing::make_train_fixture("hard_nan_weights", testing::small_detector_cfg(10, "", 2), 2);
  auto conv = [](Network& net, int i) { return dynamic_cast<ConvolutionalLayer*>(net.layers[i].get()); };
  const std::string nan = make_weights(f, "nan.weights", 0, -1, [&](Network& net) {
    conv(net, 2)->weights[5] = std::numeric_limits<float>::quiet_NaN();
  });
  const std::string inf = make_weights(f, "inf.weights", 0, -1, [&](Network& net) {
    conv(net, 13)->biases[0] = -std::numeric_limits<float>::infinity();
  });
  // Layer 0: 16 x (biases, scales, mean, variance) + 16x3x3x3 weights; layer 2's weights follow its 4 x 32.
  const size_t nan_byte = 20 + 4 * (16 * 4 + 16 * 27 + 32 * 4 + 5);
  expect_one_error_line(run_darknet(f.dir, test_args(f, nan, quote(kDog))),
                        "darknet: error: " + nan + ": NaN in layer 2 (convolutional) weights (value 6 of 4608, at byte " +
                            std::to_string(nan_byte) + "): the file is corrupt");
  RunResult r = run_darknet(f.dir, test_args(f, inf, quote(kDog)));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_CONTAINS(r.err, inf + ": infinite value in layer 13 (convolutional) biases (value 1 of 24, at byte ");
  r = run_darknet(f.dir, train_args(f, nan, "-iterations 1"));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_CONTAINS(r.err, nan + ": NaN in layer 2 (convolutional) weights");
  fs::remove_all(f.dir);
}

// ---------------------------------------------------------------------------------------------
// [net] training parameters, and the message of a NaN loss.

TEST(HardeningCfg, NetTrainingParametersMustBeFiniteAndInRange) {
  const std::string base = testing::small_detector_cfg(10, "", 2);
  TrainFixture f = testing::make_train_fixture("hard_net_params", base, 2);
  struct Case {
    std::string key, value, message;
  };
  const std::vector<Case> cases = {
      {"learning_rate", "nan", "learning_rate=nan is out of range: it must be a finite number >= 0"},
      {"learning_rate", "-1", "learning_rate=-1 is out of range: it must be a finite number >= 0"},
      {"momentum", "inf", "momentum=inf is out of range: it must be in [0, 1)"},
      {"momentum", "1.5", "momentum=1.5 is out of range: it must be in [0, 1)"},
      {"decay", "inf", "decay=inf is out of range: it must be in [0, 1]"},
      {"decay", "-0.1", "decay=-0.1 is out of range: it must be in [0, 1]"},
      {"exposure", "nan", "exposure=nan is out of range: it must be a finite number > 0 (1: no change)"},
      {"saturation", "0", "saturation=0 is out of range: it must be a finite number > 0 (1: no change)"},
      {"hue", "-inf", "hue=-inf is out of range: it must be in [0, 1]"},
      {"power", "-4", "power=-4 is out of range: it must be a finite number >= 0"},
      {"burn_in", "-5", "burn_in must be >= 0, got -5"},
  };
  for (const Case& c : cases) {
    // Replace the key's line (or add it after [net]) and find its line number.
    std::string cfg = base;
    const size_t at = cfg.find("\n" + c.key + "=");
    if (at != std::string::npos) {
      cfg.replace(at + 1, cfg.find('\n', at + 1) - at - 1, c.key + "=" + c.value);
    } else {
      cfg.insert(cfg.find('\n') + 1, c.key + "=" + c.value + "\n");
    }
    const size_t key_at = cfg.find("\n" + c.key + "=") + 1;
    const int line = 1 + static_cast<int>(std::count(cfg.begin(), cfg.begin() + key_at, '\n'));
    std::ofstream(f.cfg, std::ios::trunc) << cfg;
    expect_one_error_line(run_darknet(f.dir, train_args(f, "", "-iterations 1")),
                          "darknet: error: " + f.cfg + ":" + std::to_string(line) + ": [net] " + c.message);
  }
  // scales= of policy=steps too.
  std::string cfg = base;
  cfg.replace(cfg.find("policy=constant"), 15, "policy=steps\nsteps=5\nscales=nan");
  std::ofstream(f.cfg, std::ios::trunc) << cfg;
  RunResult r = run_darknet(f.dir, train_args(f, "", "-iterations 1"));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_CONTAINS(r.err, "[net] scales=nan is out of range: it must be finite numbers >= 0");
  fs::remove_all(f.dir);
}

// The message of a NaN loss names only weights that exist.
TEST(HardeningCfg, NanLossNamesOnlyWeightsThatExist) {
  // A huge learning rate makes the loss blow up within a few iterations, before any _last.weights.
  TrainFixture f = testing::make_train_fixture("hard_nan_loss", testing::small_detector_cfg(200, "", 2, 1e6f, 0), 2);
  auto check = [&](const RunResult& r, const std::string& expected) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_CONTAINS(r.err, expected);
    const std::string in = "the last good weights are in ";
    const size_t at = r.err.find(in);
    if (at != std::string::npos) {
      const std::string named = r.err.substr(at + in.size(), r.err.find(' ', at + in.size()) - at - in.size());
      EXPECT_TRUE(fs::exists(named)) << "names a file that does not exist: " << r.err;
    }
  };
  check(run_darknet(f.dir, train_args(f, "")),
        "training stopped; no weights were saved yet (" + backup_weights_path(f.dir + "/backup", f.cfg, "last") +
            " is written every 100 iterations)");
  const std::string w = make_weights(f, "start.weights");
  check(run_darknet(f.dir, train_args(f, w)), "training stopped; no weights were saved yet; the weights it started from are in " + w);
  fs::remove_all(f.dir);
}

// ---------------------------------------------------------------------------------------------
// JSON: one writer of strings and numbers (core/json.hpp), never nan.

TEST(HardeningJson, DetectionsJsonIsValidWithNanAndControlCharacters) {
  Detection d;
  d.bbox = {std::numeric_limits<float>::quiet_NaN(), .5f, std::numeric_limits<float>::infinity(), .25f};
  d.objectness = .9f;
  d.prob = {.75f, std::numeric_limits<float>::quiet_NaN(), .1f};
  const std::vector<std::string> names = {"a\"b\\c", "nan class", "tab\there"};
  const std::string text = detections_json(3, "dir/we\x01ird\tname\n.jpg", {d}, names, .25f);
  Json frame;
  ASSERT_NO_THROW(frame = JsonParser(text).parse_document()) << text;
  EXPECT_EQ(frame["frame_id"].num, 3);
  EXPECT_EQ(frame["filename"].str, "dir/we?ird\tname\n.jpg");  // \u0001 reads back as '?' in the test reader
  ASSERT_EQ(frame["objects"].items.size(), 1u) << "a NaN confidence is no detection: " << text;
  const Json& o = frame["objects"].items[0];
  EXPECT_EQ(o["name"].str, "a\"b\\c");
  EXPECT_EQ(o["confidence"].num, .75);
  EXPECT_EQ(o["relative_coordinates"]["center_x"].type, Json::Null);
  EXPECT_EQ(o["relative_coordinates"]["width"].type, Json::Null);
  EXPECT_EQ(o["relative_coordinates"]["center_y"].num, .5);
  EXPECT_EQ(o["relative_coordinates"]["height"].num, .25);
  EXPECT_CONTAINS(text, "\"center_y\":0.500000");  // Darknet's %f
}

// ---------------------------------------------------------------------------------------------
// Directories where files are expected.

TEST(HardeningPaths, DirectoryAsWeightsOrImageIsNamed) {
  TrainFixture f = testing::make_train_fixture("hard_dirs", testing::small_detector_cfg(10, "", 2), 2);
  const std::string dir = f.dir + "/a_dir";
  fs::create_directories(dir);
  expect_one_error_line(run_darknet(f.dir, test_args(f, dir, quote(kDog))),
                        "darknet: error: " + dir + ": is a directory, not a weights file");
  expect_one_error_line(run_darknet(f.dir, train_args(f, dir, "-iterations 1")),
                        "darknet: error: " + dir + ": is a directory, not a weights file");
  const std::string w = make_weights(f, "w.weights");
  RunResult r = run_darknet(f.dir, test_args(f, w, quote(dir)));
  expect_one_error_line(r, "error: " + dir + ": is a directory, not an image");
  r = run_darknet(f.dir, test_args(f, w), "a_dir\n" + kDog + "\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "error: a_dir: is a directory, not an image\n");
  EXPECT_CONTAINS(r.out, kDog + ": Predicted in ");
  fs::remove_all(f.dir);
}

TEST(HardeningPaths, LabelPathThatIsADirectory) {
  TrainFixture f = testing::make_train_fixture("hard_label_dir", testing::small_detector_cfg(10, "", 2), 1);
  fs::create_directories(f.dir + "/images");
  fs::create_directories(f.dir + "/labels/cell.txt");  // the label "file" of images/cell.jpg
  const std::string cell = f.dir + "/images/cell.jpg";
  fs::copy_file(f.images[0], cell);
  EXPECT_EQ(testing::error_of([&] { read_labels(f.dir + "/labels/cell.txt", 3, nullptr); }),
            f.dir + "/labels/cell.txt: is a directory, not a label file");
  EXPECT_EQ(testing::error_of([&] { read_image_list(f.dir + "/images", f.dir); }),
            f.dir + "/images: is a directory, not an image list");

  // Training: the image goes to bad.list with the reason, the others train.
  write_list(f, {f.images[0], cell});
  RunResult r = run_darknet(f.dir, train_args(f, "", "-iterations 2"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, cell + ": warning: its label path " + f.dir +
                             "/labels/cell.txt is a directory, not a label file (skipped)");
  ASSERT_TRUE(fs::exists(f.dir + "/bad.list")) << r.err;
  EXPECT_EQ(read_text_file(f.dir + "/bad.list"), cell + "\n");

  // Evaluation: an error naming it.
  const std::string w = make_weights(f, "w.weights");
  r = run_darknet(f.dir, "detector map " + quote(f.data) + " " + quote(f.cfg) + " " + quote(w));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_CONTAINS(r.err, "darknet: error: " + f.dir + "/labels/cell.txt: is a directory, not a label file");
  fs::remove_all(f.dir);
}

}  // namespace
}  // namespace dn
