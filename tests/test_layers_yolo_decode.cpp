// [yolo] decoding with AlexeyAB's keys (src/layers/yolo_box.hpp): scale_x_y, new_coords, and the
// NMS keys nms_kind / beta_nms, read from cfg text.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "layers/layer.hpp"
#include "layers/yolo.hpp"
#include "layers/yolo_box.hpp"
#include "yolo_fixtures.hpp"

namespace {

using dn::YoloDecoding;
using dn::YoloLayer;

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

TEST(YoloDecode, ScaleXYStretchesTheSigmoidAroundTheCellCentre) {
  const YoloDecoding d{1.05f, false};
  for (float t : {-8.f, -2.f, 0.f, .7f, 3.f}) {
    const double want = 1.05 * sigmoid(t) - .025;
    EXPECT_NEAR(dn::yolo_xy_output(t, d), want, 1e-6) << t;
  }
  // The range is (-(s-1)/2, 1 + (s-1)/2): a centre can reach the cell's border and beyond.
  EXPECT_NEAR(dn::yolo_xy_output(40.f, YoloDecoding{2.f, false}), 1.5, 1e-6);
  EXPECT_NEAR(dn::yolo_xy_output(-40.f, YoloDecoding{2.f, false}), -.5, 1e-6);
  // s = 1: YOLOv3's sigmoid exactly.
  EXPECT_EQ(dn::yolo_xy_output(.3f, YoloDecoding{}), dn::yolo_logistic(.3f));
}

TEST(YoloDecode, NewCoordsTakesTheInputAsIsAndSquaresTheSize) {
  const YoloDecoding d{2.f, true};
  EXPECT_NEAR(dn::yolo_xy_output(.75f, d), 2 * .75 - .5, 1e-6);
  EXPECT_EQ(dn::yolo_prob_output(.3f, d), .3f);
  // w = (2 t)^2 anchor / net: t = .5 gives the anchor itself.
  EXPECT_NEAR(dn::yolo_wh(.5f, 116.f, 416, d), 116.0 / 416, 1e-6);
  EXPECT_NEAR(dn::yolo_wh(.25f, 116.f, 416, d), 116.0 / 416 / 4, 1e-6);
  EXPECT_NEAR(dn::yolo_wh(0.f, 116.f, 416, YoloDecoding{}), 116.0 / 416, 1e-6);
}

TEST(YoloDecode, SlopesAreTheDerivatives) {
  for (const YoloDecoding d : {YoloDecoding{}, YoloDecoding{1.2f, false}, YoloDecoding{2.f, true}})
    for (float t : {-2.f, -.3f, .2f, .9f, 2.5f}) {
      const float h = 1e-3f;
      const double xy = (dn::yolo_xy_output(t + h, d) - dn::yolo_xy_output(t - h, d)) / (2 * h);
      EXPECT_NEAR(dn::yolo_xy_slope(t, d), xy, 1e-3 * std::max(1.0, std::fabs(xy)));
      const double wh = (dn::yolo_wh(t + h, 30.f, 416, d) - dn::yolo_wh(t - h, 30.f, 416, d)) / (2 * h);
      EXPECT_NEAR(dn::yolo_wh_slope(t, 30.f, 416, d), wh, 1e-3 * std::max(1.0, std::fabs(wh)));
    }
}

// The layer's forward and get_box with the keys read from a cfg.
std::vector<float> one_anchor_forward(YoloLayer& l, const std::vector<float>& in) {
  l.resize(1, dn::Shape{14, 4, 4});
  dn::RunContext ctx;
  l.forward(ctx, in.data());
  return l.output;
}

TEST(YoloDecode, LayerForwardAndBoxesFollowTheCfg) {
  std::vector<float> in(4 * 4 * 14);
  for (size_t i = 0; i < in.size(); ++i) in[i] = .02f * static_cast<float>(i % 37) - .3f;
  auto plain = dn::testing::build_yolo("");
  auto scaled = dn::testing::build_yolo("scale_x_y=1.2\n");
  auto newc = dn::testing::build_yolo("scale_x_y=2.0\nnew_coords=1\n");
  const auto o_plain = one_anchor_forward(*plain, in), o_scaled = one_anchor_forward(*scaled, in),
             o_new = one_anchor_forward(*newc, in);
  const int hw = 16;
  for (int n = 0; n < 2; ++n)
    for (int loc = 0; loc < hw; ++loc) {
      const size_t x = plain->entry_index(0, n, 0, loc), w = plain->entry_index(0, n, 2, loc),
                   obj = plain->entry_index(0, n, 4, loc), cls = plain->entry_index(0, n, 6, loc);
      EXPECT_NEAR(o_plain[x], sigmoid(in[x]), 1e-6);
      EXPECT_NEAR(o_scaled[x], 1.2 * sigmoid(in[x]) - .1, 1e-6);
      EXPECT_NEAR(o_new[x], 2 * in[x] - .5, 1e-6);
      EXPECT_EQ(o_plain[w], in[w]);
      EXPECT_EQ(o_new[w], in[w]);
      EXPECT_NEAR(o_scaled[obj], sigmoid(in[obj]), 1e-6);
      EXPECT_EQ(o_new[obj], in[obj]);  // new_coords: the convolution applied the logistic
      EXPECT_EQ(o_new[cls], in[cls]);
    }
  // Anchor 1 (mask 1: 23x27) at cell (2, 3) of the 4x4 grid, network 64x64.
  const int loc = 3 * 4 + 2;
  const dn::Box b = scaled->get_box(0, 1, 2, 3, 64, 64);
  EXPECT_NEAR(b.x, (2 + 1.2 * sigmoid(in[scaled->entry_index(0, 1, 0, loc)]) - .1) / 4, 1e-6);
  EXPECT_NEAR(b.y, (3 + 1.2 * sigmoid(in[scaled->entry_index(0, 1, 1, loc)]) - .1) / 4, 1e-6);
  EXPECT_NEAR(b.w, std::exp(in[scaled->entry_index(0, 1, 2, loc)]) * 23 / 64, 1e-6);
  const dn::Box bn = newc->get_box(0, 1, 2, 3, 64, 64);
  const double th = in[newc->entry_index(0, 1, 3, loc)];
  EXPECT_NEAR(bn.h, 4 * th * th * 27 / 64, 1e-6);
}

TEST(YoloDecode, NewCoordsIsForDetectionOnly) {
  auto l = dn::testing::build_yolo("new_coords=1\n");
  l->resize(1, dn::Shape{14, 4, 4});
  std::vector<float> in(4 * 4 * 14, .5f);
  const std::vector<std::vector<dn::Truth>> truths(1);
  try {
    l->compute_loss(in.data(), truths, 64, 64);
    FAIL() << "training with new_coords=1 was accepted";
  } catch (const dn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("new_coords=1"), std::string::npos) << e.what();
  }
  EXPECT_NE(dn::testing::yolo_error_of("new_coords=1\ncls_loss=softmax_focal\n").find("t.cfg:9:"), std::string::npos);
}

TEST(YoloDecode, NmsKeys) {
  EXPECT_EQ(dn::testing::build_yolo("")->nms_kind, dn::NmsKind::iou);
  EXPECT_EQ(dn::testing::build_yolo("nms_kind=default\n")->nms_kind, dn::NmsKind::iou);
  EXPECT_EQ(dn::testing::build_yolo("nms_kind=greedynms\nbeta_nms=0.6\n")->nms_kind, dn::NmsKind::greedy_diou);
  auto d = dn::testing::build_yolo("nms_kind=diounms\nbeta_nms=0.8\n");
  EXPECT_EQ(d->nms_kind, dn::NmsKind::diou);
  EXPECT_FLOAT_EQ(d->beta_nms, .8f);
  const std::string unknown = dn::testing::yolo_error_of("jitter=.3\nnms_kind=fastnms\n");
  EXPECT_NE(unknown.find("t.cfg:9:"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("greedynms"), std::string::npos) << unknown;
  EXPECT_NE(dn::testing::yolo_error_of("nms_kind=cornersnms\n").find("t.cfg:8:"), std::string::npos);
  EXPECT_NE(dn::testing::yolo_error_of("beta_nms=0\n").find("beta_nms"), std::string::npos);
  EXPECT_NE(dn::testing::yolo_error_of("scale_x_y=0\n").find("scale_x_y"), std::string::npos);
  EXPECT_NE(dn::testing::yolo_error_of("new_coords=2\n").find("new_coords"), std::string::npos);
}

}  // namespace
