#include "data/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <new>
#include <numeric>

#include "core/error.hpp"

namespace dn {

namespace {

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Independent streams for the epoch shuffles and for each image of each batch.
uint64_t derive(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b = 0) {
  return splitmix(splitmix(splitmix(seed ^ splitmix(stream)) ^ a) ^ b);
}

constexpr uint64_t kShuffleStream = 1, kImageStream = 2;

}  // namespace

Loader::Loader(std::vector<std::string> paths, int num_classes, int batch, AugmentParams augment,
               uint64_t seed, BadList* bad, int64_t first_index)
    : paths_(std::move(paths)), num_classes_(num_classes), batch_(batch), augment_(augment),
      seed_(seed),
      own_bad_(bad ? nullptr : std::make_unique<BadList>("")),
      bad_(bad ? bad : own_bad_.get()),
      w_(augment.w),
      h_(augment.h),
      next_index_(first_index) {
  if (paths_.empty()) fail("Loader: the image list is empty");
  if (batch_ <= 0) fail("Loader: batch must be positive, got " + std::to_string(batch_));
  if (w_ <= 0 || h_ <= 0) fail("Loader: bad image size " + std::to_string(w_) + "x" + std::to_string(h_));
  if (first_index < 0) fail("Loader: negative first batch index " + std::to_string(first_index));
  thread_ = std::thread([this] { worker(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Loader::set_size(int w, int h) {
  if (w <= 0 || h <= 0) fail("Loader::set_size: bad size " + std::to_string(w) + "x" + std::to_string(h));
  std::lock_guard<std::mutex> lock(mutex_);
  w_ = w;
  h_ = h;
}

void Loader::worker() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || want_; });
    if (stop_) return;
    want_ = false;
    const int64_t index = next_index_;
    const int w = w_, h = h_;
    lock.unlock();
    std::optional<Batch> batch;
    std::exception_ptr error;
    try {
      batch = build_batch(index, w, h);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    ready_ = std::move(batch);
    error_ = error;
    cv_.notify_all();
  }
}

Batch Loader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return ready_.has_value() || error_; });
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    want_ = true;  // allow a retry
    cv_.notify_all();
    std::rethrow_exception(e);
  }
  Batch batch = std::move(*ready_);
  ready_.reset();
  const int w = w_, h = h_;
  ++next_index_;
  want_ = true;
  lock.unlock();
  cv_.notify_all();
  // The size changed after this batch was started: rebuild it (same index, so same content).
  if (batch.w != w || batch.h != h) batch = build_batch(batch.index, w, h);
  return batch;
}

int Loader::image_at(int64_t sample) const {
  const int64_t n = static_cast<int64_t>(paths_.size());
  const int64_t epoch = sample / n;
  std::lock_guard<std::mutex> lock(order_mutex_);
  if (epoch != order_epoch_) {
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), 0);
    Rng rng(derive(seed_, kShuffleStream, static_cast<uint64_t>(epoch)));
    for (int64_t i = n - 1; i > 0; --i) std::swap(order_[i], order_[rng.below(static_cast<uint32_t>(i + 1))]);
    order_epoch_ = epoch;
  }
  return order_[sample % n];
}

Batch Loader::build_batch(int64_t index, int w, int h) const {
  Batch batch;
  batch.n = batch_;
  batch.w = w;
  batch.h = h;
  batch.index = index;
  batch.images.resize(static_cast<size_t>(batch_) * 3 * w * h);
  batch.truths.resize(batch_);
  batch.paths.resize(batch_);
  AugmentParams params = augment_;
  params.w = w;
  params.h = h;
  const size_t n = paths_.size();
  for (int i = 0; i < batch_; ++i) {
    if (stopping_) break;  // the loader is being destroyed: nobody will use this batch
    // Read the chosen image, or the next readable one after it in the list. The outcome does not
    // depend on timing: a path in the bad list would fail to load anyway.
    const int first = image_at(index * batch_ + i);
    Image im;
    std::string path;
    for (size_t tried = 0; tried < n && im.empty(); ++tried) {
      path = paths_[(first + tried) % n];
      if (bad_->contains(path)) continue;
      try {
        im = load_image(path, 3);
      } catch (const Error& e) {
        std::string msg = e.what();
        const std::string prefix = path + ": ";
        if (msg.compare(0, prefix.size(), prefix) == 0) msg = msg.substr(prefix.size());
        bad_->report(path, 0, msg + " (skipped)");
      } catch (const std::bad_alloc&) {
        bad_->report(path, 0, "out of memory reading the image (skipped)");
      }
      // A label path that is a directory is a broken dataset, not an image without objects.
      if (!im.empty()) {
        const std::string label = label_path_for(path);
        std::error_code ec;
        if (std::filesystem::is_directory(label, ec)) {
          bad_->report(path, 0, "its label path " + label + " is a directory, not a label file (skipped)");
          im = Image();
        }
      }
    }
    if (im.empty()) fail("Loader: none of the " + std::to_string(n) + " images in the list can be read");
    std::vector<LabelBox> boxes = read_labels(label_path_for(path), num_classes_, bad_);
    Rng rng(derive(seed_, kImageStream, static_cast<uint64_t>(index), static_cast<uint64_t>(i)));
    Image out = augment_image(im, boxes, params, rng);
    std::copy(out.data.begin(), out.data.end(), batch.images.begin() + static_cast<size_t>(i) * 3 * w * h);
    batch.truths[i] = std::move(boxes);
    batch.paths[i] = path;
  }
  return batch;
}

}  // namespace dn
