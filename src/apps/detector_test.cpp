// darknet detector test <data> <cfg> <weights> [image...] [-thresh t] [-ext_output] [-out result.json] [-dont_show]
// darknet detect <cfg> <weights> [image...]          (COCO names)
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <new>

#include "apps/apps.hpp"
#include "apps/args.hpp"
#include "apps/device_flags.hpp"
#include "cfg/data_file.hpp"
#include "core/error.hpp"
#include "core/fileio.hpp"
#include "detect/detector.hpp"

namespace dn {

// images: the image arguments (before and after the flags), each processed in turn; none: the
// paths on stdin.
static int test_images(const std::string& cfg, const std::string& weights, const std::vector<std::string>& names,
                       std::vector<std::string> images, Args& args) {
  float thresh = args.get_float_in("-thresh", .25f, 0.f, 1.f);
  float nms = args.get_float_in("-nms", kDefaultNmsThresh, 0.f, 1.f);
  bool ext = args.flag("-ext_output");
  std::string out_json = args.get_string("-out", "");
  args.flag("-dont_show");  // never shows a window: always headless
  bool stretch = args.flag("-no_letterbox");
  take_device_flags(args);
  for (const std::string& p : args.positional()) images.push_back(p);

  Detector det(cfg, weights, !stretch);
  if (static_cast<int>(names.size()) < det.classes())
    fail("the names list has " + std::to_string(names.size()) + " names, the network has " +
         std::to_string(det.classes()) + " classes");
  std::string json = "[\n";
  int frame = 0, failures = 0;
  // One bad image (unreadable, too large, out of memory) is one error line; the next image is
  // processed and -out still written. Failing to write the outputs ends the run.
  auto run_one = [&](const std::string& path) -> bool {
    Image im;
    std::vector<Detection> dets;
    double ms = 0;
    try {
      im = load_image(path, 3);
      dets = det.detect(im, thresh, nms, &ms);
    } catch (const Error& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      ++failures;
      return false;
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "error: %s: out of memory\n", path.c_str());
      ++failures;
      return false;
    }
    std::printf("%s: Predicted in %f milli-seconds.\n", path.c_str(), ms);
    print_detections(stdout, dets, names, thresh, im.w, im.h, ext);
    std::fflush(stdout);
    draw_detections(im, dets, names, thresh);
    save_image(im, "predictions.jpg");
    // Separate statements: reading frame and ++frame in one expression is unsequenced (the
    // comma could come first and make the JSON invalid).
    if (frame > 0) json += ",\n";
    ++frame;
    json += detections_json(frame, path, dets, names, thresh);
    return true;
  };
  if (!images.empty()) {
    // Every image named is processed (an unreadable one is an error line, the next goes on);
    // the exit status says whether any failed.
    for (const std::string& image : images) run_one(image);
    if (!out_json.empty()) write_text_file_atomic(out_json, json + "\n]\n");
    return failures ? 1 : 0;
  } else {
    bool tty = isatty(0);
    std::string line;
    while (true) {
      if (tty) std::printf("Enter Image Path: "), std::fflush(stdout);
      if (!std::getline(std::cin, line)) break;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty()) continue;
      run_one(line);
    }
  }
  if (!out_json.empty()) write_text_file_atomic(out_json, json + "\n]\n");
  return failures && frame == 0 ? 1 : 0;
}

int detector_test(int argc, char** argv) {
  // argv: darknet detector test data cfg weights [image] flags
  std::vector<std::string> p;
  // Positional arguments come first, flags after (Darknet's order); collect them up to the first flag.
  for (int i = 3; i < argc && argv[i][0] != '-'; ++i) p.push_back(argv[i]);
  if (p.size() < 3)
    fail("usage: darknet detector test <data> <cfg> <weights> [image...] [-thresh t] [-nms t] [-ext_output] "
         "[-out result.json] [-dont_show] [-no_letterbox]");
  DataConfig data = read_data_file(p[0]);
  std::vector<std::string> names = names_for(data);
  Args flags(argc, argv, 3 + static_cast<int>(p.size()));
  return test_images(p[1], p[2], names, {p.begin() + 3, p.end()}, flags);
}

int detect_coco(int argc, char** argv) {
  std::vector<std::string> p;
  for (int i = 2; i < argc && argv[i][0] != '-'; ++i) p.push_back(argv[i]);
  if (p.size() < 2) fail("usage: darknet detect <cfg> <weights> [image...] [-thresh t]");
  std::vector<std::string> names = read_names(find_data_file("coco.names"));
  Args flags(argc, argv, 2 + static_cast<int>(p.size()));
  return test_images(p[0], p[1], names, {p.begin() + 2, p.end()}, flags);
}

}  // namespace dn
