// darknet detector demo <data> <cfg> <weights> [video | -c N] [-thresh t] [-out_filename out.avi|out.mp4]
//                       [-dont_show] [-prefix P] [-benchmark] [-ext_output]
#include <cstdio>
#include <cstdlib>

#include "apps/apps.hpp"
#include "apps/args.hpp"
#include "apps/device_flags.hpp"
#include "cfg/data_file.hpp"
#include "core/error.hpp"
#include "video/demo.hpp"

namespace dn {

int detector_demo(int argc, char** argv) {
  static const char* kUsage =
      "usage: darknet detector demo <data> <cfg> <weights> [video | -c N] [-thresh t] [-out_filename out.avi|out.mp4] "
      "[-dont_show] [-prefix P] [-benchmark] [-ext_output]";
  require_video_support();
  std::vector<std::string> p;
  for (int i = 3; i < argc && argv[i][0] != '-'; ++i) p.push_back(argv[i]);
  if (p.size() < 3 || p.size() > 4) fail(kUsage);
  Args args(argc, argv, 3 + static_cast<int>(p.size()));

  DemoOptions opt;
  opt.cfg = p[1];
  opt.weights = p[2];
  if (p.size() > 3) opt.video = p[3];
  opt.camera = args.get_int("-c", -1);
  opt.thresh = args.get_float_in("-thresh", .25f, 0.f, 1.f);
  opt.nms = args.get_float_in("-nms", kDefaultNmsThresh, 0.f, 1.f);
  opt.out_filename = args.get_string("-out_filename", "");
  opt.prefix = args.get_string("-prefix", "");
  opt.benchmark = args.flag("-benchmark");
  opt.ext_output = args.flag("-ext_output");
  const bool dont_show = args.flag("-dont_show");
  take_device_flags(args);
  if (!args.positional().empty()) fail("unexpected argument '" + args.positional()[0] + "'");
  if (opt.video.empty() && opt.camera < 0) fail(kUsage);
  if (!opt.video.empty() && opt.camera >= 0) fail("give either a video file or -c N, not both");

  if (!dont_show && !opt.benchmark) {
    const char* display = std::getenv("DISPLAY");
    if (display && *display) {
      opt.show = true;
    } else {
      std::fprintf(stderr, "demo: no display ($DISPLAY is not set): running as with -dont_show\n");
    }
  }
  if (opt.benchmark && (!opt.out_filename.empty() || !opt.prefix.empty()))
    std::fprintf(stderr, "demo: -benchmark measures inference only: -out_filename and -prefix are ignored\n");

  DataConfig data = read_data_file(p[0]);
  opt.names = names_for(data);
  run_demo(opt);
  return 0;
}

}  // namespace dn
