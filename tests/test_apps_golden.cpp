// Golden tests against AlexeyAB's darknet on a real model: yolo-fastest-1.1-xl (COCO, an
// AlexeyAB-format cfg used unchanged: depthwise groups, scale_x_y, nms_kind=greedynms, iou_loss,
// iou_thresh ...) and the outputs AlexeyAB's own binary printed for it
// (../shared/models/yolo-fastest-1.1-xl/golden, how they were made: ../shared/models/README.md).
// Both run our built binary as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "app_fixtures.hpp"
#include "core/box.hpp"
#include "core/fileio.hpp"
#include "net_fixtures.hpp"

namespace dn {
namespace {

namespace fs = std::filesystem;
using testing::Json;
using testing::JsonParser;
using testing::quote;
using testing::RunResult;

const std::string kShared = DN_SHARED_DIR;
const std::string kModel = kShared + "/models/yolo-fastest-1.1-xl/";
const std::string kCfg = kModel + "yolo-fastest-1.1-xl.cfg";
const std::string kWeights = kModel + "yolo-fastest-1.1-xl.weights";

// Runs darknet in dir (stdout in out.txt, stderr in err.txt there); the exit status (-1 when
// killed by a signal).
int run_darknet(const std::string& dir, const std::string& args, const std::string& input = "") {
  const RunResult r = testing::run_darknet(dir, args, input);
  return r.signaled ? -1 : r.status;
}

struct GoldenDetection {
  int cls = 0;
  float confidence = 0;
  Box box;
};

// The -out JSON (Darknet's format, ours and AlexeyAB's alike): detections by image file name.
std::map<std::string, std::vector<GoldenDetection>> read_detections(const std::string& path) {
  const Json doc = JsonParser(read_text_file(path)).parse_document();
  std::map<std::string, std::vector<GoldenDetection>> out;
  for (const Json& frame : doc.items) {
    auto& dets = out[fs::path(frame["filename"].str).filename().string()];
    for (const Json& o : frame["objects"].items) {
      const Json& rc = o["relative_coordinates"];
      dets.push_back({static_cast<int>(o["class_id"].num), static_cast<float>(o["confidence"].num),
                      Box{static_cast<float>(rc["center_x"].num), static_cast<float>(rc["center_y"].num),
                          static_cast<float>(rc["width"].num), static_cast<float>(rc["height"].num)}});
    }
  }
  return out;
}

TEST(AlexeyAbGolden, DetectorTestOnFivePhotosGivesItsDetections) {
  const std::string dir = testing::temp_dir("golden_test");
  const std::vector<std::string> photos = {"dog.jpg", "person.jpg", "horses.jpg", "eagle.jpg", "giraffe.jpg"};
  std::string list;  // one path a line on stdin, as AlexeyAB's run had them
  for (const auto& p : photos) list += kShared + "/media/" + p + "\n";
  std::ofstream(dir + "/coco.data") << "classes = 80\nnames = " << kModel << "coco.names\n";
  // AlexeyAB's detector test stretches the image to the network unless given -letter_box:
  // ours letterboxes unless given -no_letterbox.
  ASSERT_EQ(run_darknet(dir,
                        "detector test coco.data " + quote(kCfg) + " " + quote(kWeights) +
                            " -dont_show -ext_output -thresh 0.25 -no_letterbox -out ours.json",
                        list),
            0)
      << read_text_file(dir + "/err.txt");
  const auto golden = read_detections(kModel + "golden/alexeyab_test_media.json");
  const auto ours = read_detections(dir + "/ours.json");
  ASSERT_EQ(golden.size(), photos.size());
  int matched = 0;
  for (const auto& [file, want] : golden) {
    ASSERT_TRUE(ours.count(file)) << file << " missing from our output";
    const auto& got = ours.at(file);
    std::vector<char> used(got.size(), 0);
    for (const GoldenDetection& g : want) {
      // Its counterpart: the unused detection of the same class that overlaps it most.
      int best = -1;
      float best_iou = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        if (used[i] || got[i].cls != g.cls) continue;
        const float iou = box_iou(g.box, got[i].box);
        if (best < 0 || iou > best_iou) {
          best = static_cast<int>(i);
          best_iou = iou;
        }
      }
      ASSERT_GE(best, 0) << file << ": AlexeyAB's class " << g.cls << " (" << g.confidence << ") is missing";
      used[best] = 1;
      EXPECT_GT(best_iou, .98f) << file << " class " << g.cls;
      EXPECT_LT(std::fabs(got[best].confidence - g.confidence), .002f) << file << " class " << g.cls;
      ++matched;
    }
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_TRUE(used[i]) << file << ": extra detection of class " << got[i].cls << " (" << got[i].confidence << ")";
  }
  EXPECT_EQ(matched, 21);  // the golden file's count
  fs::remove_all(dir);
}

// "class_id = N, name = X, ap = Y%" and "mean average precision (mAP@0.50) = Z" of a map printout.
struct MapPrintout {
  std::map<int, double> ap;  // percent
  double map50 = -1;
};
MapPrintout parse_map_printout(const std::string& text) {
  MapPrintout p;
  const std::regex cls(R"(class_id = (\d+), name = [^,]*, ap = ([0-9.]+)\s*%)");
  for (std::sregex_iterator it(text.begin(), text.end(), cls), end; it != end; ++it)
    p.ap[std::stoi((*it)[1])] = std::stod((*it)[2]);
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"(mean average precision \(mAP@0\.50\) = ([0-9.]+))")))
    p.map50 = std::stod(m[1]);
  return p;
}

TEST(AlexeyAbGolden, DetectorMapOnCoco128GivesItsMap) {
  const std::string dir = testing::temp_dir("golden_map");
  const std::string data = kShared + "/datasets/coco128/";
  {
    // AlexeyAB's run: valid.txt followed by train.txt, 256 images.
    std::ofstream list(dir + "/all.txt");
    for (const char* part : {"valid.txt", "train.txt"}) {
      std::ifstream in(data + part);
      for (std::string l; std::getline(in, l);)
        if (!l.empty()) list << data << l << "\n";
    }
  }
  std::ofstream(dir + "/coco128.data") << "classes = 80\nvalid = " << dir << "/all.txt\nnames = " << data
                                       << "coco128.names\n";
  ASSERT_EQ(run_darknet(dir, "detector map coco128.data " + quote(kCfg) + " " + quote(kWeights)), 0)
      << read_text_file(dir + "/err.txt");
  const MapPrintout golden = parse_map_printout(read_text_file(kModel + "golden/alexeyab_map_coco128.txt"));
  const MapPrintout ours = parse_map_printout(read_text_file(dir + "/out.txt"));
  ASSERT_EQ(golden.ap.size(), 80u);
  ASSERT_EQ(ours.ap.size(), 80u) << read_text_file(dir + "/out.txt");
  EXPECT_NEAR(golden.map50, .423293, 1e-6);
  EXPECT_NEAR(ours.map50, golden.map50, .002);
  for (const auto& [c, ap] : golden.ap) EXPECT_NEAR(ours.ap.at(c), ap, 1.0) << "class " << c;
  std::printf("mAP@0.50: ours %.6f, AlexeyAB %.6f\n", ours.map50, golden.map50);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dn
