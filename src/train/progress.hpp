#pragma once
// `detector train -progress FILE`: the training's progress for programs (scripts/ab_losses reads
// it), one JSON object per line, appended and flushed as each happens ("-": standard output,
// beside Darknet's text lines). Two kinds of line:
//   {"iteration": 12, "loss": 41.2, "avg_loss": 43.0, "box_loss": 9.1, "obj_loss": 25.3,
//    "cls_loss": 6.8, "rate": 0.001, "seconds": 1.07, "images": 192, "hours_left": 0.29}
//   {"iteration": 100, "map50": 0.512, "best_map50": 0.512}
// The losses are per image of the iteration (the printed loss: the sum over the [yolo] layers of
// each term, divided by batch); seconds is the iteration's wall time.
#include <cstdint>
#include <cstdio>
#include <string>

namespace dn {

struct IterationReport {
  int iteration = 0;
  float loss = 0, avg_loss = 0, rate = 0;
  double box_loss = 0, obj_loss = 0, cls_loss = 0;
  double seconds = 0, hours_left = 0;
  uint64_t images = 0;  // seen
};

class ProgressLog {
 public:
  // path "" writes nothing. Throws dn::Error naming the file when it cannot be opened.
  explicit ProgressLog(const std::string& path);
  ~ProgressLog();
  ProgressLog(const ProgressLog&) = delete;
  ProgressLog& operator=(const ProgressLog&) = delete;

  void iteration(const IterationReport& r);
  void map(int iteration, double map50, double best_map50);

 private:
  void line(const std::string& json);
  std::string path_;
  FILE* f_ = nullptr;
  bool own_ = false;
};

}  // namespace dn
