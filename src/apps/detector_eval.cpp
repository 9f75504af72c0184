// darknet detector map    <data> <cfg> <weights> [-thresh .25] [-iou_thresh .5] [-points 0|N] [-out map.json]
// darknet detector valid  <data> <cfg> <weights>   (VOC comp4_det_test_<class>.txt, or coco_results.json when eval=coco)
// darknet detector recall <data> <cfg> <weights>
#include <cstdio>
#include <filesystem>

#include "apps/apps.hpp"
#include "apps/args.hpp"
#include "apps/device_flags.hpp"
#include "apps/validation.hpp"
#include "cfg/data_file.hpp"
#include "core/error.hpp"
#include "core/fileio.hpp"
#include "eval/map_report.hpp"
#include "eval/recall.hpp"

namespace dn {

namespace {

// -points N: N-point interpolated AP costs N steps per class; far beyond COCO's 101.
constexpr int kMaxMapPoints = 10000;

struct EvalSetup {
  DataConfig data;
  std::vector<std::string> names;
  std::string cfg, weights;
};

EvalSetup setup(int argc, char** argv, const char* usage, int& first_flag) {
  std::vector<std::string> p;
  for (int i = 3; i < argc && argv[i][0] != '-'; ++i) p.push_back(argv[i]);
  if (p.size() != 3) fail(usage);
  first_flag = 3 + static_cast<int>(p.size());
  EvalSetup s;
  s.data = read_data_file(p[0]);
  if (s.data.valid.empty()) fail_at(p[0], 0, "missing 'valid=' (the list of validation images)");
  s.names = names_for(s.data);
  s.cfg = p[1];
  s.weights = p[2];
  return s;
}

// Evaluation uses the geometry training used: letterbox only when [net] letter_box=1.
Detector make_detector(const EvalSetup& s) {
  auto net = load_network(s.cfg, 1);
  load_inference_weights(*net, s.weights);
  bool letterbox = net->params.letter_box != 0;
  return Detector(std::move(net), letterbox);
}

}  // namespace

MapResult compute_map(Detector& det, const std::string& valid_list, int classes, const std::vector<std::string>& names,
                      const MapOptions& opts, bool quiet) {
  ValidationData v = run_validation(det, valid_list, classes, .005f, kDefaultNmsThresh, quiet);
  MapOptions o = opts;
  o.num_images = static_cast<int>(v.paths.size());
  return evaluate_map(v.dets, v.truths, classes, names, o);
}

int detector_map(int argc, char** argv) {
  int first;
  EvalSetup s = setup(argc, argv,
                      "usage: darknet detector map <data> <cfg> <weights> [-thresh .25] [-iou_thresh .5] "
                      "[-points 0|N] [-out map.json]",
                      first);
  Args args(argc, argv, first);
  MapOptions opts;
  opts.thresh = args.get_float_in("-thresh", .25f, 0.f, 1.f);
  opts.iou_thresh = args.get_float_in("-iou_thresh", .5f, 0.f, 1.f, true);
  opts.points = args.get_int("-points", 0);
  std::string out = args.get_string("-out", "");
  args.flag("-dont_show");
  take_device_flags(args);
  if (!args.positional().empty()) fail("unexpected argument '" + args.positional()[0] + "'");
  if (opts.points != 0 && (opts.points < 2 || opts.points > kMaxMapPoints))
    fail("flag -points must be 0 (all points) or N in 2.." + std::to_string(kMaxMapPoints) +
         " (N-point interpolation: 11 = VOC2007, 101 = COCO), got '" + std::to_string(opts.points) + "'");
  Detector det = make_detector(s);
  MapResult r = compute_map(det, s.data.valid, s.data.classes, s.names, opts, false);
  print_map(stdout, r, opts);
  if (!out.empty()) write_text_file_atomic(out, map_to_json(r, opts));
  return 0;
}

int detector_valid(int argc, char** argv) {
  int first;
  EvalSetup s = setup(argc, argv, "usage: darknet detector valid <data> <cfg> <weights>", first);
  Args args(argc, argv, first);
  float thresh = args.get_float_in("-thresh", .005f, 0.f, 1.f);
  args.flag("-dont_show");
  take_device_flags(args);
  if (!args.positional().empty()) fail("unexpected argument '" + args.positional()[0] + "'");
  Detector det = make_detector(s);
  ValidationData v = run_validation(det, s.data.valid, s.data.classes, thresh, kDefaultNmsThresh);
  // Writers take pixel boxes.
  std::vector<EvalDetection> px = v.dets;
  for (EvalDetection& d : px) {
    const ImageInfo& im = v.images[d.image];
    d.box = {d.box.x * im.width, d.box.y * im.height, d.box.w * im.width, d.box.h * im.height};
  }
  std::filesystem::create_directories(s.data.results);
  if (s.data.eval == "coco") {
    std::string path = s.data.results + "/coco_results.json";
    write_coco_results(path, v.images, px, s.data.classes == 80 ? coco80_category_ids() : std::vector<int>{});
    std::printf("Wrote %zu detections of %zu images to %s\n", px.size(), v.images.size(), path.c_str());
  } else {
    write_voc_results(s.data.results, s.names, v.images, px);
    std::printf("Wrote %zu detections of %zu images to %s/%s<class>.txt\n", px.size(), v.images.size(),
                s.data.results.c_str(), kVocResultPrefix);
  }
  return 0;
}

int detector_recall(int argc, char** argv) {
  int first;
  EvalSetup s = setup(argc, argv, "usage: darknet detector recall <data> <cfg> <weights>", first);
  Args args(argc, argv, first);
  RecallOptions opts;
  opts.thresh = args.get_float_in("-thresh", .001f, 0.f, 1.f);
  opts.iou_thresh = args.get_float_in("-iou_thresh", .5f, 0.f, 1.f, true);
  take_device_flags(args);
  if (!args.positional().empty()) fail("unexpected argument '" + args.positional()[0] + "'");
  Detector det = make_detector(s);
  ValidationData v = run_validation(det, s.data.valid, s.data.classes, opts.thresh, kDefaultNmsThresh, true);
  for (const RecallLine& l : recall_statistics(v.boxes, v.truths, static_cast<int>(v.paths.size()), opts))
    std::printf("%s\n", format_recall_line(l).c_str());
  return 0;
}

}  // namespace dn
