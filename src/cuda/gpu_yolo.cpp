// [yolo] on the GPU (YoloLayer): output functions, and in training the whole loss on the device
// (yolo_kernels.cu): targets, the three terms through the device losses, statistics. Only the
// ten statistics come back to the host, through GpuNetwork's one copy per pass.
#include <cmath>

#include "core/error.hpp"
#include "cuda/gpu_layers.hpp"
#include "cuda/gpu_loss.hpp"
#include "layers/yolo.hpp"

namespace dn::cuda {

namespace {

class GpuYolo : public GpuLayer {
 public:
  GpuYolo(GpuContext& ctx, YoloLayer& l) : GpuLayer(l), l_(l) {
    mask_.upload(l.mask.data(), l.mask.size(), ctx.stream, "yolo mask");
    anchors_.upload(l.anchors.data(), l.anchors.size(), ctx.stream, "yolo anchors");
    if (!l.class_multipliers.empty())
      multipliers_.upload(l.class_multipliers.data(), l.class_multipliers.size(), ctx.stream, "yolo class multipliers");
    obj_spec_ = losses::loss_spec(l.objectness_loss().name(), l.objectness_loss_params());
    if (l.class_loss())
      cls_spec_ = losses::loss_spec(l.class_loss()->name(), l.class_loss_params());
    else
      cls_spec_ = losses::loss_spec(l.class_softmax_loss()->name(), l.class_loss_params());
    DN_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  }

  void reshape(GpuContext& ctx, int b, bool train) override {
    if (train) l_.check_trainable();
    GpuLayer::reshape(ctx, b, train);
    const size_t slots = static_cast<size_t>(b) * l_.mask_size() * l_.out.h * l_.out.w;
    if (train) {
      loss_delta_.resize(output.size(), "yolo loss gradient");
      slot_terms_.resize(4 * slots, "yolo terms");
    } else {
      loss_delta_.release();
    }
    has_loss_ = false;
  }

  void forward(GpuContext& ctx, const float* input) override {
    const YoloGeometry g = geometry(ctx);
    yolo_activate(g, input, output.data(), ctx.stream);
    has_loss_ = false;
    if (!ctx.train || !ctx.truths) return;
    const size_t truth_slots = static_cast<size_t>(batch) * ctx.max_truths * l_.mask_size();
    assigned_.resize(truth_slots, "yolo assignments");
    truth_terms_.resize(6 * truth_slots, "yolo truth statistics");
    YoloScratch sc{slot_terms_.data(), assigned_.data(), truth_terms_.data()};
    yolo_loss(g, obj_spec_, cls_spec_, input, ctx.truths, ctx.truth_counts, ctx.max_truths, sc, loss_delta_.data(),
              stats_, ctx.stream);
    has_loss_ = true;
  }

  void backward(GpuContext& ctx, const float* input, float* input_delta) override {
    if (!input_delta) return;
    yolo_backward(geometry(ctx), input, output.data(), delta.data(), has_loss_ ? loss_delta_.data() : nullptr,
                  input_delta, ctx.stream);
  }

  // stats: kYoloStats doubles (YoloStat) -> YoloStats, as YoloStatsAccumulator::finish.
  void store(const double* st) {
    YoloStats s;
    const int count = static_cast<int>(std::lround(st[kStatCount]));
    s.count = count;
    s.anchors = static_cast<long long>(batch) * l_.mask_size() * l_.out.h * l_.out.w;
    if (count > 0) {
      s.avg_iou = static_cast<float>(st[kStatIou] / count);
      s.avg_class = static_cast<float>(st[kStatClass] / count);
      s.avg_obj = static_cast<float>(st[kStatObj] / count);
      s.recall50 = static_cast<float>(st[kStatRecall50] / count);
      s.recall75 = static_cast<float>(st[kStatRecall75] / count);
    }
    if (s.anchors > 0) s.avg_no_obj = static_cast<float>(st[kStatNoObj] / static_cast<double>(s.anchors));
    s.box_loss = st[kStatBoxLoss];
    s.obj_loss = st[kStatObjLoss];
    s.cls_loss = st[kStatClsLoss];
    l_.stats = s;
  }

  double* stats_ = nullptr;  // this layer's kYoloStats doubles in GpuNetwork's array
  bool has_loss_ = false;

 private:
  YoloGeometry geometry(const GpuContext& ctx) const {
    return YoloGeometry{.batch = batch, .num = l_.mask_size(), .classes = l_.classes, .w = l_.out.w,
                        .h = l_.out.h, .net_w = ctx.net_w, .net_h = ctx.net_h, .mask = mask_.data(),
                        .anchors = anchors_.data(), .total_anchors = static_cast<int>(l_.anchors.size() / 2),
                        .softmax_classes = l_.class_softmax_loss() != nullptr, .ignore_thresh = l_.ignore_thresh,
                        .truth_thresh = l_.truth_thresh, .iou_thresh = l_.iou_thresh, .iou_normalizer = l_.iou_normalizer,
                        .obj_normalizer = l_.obj_normalizer, .cls_normalizer = l_.cls_normalizer,
                        .label_smooth_eps = l_.label_smooth_eps, .decoding = l_.decoding(),
                        .iou_loss = l_.iou_loss, .max_delta = l_.max_delta,
                        .class_multipliers = l_.class_multipliers.empty() ? nullptr : multipliers_.data()};
  }

  YoloLayer& l_;
  LossSpec obj_spec_, cls_spec_;
  DeviceBuffer<int> mask_;
  DeviceBuffer<float> anchors_, multipliers_;
  DeviceBuffer<float> loss_delta_;
  DeviceBuffer<int> assigned_;
  DeviceBuffer<double> slot_terms_, truth_terms_;
};

}  // namespace

std::unique_ptr<GpuLayer> make_gpu_yolo(GpuContext& ctx, Layer& cpu) {
  auto& l = static_cast<YoloLayer&>(cpu);
  if (l.anchors.empty() || l.mask.empty()) fail("[yolo] layer " + std::to_string(l.index) + " has no anchors");
  for (int m : l.mask)
    if (m < 0 || 2 * m + 1 >= static_cast<int>(l.anchors.size()))
      fail("[yolo] layer " + std::to_string(l.index) + ": mask " + std::to_string(m) + " has no anchor");
  return std::make_unique<GpuYolo>(ctx, l);
}

void set_yolo_stats_slot(GpuLayer& yolo, double* device_stats) { static_cast<GpuYolo&>(yolo).stats_ = device_stats; }

void store_yolo_stats(GpuLayer& yolo, const double* host_stats) { static_cast<GpuYolo&>(yolo).store(host_stats); }

bool yolo_has_loss(const GpuLayer& yolo) { return static_cast<const GpuYolo&>(yolo).has_loss_; }

}  // namespace dn::cuda
