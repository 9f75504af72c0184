// darknet detector calc_anchors <data> [-num_of_clusters 9] [-width 416] [-height 416] [-seed N]
// k-means over the training boxes with distance 1 - IoU (boxes compared by shape, centred),
// k-means++ seeding; prints the anchors and their average IoU and writes anchors.txt.
#include <algorithm>
#include <cstdio>

#include "apps/apps.hpp"
#include "apps/args.hpp"
#include "cfg/data_file.hpp"
#include "core/error.hpp"
#include "core/fileio.hpp"
#include "core/rng.hpp"
#include "data/labels.hpp"

namespace dn {

namespace {

struct WH {
  double w, h;
};

double shape_iou(const WH& a, const WH& b) {
  double inter = std::min(a.w, b.w) * std::min(a.h, b.h);
  return inter / (a.w * a.h + b.w * b.h - inter);
}

int nearest(const WH& b, const std::vector<WH>& c) {
  int best = 0;
  for (size_t k = 1; k < c.size(); ++k)
    if (shape_iou(b, c[k]) > shape_iou(b, c[best])) best = static_cast<int>(k);
  return best;
}

}  // namespace

int calc_anchors(int argc, char** argv) {
  std::vector<std::string> p;
  for (int i = 3; i < argc && argv[i][0] != '-'; ++i) p.push_back(argv[i]);
  if (p.size() != 1) fail("usage: darknet detector calc_anchors <data> [-num_of_clusters 9] [-width 416] [-height 416]");
  Args args(argc, argv, 4);
  int k = args.get_int("-num_of_clusters", 9);
  int width = args.get_int("-width", 416), height = args.get_int("-height", 416);
  int seed = args.get_int("-seed", 0);
  args.flag("-show");
  args.flag("-dont_show");
  if (!args.positional().empty()) fail("unexpected argument '" + args.positional()[0] + "'");
  if (k <= 0 || width <= 0 || height <= 0) fail("-num_of_clusters, -width and -height must be positive");
  DataConfig data = read_data_file(p[0]);
  if (data.train.empty()) fail_at(p[0], 0, "missing 'train='");
  BadList bad("bad.list");
  std::vector<WH> boxes;
  for (const std::string& img : read_image_list(data.train, dirname_of(data.train)))
    for (const LabelBox& lb : read_labels(label_path_for(img), data.classes, &bad))
      boxes.push_back({lb.box.w * width, lb.box.h * height});
  if (static_cast<int>(boxes.size()) < k)
    fail(std::to_string(boxes.size()) + " training boxes: fewer than -num_of_clusters " + std::to_string(k));
  std::printf("read %zu boxes\n", boxes.size());
  // k-means++ seeding with distance 1 - IoU.
  Rng rng(static_cast<uint64_t>(seed));
  std::vector<WH> c{boxes[rng.below(static_cast<uint32_t>(boxes.size()))]};
  while (static_cast<int>(c.size()) < k) {
    std::vector<double> d(boxes.size());
    double total = 0;
    for (size_t i = 0; i < boxes.size(); ++i) {
      double best = 0;
      for (const WH& a : c) best = std::max(best, shape_iou(boxes[i], a));
      d[i] = (1 - best) * (1 - best);
      total += d[i];
    }
    double r = rng.uniform() * total;
    size_t pick = 0;
    for (; pick + 1 < boxes.size() && r > d[pick]; ++pick) r -= d[pick];
    c.push_back(boxes[pick]);
  }
  for (int iter = 0; iter < 1000; ++iter) {
    std::vector<WH> sum(k, {0, 0});
    std::vector<int> n(k, 0);
    for (const WH& b : boxes) {
      int a = nearest(b, c);
      sum[a].w += b.w;
      sum[a].h += b.h;
      ++n[a];
    }
    bool moved = false;
    for (int a = 0; a < k; ++a) {
      if (!n[a]) continue;
      WH m{sum[a].w / n[a], sum[a].h / n[a]};
      if (std::abs(m.w - c[a].w) > 1e-6 || std::abs(m.h - c[a].h) > 1e-6) moved = true;
      c[a] = m;
    }
    if (!moved) break;
  }
  std::sort(c.begin(), c.end(), [](const WH& a, const WH& b) { return a.w * a.h < b.w * b.h; });
  double iou = 0;
  for (const WH& b : boxes) iou += shape_iou(b, c[nearest(b, c)]);
  std::string line;
  for (size_t a = 0; a < c.size(); ++a) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%.0f,%.0f", a ? ", " : "", c[a].w, c[a].h);
    line += buf;
  }
  std::printf("avg IoU = %.2f %%\nanchors = %s\n", 100 * iou / boxes.size(), line.c_str());
  write_text_file_atomic("anchors.txt", line + "\n");
  std::printf("Saved to anchors.txt\n");
  return 0;
}

}  // namespace dn
