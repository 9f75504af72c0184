// `darknet detector test` end to end, through the built binary (DN_DARKNET_EXE): yolov3-tiny with
// deterministic random-but-calibrated weights, one image and list mode (stdin), the outputs users
// look at (stdout lines, predictions.jpg, -out JSON as in ../shared/docs/compat.md), and the errors
// (one line on stderr, non-zero exit, no crash).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app_fixtures.hpp"
#include "core/fileio.hpp"
#include "image/image.hpp"
#include "net_fixtures.hpp"
#include "network/network.hpp"

namespace dn {
namespace {

namespace fs = std::filesystem;
using testing::Json;
using testing::JsonParser;
using testing::quote;
using testing::RunResult;

const std::string kShared = DN_SHARED_DIR;
const std::string kCfg = kShared + "/darknet-cfg/yolov3-tiny.cfg";
const std::string kDog = kShared + "/media/dog.jpg";
const std::string kEagle = kShared + "/media/eagle.jpg";

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "'" << (haystack) << "' lacks '" << (needle) << "'"

TEST(JsonReader, ParsesAndRejects) {
  Json v = JsonParser(R"([{"a": 1.5e2, "b": [true, null, "x\"y"], "c": {}}])").parse_document();
  ASSERT_EQ(v.type, Json::Array);
  EXPECT_EQ(v.items[0]["a"].num, 150);
  EXPECT_EQ(v.items[0]["b"].items[2].str, "x\"y");
  for (const char* bad : {"[1,]", "{\"a\" 1}", "[1] x", "{\"a\":01x}", "[\"a]", "{'a':1}", "[nan]"})
    EXPECT_THROW(JsonParser(bad).parse_document(), std::runtime_error) << bad;
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

class DetectorApp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::temp_dir("apps_detector"));
    // yolov3-tiny with weights calibrated on the letterboxed dog photo: a useful spread of scores,
    // so that some boxes pass -thresh .25.
    auto net = load_network(kCfg, 1);
    Image photo = load_image(kDog, 3);
    Image sized = letterbox_image(photo, net->params.width, net->params.height);
    testing::randomize_network(*net, sized.data, 20240607);
    save_weights(*net, *dir_ + "/tiny.weights");
    fs::copy_file(kShared + "/darknet-cfg/coco.names", *dir_ + "/coco.names", fs::copy_options::overwrite_existing);
    std::ofstream(*dir_ + "/coco.data") << "classes= 80\nnames = coco.names\n";
    names_ = new std::vector<std::string>;
    std::ifstream names(*dir_ + "/coco.names");
    for (std::string l; std::getline(names, l);) names_->push_back(l);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete names_;
  }
  void SetUp() override {
    fs::remove(path("predictions.jpg"));
    fs::remove(path("result.json"));
  }

  static std::string path(const std::string& name) { return *dir_ + "/" + name; }

  // Runs darknet with `args` in the temp folder, stdin from `input` (empty: /dev/null).
  static RunResult run(const std::string& args, const std::string& input = "") {
    std::string in = "/dev/null";
    if (!input.empty()) {
      in = path("stdin.txt");
      std::ofstream(in) << input;
    }
    std::string cmd = "cd " + quote(*dir_) + " && " + quote(DN_DARKNET_EXE) + " " + args + " < " + quote(in) +
                      " > " + quote(path("stdout.txt")) + " 2> " + quote(path("stderr.txt"));
    int st = std::system(cmd.c_str());
    RunResult r;
    if (WIFEXITED(st)) {
      r.status = WEXITSTATUS(st);
      // The shell reports a signal-killed child as 128 + signal.
      r.signaled = r.status > 128;
    } else {
      r.signaled = true;
    }
    r.out = read_text_file(path("stdout.txt"));
    r.err = read_text_file(path("stderr.txt"));
    return r;
  }

  // Checks one JSON frame against the format of compat.md; returns its number of objects.
  static size_t check_frame(const Json& f, int frame_id, const std::string& filename) {
    EXPECT_EQ(f.type, Json::Object);
    EXPECT_TRUE(f.has("frame_id") && f.has("filename") && f.has("objects"));
    if (!(f.has("frame_id") && f.has("filename") && f.has("objects"))) return 0;
    EXPECT_EQ(f["frame_id"].type, Json::Number);
    EXPECT_EQ(f["frame_id"].num, frame_id);
    EXPECT_EQ(f["filename"].type, Json::String);
    EXPECT_EQ(f["filename"].str, filename);
    const Json& objects = f["objects"];
    EXPECT_EQ(objects.type, Json::Array);
    for (const Json& o : objects.items) {
      EXPECT_EQ(o.type, Json::Object);
      for (const char* k : {"class_id", "name", "relative_coordinates", "confidence"})
        EXPECT_TRUE(o.has(k)) << "object without " << k;
      if (!o.has("class_id") || !o.has("name") || !o.has("relative_coordinates") || !o.has("confidence")) continue;
      const double id = o["class_id"].num;
      EXPECT_EQ(o["class_id"].type, Json::Number);
      EXPECT_EQ(id, static_cast<int>(id));
      EXPECT_GE(id, 0);
      EXPECT_LT(id, 80);
      if (id >= 0 && id < 80) {
        EXPECT_EQ(o["name"].str, (*names_)[static_cast<int>(id)]);
      }
      EXPECT_GT(o["confidence"].num, .25);
      EXPECT_LE(o["confidence"].num, 1.0);
      const Json& rc = o["relative_coordinates"];
      for (const char* k : {"center_x", "center_y", "width", "height"}) {
        EXPECT_TRUE(rc.has(k)) << "relative_coordinates without " << k;
        if (rc.has(k)) {
          EXPECT_EQ(rc[k].type, Json::Number) << k;
        }
      }
      if (!rc.has("center_x") || !rc.has("center_y") || !rc.has("width") || !rc.has("height")) continue;
      // Relative to the image. Centres lie on the letterboxed grid: inside the image, or in the
      // letterbox bars (at most a quarter of the height beyond it for these photos). Random
      // weights make some boxes much larger than the image, never empty.
      EXPECT_GE(rc["center_x"].num, 0);
      EXPECT_LE(rc["center_x"].num, 1);
      EXPECT_GT(rc["center_y"].num, -0.26);
      EXPECT_LT(rc["center_y"].num, 1.26);
      EXPECT_GT(rc["width"].num, 0);
      EXPECT_GT(rc["height"].num, 0);
      EXPECT_LT(rc["width"].num, 20);
      EXPECT_LT(rc["height"].num, 20);
    }
    return objects.items.size();
  }

  static Json read_json(const std::string& p) {
    std::string text = read_text_file(p);
    try {
      return JsonParser(text).parse_document();
    } catch (const std::exception& e) {
      ADD_FAILURE() << p << ": " << e.what() << "\n" << text;
      return {};
    }
  }

  std::string base_args() const { return "detector test coco.data " + quote(kCfg) + " tiny.weights"; }

  static std::string* dir_;
  static std::vector<std::string>* names_;
};
std::string* DetectorApp::dir_ = nullptr;
std::vector<std::string>* DetectorApp::names_ = nullptr;

TEST_F(DetectorApp, OneImage) {
  RunResult r = run(base_args() + " " + quote(kDog) + " -thresh 0.25 -ext_output -out result.json -dont_show");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err_lines().size(), 0u) << r.err;
  EXPECT_CONTAINS(r.out, kDog + ": Predicted in ");
  EXPECT_CONTAINS(r.out, " milli-seconds.");
  EXPECT_EQ(count_of(r.out, "Predicted in"), 1);

  // predictions.jpg: a real JPEG of the input's size.
  ASSERT_TRUE(fs::exists(path("predictions.jpg")));
  std::string jpg = read_text_file(path("predictions.jpg"));
  ASSERT_GE(jpg.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(jpg[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(jpg[1]), 0xD8);
  Image out = load_image(path("predictions.jpg"), 3);
  EXPECT_EQ(out.w, 768);
  EXPECT_EQ(out.h, 576);

  // result.json: one frame, and as many objects as "name: NN%" lines, each followed by its box.
  Json doc = read_json(path("result.json"));
  ASSERT_EQ(doc.type, Json::Array);
  ASSERT_EQ(doc.items.size(), 1u);
  size_t objects = check_frame(doc.items[0], 1, kDog);
  EXPECT_GE(objects, 1u) << "the calibrated weights should give at least one box over .25\n" << r.out;
  EXPECT_EQ(static_cast<size_t>(count_of(r.out, "%\n")), objects) << r.out;
  EXPECT_GE(count_of(r.out, "(left_x:"), 1);
  EXPECT_LE(static_cast<size_t>(count_of(r.out, "(left_x:")), objects);
  // The "name: NN%" lines come in the JSON's order, with the same names and confidences.
  std::vector<std::pair<std::string, int>> printed;
  std::stringstream lines(r.out);
  for (std::string l; std::getline(lines, l);) {
    size_t colon = l.rfind(": ");
    if (l.empty() || l.back() != '%' || colon == std::string::npos) continue;
    printed.push_back({l.substr(0, colon), std::atoi(l.c_str() + colon + 2)});
  }
  const auto& objs = doc.items[0]["objects"].items;
  ASSERT_EQ(printed.size(), objs.size());
  for (size_t k = 0; k < objs.size(); ++k) {
    EXPECT_EQ(printed[k].first, objs[k]["name"].str) << "detection " << k;
    EXPECT_NEAR(printed[k].second, objs[k]["confidence"].num * 100, 0.51) << "detection " << k;
  }
}

TEST_F(DetectorApp, HigherThresholdGivesFewerBoxes) {
  RunResult low = run(base_args() + " " + quote(kDog) + " -thresh 0.25 -dont_show");
  RunResult high = run(base_args() + " " + quote(kDog) + " -thresh 0.6 -dont_show");
  ASSERT_EQ(low.status, 0) << low.err;
  ASSERT_EQ(high.status, 0) << high.err;
  EXPECT_LE(count_of(high.out, "%\n"), count_of(low.out, "%\n"));
  EXPECT_EQ(count_of(low.out, "(left_x:"), 0);  // no -ext_output
}

TEST_F(DetectorApp, ListModeFromStdin) {
  const std::string missing = path("no_such_image.jpg");
  RunResult r = run(base_args() + " -thresh 0.25 -out result.json -dont_show", kDog + "\n" + missing + "\n" + kEagle + "\n");
  ASSERT_FALSE(r.signaled);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(count_of(r.out, "Predicted in"), 2) << r.out;
  EXPECT_CONTAINS(r.out, kDog + ": Predicted in ");
  EXPECT_CONTAINS(r.out, kEagle + ": Predicted in ");
  auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_CONTAINS(lines[0], missing);
  EXPECT_TRUE(fs::exists(path("predictions.jpg")));

  Json doc = read_json(path("result.json"));
  ASSERT_EQ(doc.type, Json::Array);
  ASSERT_EQ(doc.items.size(), 2u);
  check_frame(doc.items[0], 1, kDog);
  check_frame(doc.items[1], 2, kEagle);
  // predictions.jpg holds the last image (eagle.jpg).
  Image eagle = load_image(kEagle, 3);
  Image out = load_image(path("predictions.jpg"), 3);
  EXPECT_EQ(out.w, eagle.w);
  EXPECT_EQ(out.h, eagle.h);
}

// Every error: non-zero exit without a crash, one line on stderr that says what is wrong.
void expect_clean_failure(const RunResult& r, const std::vector<std::string>& mentions) {
  EXPECT_FALSE(r.signaled) << "crashed: status " << r.status << "\n" << r.err;
  EXPECT_NE(r.status, 0);
  auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  for (const std::string& m : mentions) EXPECT_CONTAINS(lines[0], m);
  EXPECT_EQ(count_of(r.out, "Predicted in"), 0);
}

TEST_F(DetectorApp, MissingWeightsFile) {
  RunResult r = run("detector test coco.data " + quote(kCfg) + " missing.weights " + quote(kDog) + " -dont_show");
  expect_clean_failure(r, {"missing.weights"});
  EXPECT_FALSE(fs::exists(path("predictions.jpg")));
}

TEST_F(DetectorApp, BadFlagValue) {
  RunResult r = run(base_args() + " " + quote(kDog) + " -thresh abc -dont_show");
  expect_clean_failure(r, {"-thresh", "abc"});
}

TEST_F(DetectorApp, UnknownFlag) {
  RunResult r = run(base_args() + " " + quote(kDog) + " -thresh 0.3 -frobnicate -dont_show");
  expect_clean_failure(r, {"-frobnicate"});
}

TEST_F(DetectorApp, CfgWithAnError) {
  std::string cfg = read_text_file(kCfg);
  size_t at = cfg.find("filters=255");
  ASSERT_NE(at, std::string::npos);
  cfg.replace(at, 11, "filters=25x");
  const std::string bad = path("bad.cfg");
  std::ofstream(bad) << cfg;
  const int line = 1 + static_cast<int>(std::count(cfg.begin(), cfg.begin() + at, '\n'));
  RunResult r = run("detector test coco.data bad.cfg tiny.weights " + quote(kDog) + " -dont_show");
  expect_clean_failure(r, {"bad.cfg:" + std::to_string(line) + ":", "25x"});
}

TEST_F(DetectorApp, MissingDataFile) {
  RunResult r = run("detector test nothing.data " + quote(kCfg) + " tiny.weights " + quote(kDog) + " -dont_show");
  expect_clean_failure(r, {"nothing.data"});
}

TEST_F(DetectorApp, MissingSingleImage) {
  RunResult r = run(base_args() + " nothing.jpg -dont_show");
  expect_clean_failure(r, {"nothing.jpg"});
}

}  // namespace
}  // namespace dn
