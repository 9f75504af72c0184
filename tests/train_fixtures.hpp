#pragma once
// A small YOLOv3-style detector and a few BCCD images: enough to train for real in seconds.
#include <fstream>
#include <string>
#include <vector>

#include "cfg/data_file.hpp"
#include "data/labels.hpp"
#include "net_fixtures.hpp"
#include "network/network.hpp"
#include "train/trainer.hpp"

namespace dn::testing {

// Two [yolo] heads (strides 16 and 8) at 160x160; anchors: BCCD's k-means anchors scaled to 160.
inline std::string small_detector_cfg(int max_batches, const std::string& yolo_extra = "", int batch = 8,
                                      float learning_rate = .002f, int burn_in = 20, int width = 160) {
  std::string net = "[net]\nbatch=" + std::to_string(batch) + "\nsubdivisions=1\nwidth=" + std::to_string(width) +
                    "\nheight=" + std::to_string(width) +
                    "\nchannels=3\nmomentum=0.9\ndecay=0.0005\nsaturation=1.2\nexposure=1.2\nhue=0\n"
                    "learning_rate=" + std::to_string(learning_rate) + "\nburn_in=" + std::to_string(burn_in) +
                    "\nmax_batches=" + std::to_string(max_batches) + "\npolicy=constant\n";
  auto conv = [](int f, int size, bool bn, const char* act) {
    return std::string("\n[convolutional]\n") + (bn ? "batch_normalize=1\n" : "") + "filters=" + std::to_string(f) +
           "\nsize=" + std::to_string(size) + "\nstride=1\npad=1\nactivation=" + act + "\n";
  };
  const std::string mp = "\n[maxpool]\nsize=2\nstride=2\n";
  const std::string anchors = "10,13, 22,27, 24,35, 28,31, 30,39, 54,65";
  auto yolo = [&](const char* mask) {
    return "\n[yolo]\nmask=" + std::string(mask) + "\nanchors=" + anchors +
           "\nclasses=3\nnum=6\njitter=.1\nignore_thresh=.7\ntruth_thresh=1\nrandom=0\n" + yolo_extra;
  };
  std::string s = net;
  s += conv(16, 3, true, "leaky") + mp;    // 0,1   -> 80
  s += conv(32, 3, true, "leaky") + mp;    // 2,3   -> 40
  s += conv(64, 3, true, "leaky") + mp;    // 4,5   -> 20
  s += conv(128, 3, true, "leaky") + mp;   // 6,7   -> 10
  s += conv(256, 3, true, "leaky");        // 8
  s += conv(24, 1, false, "linear");       // 9
  s += yolo("3,4,5");                      // 10
  s += "\n[route]\nlayers=6\n";            // 11 (20x20x128)
  s += conv(128, 3, true, "leaky");        // 12
  s += conv(24, 1, false, "linear");       // 13
  s += yolo("0,1,2");                      // 14
  return s;
}

// Writes cfg, a .data and a train list of the first n BCCD training images into dir.
struct TrainFixture {
  std::string dir, cfg, data, list;
  std::vector<std::string> images;
};

inline TrainFixture make_train_fixture(const std::string& name, const std::string& cfg_text, int n_images) {
  TrainFixture f;
  f.dir = temp_dir(name);
  const std::string bccd = std::string(DN_SHARED_DIR) + "/datasets/bccd";
  f.images = read_image_list(bccd + "/train.txt", bccd);
  f.images.resize(n_images);
  f.list = f.dir + "/train.txt";
  std::ofstream(f.list) << [&] {
    std::string s;
    for (auto& p : f.images) s += p + "\n";
    return s;
  }();
  f.cfg = f.dir + "/small.cfg";
  std::ofstream(f.cfg) << cfg_text;
  f.data = f.dir + "/small.data";
  std::ofstream(f.data) << "classes=3\ntrain=" << f.list << "\nvalid=" << f.list << "\nnames=" << bccd
                        << "/bccd.names\nbackup=" << f.dir << "/backup\n";
  return f;
}

// Options to train fixture f quietly with seed `seed`; with `losses`, every iteration's loss (the
// layers' losses over the batch, as darknet prints it) is appended there.
inline TrainOptions fixture_train_options(const TrainFixture& f, uint64_t seed, std::vector<float>* losses = nullptr) {
  TrainOptions o;
  o.data_path = f.data;
  o.cfg_path = f.cfg;
  o.seeded = true;
  o.seed = seed;
  o.quiet = true;
  if (losses) o.on_iteration = [losses](Network& net, int, float) {
    double sum = 0;
    for (auto& l : net.layers) sum += l->loss();
    losses->push_back(static_cast<float>(sum / net.params.batch));
  };
  return o;
}

}  // namespace dn::testing
