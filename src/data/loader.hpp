#pragma once
// Training batches: a background thread prepares the next batch while the current one trains.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "data/augment.hpp"
#include "data/labels.hpp"

namespace dn {

struct Batch {
  int n = 0, w = 0, h = 0;
  std::vector<float> images;                   // [n][3][h][w], planar RGB in [0, 1]
  std::vector<std::vector<LabelBox>> truths;   // per image, relative to the augmented image
  std::vector<std::string> paths;              // per image: the file actually used
  int64_t index = 0;                           // batch number since the loader started (0, 1, ...)
};

// Images are visited in a random order, reshuffled every epoch. Everything random about batch b
// (which images, their augmentation) is derived from (seed, b) alone, so a run is reproducible
// whatever the thread timing. An image that cannot be read is reported once through `bad` (and
// bad.list) and replaced by the next readable one in the list (so is an image whose label path
// is a directory); labels are read with read_labels.
class Loader {
 public:
  // paths: image files; augment.w/h: initial output size; bad may be nullptr (then warnings only,
  // still once per file); first_index: the first batch next() returns (a resumed run continues
  // where it stopped).
  Loader(std::vector<std::string> paths, int num_classes, int batch, AugmentParams augment,
         uint64_t seed, BadList* bad, int64_t first_index = 0);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The next batch (waits for the background thread if needed). Throws dn::Error if no image of
  // the list can be read.
  Batch next();
  // Output size for multi-scale training: the next batch returned by next() has this size.
  void set_size(int w, int h);

  size_t num_images() const { return paths_.size(); }
  int batch_size() const { return batch_; }

  // Builds batch `index` at size w x h: a pure function of (seed, index, w, h) and the files.
  Batch build_batch(int64_t index, int w, int h) const;

 private:
  int image_at(int64_t sample) const;  // index into paths_ of the sample-th image shown
  void worker();

  const std::vector<std::string> paths_;
  const int num_classes_, batch_;
  const AugmentParams augment_;
  const uint64_t seed_;
  std::unique_ptr<BadList> own_bad_;  // used when the caller gives none: still report once
  BadList* const bad_;
  std::atomic<bool> stopping_{false};  // lets a batch in preparation stop early

  // Cache of the last epoch's permutation (guarded: used by both threads).
  mutable std::mutex order_mutex_;
  mutable int64_t order_epoch_ = -1;
  mutable std::vector<int> order_;

  std::mutex mutex_;
  std::condition_variable cv_;
  int w_, h_;                     // size for batches prepared from now on
  int64_t next_index_;            // the batch next() returns next
  bool want_ = true;              // the worker should prepare batch next_index_
  bool stop_ = false;
  std::optional<Batch> ready_;    // prepared batch (index next_index_)
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace dn
