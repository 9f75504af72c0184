#include "train/progress.hpp"

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/json.hpp"

namespace dn {

ProgressLog::ProgressLog(const std::string& path) : path_(path) {
  if (path.empty()) return;
  if (path == "-") {
    f_ = stdout;
    return;
  }
  f_ = std::fopen(path.c_str(), "a");
  if (!f_) fail_at(path, 0, std::string("cannot open the -progress file: ") + std::strerror(errno));
  own_ = true;
}

ProgressLog::~ProgressLog() {
  if (own_) std::fclose(f_);
}

void ProgressLog::line(const std::string& json) {
  if (!f_) return;
  if (std::fputs((json + "\n").c_str(), f_) < 0 || std::fflush(f_) != 0)
    fail_at(path_, 0, std::string("cannot write the -progress file: ") + std::strerror(errno));
}

void ProgressLog::iteration(const IterationReport& r) {
  using json::number;
  line("{\"iteration\": " + number(r.iteration) + ", \"loss\": " + number(r.loss) + ", \"avg_loss\": " +
       number(r.avg_loss) + ", \"box_loss\": " + number(r.box_loss) + ", \"obj_loss\": " + number(r.obj_loss) +
       ", \"cls_loss\": " + number(r.cls_loss) + ", \"rate\": " + number(r.rate) + ", \"seconds\": " +
       number(r.seconds) + ", \"images\": " + std::to_string(r.images) + ", \"hours_left\": " +
       number(r.hours_left) + "}");
}

void ProgressLog::map(int iteration, double map50, double best_map50) {
  using json::number;
  line("{\"iteration\": " + number(iteration) + ", \"map50\": " + number(map50) + ", \"best_map50\": " +
       number(best_map50) + "}");
}

}  // namespace dn
