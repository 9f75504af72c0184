// The [yolo] layer on the device: the output functions, target assignment, the box, objectness
// and class terms through the device losses, the statistics, and backward. The CPU version is
// split over yolo.cpp, yolo_targets.cpp, yolo_terms.cpp and yolo_stats.cpp; each kernel below
// names the function it mirrors. This file is compiled with -fmad=false (CMakeLists.txt) so that
// the float box arithmetic that decides assignments rounds as the CPU's does.
//
// Slots: one per prediction (b, n, loc), slot index s = (b*num + n)*h*w + loc; "slot in image" is
// n*h*w + loc, as YoloTargets' arrays. The assignment's decisions are layers/yolo_assign.hpp's, as
// on the CPU: here each slot reads the truths instead of each truth writing its slots.
#include "cuda/launch.cuh"
#include "layers/yolo_assign.hpp"
#include "losses/list.hpp"

namespace dn::cuda {

namespace {

__device__ inline double logistic_d(double x) { return 1.0 / (1.0 + exp(-x)); }  // yolo_stats.cpp's


__device__ inline size_t entry(const YoloGeometry& g, int b, int n, int e, int loc) {
  const size_t hw = static_cast<size_t>(g.w) * g.h;
  return (static_cast<size_t>(b) * g.num + n) * (5 + g.classes) * hw + static_cast<size_t>(e) * hw + loc;
}

// yolo_predicted_box
__device__ inline Box predicted_box(const YoloGeometry& g, const float* logits, int b, int n, int loc) {
  const int a = g.mask[n];
  auto t = [&](int e) { return logits[entry(g, b, n, e, loc)]; };
  return yolo_decode_box(t(0), t(1), t(2), t(3), loc % g.w, loc / g.w, g.w, g.h, g.anchors[2 * a],
                         g.anchors[2 * a + 1], g.net_w, g.net_h, g.decoding);
}

// YoloLayer::forward's output functions.
__global__ void activate_kernel(YoloGeometry g, const float* in, float* out, size_t total) {
  const int hw = g.w * g.h;
  DN_GRID_STRIDE(t, total) {
    const int loc = static_cast<int>(t % hw);
    const int n = static_cast<int>((t / hw) % g.num);
    const int b = static_cast<int>(t / (static_cast<size_t>(hw) * g.num));
    for (int e = 0; e < (g.softmax_classes ? 5 : 5 + g.classes); ++e) {
      const size_t i = entry(g, b, n, e, loc);
      out[i] = yolo_entry_output(e, in[i], g.decoding);
    }
    if (g.softmax_classes) {
      const size_t c0 = entry(g, b, n, 5, loc);
      yolo_softmax(in + c0, out + c0, hw, g.classes);
    }
  }
}

// assign_targets, step 2, per truth (b, k): for each anchor n of the mask, the cell where it is
// responsible for the truth, or -1 (not responsible; unusable truth; padding).
__global__ void assign_truths_kernel(YoloGeometry g, const YoloTruth* truths, const int* counts, int max_truths,
                                     int* assigned, size_t total) {
  DN_GRID_STRIDE(t, total) {
    const int b = static_cast<int>(t / max_truths), k = static_cast<int>(t % max_truths);
    int* cell_of = assigned + t * g.num;
    if (k < counts[b]) {
      yolo_responsible_cells(g, truths[t], cell_of);
    } else {
      for (int n = 0; n < g.num; ++n) cell_of[n] = -1;  // padding
    }
  }
}

// Per slot: assign_targets (step 1, and step 2 for this slot), yolo_box_term,
// yolo_objectness_term and yolo_class_term for this prediction, and the objectness probability
// for the No Obj statistic.
__global__ void slot_loss_kernel(YoloGeometry g, LossSpec obj_spec, LossSpec cls_spec, const float* logits,
                                 const YoloTruth* truths, const int* counts, int max_truths, YoloScratch sc,
                                 float* loss_delta, size_t total) {
  const int hw = g.w * g.h;
  DN_GRID_STRIDE(s, total) {
    const int loc = static_cast<int>(s % hw);
    const int n = static_cast<int>((s / hw) % g.num);
    const int b = static_cast<int>(s / (static_cast<size_t>(hw) * g.num));
    const YoloTruth* tr = truths + static_cast<size_t>(b) * max_truths;
    const int* cells = sc.assigned_cell + static_cast<size_t>(b) * max_truths * g.num;
    const int count = counts[b];

    // Steps 1 and 2 for this prediction.
    const YoloSlotTargets st = yolo_slot_targets(g, predicted_box(g, logits, b, n, loc), tr, count, cells, n, loc);
    const float obj_target = st.obj_target, obj_weight = st.obj_weight;
    const int box_truth = st.box_truth;
    // counters_per_class: a positive's terms are weighted by its class multiplier (1 without)
    const float m = obj_target == 1 ? yolo_slot_multiplier(g, tr, count, cells, n, loc, st) : 1.f;

    // Box term (positives).
    double box_loss = 0;
    if (obj_target == 1 && box_truth >= 0) {
      const int a = g.mask[n];
      double x[4];
      for (int e = 0; e < 4; ++e) x[e] = logits[entry(g, b, n, e, loc)];
      const YoloBoxTerm r = yolo_positive_box_term(g.iou_loss, x, loc % g.w, loc / g.w, g.w, g.h, g.anchors[2 * a],
                                                   g.anchors[2 * a + 1], g.net_w, g.net_h, g.decoding.scale_x_y,
                                                   yolo_truth_box(tr[box_truth]), g.iou_normalizer, m, g.max_delta);
      box_loss = r.loss;
      for (int e = 0; e < 4; ++e) loss_delta[entry(g, b, n, e, loc)] = r.grad[e];
    }

    // Objectness term (every prediction; weight 0 = ignored).
    const size_t obj_idx = entry(g, b, n, 4, loc);
    float grad;
    float obj_w = obj_weight * g.obj_normalizer;
    if (obj_target == 1) obj_w *= m;
    const double obj_loss = losses::loss_one(obj_spec, logits[obj_idx], obj_target, obj_w, &grad);
    loss_delta[obj_idx] = grad;

    // Class term (positives). Labels, in the CPU's order: the truth_thresh truth's class, then the
    // responsible truths' classes, each once.
    double cls_loss = 0;
    if (obj_target == 1) {
      const size_t c0 = entry(g, b, n, 5, loc);
      if (!g.softmax_classes) {
        const float eps = g.label_smooth_eps;
        for (int c = 0; c < g.classes; ++c) {
          const bool label = yolo_slot_has_label(tr, count, cells, g.num, n, loc, st, c);
          const float y = yolo_class_target(label, eps);
          float gc;
          cls_loss +=
              losses::loss_one(cls_spec, logits[c0 + static_cast<size_t>(c) * hw], y, g.cls_normalizer * m, &gc);
          loss_delta[c0 + static_cast<size_t>(c) * hw] = gc;
        }
      } else {
        auto new_label = [&](int k) { return yolo_slot_new_label(tr, cells, g.num, n, loc, st, k); };
        int labels = st.step1 >= 0 ? 1 : 0;
        for (int k = 0; k < count; ++k)
          if (new_label(k)) ++labels;
        const float weight = g.cls_normalizer * m / static_cast<float>(labels);
        auto emit = [&](int j, float v) { loss_delta[c0 + static_cast<size_t>(j) * hw] += v; };
        if (st.step1 >= 0)
          cls_loss += losses::softmax_loss_one(cls_spec, logits + c0, hw, g.classes, tr[st.step1].cls, weight, emit);
        for (int k = 0; k < count; ++k)
          if (new_label(k))
            cls_loss += losses::softmax_loss_one(cls_spec, logits + c0, hw, g.classes, tr[k].cls, weight, emit);
      }
    }
    sc.slot_terms[s] = box_loss;
    sc.slot_terms[total + s] = obj_loss;
    sc.slot_terms[2 * total + s] = cls_loss;
    sc.slot_terms[3 * total + s] = logistic_d(logits[obj_idx]);
  }
}

// YoloStatsAccumulator::add_image, per (truth, anchor of the mask) responsible pair.
__global__ void truth_stats_kernel(YoloGeometry g, const float* logits, const YoloTruth* truths, int max_truths,
                                   const int* assigned_cell, double* terms, size_t total) {
  const int hw = g.w * g.h;
  DN_GRID_STRIDE(t, total) {
    const size_t truth = t / g.num;
    const int b = static_cast<int>(truth / max_truths), n = static_cast<int>(t % g.num);
    for (int q = 0; q < 6; ++q) terms[q * total + t] = 0;
    const int loc = assigned_cell[t];
    if (loc < 0) continue;
    const YoloTruth tr = truths[truth];
    const float iou = box_iou(predicted_box(g, logits, b, n, loc), yolo_truth_box(tr));
    terms[t] = 1;
    terms[total + t] = iou;
    terms[2 * total + t] = yolo_class_probability(logits + entry(g, b, n, 5, loc), hw, g.classes, tr.cls,
                                                  g.softmax_classes);
    terms[3 * total + t] = logistic_d(logits[entry(g, b, n, 4, loc)]);
    terms[4 * total + t] = iou > .5f ? 1 : 0;
    terms[5 * total + t] = iou > .75f ? 1 : 0;
  }
}

// YoloLayer::backward.
__global__ void backward_kernel(YoloGeometry g, const float* input, const float* output, const float* delta,
                                const float* loss_delta, float* input_delta, size_t total) {
  const int hw = g.w * g.h;
  DN_GRID_STRIDE(t, total) {
    const int loc = static_cast<int>(t % hw);
    const int n = static_cast<int>((t / hw) % g.num);
    const int b = static_cast<int>(t / (static_cast<size_t>(hw) * g.num));
    for (int e = 0; e < (g.softmax_classes ? 5 : 5 + g.classes); ++e) {
      const size_t i = entry(g, b, n, e, loc);
      if (delta[i] != 0) input_delta[i] += delta[i] * yolo_entry_slope(e, input[i], output[i], g.decoding);
    }
    if (g.softmax_classes) {
      const size_t c0 = entry(g, b, n, 5, loc);
      yolo_softmax_backward(output + c0, delta + c0, input_delta + c0, hw, g.classes);
    }
    if (loss_delta)
      for (int e = 0; e < 5 + g.classes; ++e) {
        const size_t i = entry(g, b, n, e, loc);
        input_delta[i] += loss_delta[i];
      }
  }
}

}  // namespace

void yolo_activate(const YoloGeometry& g, const float* input, float* output, cudaStream_t s) {
  const size_t total = static_cast<size_t>(g.batch) * g.num * g.w * g.h;
  DN_LAUNCH(activate_kernel, total, s, g, input, output, total);
}

void yolo_loss(const YoloGeometry& g, const LossSpec& obj_loss, const LossSpec& cls_loss, const float* logits,
               const YoloTruth* truths, const int* counts, int max_truths, const YoloScratch& scratch,
               float* loss_delta, double* stats, cudaStream_t s) {
  const size_t slots = static_cast<size_t>(g.batch) * g.num * g.w * g.h;
  const size_t truths_n = static_cast<size_t>(g.batch) * max_truths;
  const size_t truth_slots = truths_n * g.num;  // (truth, anchor of the mask) pairs
  cudaMemsetAsync(loss_delta, 0, slots * (5 + g.classes) * sizeof(float), s);
  check_launch("cudaMemsetAsync of the yolo loss gradient");
  DN_LAUNCH(assign_truths_kernel, truths_n, s, g, truths, counts, max_truths, scratch.assigned_cell, truths_n);
  DN_LAUNCH(slot_loss_kernel, slots, s, g, obj_loss, cls_loss, logits, truths, counts, max_truths, scratch,
            loss_delta, slots);
  DN_LAUNCH(truth_stats_kernel, truth_slots, s, g, logits, truths, max_truths, scratch.assigned_cell,
            scratch.truth_terms, truth_slots);
  // slot_terms' four rows are kStatBoxLoss..kStatNoObj, truth_terms' six kStatCount..kStatRecall75.
  for (int q = 0; q < 4; ++q) sum_doubles(scratch.slot_terms + q * slots, slots, stats + kStatBoxLoss + q, s);
  for (int q = 0; q < 6; ++q)
    sum_doubles(scratch.truth_terms + q * truth_slots, truth_slots, stats + kStatCount + q, s);
}

void yolo_backward(const YoloGeometry& g, const float* input, const float* output, const float* delta,
                   const float* loss_delta, float* input_delta, cudaStream_t s) {
  const size_t total = static_cast<size_t>(g.batch) * g.num * g.w * g.h;
  DN_LAUNCH(backward_kernel, total, s, g, input, output, delta, loss_delta, input_delta, total);
}

}  // namespace dn::cuda
