#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "core/fileio.hpp"
#include "core/error.hpp"
#include "data/augment.hpp"
#include "data/labels.hpp"
#include "data/loader.hpp"
#include "image/image.hpp"

namespace fs = std::filesystem;
using namespace dn;

namespace {

const std::string kBccd = DN_SHARED_DIR "/datasets/bccd";

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("dn_test_data_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f << text;
}

int count_lines_equal(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  int n = 0;
  for (std::string l; std::getline(in, l);) n += l == line;
  return n;
}

std::vector<std::string> bccd_first(int n) {
  std::vector<std::string> all = read_image_list(kBccd + "/train.txt", kBccd);
  all.resize(n);
  return all;
}

// Restores the current folder when the test ends.
struct ChangeDir {
  fs::path old = fs::current_path();
  explicit ChangeDir(const fs::path& to) { fs::current_path(to); }
  ~ChangeDir() { fs::current_path(old); }
};

}  // namespace

TEST(Labels, LabelPathRules) {
  fs::path d = temp_dir("labelpath");
  write_file(d / "voc/labels/a.txt", "");
  write_file(d / "coco/labels/train/b.txt", "");
  write_file(d / "flat/c.txt", "");
  EXPECT_EQ(label_path_for((d / "voc/JPEGImages/a.jpg").string()), (d / "voc/labels/a.txt").string());
  EXPECT_EQ(label_path_for((d / "coco/images/train/b.JPEG").string()), (d / "coco/labels/train/b.txt").string());
  // No labels/ file: the .txt beside the image.
  EXPECT_EQ(label_path_for((d / "flat/c.png").string()), (d / "flat/c.txt").string());
  // Neither exists: the usual place (so the warning names it).
  EXPECT_EQ(label_path_for((d / "x/images/dog.jpg").string()), (d / "x/labels/dog.txt").string());
  // A dot in a folder name is not an extension.
  EXPECT_EQ(label_path_for("/no/such.dir/images/img"), "/no/such.dir/labels/img.txt");
  fs::remove_all(d);
}

TEST(Labels, ReadsGoodFile) {
  fs::path d = temp_dir("goodlabels");
  write_file(d / "good.txt", "0 0.5 0.5 0.2 0.4\r\n\n2 0.1 0.9 1 0.05  \n");
  BadList bad((d / "bad.list").string());
  testing::internal::CaptureStderr();
  std::vector<LabelBox> boxes = read_labels((d / "good.txt").string(), 3, &bad);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes[0].cls, 0);
  EXPECT_FLOAT_EQ(boxes[0].box.x, 0.5f);
  EXPECT_FLOAT_EQ(boxes[0].box.h, 0.4f);
  EXPECT_EQ(boxes[1].cls, 2);
  EXPECT_FLOAT_EQ(boxes[1].box.y, 0.9f);
  EXPECT_FLOAT_EQ(boxes[1].box.w, 1.0f);
  EXPECT_TRUE(bad.paths().empty());
  EXPECT_FALSE(fs::exists(d / "bad.list"));
  fs::remove_all(d);
}

TEST(Labels, MissingAndMalformedAreReportedOnce) {
  fs::path d = temp_dir("badlabels");
  const std::string malformed = (d / "malformed.txt").string();
  write_file(malformed,
             "0 0.5 0.5 0.2 0.4\n"
             "1 0.5 0.5 0.2\n"          // line 2: four fields
             "1 0.5 zero 0.2 0.2\n"     // bad number
             "3 0.5 0.5 0.2 0.2\n"      // class out of range
             "-1 0.5 0.5 0.2 0.2\n"     // negative class
             "1 0.5 0.5 0 0.2\n"        // zero width
             "1 0.5 0.5 0.2 1.5\n"      // height > 1
             "1 1.5 0.5 0.2 0.2\n"      // centre outside
             "1.5 0.5 0.5 0.2 0.2\n"    // fractional class
             "1 0.5 0.5 0.2 0.2 7\n"    // six fields
             "2 0.25 0.75 0.1 0.1\n");
  const std::string missing = (d / "missing.txt").string();
  ChangeDir cd(d);  // the default bad.list lives in the current folder
  BadList bad;
  testing::internal::CaptureStderr();
  std::vector<LabelBox> boxes = read_labels(malformed, 3, &bad);
  std::vector<LabelBox> again = read_labels(malformed, 3, &bad);
  std::vector<LabelBox> none = read_labels(missing, 3, &bad);
  read_labels(missing, 3, &bad);
  std::string err = testing::internal::GetCapturedStderr();

  ASSERT_EQ(boxes.size(), 2u);  // the good lines survive
  EXPECT_EQ(boxes[0].cls, 0);
  EXPECT_EQ(boxes[1].cls, 2);
  EXPECT_FLOAT_EQ(boxes[1].box.x, 0.25f);
  EXPECT_EQ(again.size(), 2u);
  EXPECT_TRUE(none.empty());

  // One message per file, naming the file and the first bad line.
  EXPECT_NE(err.find(malformed + ":2: warning: "), std::string::npos) << err;
  EXPECT_NE(err.find("expected 5 fields"), std::string::npos) << err;
  EXPECT_NE(err.find("9 bad lines"), std::string::npos) << err;
  EXPECT_NE(err.find(missing + ": warning: "), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 2) << err;

  std::string list = read_text_file(d / "bad.list");
  EXPECT_EQ(count_lines_equal(list, malformed), 1) << list;
  EXPECT_EQ(count_lines_equal(list, missing), 1) << list;
  EXPECT_EQ(bad.paths(), (std::vector<std::string>{malformed, missing}));
}

TEST(Labels, EachBadLineKindIsRejected) {
  fs::path d = temp_dir("kinds");
  const char* lines[] = {"1 0.5 0.5 0.2", "1 0.5 zero 0.2 0.2", "3 0.5 0.5 0.2 0.2", "1 0.5 0.5 0 0.2",
                         "1 0.5 0.5 0.2 1.5", "1 0.5 -0.2 0.2 0.2", "1 0.5 0.5 -0.1 0.2", "1 nan 0.5 0.2 0.2"};
  int i = 0;
  for (const char* line : lines) {
    const std::string p = (d / ("l" + std::to_string(i++) + ".txt")).string();
    write_file(p, std::string(line) + "\n");
    BadList bad("");
    testing::internal::CaptureStderr();
    EXPECT_TRUE(read_labels(p, 3, &bad).empty()) << line;
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find(p + ":1: warning:"), std::string::npos) << line << " -> " << err;
  }
  fs::remove_all(d);
}

TEST(Labels, ImageListResolvesRelativePaths) {
  fs::path d = temp_dir("list");
  write_file(d / "data/imgs/a.jpg", "x");
  write_file(d / "data/imgs/b.jpg", "x");
  write_file(d / "here/c.jpg", "x");
  write_file(d / "abs.jpg", "x");
  const std::string abs = (d / "abs.jpg").string();
  write_file(d / "data/list.txt", "imgs/a.jpg\r\n\n  imgs/b.jpg  \nhere/c.jpg\n" + abs + "\nimgs/missing.jpg\n");
  ChangeDir cd(d);  // here/c.jpg exists relative to the current folder
  std::vector<std::string> paths = read_image_list((d / "data/list.txt").string(), (d / "data").string());
  ASSERT_EQ(paths.size(), 5u);
  EXPECT_EQ(paths[0], (d / "data/imgs/a.jpg").string());
  EXPECT_EQ(paths[1], (d / "data/imgs/b.jpg").string());
  EXPECT_EQ(paths[2], "here/c.jpg");
  EXPECT_EQ(paths[3], abs);
  EXPECT_EQ(paths[4], "imgs/missing.jpg");  // found nowhere: kept as written, the loader reports it

  const std::string missing_list = (d / "nope.txt").string();
  try {
    read_image_list(missing_list, "");
    ADD_FAILURE() << "no error for a missing list";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing_list), std::string::npos) << e.what();
  }
}

TEST(Augment, BoxesFollowTheImage) {
  // A white rectangle on black; after augmentation the white pixels must lie exactly under the box.
  const int W = 200, H = 150, X0 = 50, X1 = 100, Y0 = 40, Y1 = 80;  // white: [X0, X1) x [Y0, Y1)
  Image src = make_image(W, H, 3, 0);
  for (int k = 0; k < 3; ++k)
    for (int y = Y0; y < Y1; ++y)
      for (int x = X0; x < X1; ++x) src.at(x, y, k) = 1;
  AugmentParams p;
  p.w = 160;
  p.h = 128;
  p.jitter = 0.3f;
  p.hue = 0;
  p.saturation = 1;
  p.exposure = 1;
  p.flip = true;
  Rng rng(42);
  int kept = 0, dropped = 0, flipped_seen = 0;
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<LabelBox> boxes = {{1, {(X0 + X1) / 2.0f / W, (Y0 + Y1) / 2.0f / H, float(X1 - X0) / W, float(Y1 - Y0) / H}}};
    Image out = augment_image(src, boxes, p, rng);
    ASSERT_EQ(out.w, p.w);
    ASSERT_EQ(out.h, p.h);
    int wx0 = p.w, wx1 = -1, wy0 = p.h, wy1 = -1;
    for (int y = 0; y < p.h; ++y)
      for (int x = 0; x < p.w; ++x)
        if (out.at(x, y, 0) > 0.75f) {
          wx0 = std::min(wx0, x);
          wx1 = std::max(wx1, x + 1);
          wy0 = std::min(wy0, y);
          wy1 = std::max(wy1, y + 1);
        }
    if (boxes.empty()) {
      ++dropped;
      // Only a sliver (under one pixel) of white may remain.
      EXPECT_TRUE(wx1 < 0 || wx1 - wx0 <= 2 || wy1 - wy0 <= 2) << iter;
      continue;
    }
    ++kept;
    ASSERT_EQ(boxes.size(), 1u);
    EXPECT_EQ(boxes[0].cls, 1);
    const Box& b = boxes[0].box;
    ASSERT_GE(wx1, 0) << "box kept but no white pixel, iteration " << iter;
    const float bl = (b.x - b.w / 2) * p.w, br = (b.x + b.w / 2) * p.w;
    const float bt = (b.y - b.h / 2) * p.h, bb = (b.y + b.h / 2) * p.h;
    EXPECT_NEAR(bl, wx0, 1.5) << iter;
    EXPECT_NEAR(br, wx1, 1.5) << iter;
    EXPECT_NEAR(bt, wy0, 1.5) << iter;
    EXPECT_NEAR(bb, wy1, 1.5) << iter;
    EXPECT_GE(bl, -1e-4f);
    EXPECT_LE(br, p.w + 1e-3f);
    flipped_seen += b.x > 0.5f;  // the rectangle sits in the left half unless mirrored
  }
  EXPECT_GT(kept, 150);
  EXPECT_GT(flipped_seen, 30);
}

TEST(Augment, FlipMirrorsBoxes) {
  Image src = make_image(64, 48, 3);
  Rng fill(1);
  for (auto& v : src.data) v = fill.uniform();
  AugmentParams p;
  p.w = 64;
  p.h = 48;
  p.jitter = 0;  // identity geometry: only the flip differs
  p.hue = 0;
  p.saturation = 1;
  p.exposure = 1;
  const LabelBox truth{0, {0.2f, 0.3f, 0.1f, 0.2f}};
  Image plain, mirrored;
  std::vector<LabelBox> plain_boxes, mirrored_boxes;
  Rng rng(9);
  for (int i = 0; i < 64 && (plain.empty() || mirrored.empty()); ++i) {
    std::vector<LabelBox> boxes = {truth};
    Image out = augment_image(src, boxes, p, rng);
    ASSERT_EQ(boxes.size(), 1u);
    if (boxes[0].box.x < 0.5f) {
      plain = out;
      plain_boxes = boxes;
    } else {
      mirrored = out;
      mirrored_boxes = boxes;
    }
  }
  ASSERT_FALSE(plain.empty());
  ASSERT_FALSE(mirrored.empty());
  EXPECT_NEAR(plain_boxes[0].box.x, 0.2f, 1e-5);
  EXPECT_NEAR(mirrored_boxes[0].box.x, 0.8f, 1e-5);
  EXPECT_NEAR(mirrored_boxes[0].box.y, 0.3f, 1e-5);
  EXPECT_NEAR(mirrored_boxes[0].box.w, 0.1f, 1e-5);
  EXPECT_NEAR(mirrored_boxes[0].box.h, 0.2f, 1e-5);
  for (int k = 0; k < 3; ++k)
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 64; ++x) {
        ASSERT_EQ(mirrored.at(x, y, k), plain.at(63 - x, y, k));
        ASSERT_NEAR(plain.at(x, y, k), src.at(x, y, k), 1e-6);  // jitter 0 is the identity
      }
  // flip = false never mirrors.
  p.flip = false;
  for (int i = 0; i < 20; ++i) {
    std::vector<LabelBox> boxes = {truth};
    augment_image(src, boxes, p, rng);
    EXPECT_NEAR(boxes[0].box.x, 0.2f, 1e-5);
  }
}

TEST(Augment, LetterboxKeepsAspectAndMaxBoxes) {
  // A square stays square in letterbox mode whatever the jitter.
  Image src = make_image(300, 100, 3, 0);
  AugmentParams p;
  p.w = 128;
  p.h = 128;
  p.letterbox = true;
  p.max_boxes = 3;
  Rng rng(3);
  for (int i = 0; i < 50; ++i) {
    std::vector<LabelBox> boxes;
    for (int j = 0; j < 6; ++j) boxes.push_back({j, {(j + 0.5f) / 6, 0.5f, 0.1f, 0.3f}});  // 30x30 px squares
    augment_image(src, boxes, p, rng);
    EXPECT_LE(boxes.size(), 3u);
    for (const LabelBox& b : boxes) {
      bool clipped = b.box.x - b.box.w / 2 < 1e-3f || b.box.x + b.box.w / 2 > 1 - 1e-3f ||
                     b.box.y - b.box.h / 2 < 1e-3f || b.box.y + b.box.h / 2 > 1 - 1e-3f;
      if (!clipped) {
        EXPECT_NEAR(b.box.w * p.w, b.box.h * p.h, 1e-2) << i;
      }
    }
  }
}

TEST(Augment, ColourJitterStaysInRange) {
  Image src = make_image(32, 32, 3);
  Rng fill(2);
  for (auto& v : src.data) v = fill.uniform();
  AugmentParams p;
  p.w = 32;
  p.h = 32;
  p.hue = 0.5f;
  p.saturation = 3;
  p.exposure = 3;
  Rng rng(8);
  bool changed = false;
  for (int i = 0; i < 10; ++i) {
    std::vector<LabelBox> boxes;
    Image out = augment_image(src, boxes, p, rng);
    for (float v : out.data) {
      ASSERT_GE(v, 0.0f);
      ASSERT_LE(v, 1.0f);
    }
    changed |= out.data != src.data;
  }
  EXPECT_TRUE(changed);
}

TEST(Loader, BccdBatchesHaveTheRightShape) {
  std::vector<std::string> paths = bccd_first(8);
  for (const auto& p : paths) ASSERT_TRUE(fs::exists(p)) << p;
  AugmentParams aug;
  aug.w = 160;
  aug.h = 128;
  BadList bad("");
  Loader loader(paths, 3, 4, aug, 1, &bad);
  std::set<std::string> epoch;
  for (int b = 0; b < 2; ++b) {
    Batch batch = loader.next();
    EXPECT_EQ(batch.n, 4);
    EXPECT_EQ(batch.w, 160);
    EXPECT_EQ(batch.h, 128);
    EXPECT_EQ(batch.index, b);
    ASSERT_EQ(batch.images.size(), 4u * 3 * 128 * 160);
    ASSERT_EQ(batch.truths.size(), 4u);
    ASSERT_EQ(batch.paths.size(), 4u);
    for (float v : batch.images) {
      ASSERT_GE(v, 0.0f);
      ASSERT_LE(v, 1.0f);
    }
    int boxes = 0;
    for (const auto& t : batch.truths) {
      boxes += static_cast<int>(t.size());
      for (const LabelBox& lb : t) {
        EXPECT_GE(lb.cls, 0);
        EXPECT_LT(lb.cls, 3);
        EXPECT_GT(lb.box.w, 0);
        EXPECT_LE(lb.box.x + lb.box.w / 2, 1 + 1e-5f);
        EXPECT_GE(lb.box.y - lb.box.h / 2, -1e-5f);
      }
    }
    EXPECT_GT(boxes, 4 * 3);  // blood smears are full of cells
    epoch.insert(batch.paths.begin(), batch.paths.end());
  }
  EXPECT_EQ(epoch.size(), 8u);  // one epoch shows every image once
  EXPECT_TRUE(bad.paths().empty());
  // Multi-scale: the size set now is the size of the next batch.
  loader.set_size(96, 64);
  Batch small = loader.next();
  EXPECT_EQ(small.w, 96);
  EXPECT_EQ(small.h, 64);
  EXPECT_EQ(small.images.size(), 4u * 3 * 64 * 96);
}

TEST(Loader, SameSeedSameBatchesWhateverTheTiming) {
  std::vector<std::string> paths = bccd_first(8);
  AugmentParams aug;
  aug.w = 96;
  aug.h = 96;
  auto run = [&](uint64_t seed, bool slow) {
    Loader loader(paths, 3, 3, aug, seed, nullptr);
    std::vector<Batch> out;
    for (int b = 0; b < 4; ++b) {
      if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(150));  // prefetch done
      if (b == 2) loader.set_size(64, 128);
      out.push_back(loader.next());
    }
    return out;
  };
  std::vector<Batch> a = run(7, false), b = run(7, true), c = run(8, false);
  ASSERT_EQ(a.size(), b.size());
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].w, b[i].w);
    EXPECT_EQ(a[i].h, b[i].h);
    EXPECT_EQ(a[i].paths, b[i].paths) << i;
    EXPECT_TRUE(a[i].images == b[i].images) << "batch " << i;
    ASSERT_EQ(a[i].truths.size(), b[i].truths.size());
    for (size_t j = 0; j < a[i].truths.size(); ++j) {
      ASSERT_EQ(a[i].truths[j].size(), b[i].truths[j].size());
      for (size_t k = 0; k < a[i].truths[j].size(); ++k) {
        EXPECT_EQ(a[i].truths[j][k].cls, b[i].truths[j][k].cls);
        EXPECT_EQ(a[i].truths[j][k].box.x, b[i].truths[j][k].box.x);
        EXPECT_EQ(a[i].truths[j][k].box.h, b[i].truths[j][k].box.h);
      }
    }
    differs |= a[i].images != c[i].images || a[i].paths != c[i].paths;
  }
  EXPECT_EQ(a[2].w, 64);
  EXPECT_EQ(a[2].h, 128);
  EXPECT_EQ(a[1].w, 96);
  EXPECT_TRUE(differs);
}

TEST(Loader, UnreadableImageIsReplacedAndReportedOnce) {
  fs::path d = temp_dir("loader_bad");
  std::vector<std::string> paths = bccd_first(3);
  const std::string corrupt = (d / "images/corrupt.jpg").string();
  write_file(corrupt, "not an image");
  paths.push_back(corrupt);
  const std::string list = (d / "bad.list").string();
  BadList bad(list);
  AugmentParams aug;
  aug.w = 64;
  aug.h = 64;
  testing::internal::CaptureStderr();
  {
    Loader loader(paths, 3, 2, aug, 3, &bad);
    for (int b = 0; b < 8; ++b) {  // four epochs: the corrupt file comes up every epoch
      Batch batch = loader.next();
      for (const auto& p : batch.paths) EXPECT_NE(p, corrupt);
    }
  }
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(corrupt + ": warning: cannot read image"), std::string::npos) << err;
  EXPECT_EQ(count_lines_equal(read_text_file(list), corrupt), 1);
  // Its missing label file is never looked for: the image was skipped before labels.
  EXPECT_EQ(bad.paths(), std::vector<std::string>{corrupt});
  fs::remove_all(d);
}

TEST(Loader, DestructorJoinsWhilePreparing) {
  AugmentParams aug;
  aug.w = 416;
  aug.h = 416;
  for (int i = 0; i < 3; ++i) {
    Loader loader(bccd_first(8), 3, 8, aug, i, nullptr);  // destroyed while the first batch is built
  }
  SUCCEED();
}

TEST(Loader, RejectsEmptyList) {
  AugmentParams aug;
  EXPECT_THROW(Loader({}, 3, 2, aug, 0, nullptr), Error);
}
