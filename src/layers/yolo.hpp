#pragma once
// [yolo]: the YOLOv3 detection head and its training loss (docs/yolo_layer.md).
//
// The layer is split by concern:
//   yolo.hpp/.cpp          the layer: decoding (forward), the loss over a mini-batch, backward
//   yolo_targets.hpp/.cpp  target assignment: responsible anchors, ignored predictions
//   yolo_terms.hpp/.cpp    the box term (squared error) and the objectness and class terms
//                          (through dn::Loss / dn::SoftmaxLoss)
//   yolo_stats.hpp/.cpp    Darknet's per-layer statistics plus the loss of each term
//   yolo_cfg.cpp           the [yolo] loss keys (called by make_yolo in registry.cpp)
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"
#include "layers/yolo_box.hpp"
#include "layers/yolo_iou_loss.hpp"
#include "layers/yolo_stats.hpp"
#include "losses/loss.hpp"

namespace dn {

class CfgSection;
class ConvolutionalLayer;

// Input (the logits) and output per image: [anchor n][entry][h][w], entry = tx, ty, tw, th,
// objectness, classes... After forward, x, y and objectness have been through the logistic; the
// classes through the logistic too, or through a softmax over the classes of each anchor when the
// class loss is a softmax loss; w, h stay raw. x and y are then scaled by scale_x_y
// (s * sigmoid - (s - 1) / 2); with new_coords=1 no entry goes through a function of the layer's
// own (the convolution before it applied the logistic), only x and y are scaled (yolo_box.hpp).
//
// Training (forward with ctx.train and ctx.truths): the loss of every image of the mini-batch is
// computed from the input logits and SUMMED over the mini-batch (the optimiser divides by the
// batch size). Its gradient with respect to the input is kept in loss_delta, and backward adds
// it (plus whatever arrived in delta from later layers, chained through the output functions)
// into input_delta.
class YoloLayer : public Layer {
 public:
  // Stock YOLOv3: bce on objectness and classes, all normalizers 1.
  YoloLayer(int classes, std::vector<int> mask, std::vector<float> anchors);
  const char* type() const override { return "yolo"; }
  void resize(int batch, Shape in) override;
  void forward(RunContext& ctx, const float* input) override;
  void backward(RunContext& ctx, const float* input, float* input_delta) override;
  // One line with the geometry and the losses in use (printed at network load).
  std::string describe() const override;
  // The loss of the last training forward, summed over the mini-batch (= stats.total_loss()).
  double loss() const override { return stats.total_loss(); }

  // The anchors this layer predicts with (its mask=), not the cfg's num= (all anchors).
  int mask_size() const { return static_cast<int>(mask.size()); }
  // Index of entry `entry` of anchor n at cell loc (= y*w + x) of image b.
  size_t entry_index(int b, int n, int entry, int loc) const {
    return b * out.size() + (static_cast<size_t>(n) * (5 + classes) + entry) * out.h * out.w + loc;
  }
  // Decoded box (relative to the network input) of anchor n at cell (i, j) of image b.
  Box get_box(int b, int n, int i, int j, int net_w, int net_h) const;
  // Throws dn::Error when the layer's settings cannot train (new_coords=1; class multipliers of
  // another class count); both backends check before a training pass.
  void check_trainable() const;

  // ---- losses ------------------------------------------------------------------------------
  // Replaces the objectness and class losses (the class loss may be a softmax loss). Throws
  // dn::Error for an unknown name or a bad parameter (the cfg reader adds file:line); on error
  // the layer keeps its previous losses.
  void set_losses(const std::string& obj_name, const LossParams& obj_params, const std::string& cls_name,
                  const LossParams& cls_params);
  const Loss& objectness_loss() const { return *obj_loss_; }
  const Loss* class_loss() const { return cls_loss_.get(); }                   // nullptr if softmax
  const SoftmaxLoss* class_softmax_loss() const { return cls_softmax_.get(); }  // nullptr if element-wise
  // "box=mse, obj=focal(gamma=2, alpha=0.25), cls=bce".
  std::string loss_summary() const;
  // The parameters given to set_losses (the CUDA backend builds its device losses from them).
  const LossParams& objectness_loss_params() const { return obj_params_; }
  const LossParams& class_loss_params() const { return cls_params_; }

  // ---- training ----------------------------------------------------------------------------
  // The loss of the mini-batch: input[batch][num][5+classes][h][w] (the logits), truths[batch].
  // Fills loss_delta with dLoss/d(input) and stats, and returns stats.total_loss(). forward calls
  // it in training; tests call it directly.
  double compute_loss(const float* input, const std::vector<std::vector<Truth>>& truths, int net_w, int net_h);
  // Darknet-style statistics line of the last training forward, e.g.
  // "v3 (box=mse, obj=bce, cls=bce; normalizer iou: 1.00, obj: 1.00, cls: 1.00) Region 82 Avg IOU: ..."
  std::string stats_line() const;
  // RetinaNet's prior: sets the objectness and class biases of `conv` (the convolution feeding this
  // layer, filters = num * (5 + classes)) to -log((1 - pi) / pi), pi = bias_prior. For training
  // from scratch only (fine-tuning keeps the trained biases). Returns false and changes nothing
  // when bias_prior is unset (0); throws dn::Error when conv does not match this layer.
  bool apply_bias_prior(ConvolutionalLayer& conv) const;

  // Box decoding (scale_x_y, new_coords).
  const YoloDecoding& decoding() const { return decoding_; }
  void set_decoding(const YoloDecoding& d) { decoding_ = d; }

  int classes;
  std::vector<int> mask;       // anchors used by this layer
  std::vector<float> anchors;  // all anchors, w,h pairs in network-input pixels
  float ignore_thresh = .5f, truth_thresh = 1.f, jitter = .3f;
  int random = 0;
  // Weights of the three terms ([yolo] iou_normalizer, obj_normalizer, cls_normalizer).
  float iou_normalizer = 1.f, obj_normalizer = 1.f, cls_normalizer = 1.f;
  // Label smoothing of element-wise class targets: 1 -> 1 - eps/2, 0 -> eps/2 (AlexeyAB's rule).
  float label_smooth_eps = 0.f;
  float bias_prior = 0.f;  // pi in (0, 1); 0 = unset
  // AlexeyAB's training keys (docs/yolo_layer.md, "AlexeyAB's keys"):
  // the box term (iou_loss=mse|iou|giou|diou|ciou; mse is Darknet's squared error);
  YoloBoxLoss iou_loss = YoloBoxLoss::mse;
  // every anchor of the mask whose shape IoU with a truth exceeds iou_thresh is also responsible
  // for it (>= 1: only the best anchor, YOLOv3);
  float iou_thresh = 1.f;
  // with an IoU-type iou_loss, each element of the box term's gradient is clipped to
  // [-max_delta, max_delta] (AlexeyAB's rule; infinity: no clipping);
  float max_delta = std::numeric_limits<float>::infinity();
  // counters_per_class: per-class weight of a positive's box, objectness and class terms, m_c =
  // max_count / max(count_c, 1), capped at max_delta; empty: all 1.
  std::vector<float> class_multipliers;
  // Non-maximum suppression (AlexeyAB's nms_kind / beta_nms): the detector uses the kind of the
  // network's last [yolo] layer, as AlexeyAB does.
  NmsKind nms_kind = NmsKind::iou;  // nms_kind= absent: iou; greedynms: greedy_diou; diounms: diou
  float beta_nms = .6f;             // the DIoU power of nms_kind=diounms

  YoloStats stats;                // of the last training forward (the whole mini-batch)
  std::vector<float> loss_delta;  // dLoss/d(input), output's shape; empty outside training

 private:
  std::unique_ptr<Loss> obj_loss_, cls_loss_;
  std::unique_ptr<SoftmaxLoss> cls_softmax_;
  LossParams obj_params_, cls_params_;
  YoloDecoding decoding_;
};

// Reads the [yolo] keys of training and of the losses (docs/yolo_layer.md) into l: thresholds,
// jitter, random, loss=, obj_loss=, cls_loss=, focal_loss=, the loss parameters, normalizers,
// bias_prior, label_smooth_eps, AlexeyAB's iou_loss, iou_thresh, max_delta, counters_per_class,
// and refuses by name the AlexeyAB keys not implemented (tracking, map, objectness_smooth,
// delta_normalizer, resize, ...). Errors name file:line.
void read_yolo_training_keys(YoloLayer& l, const CfgSection& s);
// Reads the [yolo] keys of detection (AlexeyAB's): scale_x_y, new_coords, nms_kind, beta_nms.
// Called before read_yolo_training_keys.
void read_yolo_detection_keys(YoloLayer& l, const CfgSection& s);

}  // namespace dn
