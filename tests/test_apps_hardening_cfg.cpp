// Issue 16 through the built binary (DN_DARKNET_EXE): bad cfg sizes, anchors, flags, memory,
// echoed input and duplicate keys each give one error line naming the file (and line, key or
// flag) and a non-zero exit, never a crash, a hang or a silently wrong run. Tiny cfgs (64x64, one
// conv, one [yolo]) in a temp folder keep every run to a fraction of a second.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app_fixtures.hpp"
#include "core/fileio.hpp"
#include "net_fixtures.hpp"

namespace dn {
namespace {

namespace fs = std::filesystem;
using testing::quote;
using testing::RunResult;

const std::string kShared = DN_SHARED_DIR;

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "'" << (haystack) << "' lacks '" << (needle) << "'"

// The tiny detector: 64x64, conv 14 filters (= (2 classes + 5) * 2 masks), [yolo]. Line numbers
// are used by the tests: [convolutional] at 9, filters= at 10, [yolo] at 15, classes= at 16,
// anchors= at 17.
// yolo_extra: lines after mask= (line 19 on).
std::string tiny_cfg(const std::string& yolo_extra = "", const std::string& filters = "14",
                     const std::string& classes = "2", const std::string& anchors = "10,14,23,27") {
  return "[net]\n"                        // 1
         "width=64\n"                     // 2
         "height=64\n"                    // 3
         "channels=3\n"                   // 4
         "batch=2\n"                      // 5
         "subdivisions=1\n"               // 6
         "max_batches=1\n"                // 7
         "\n"                             // 8
         "[convolutional]\n"              // 9
         "filters=" + filters + "\n"      // 10
         "size=3\n"                       // 11
         "pad=1\n"                        // 12
         "activation=linear\n"            // 13
         "\n"                             // 14
         "[yolo]\n"                       // 15
         "classes=" + classes + "\n"      // 16
         "anchors=" + anchors + "\n"      // 17
         "mask=0,1\n"                     // 18
         + yolo_extra;
}

class HardeningCfg : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::temp_dir("apps_hardening_cfg"));
    write("tiny.cfg", tiny_cfg());
    // One image with one box, for map and train; names for two classes.
    fs::copy_file(kShared + "/media/dog.jpg", path("dog.jpg"), fs::copy_options::overwrite_existing);
    write("dog.txt", "0 0.5 0.5 0.4 0.4\n");
    write("list.txt", path("dog.jpg") + "\n");
    write("two.names", "cell\nspot\n");
    write("tiny.data", "classes=2\nnames=two.names\ntrain=" + path("list.txt") + "\nvalid=" + path("list.txt") +
                           "\nbackup=" + path("backup") + "\n");
    fs::create_directories(path("backup"));
    RunResult r = run("init tiny.cfg tiny.weights -seed 3");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static std::string path(const std::string& name) { return *dir_ + "/" + name; }
  static void write(const std::string& name, const std::string& text) {
    std::ofstream(path(name), std::ios::binary) << text;
  }

  // Runs darknet with `args` in the temp folder (stdin /dev/null), `env` before it
  // ("DN_MEMORY_LIMIT_MB=64").
  static RunResult run(const std::string& args, const std::string& env = "") {
    return testing::run_darknet(*dir_, args, "", env);
  }

  // An error run: exit 1, no signal, stderr exactly one line, "darknet: error: " + the message;
  // returns the message.
  static std::string error_of(const std::string& args, const std::string& env = "") {
    RunResult r = run(args, env);
    EXPECT_FALSE(r.signaled) << args << "\n" << r.err.substr(0, 2000);
    EXPECT_EQ(r.status, 1) << args << "\n" << r.err.substr(0, 2000);
    std::vector<std::string> lines = r.err_lines();
    EXPECT_EQ(lines.size(), 1u) << args << "\n" << r.err.substr(0, 2000);
    if (lines.empty()) return "";
    const std::string& last = lines.back();
    EXPECT_EQ(last.rfind("darknet: error: ", 0), 0u) << last.substr(0, 2000);
    return last.substr(std::min(last.size(), std::string("darknet: error: ").size()));
  }

  // init on `cfg_text` saved as `name`: the error message; no weights file may be written.
  static std::string init_error(const std::string& name, const std::string& cfg_text, const std::string& env = "") {
    write(name, cfg_text);
    fs::remove(path("out.weights"));
    std::string msg = error_of("init " + name + " out.weights", env);
    EXPECT_FALSE(fs::exists(path("out.weights"))) << name;
    return msg;
  }

  static std::string* dir_;
};

std::string* HardeningCfg::dir_ = nullptr;

// ---- 2. sizes checked in 64-bit and against sane bounds --------------------------------------

TEST_F(HardeningCfg, ClassesThatOverflowTheChannelCheckAreAnErrorNotACrash) {
  // Three masks: (1431655761 + 5) * 3 = 2^32 + 2 wraps to 2 in 32-bit, so filters=2 passed the
  // channel check, init wrote weights and detection crashed (SIGSEGV) in the [yolo] layer.
  std::string cfg = tiny_cfg("", "2", "1431655761", "10,14,23,27,37,58");
  cfg.replace(cfg.find("mask=0,1\n"), 9, "mask=0,1,2\n");
  EXPECT_EQ(init_error("overflow.cfg", cfg), "overflow.cfg:16: [yolo] classes=1431655761 is out of range (1..65536)");
  EXPECT_EQ(error_of("detector test tiny.data overflow.cfg tiny.weights dog.jpg"),
            "overflow.cfg:16: [yolo] classes=1431655761 is out of range (1..65536)");
}

TEST_F(HardeningCfg, LayerSizesOutOfRangeNameTheKey) {
  struct Case {
    std::string cfg, says;
  };
  const Case cases[] = {
      {tiny_cfg("", "70000"), "big_filters.cfg:10: [convolutional] filters=70000 is out of range (1..65536)"},
      {"[net]\nwidth=8\nheight=8\n[convolutional]\nfilters=4\nsize=3\nstride=2147483647\n",
       "big_stride.cfg:7: [convolutional] stride=2147483647 is out of range (1..65536)"},
      {"[net]\nwidth=8\nheight=8\n[convolutional]\nfilters=4\nsize=3\npadding=2147483647\n",
       "big_padding.cfg:7: [convolutional] padding=2147483647 is out of range (0..65536)"},
      {"[net]\nwidth=8\nheight=8\n[convolutional]\nfilters=4\nsize=3\ngroups=-3\n",
       "neg_groups.cfg:7: [convolutional] groups=-3 is out of range (1..65536)"},
      {"[net]\nwidth=8\nheight=8\n[maxpool]\nsize=2\n[route]\nlayers=-2147483647\n",
       "route_index.cfg:7: [route] layer index -2147483647 is out of range"},
      {"[net]\nwidth=1\nheight=1\n[convolutional]\nfilters=40000\nsize=1\n[route]\nlayers=-1,-1\n",
       "route_channels.cfg:8: [route] the routed layers have 80000 channels together, more than 65536"},
  };
  const char* names[] = {"big_filters.cfg", "big_stride.cfg", "big_padding.cfg", "neg_groups.cfg",
                         "route_index.cfg", "route_channels.cfg"};
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(names[i]);
    EXPECT_CONTAINS(init_error(names[i], cases[i].cfg), cases[i].says);
  }
}

TEST_F(HardeningCfg, AnchorsMustBePositiveFiniteNumbers) {
  const char* bad[] = {"nan", "-23", "0", "inf"};
  for (const char* v : bad) {
    SCOPED_TRACE(v);
    const std::string msg = init_error("anchors.cfg", tiny_cfg("", "14", "2", std::string("10,14,") + v + ",27"));
    EXPECT_EQ(msg, std::string("anchors.cfg:17: [yolo] anchors: item 3 (the width of anchor 1) is '") + v +
                       "': anchors must be numbers > 0 and <= 65536 (pixels)");
  }
}

// ---- 5. flags ------------------------------------------------------------------------------

TEST_F(HardeningCfg, DetectorTestFlagsOutOfRangeAreErrors) {
  const std::string base = "detector test tiny.data tiny.cfg tiny.weights dog.jpg ";
  EXPECT_EQ(error_of(base + "-thresh nan"), "flag -thresh needs a finite number, got 'nan'");
  EXPECT_EQ(error_of(base + "-thresh 1.5"), "flag -thresh must be in [0, 1], got '1.5'");
  EXPECT_EQ(error_of(base + "-nms nan"), "flag -nms needs a finite number, got 'nan'");
  EXPECT_EQ(error_of(base + "-nms -5"), "flag -nms must be in [0, 1], got '-5'");
  EXPECT_EQ(error_of(base + "-nms 7"), "flag -nms must be in [0, 1], got '7'");
  EXPECT_FALSE(fs::exists(path("predictions.jpg")));
}

TEST_F(HardeningCfg, TrainFlagsOutOfRangeAreErrors) {
  // max_batches=1 in the cfg: a run that ignored the flag would train one iteration and exit 0.
  const std::string base = "detector train tiny.data tiny.cfg -dont_show -chart '' ";
  EXPECT_EQ(error_of(base + "-iterations 0"), "flag -iterations must be >= 1, got '0'");
  EXPECT_EQ(error_of(base + "-iterations -5"), "flag -iterations must be >= 1, got '-5'");
  EXPECT_EQ(error_of(base + "-seed -5"), "flag -seed must be >= 0, got '-5'");
  EXPECT_EQ(error_of("init tiny.cfg out.weights -seed -5"), "flag -seed must be >= 0, got '-5'");
  EXPECT_FALSE(fs::exists(path("backup/tiny_final.weights")));
}

TEST_F(HardeningCfg, MapPointsAnyNFrom2Or0) {
  // docs/evaluation.md: 0 (all points) or N in 2..10000; 7 is a valid 7-point interpolation.
  RunResult r = run("detector map tiny.data tiny.cfg tiny.weights -points 7");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.out, "used 7 Recall-points");
  for (const char* bad : {"1", "-1", "100000"})
    EXPECT_EQ(error_of(std::string("detector map tiny.data tiny.cfg tiny.weights -points ") + bad),
              std::string("flag -points must be 0 (all points) or N in 2..10000 (N-point interpolation: 11 = VOC2007, "
                          "101 = COCO), got '") +
                  bad + "'");
  EXPECT_EQ(error_of("detector map tiny.data tiny.cfg tiny.weights -iou_thresh 0"),
            "flag -iou_thresh must be in (0, 1], got '0'");
}

TEST_F(HardeningCfg, EverySecondPositionalImageIsProcessed) {
  fs::copy_file(kShared + "/media/eagle.jpg", path("eagle.jpg"), fs::copy_options::overwrite_existing);
  fs::copy_file(kShared + "/media/horses.jpg", path("horses.jpg"), fs::copy_options::overwrite_existing);
  fs::remove(path("two.json"));
  // Two images before the flags and one after them.
  RunResult r = run("detector test tiny.data tiny.cfg tiny.weights dog.jpg eagle.jpg -thresh .9 -out two.json horses.jpg");
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* im : {"dog.jpg: Predicted in", "eagle.jpg: Predicted in", "horses.jpg: Predicted in"})
    EXPECT_CONTAINS(r.out, im);
  testing::Json j = testing::JsonParser(read_text_file(path("two.json"))).parse_document();
  ASSERT_EQ(j.type, testing::Json::Array);
  ASSERT_EQ(j.items.size(), 3u);
  EXPECT_EQ(j.items[1]["filename"].str, "eagle.jpg");
  // An unreadable one among them: its error line, the others processed, exit 1.
  r = run("detector test tiny.data tiny.cfg tiny.weights dog.jpg missing.jpg eagle.jpg -thresh .9");
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.out, "dog.jpg: Predicted in");
  EXPECT_CONTAINS(r.out, "eagle.jpg: Predicted in");
  EXPECT_CONTAINS(r.err, "missing.jpg");
}

// ---- 6. misleading or anonymous errors -----------------------------------------------------

TEST_F(HardeningCfg, NetSidesOutOfRangeNameTheKey) {
  std::string cfg = tiny_cfg();
  EXPECT_EQ(init_error("wide.cfg", std::string(cfg).replace(cfg.find("width=64"), 8, "width=100000")),
            "wide.cfg:2: [net] width=100000 is out of range (1..65536)");
  EXPECT_EQ(init_error("high.cfg", std::string(cfg).replace(cfg.find("height=64"), 9, "height=2147483647")),
            "high.cfg:3: [net] height=2147483647 is out of range (1..65536)");
}

TEST_F(HardeningCfg, TooMuchMemoryNamesTheKeyBeforeAllocating) {
  std::string cfg = tiny_cfg();
  // More than any machine has: the physical memory is the limit.
  std::string msg = init_error("huge.cfg", std::string(cfg).replace(cfg.find("width=64\nheight=64"), 18,
                                                                    "width=65536\nheight=65536"));
  EXPECT_CONTAINS(msg, "huge.cfg:2: [net] width=65536 height=65536 needs ~");
  EXPECT_CONTAINS(msg, "of physical memory: lower width and height");
  // A documented cap, DN_MEMORY_LIMIT_MB, lowers it.
  msg = init_error("big.cfg", std::string(cfg).replace(cfg.find("width=64\nheight=64"), 18, "width=2000\nheight=2000"),
                   "DN_MEMORY_LIMIT_MB=64");
  EXPECT_CONTAINS(msg, "big.cfg:2: [net] width=2000 height=2000 needs ~");
  EXPECT_CONTAINS(msg, "more than the 64 MiB (the DN_MEMORY_LIMIT_MB cap): lower width and height");
  // Training at batch 256: one image per forward would fit, 256 do not.
  write("batch.cfg", std::string(cfg).replace(cfg.find("batch=2"), 7, "batch=256"));
  msg = error_of("detector train tiny.data batch.cfg -dont_show -chart ''", "DN_MEMORY_LIMIT_MB=64");
  EXPECT_CONTAINS(msg, "batch.cfg:5: [net] batch=256 (batch/subdivisions = 256 images per forward) needs ~");
  EXPECT_CONTAINS(msg, "to train, more than the 64 MiB (the DN_MEMORY_LIMIT_MB cap): lower batch or raise subdivisions");
}

TEST_F(HardeningCfg, PoolAndUpsampleSizesAreFileLineErrors) {
  EXPECT_EQ(init_error("pool.cfg", "[net]\nwidth=2\nheight=8\n[maxpool]\nsize=5\npadding=0\n"),
            "pool.cfg:5: [maxpool] size=5: pool window larger than its input 2x8 (padding=0)");
  EXPECT_EQ(init_error("up.cfg", "[net]\nwidth=13\nheight=13\n[upsample]\nstride=1000000000\n"),
            "up.cfg:5: [upsample] stride=1000000000 is out of range (1..65536)");
  EXPECT_EQ(init_error("up2.cfg", "[net]\nwidth=13\nheight=13\n[upsample]\nstride=60000\n"),
            "up2.cfg:5: [upsample] stride=60000 makes the output 780000 pixels high (it must be 1..65536)");
}

TEST_F(HardeningCfg, HugeLinesAreCutAndEscapedInErrors) {
  // A 50 MB cfg line starting with a control byte: the message shows 80 characters and the length.
  const std::string huge = "\x01" + std::string(50'000'000, 'x');
  const std::string msg = init_error("huge_line.cfg", "[net]\nwidth=64\nheight=64\n" + huge + "\n");
  EXPECT_EQ(msg, "huge_line.cfg:4: malformed line (expected key=value): '\\x01" + std::string(79, 'x') +
                     "...' (50000001 bytes)");
  // A huge value.
  EXPECT_EQ(init_error("huge_value.cfg", "[net]\nwidth=" + std::string(1'000'000, '7') + "\nheight=64\n[maxpool]\n"),
            "huge_value.cfg:2: bad integer for 'width': '" + std::string(80, '7') + "...' (1000000 bytes)");
  // In a .data file too.
  write("huge.data", "classes=2\n" + std::string(1'000'000, 'y') + "\x7f\n");
  EXPECT_EQ(error_of("detector test huge.data tiny.cfg tiny.weights dog.jpg"),
            "huge.data:2: malformed line (expected key=value): '" + std::string(80, 'y') + "...' (1000001 bytes)");
  // An unknown section name and an unused key with odd bytes: escaped in the warning/error.
  EXPECT_EQ(init_error("section.cfg", "[net]\nwidth=8\nheight=8\n[conv\x1b" + std::string(200, 'z') + "]\n"),
            "section.cfg:4: unknown section ['conv\\x1b" + std::string(75, 'z') +
                "...' (205 bytes)] (known: net, avg, avgpool, conv, convolutional, dropout, max, maxpool, route, "
                "shortcut, upsample, yolo)");
}

// ---- 7. duplicate keys: the first wins (Darknet's option_find), the others warn ------------

TEST_F(HardeningCfg, DuplicateCfgKeyFirstWinsWithAWarning) {
  // filters=14 (what [yolo] needs) first, filters=99 second: the first is used.
  std::string cfg = tiny_cfg();
  write("dup.cfg", std::string(cfg).replace(cfg.find("size=3\n"), 7, "size=3\nfilters=99\n"));
  RunResult r = run("init dup.cfg dup.weights");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, "dup.cfg:12: warning: [convolutional] duplicate key 'filters' ignored: the first, at line 10, "
                         "is used (as in Darknet)");
  EXPECT_TRUE(fs::exists(path("dup.weights")));
  // The error of a bad first occurrence points at it, not at a later good one.
  EXPECT_EQ(init_error("dup_bad.cfg", tiny_cfg("classes=2\n", "14", "0")),
            "dup_bad.cfg:16: [yolo] classes=0 is out of range (1..65536)");
}

TEST_F(HardeningCfg, DuplicateDataKeyFirstWinsWithAWarning) {
  write("dup.data", "classes=2\nnames=two.names\nnames=missing.names\n");
  RunResult r = run("detector test dup.data tiny.cfg tiny.weights dog.jpg -thresh .9");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, "dup.data:3: warning: duplicate key 'names' ignored: the first, at line 2, is used (as in Darknet)");
}

}  // namespace
}  // namespace dn
