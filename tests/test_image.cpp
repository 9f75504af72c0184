#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "image/draw.hpp"
#include "image/image.hpp"

namespace fs = std::filesystem;
using namespace dn;

namespace {

const std::string kDog = DN_SHARED_DIR "/media/dog.jpg";

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("dn_test_image_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

Image from_rows(int w, int h, std::initializer_list<float> values) {
  Image im = make_image(w, h, 1);
  std::copy(values.begin(), values.end(), im.data.begin());
  return im;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Image, LoadsDog) {
  Image im = load_image(kDog);
  EXPECT_EQ(im.w, 768);
  EXPECT_EQ(im.h, 576);
  EXPECT_EQ(im.c, 3);
  ASSERT_EQ(im.data.size(), 768u * 576 * 3);
  float lo = 1, hi = 0;
  for (float v : im.data) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_GE(lo, 0.0f);
  EXPECT_LE(hi, 1.0f);
  EXPECT_LT(lo, 0.1f);  // a real photo: dark and bright pixels
  EXPECT_GT(hi, 0.9f);
  Image grey = load_image(kDog, 1);
  EXPECT_EQ(grey.c, 1);
  EXPECT_EQ(grey.w, 768);
}

TEST(Image, SixteenBitPnmIsRefusedEightBitRead) {
  // fuzz/fuzz_image.cpp found Debian's stb_image reading past its buffer on a 16-bit PGM (this
  // very file): refused by name before stb sees it. An 8-bit PGM reads as before.
  const std::string dir = ::testing::TempDir();
  const std::string bad = dir + "/pgm16.pgm", good = dir + "/pgm8.pgm";
  std::ofstream(bad, std::ios::binary) << "P5\n4 4\n6553\n5" << std::string(25, '~') << "&" << std::string(10, '~');
  std::ofstream(good, std::ios::binary) << "P5\n# a comment\n4 4\n255\n" << std::string(16, '\x80');
  try {
    load_image(bad, 3);
    FAIL() << "a 16-bit PGM was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("16-bit PGM/PPM (maxval 6553) is not supported"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  Image im = load_image(good, 1);
  EXPECT_EQ(im.w, 4);
  EXPECT_NEAR(im.data[0], 128 / 255.f, 1e-6);
}

TEST(Image, CallersPixelLimitRefusesBeforeDecoding) {
  // A Radiance HDR header alone (52 bytes) decodes to an 8192x8192 image of zeros; at the default
  // limit (67 megapixels) that is allowed and takes seconds, which timed out the fuzzer. With a
  // caller's limit it is refused (from the header, or failing that after decoding), naming the
  // file and both sizes.
  const std::string dir = ::testing::TempDir();
  const std::string hdr = dir + "/header_only.hdr";
  std::ofstream(hdr, std::ios::binary) << "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 8192 +X 8192\n";
  const std::string msg = error_of([&] { load_image(hdr, 3, int64_t{1} << 22); });
  EXPECT_NE(msg.find(hdr + ": cannot read image: 8192x8192 is 67 megapixels, more than the limit of 4 megapixels"),
            std::string::npos)
      << msg;
  // The same limit leaves a 768x576 photo alone; one pixel less than it has refuses it.
  EXPECT_EQ(load_image(kDog, 3, 768 * 576).w, 768);
  EXPECT_NE(error_of([&] { load_image(kDog, 3, 768 * 576 - 1); }).find("768x576"), std::string::npos);
}

TEST(Image, ResizeHorizontalGolden) {
  // 3 -> 4 wide: sample positions x * 2/3 = 0, 2/3, 4/3, 2.
  Image up = resize_image(from_rows(3, 1, {0, 1, 0}), 4, 1);
  const float up_expect[] = {0, 2.f / 3, 2.f / 3, 0};
  for (int x = 0; x < 4; ++x) EXPECT_NEAR(up.at(x, 0, 0), up_expect[x], 1e-6) << x;
  // 4 -> 3 wide: positions 0, 1.5, 3.
  Image down = resize_image(from_rows(4, 1, {0, 1, 0.5f, 0.25f}), 3, 1);
  const float down_expect[] = {0, 0.75f, 0.25f};
  for (int x = 0; x < 3; ++x) EXPECT_NEAR(down.at(x, 0, 0), down_expect[x], 1e-6) << x;
}

TEST(Image, ResizeVerticalGolden) {
  Image up = resize_image(from_rows(1, 3, {0, 1, 0}), 1, 4);
  const float expect[] = {0, 2.f / 3, 2.f / 3, 0};
  for (int y = 0; y < 4; ++y) EXPECT_NEAR(up.at(0, y, 0), expect[y], 1e-6) << y;
}

TEST(Image, ResizeTwoDimensionalGolden) {
  // 3x3 -> 4x2: columns at 0, 2/3, 4/3, 2; rows at 0 and 2.
  Image src = from_rows(3, 3, {0, 1, 0,  //
                               1, 1, 1,  //
                               0.5f, 0, 1});
  Image out = resize_image(src, 4, 2);
  const float expect[2][4] = {{0, 2.f / 3, 2.f / 3, 0}, {0.5f, 1.f / 6, 1.f / 3, 1}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 4; ++x) EXPECT_NEAR(out.at(x, y, 0), expect[y][x], 1e-6) << x << "," << y;
  // 2x2 -> 3x3: the centre and edge midpoints average their neighbours.
  Image checker = resize_image(from_rows(2, 2, {0, 1, 1, 0}), 3, 3);
  const float cexpect[3][3] = {{0, .5f, 1}, {.5f, .5f, .5f}, {1, .5f, 0}};
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) EXPECT_NEAR(checker.at(x, y, 0), cexpect[y][x], 1e-6) << x << "," << y;
}

TEST(Image, ResizeKeepsChannelsSeparate) {
  Image im = make_image(5, 4, 3);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x) {
      im.at(x, y, 0) = 0.2f;
      im.at(x, y, 1) = 0.5f;
      im.at(x, y, 2) = 0.9f;
    }
  Image out = resize_image(im, 7, 3);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 7; ++x) {
      EXPECT_NEAR(out.at(x, y, 0), 0.2f, 1e-6);
      EXPECT_NEAR(out.at(x, y, 1), 0.5f, 1e-6);
      EXPECT_NEAR(out.at(x, y, 2), 0.9f, 1e-6);
    }
}

TEST(Image, LetterboxDogGeometry) {
  Image dog = load_image(kDog);
  Image boxed = letterbox_image(dog, 416, 416);
  ASSERT_EQ(boxed.w, 416);
  ASSERT_EQ(boxed.h, 416);
  LetterboxGeometry g = letterbox_geometry(768, 576, 416, 416);
  EXPECT_EQ(g.new_w, 416);
  EXPECT_EQ(g.new_h, 312);
  EXPECT_EQ(g.dx, 0);
  EXPECT_EQ(g.dy, 52);
  Image content = resize_image(dog, 416, 312);
  for (int k = 0; k < 3; ++k)
    for (int y = 0; y < 416; ++y)
      for (int x = 0; x < 416; ++x) {
        if (y < 52 || y >= 364)
          ASSERT_EQ(boxed.at(x, y, k), 0.5f) << x << "," << y;
        else
          ASSERT_EQ(boxed.at(x, y, k), content.at(x, y - 52, k)) << x << "," << y;
      }
  // Portrait: bars left and right.
  Image tall = make_image(100, 200, 3, 1.0f);
  Image tb = letterbox_image(tall, 64, 64);
  EXPECT_EQ(tb.at(0, 32, 0), 0.5f);
  EXPECT_EQ(tb.at(15, 32, 0), 0.5f);
  EXPECT_EQ(tb.at(16, 32, 0), 1.0f);
  EXPECT_EQ(tb.at(47, 32, 0), 1.0f);
  EXPECT_EQ(tb.at(48, 32, 0), 0.5f);
}

TEST(Image, PngRoundTripIsExact) {
  fs::path dir = temp_dir("png");
  Image im = make_image(37, 23, 3);
  Rng rng(7);
  for (auto& v : im.data) v = rng.below(256) / 255.0f;
  const std::string path = (dir / "round.png").string();
  save_image(im, path);
  Image back = load_image(path);
  ASSERT_EQ(back.w, im.w);
  ASSERT_EQ(back.h, im.h);
  ASSERT_EQ(back.c, 3);
  EXPECT_EQ(back.data, im.data);
  // No temporary files left behind.
  int files = 0;
  for (auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  fs::remove_all(dir);
}

TEST(Image, JpegRoundTripIsClose) {
  fs::path dir = temp_dir("jpg");
  Image im = make_image(64, 48, 3);
  for (int k = 0; k < 3; ++k)
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 64; ++x) im.at(x, y, k) = 0.5f + 0.4f * std::sin(0.1f * x + 0.15f * y + k);
  const std::string path = (dir / "round.JPG").string();
  save_image(im, path, 95);
  Image back = load_image(path);
  ASSERT_EQ(back.w, 64);
  ASSERT_EQ(back.h, 48);
  double err = 0;
  for (size_t i = 0; i < im.data.size(); ++i) err += std::fabs(im.data[i] - back.data[i]);
  EXPECT_LT(err / im.data.size(), 0.02);
  fs::remove_all(dir);
}

TEST(Image, ReadErrorsNameThePath) {
  fs::path dir = temp_dir("errors");
  const std::string missing = (dir / "missing.jpg").string();
  std::string msg = error_of([&] { load_image(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot read image"), std::string::npos) << msg;

  const std::string corrupt = (dir / "corrupt.jpg").string();
  {
    std::ofstream f(corrupt, std::ios::binary);
    f << "\xFF\xD8\xFF\xE0 this is not really a jpeg at all";
  }
  msg = error_of([&] { load_image(corrupt); });
  EXPECT_NE(msg.find(corrupt + ": cannot read image: "), std::string::npos) << msg;

  const std::string empty = (dir / "empty.png").string();
  { std::ofstream f(empty); }
  msg = error_of([&] { load_image(empty); });
  EXPECT_NE(msg.find(empty + ": cannot read image: empty file"), std::string::npos) << msg;

  const std::string unwritable = (dir / "no" / "such" / "dir.png").string();
  msg = error_of([&] { save_image(make_image(4, 4, 3), unwritable); });
  EXPECT_NE(msg.find(unwritable), std::string::npos) << msg;
  msg = error_of([&] { save_image(make_image(4, 4, 3), (dir / "x.gifx").string()); });
  EXPECT_NE(msg.find("unknown extension"), std::string::npos) << msg;
  fs::remove_all(dir);
}

TEST(Image, HsvKnownValuesAndRoundTrip) {
  Image im = make_image(4, 1, 3);
  const float colours[4][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 0.5f}, {0.4f, 0.4f, 0.4f}};
  for (int x = 0; x < 4; ++x)
    for (int k = 0; k < 3; ++k) im.at(x, 0, k) = colours[x][k];
  Image hsv = im;
  rgb_to_hsv(hsv);
  const float expect[4][3] = {{0, 1, 1}, {1.f / 3, 1, 1}, {2.f / 3, 1, 0.5f}, {0, 0, 0.4f}};
  for (int x = 0; x < 4; ++x)
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(hsv.at(x, 0, k), expect[x][k], 1e-6) << x << "," << k;

  Image rnd = make_image(50, 20, 3);
  Rng rng(3);
  for (auto& v : rnd.data) v = rng.uniform();
  Image back = rnd;
  rgb_to_hsv(back);
  hsv_to_rgb(back);
  for (size_t i = 0; i < rnd.data.size(); ++i) ASSERT_NEAR(back.data[i], rnd.data[i], 1e-5);
}

TEST(Image, DistortChangesColourOnly) {
  Image im = make_image(8, 8, 3);
  Rng rng(5);
  for (auto& v : im.data) v = rng.uniform();
  Image same = im;
  distort_image(same, 0, 1, 1);
  for (size_t i = 0; i < im.data.size(); ++i) ASSERT_NEAR(same.data[i], im.data[i], 1e-5);
  Image dark = im;
  distort_image(dark, 0, 1, 0.5f);
  for (size_t i = 0; i < im.data.size(); ++i) ASSERT_NEAR(dark.data[i], im.data[i] * 0.5f, 1e-5);
}

TEST(Image, DrawLabelChangesOnlyItsBox) {
  Image im = make_image(200, 100, 3, 0.3f);
  const Image before = im;
  const std::string text = "dog 87%";
  LabelSize size = label_size(im, text);
  EXPECT_GT(size.w, 20);
  EXPECT_GE(size.h, 12);
  const int x0 = 10, y0 = 20;
  draw_label(im, x0, y0, text, 1, 0, 0);
  int fill = 0, ink = 0;
  for (int y = 0; y < im.h; ++y)
    for (int x = 0; x < im.w; ++x) {
      bool inside = x >= x0 && x < x0 + size.w && y >= y0 && y < y0 + size.h;
      float r = im.at(x, y, 0), g = im.at(x, y, 1), b = im.at(x, y, 2);
      if (!inside) {
        for (int k = 0; k < 3; ++k) ASSERT_EQ(im.at(x, y, k), before.at(x, y, k)) << x << "," << y;
        continue;
      }
      if (r == 1 && g == 0 && b == 0)
        ++fill;
      else if (r == 1 && g == 1 && b == 1)  // white ink on a dark-ish red
        ++ink;
      else
        ADD_FAILURE() << "unexpected colour at " << x << "," << y;
    }
  EXPECT_EQ(fill + ink, size.w * size.h);
  EXPECT_GT(ink, 30);  // text is really drawn
  EXPECT_GT(fill, ink);

  // Light background gets black ink; clipping at the edges is safe.
  Image edge = make_image(60, 30, 3, 0.3f);
  draw_label(edge, 50, 25, "person", 1, 1, 0);
  draw_label(edge, -20, -5, "person", 1, 1, 0);
  bool black = false;
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 60; ++x) black |= edge.at(x, y, 0) == 0 && edge.at(x, y, 1) == 0;
  EXPECT_TRUE(black);
}

TEST(Image, DrawBoxOutline) {
  Image im = make_image(20, 20, 3);
  draw_box(im, 15, 14, 4, 3, 0, 1, 0, 2);  // corners in any order
  EXPECT_EQ(im.at(4, 3, 1), 1.0f);
  EXPECT_EQ(im.at(15, 14, 1), 1.0f);
  EXPECT_EQ(im.at(5, 4, 1), 1.0f);  // second ring inside
  EXPECT_EQ(im.at(6, 5, 1), 0.0f);  // interior untouched
  EXPECT_EQ(im.at(3, 3, 1), 0.0f);  // outside untouched
  EXPECT_EQ(im.at(4, 3, 0), 0.0f);
  draw_box(im, -5, -5, 30, 30, 1, 1, 1, 3);  // clipped, no crash
}

TEST(Image, ClassColoursAreDistinct) {
  for (int n : {1, 3, 20, 80}) {
    std::vector<std::array<float, 3>> cols(n);
    for (int c = 0; c < n; ++c) {
      get_class_colour(c, n, cols[c].data());
      for (float v : cols[c]) {
        EXPECT_GE(v, 0.0f);
        EXPECT_LE(v, 1.0f);
      }
    }
    for (int c = 1; c < n; ++c) {
      float d = 0;
      for (int k = 0; k < 3; ++k) d += std::fabs(cols[c][k] - cols[c - 1][k]);
      EXPECT_GT(d, 0.05f) << "classes " << c - 1 << " and " << c << " of " << n;
    }
  }
}
