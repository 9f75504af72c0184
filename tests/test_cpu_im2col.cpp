// im2col and col2im_add against plain per-element references, over kernel sizes, strides, pads
// (including pads that leave a kernel column with no valid output) and odd image sizes:
//   - im2col equals the reference exactly (it only copies);
//   - col2im_add equals a reference that adds every term with bounds checks in the same
//     (ky, kx) order, exactly (same float sums), and adds to what im held before;
//   - the two are adjoint: <im2col(x), y> = <x, col2im(y)> in double.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.hpp"
#include "cpu/im2col.hpp"

namespace dn {
namespace {

struct Shape {
  int c, h, w, k, s, p;
  int out_h() const { return (h + 2 * p - k) / s + 1; }
  int out_w() const { return (w + 2 * p - k) / s + 1; }
};

std::vector<float> random_values(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(-1.f, 1.f);
  return v;
}

// col[(c, ky, kx)][oy][ox] = im[c][oy*s + ky - p][ox*s + kx - p], 0 outside.
float im_at(const std::vector<float>& im, const Shape& sh, int c, int iy, int ix) {
  if (iy < 0 || iy >= sh.h || ix < 0 || ix >= sh.w) return 0.f;
  return im[(static_cast<size_t>(c) * sh.h + iy) * sh.w + ix];
}

std::vector<Shape> shapes() {
  std::vector<Shape> v;
  for (int k : {1, 2, 3, 5})
    for (int s : {1, 2, 3})
      for (int p : {0, 1, 2, 4})
        for (auto hw : {std::pair{7, 9}, std::pair{12, 5}, std::pair{4, 4}}) {
          Shape sh{2, hw.first, hw.second, k, s, p};
          if (sh.h + 2 * p < k || sh.w + 2 * p < k) continue;
          v.push_back(sh);
        }
  return v;
}

std::string name(const Shape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w) + " k" + std::to_string(s.k) +
         " s" + std::to_string(s.s) + " p" + std::to_string(s.p);
}

TEST(Im2col, EqualsReference) {
  for (const Shape& sh : shapes()) {
    const auto im = random_values(static_cast<size_t>(sh.c) * sh.h * sh.w, 1);
    const int oh = sh.out_h(), ow = sh.out_w();
    std::vector<float> col(static_cast<size_t>(sh.c) * sh.k * sh.k * oh * ow, 7.f);
    im2col(im.data(), sh.c, sh.h, sh.w, sh.k, sh.s, sh.p, col.data());
    size_t i = 0;
    for (int c = 0; c < sh.c; ++c)
      for (int ky = 0; ky < sh.k; ++ky)
        for (int kx = 0; kx < sh.k; ++kx)
          for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox, ++i)
              ASSERT_EQ(col[i], im_at(im, sh, c, oy * sh.s + ky - sh.p, ox * sh.s + kx - sh.p))
                  << name(sh) << " row (" << c << "," << ky << "," << kx << ") at " << oy << "," << ox;
  }
}

TEST(Col2im, AddsExactlyWhatThePlainLoopAdds) {
  for (const Shape& sh : shapes()) {
    const int oh = sh.out_h(), ow = sh.out_w();
    const auto col = random_values(static_cast<size_t>(sh.c) * sh.k * sh.k * oh * ow, 2);
    const auto before = random_values(static_cast<size_t>(sh.c) * sh.h * sh.w, 3);
    std::vector<float> want = before;
    size_t i = 0;
    for (int c = 0; c < sh.c; ++c)
      for (int ky = 0; ky < sh.k; ++ky)
        for (int kx = 0; kx < sh.k; ++kx)
          for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox, ++i) {
              const int iy = oy * sh.s + ky - sh.p, ix = ox * sh.s + kx - sh.p;
              if (iy >= 0 && iy < sh.h && ix >= 0 && ix < sh.w)
                want[(static_cast<size_t>(c) * sh.h + iy) * sh.w + ix] += col[i];
            }
    std::vector<float> got = before;
    col2im_add(col.data(), sh.c, sh.h, sh.w, sh.k, sh.s, sh.p, got.data());
    ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0) << name(sh);
  }
}

TEST(Col2im, IsTheAdjointOfIm2col) {
  for (const Shape& sh : shapes()) {
    const size_t n_im = static_cast<size_t>(sh.c) * sh.h * sh.w;
    const size_t n_col = static_cast<size_t>(sh.c) * sh.k * sh.k * sh.out_h() * sh.out_w();
    const auto x = random_values(n_im, 4), y = random_values(n_col, 5);
    std::vector<float> ax(n_col), aty(n_im, 0.f);
    im2col(x.data(), sh.c, sh.h, sh.w, sh.k, sh.s, sh.p, ax.data());
    col2im_add(y.data(), sh.c, sh.h, sh.w, sh.k, sh.s, sh.p, aty.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < n_col; ++i) lhs += static_cast<double>(ax[i]) * y[i];
    for (size_t i = 0; i < n_im; ++i) rhs += static_cast<double>(x[i]) * aty[i];
    EXPECT_NEAR(lhs, rhs, 1e-5 * (1 + std::abs(lhs))) << name(sh);
  }
}

}  // namespace
}  // namespace dn
