// Non-maximum suppression (src/detect/detection.cpp) on hand-made detections: Darknet's
// do_nms_sort and AlexeyAB's greedynms / diounms.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/box.hpp"
#include "detect/detection.hpp"
#include "network/network.hpp"

namespace dn {
namespace {

Detection det(Box b, std::vector<float> prob) {
  Detection d;
  d.bbox = b;
  d.objectness = 1;
  d.prob = std::move(prob);
  return d;
}

NmsOptions iou_nms(float thresh = .45f) { return NmsOptions{thresh, NmsKind::iou, .6f}; }

TEST(Nms, ASuppressedBoxSuppressesNothingButLaterBoxesStillDo) {
  // One class. A (.9) and B (.8) overlap (IoU .6): B loses. C (.7) is far from both and D (.6)
  // overlaps C (IoU .6): D must still lose to C. (Stopping at the first suppressed box, B, would
  // leave D.) B also overlaps C a little (IoU .2), which must not matter.
  const Box a{.2f, .5f, .2f, .2f}, b{.25f, .5f, .2f, .2f}, c{.6f, .5f, .2f, .2f}, d{.65f, .5f, .2f, .2f};
  ASSERT_NEAR(box_iou(a, b), .6f, 1e-6);
  ASSERT_NEAR(box_iou(c, d), .6f, 1e-6);
  ASSERT_EQ(box_iou(a, c), 0);
  std::vector<Detection> dets = {det(d, {.6f}), det(b, {.8f}), det(c, {.7f}), det(a, {.9f})};
  nms_sort(dets, 1, iou_nms());
  ASSERT_EQ(dets.size(), 4u);  // NMS removes classes from boxes, not boxes
  EXPECT_EQ(dets[0].prob[0], 0);    // D: suppressed by C
  EXPECT_EQ(dets[1].prob[0], 0);    // B: suppressed by A
  EXPECT_EQ(dets[2].prob[0], .7f);  // C kept
  EXPECT_EQ(dets[3].prob[0], .9f);  // A kept
}

TEST(Nms, ASuppressedBoxDoesNotSuppressTheBoxesItOverlaps) {
  // A chain: A (.9) suppresses B (.8); B overlaps C (.7) but A does not: C stays.
  const Box a{.30f, .5f, .2f, .2f}, b{.35f, .5f, .2f, .2f}, c{.40f, .5f, .2f, .2f};
  ASSERT_GT(box_iou(a, b), .45f);
  ASSERT_GT(box_iou(b, c), .45f);
  ASSERT_LT(box_iou(a, c), .45f);
  std::vector<Detection> dets = {det(a, {.9f}), det(b, {.8f}), det(c, {.7f})};
  nms_sort(dets, 1, iou_nms());
  EXPECT_EQ(dets[0].prob[0], .9f);
  EXPECT_EQ(dets[1].prob[0], 0);
  EXPECT_EQ(dets[2].prob[0], .7f);
}

TEST(Nms, PerClassByThatClassesProbability) {
  // Two identical boxes. Class 0: the first is better; class 1: the second. Each class keeps its
  // own best, so both boxes survive, each with one class.
  const Box a{.5f, .5f, .3f, .3f};
  std::vector<Detection> dets = {det(a, {.9f, .2f}), det(a, {.4f, .8f})};
  nms_sort(dets, 2, iou_nms());
  EXPECT_EQ(dets[0].prob[0], .9f);
  EXPECT_EQ(dets[0].prob[1], 0);
  EXPECT_EQ(dets[1].prob[0], 0);
  EXPECT_EQ(dets[1].prob[1], .8f);
}

TEST(Nms, ThresholdIsStrictAndZeroObjectnessIsDropped) {
  // IoU exactly .5 with threshold .5: not suppressed (Darknet's IoU > thresh).
  const Box a{50, 50, 6, 6}, b{52, 50, 6, 6};
  ASSERT_EQ(box_iou(a, b), .5f);
  std::vector<Detection> dets = {det(a, {.9f}), det(b, {.8f}), det(a, {0.f})};
  dets[2].objectness = 0;
  nms_sort(dets, 1, iou_nms(.5f));
  ASSERT_EQ(dets.size(), 2u);
  EXPECT_EQ(dets[1].prob[0], .8f);
  nms_sort(dets, 1, iou_nms(.49f));
  EXPECT_EQ(dets[1].prob[0], 0);
}

TEST(Nms, AlexeyAbDiouValues) {
  // Boxes 2x2 at (0,0) and (1,0): intersection 1x2 = 2, union 6, IoU 1/3. Enclosing box 3x2:
  // c = 9 + 4 = 13; centre distance d = 1. greedynms: IoU - (1/13)^.6; diounms with beta 1:
  // IoU - 1/13 (the DIoU paper's penalty).
  const Box a{0, 0, 2, 2}, b{1, 0, 2, 2};
  EXPECT_NEAR(box_diou_nms(a, b, .6f), 1.0 / 3 - std::pow(1.0 / 13, .6), 1e-6);
  EXPECT_NEAR(box_diou_nms(a, b, 1.f), 1.0 / 3 - 1.0 / 13, 1e-6);
  EXPECT_NEAR(nms_overlap(a, b, NmsOptions{.45f, NmsKind::greedy_diou, 1.f}), 1.0 / 3 - std::pow(1.0 / 13, .6), 1e-6);
  EXPECT_NEAR(nms_overlap(a, b, NmsOptions{.45f, NmsKind::diou, 1.f}), 1.0 / 3 - 1.0 / 13, 1e-6);
  EXPECT_NEAR(nms_overlap(a, b, NmsOptions{.45f, NmsKind::iou, 1.f}), 1.0 / 3, 1e-6);
  // Same centre: no penalty.
  EXPECT_NEAR(box_diou_nms(a, Box{0, 0, 1, 1}, .6f), .25, 1e-6);
}

TEST(Nms, GreedyDiouKeepsOverlappingBoxesWithApartCentres) {
  // Two 2x2 boxes .6 apart along x: IoU = 1.4*2 / 5.2 = .5385 > .45; enclosing 2.6 x 2:
  // c = 10.76, d = .36, (d/c)^.6 = .1303 -> DIoU .4082 < .45: kept under greedynms, suppressed
  // under IoU.
  const Box a{0, 0, 2, 2}, b{.6f, 0, 2, 2};
  ASSERT_NEAR(box_iou(a, b), 2.8 / 5.2, 1e-6);
  ASSERT_NEAR(box_diou_nms(a, b, .6f), 2.8 / 5.2 - std::pow(.36 / 10.76, .6), 1e-6);
  std::vector<Detection> dets = {det(a, {.9f}), det(b, {.8f})};
  nms_sort(dets, 1, NmsOptions{.45f, NmsKind::greedy_diou, .6f});
  EXPECT_EQ(dets[1].prob[0], .8f);
  nms_sort(dets, 1, NmsOptions{.45f, NmsKind::iou, .6f});
  EXPECT_EQ(dets[1].prob[0], 0);
  // diounms with a large beta makes the penalty vanish: (d/c)^8 ~ 1e-12 -> suppressed as by IoU.
  dets = {det(a, {.9f}), det(b, {.8f})};
  nms_sort(dets, 1, NmsOptions{.45f, NmsKind::diou, 8.f});
  EXPECT_EQ(dets[1].prob[0], 0);
}

TEST(Nms, TheNetworksLastYoloLayerSetsTheKind) {
  // AlexeyAB's real cfg asks for greedynms; the original yolov3-tiny.cfg for nothing (IoU).
  auto fastest = load_network(std::string(DN_SHARED_DIR) + "/models/yolo-fastest-1.1-xl/yolo-fastest-1.1-xl.cfg", 1);
  NmsOptions o = network_nms(*fastest, .3f);
  EXPECT_EQ(o.kind, NmsKind::greedy_diou);
  EXPECT_EQ(o.thresh, .3f);
  auto tiny = load_network(std::string(DN_SHARED_DIR) + "/darknet-cfg/yolov3-tiny.cfg", 1);
  EXPECT_EQ(network_nms(*tiny, kDefaultNmsThresh).kind, NmsKind::iou);
}

}  // namespace
}  // namespace dn
