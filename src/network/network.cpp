#include "network/network.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/error.hpp"
#include "core/fileio.hpp"
#include "layers/convolutional.hpp"
#include "layers/registry.hpp"
#include "layers/route.hpp"
#include "layers/shortcut.hpp"
#include "layers/weights_io.hpp"
#include "layers/yolo.hpp"
#include "network/passes.hpp"

namespace dn {

NetParams parse_net_section(const CfgSection& s) {
  NetParams p;
  p.batch = s.get_int("batch", 1);
  p.subdivisions = s.get_int("subdivisions", 1);
  p.width = s.get_int("width", 0);
  p.height = s.get_int("height", 0);
  p.channels = s.get_int("channels", 3);
  p.momentum = s.get_float("momentum", .9f);
  p.decay = s.get_float("decay", .0001f);
  p.learning_rate = s.get_float("learning_rate", .001f);
  p.burn_in = s.get_int("burn_in", 0);
  p.max_batches = s.get_int("max_batches", 0);
  p.power = s.get_float("power", 4.f);
  p.policy = s.get_string("policy", "constant");
  p.steps = s.get_ints("steps");
  p.scales = s.get_floats("scales");
  p.step = s.get_int("step", 1);
  p.gamma = s.get_float("gamma", 1.f);
  p.angle = s.get_float("angle", 0);
  p.saturation = s.get_float("saturation", 1);
  p.exposure = s.get_float("exposure", 1);
  p.hue = s.get_float("hue", 0);
  p.letter_box = s.get_int("letter_box", 0);
  p.flip = s.get_int("flip", 1);
  if (p.width <= 0) s.fail("width", "missing or non-positive width");
  if (p.height <= 0) s.fail("height", "missing or non-positive height");
  if (p.width > kMaxSide)
    s.fail("width", "width=" + std::to_string(p.width) + " is out of range (1.." + std::to_string(kMaxSide) + ")");
  if (p.height > kMaxSide)
    s.fail("height", "height=" + std::to_string(p.height) + " is out of range (1.." + std::to_string(kMaxSide) + ")");
  if (p.channels <= 0 || p.channels > kMaxChannels)
    s.fail("channels",
           "channels=" + std::to_string(p.channels) + " is out of range (1.." + std::to_string(kMaxChannels) + ")");
  if (p.batch <= 0) s.fail("batch", "batch must be positive");
  if (p.subdivisions <= 0 || p.subdivisions > p.batch)
    s.fail("subdivisions", "subdivisions must be in 1..batch");
  if (p.policy != "constant" && p.policy != "steps" && p.policy != "step" && p.policy != "poly" && p.policy != "exp")
    s.fail("policy", "unknown policy " + quote_input(p.policy) + " (constant, steps, step, poly, exp)");
  if (p.policy == "steps" && p.steps.size() != p.scales.size())
    s.fail("scales", "steps and scales must have the same length");
  // The training parameters: a NaN, an infinity or a value out of range would only show later
  // as a NaN loss (or a silently wrong schedule).
  auto check = [&s](const char* key, float v, bool ok, const char* range) {
    if (!std::isfinite(v) || !ok) {
      char value[48];
      std::snprintf(value, sizeof value, "%g", v);
      s.fail(key, std::string(key) + "=" + value + " is out of range: it must be " + range);
    }
  };
  check("learning_rate", p.learning_rate, p.learning_rate >= 0, "a finite number >= 0");
  check("momentum", p.momentum, p.momentum >= 0 && p.momentum < 1, "in [0, 1)");
  check("decay", p.decay, p.decay >= 0 && p.decay <= 1, "in [0, 1]");
  check("power", p.power, p.power >= 0, "a finite number >= 0");
  check("gamma", p.gamma, p.gamma >= 0, "a finite number >= 0");
  check("angle", p.angle, true, "a finite number");
  check("saturation", p.saturation, p.saturation > 0, "a finite number > 0 (1: no change)");
  check("exposure", p.exposure, p.exposure > 0, "a finite number > 0 (1: no change)");
  check("hue", p.hue, p.hue >= 0 && p.hue <= 1, "in [0, 1]");
  for (float v : p.scales) check("scales", v, v >= 0, "finite numbers >= 0");
  for (int v : p.steps)
    if (v < 0) s.fail("steps", "steps must be iteration numbers >= 0, got " + std::to_string(v));
  if (p.burn_in < 0) s.fail("burn_in", "burn_in must be >= 0, got " + std::to_string(p.burn_in));
  if (p.max_batches < 0) s.fail("max_batches", "max_batches must be >= 0, got " + std::to_string(p.max_batches));
  if (p.policy == "step" && p.step <= 0) s.fail("step", "step must be positive for policy=step, got " + std::to_string(p.step));
  // Keys Darknet reads that do not change this engine's behaviour.
  for (const char* k : {"mosaic", "mixup", "blur", "max_chart_loss", "track", "time_steps", "seq_scales",
                        "inputs", "adam", "B1", "B2", "eps", "min_crop", "max_crop", "aspect"})
    s.has(k);
  return p;
}

namespace {

// Resizes a layer to its input: a route takes its shape from its sources instead (all earlier
// layers, already resized).
static void resize_layer(Layer& l, int batch, Shape input, const std::vector<std::unique_ptr<Layer>>& earlier) {
  if (auto* r = dynamic_cast<RouteLayer*>(&l)) {
    std::vector<Shape> shapes;
    for (int src : r->sources) shapes.push_back(earlier[src]->out);
    r->resize_from(batch, shapes);
  } else {
    l.resize(batch, input);
  }
}

std::string memory_text(double bytes) {
  char buf[32];
  if (bytes >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  else
    std::snprintf(buf, sizeof buf, "%.0f MiB", bytes / (1024.0 * 1024));
  return buf;
}

double memory_limit(std::string* what) {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  double limit = pages > 0 && page > 0 ? static_cast<double>(pages) * page : 0;
  *what = "of physical memory";
  struct rlimit rl;
  if (::getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      (limit <= 0 || static_cast<double>(rl.rlim_cur) < limit)) {
    limit = static_cast<double>(rl.rlim_cur);
    *what = "of address space (ulimit -v)";
  }
  if (const char* env = std::getenv("DN_MEMORY_LIMIT_MB")) {
    int mb;
    if (!parse_int(env, mb) || mb <= 0)
      fail("DN_MEMORY_LIMIT_MB must be a positive number of MiB, got " + quote_input(env));
    if (limit <= 0 || mb * 1024.0 * 1024 < limit) {
      limit = mb * 1024.0 * 1024;
      *what = "(the DN_MEMORY_LIMIT_MB cap)";
    }
  }
  return limit;
}

// Refuses, before anything is allocated, a network whose buffers would not fit in memory, naming
// the key to lower: [net] batch when one image per forward would fit; else the filters of the
// largest layer when it is a conv out of all proportion (more than 256 times the input image;
// real layers stay under ~100); else width and height.
void check_memory(const Network& net, const std::vector<const CfgSection*>& sections, const CfgSection& net_section,
                  bool training) {
  std::string what;
  const double limit = memory_limit(&what);
  if (limit <= 0) return;  // unknown: nothing to compare with
  const NetParams& p = net.params;
  const double input = static_cast<double>(p.channels) * p.width * p.height * sizeof(float);
  double per_image = input, fixed = 0;
  size_t largest = 0;
  double largest_bytes = -1;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerMemory m = layer_memory(*net.layers[i], training);
    per_image += m.per_image;
    fixed += m.workspace + m.weights;
    if (m.at(net.batch) > largest_bytes) largest_bytes = m.at(net.batch), largest = i;
  }
  const double total = per_image * net.batch + fixed;
  if (total <= limit) return;
  const std::string need = "needs ~" + memory_text(total) + " of memory" + (training ? " to train" : "") +
                           ", more than the " + memory_text(limit) + " " + what;
  const std::string mini =
      training ? " (batch/subdivisions = " + std::to_string(net.batch) + " images per forward)" : "";
  if (per_image + fixed <= limit)
    net_section.fail("batch", "batch=" + std::to_string(p.batch) + mini + " " + need + ": lower batch" +
                                  (training ? " or raise subdivisions" : ""));
  const Layer& l = *net.layers[largest];
  const auto* conv = dynamic_cast<const ConvolutionalLayer*>(&l);
  if (conv && layer_memory(l, training).at(1) > 256 * input) {
    const CfgSection& s = *sections[largest];
    s.fail("filters", "filters=" + std::to_string(conv->filters) + " size=" + std::to_string(conv->size) +
                          ": the network " + need + " (this layer alone ~" + memory_text(largest_bytes) + ", output " +
                          std::to_string(l.out.w) + "x" + std::to_string(l.out.h) + "x" + std::to_string(l.out.c) +
                          "): lower filters");
  }
  net_section.fail(p.width >= p.height ? "width" : "height",
                   "width=" + std::to_string(p.width) + " height=" + std::to_string(p.height) + mini + " " + need +
                       ": lower width and height");
}

}  // namespace

std::unique_ptr<Network> build_network(const CfgFile& cfg, int batch_override) {
  auto net = std::make_unique<Network>();
  net->cfg_path = cfg.path;
  net->params = parse_net_section(cfg.sections[0]);
  net->batch = batch_override > 0 ? batch_override : net->params.batch / net->params.subdivisions;
  std::vector<const CfgSection*> sections;
  Shape shape{net->params.channels, net->params.height, net->params.width};
  // First every layer with its shapes (nothing allocated), then the memory check, then buffers.
  for (size_t i = 1; i < cfg.sections.size(); ++i) {
    const CfgSection& s = cfg.sections[i];
    BuildInfo b;
    b.index = static_cast<int>(i - 1);
    b.input = shape;
    b.net_w = net->params.width;
    b.net_h = net->params.height;
    b.previous = &net->layers;
    b.previous_sections = &sections;
    auto layer = make_layer(s, b);
    if (layer->out.size() == 0) s.fail("", "layer output is empty (input too small for this layer)");
    shape = layer->out;
    s.warn_unused();
    net->layers.push_back(std::move(layer));
    sections.push_back(&s);
  }
  cfg.sections[0].warn_unused();
  if (net->layers.empty()) fail_at(cfg.path, 0, "the cfg has no layers");
  // batch_override 0 is training's mini-batch (trainer.cpp): count what training allocates too.
  check_memory(*net, sections, cfg.sections[0], batch_override <= 0);
  shape = Shape{net->params.channels, net->params.height, net->params.width};
  for (size_t i = 0; i < net->layers.size(); ++i) {
    const Shape planned = net->layers[i]->out;
    resize_layer(*net->layers[i], net->batch, shape, net->layers);
    shape = net->layers[i]->out;
    if (!(shape == planned)) sections[i]->fail("", "internal error: the layer's output shape differs from its plan");
  }
  return net;
}

std::unique_ptr<Network> load_network(const std::string& cfg_path, int batch_override) {
  return build_network(parse_cfg(cfg_path), batch_override);
}

std::vector<YoloLayer*> Network::yolo_layers() {
  std::vector<YoloLayer*> v;
  for (auto& l : layers)
    if (auto* y = dynamic_cast<YoloLayer*>(l.get())) v.push_back(y);
  return v;
}

void Network::set_batch(int b) {
  batch = b;
  Shape shape{params.channels, params.height, params.width};
  for (auto& l : layers) {
    l->resize(b, shape);
    shape = l->out;
  }
}

void Network::resize(int w, int h) {
  params.width = w;
  params.height = h;
  Shape shape{params.channels, h, w};
  for (auto& l : layers) {
    resize_layer(*l, batch, shape, layers);
    shape = l->out;
  }
  if (training) set_training(true);
}

void Network::set_training(bool on) {
  training = on;
  for (auto& l : layers) l->set_training(on);
  const std::vector<bool> read_elsewhere = this->read_elsewhere();
  for (size_t i = 1; i < layers.size(); ++i)
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(layers[i].get())) c->sole_input_reader = !read_elsewhere[i - 1];
}

using ProfileClock = std::chrono::steady_clock;

namespace {
// The seconds f() takes.
template <class F>
double timed(F&& f) {
  const auto t0 = ProfileClock::now();
  f();
  return std::chrono::duration<double>(ProfileClock::now() - t0).count();
}
}  // namespace

void Network::enable_profile(bool on) {
  profile_ = on;
  forward_s_.assign(layers.size(), 0);
  backward_s_.assign(layers.size(), 0);
  profile_forwards_ = profile_backwards_ = 0;
}

void Network::print_profile(FILE* f) const {
  double tf = 0, tb = 0;
  for (size_t i = 0; i < forward_s_.size(); ++i) {
    tf += forward_s_[i];
    tb += backward_s_[i];
  }
  // GFLOP/s per layer: its forward FLOPs per image x images run / time; backward counts twice the
  // forward's (input and weight gradients).
  std::fprintf(f, "layer  type        forward s  backward s   share  fwd GFLOP/s  bwd GFLOP/s  shape\n");
  for (size_t i = 0; i < forward_s_.size(); ++i) {
    const double fl = layers[i]->flops() * batch / 1e9;
    const double gf = forward_s_[i] > 0 ? fl * profile_forwards_ / forward_s_[i] : 0;
    const double gb = backward_s_[i] > 0 ? 2 * fl * profile_backwards_ / backward_s_[i] : 0;
    std::fprintf(f, "%5zu  %-10s %10.3f %10.3f  %5.1f%%  %11.1f  %11.1f  %s\n", i, layers[i]->type(), forward_s_[i],
                 backward_s_[i], 100 * (forward_s_[i] + backward_s_[i]) / std::max(1e-12, tf + tb), gf, gb,
                 fl > 0 ? layers[i]->describe().c_str() : "");
  }
  std::fprintf(f, "total             %10.3f %10.3f\n", tf, tb);
}

void Network::run_forward(const float* input, RunContext& ctx) {
  if (!profile_) return forward_pass(layers, ctx, input);
  ++profile_forwards_;
  forward_pass(layers, ctx, input, [this](size_t i, auto&& run) { forward_s_[i] += timed(run); });
}

void Network::forward(const float* input, bool reference) {
  RunContext ctx;
  ctx.layers = &layers;
  ctx.reference = reference;
  ctx.net_w = params.width;
  ctx.net_h = params.height;
  run_forward(input, ctx);
}

void Network::forward_backward(const float* input, const std::vector<std::vector<Truth>>& truths) {
  if (!training) set_training(true);
  RunContext ctx;
  ctx.layers = &layers;
  ctx.train = true;
  ctx.net_w = params.width;
  ctx.net_h = params.height;
  ctx.truths = &truths;
  for (auto& l : layers) std::fill(l->delta.begin(), l->delta.end(), 0.f);
  run_forward(input, ctx);
  if (!profile_) {
    backward_pass(layers, ctx, input, nullptr);
  } else {
    backward_pass(layers, ctx, input, nullptr, [this](size_t i, auto&& run) { backward_s_[i] += timed(run); });
    ++profile_backwards_;
  }
  seen += batch;
}

// Per layer: whether a route or shortcut reads its output (besides the next layer).
std::vector<bool> Network::read_elsewhere() const {
  std::vector<bool> r(layers.size(), false);
  for (auto& l : layers) {
    if (auto* route = dynamic_cast<RouteLayer*>(l.get()))
      for (int s : route->sources) r[s] = true;
    if (auto* s = dynamic_cast<ShortcutLayer*>(l.get())) r[s->from] = true;
  }
  return r;
}

void Network::set_hand_over(bool on) {
  const int n = static_cast<int>(layers.size());
  const std::vector<bool> read_elsewhere = this->read_elsewhere();
  for (int i = 0; i < n; ++i)
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(layers[i].get()))
      c->hand_over = on && i + 1 < n && !read_elsewhere[i] && dynamic_cast<ConvolutionalLayer*>(layers[i + 1].get());
}

double Network::flops() const {
  double f = 0;
  for (const auto& l : layers) f += l->flops();
  return f;
}

void Network::print_summary(FILE* f) const {
  std::fprintf(f, "   layer   filters  size/strd(dil)      input                output\n");
  for (const auto& l : layers) std::fprintf(f, "%4d %s\n", l->index, l->describe().c_str());
  std::fprintf(f, "Total BFLOPS %.3f \n", flops() / 1e9);
}

int load_weights(Network& net, const std::string& path, int cutoff, WeightsInfo* info) {
  fail_if_directory(path, "a weights file");
  std::ifstream f(path, std::ios::binary);
  if (!f) fail_at(path, 0, "cannot open weights file");
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.size() < 16) fail_at(path, 0, "not a Darknet weights file (shorter than its header)");
  int32_t major, minor, revision;
  std::memcpy(&major, bytes.data(), 4);
  std::memcpy(&minor, bytes.data() + 4, 4);
  std::memcpy(&revision, bytes.data() + 8, 4);
  if (major < 0 || major > 1000 || minor < 0 || minor > 1000)
    fail_at(path, 0, "not a Darknet weights file (header version " + std::to_string(major) + "." + std::to_string(minor) + ")");
  size_t pos = 12;
  // 0.2 and later store a 64-bit seen: check the header is whole before reading it.
  if (major * 10 + minor >= 2 && bytes.size() < 20) fail_at(path, 0, "file ends inside its header");
  if (major * 10 + minor >= 2) {
    uint64_t seen;
    std::memcpy(&seen, bytes.data() + 12, 8);
    net.seen = seen;
    pos = 20;
  } else {
    uint32_t seen;
    std::memcpy(&seen, bytes.data() + 12, 4);
    net.seen = seen;
    pos = 16;
  }
  ++net.weights_version;
  WeightReader r(path, std::move(bytes), pos);
  WeightsInfo got;
  int n = static_cast<int>(net.layers.size());
  if (cutoff >= 0 && cutoff < n) n = cutoff;
  for (int i = 0; i < n; ++i) {
    Layer& l = *net.layers[i];
    if (!l.has_weights()) continue;
    ++got.expected;
    if (r.at_end()) continue;  // a backbone file: the rest keeps its initialisation
    l.read_weights(r);         // checks every value is finite (WeightReader::read)
    ++got.loaded;
    got.last_loaded = i;
  }
  if (!r.at_end() && (cutoff < 0 || cutoff >= static_cast<int>(net.layers.size())))
    warn_at(path, 0, std::to_string(r.remaining()) + " trailing bytes after the last layer (made for another cfg?)");
  if (info) *info = got;
  return got.loaded;
}

int weighted_layer_count(const Network& net) {
  int n = 0;
  for (const auto& l : net.layers) n += l->has_weights() ? 1 : 0;
  return n;
}

void load_inference_weights(Network& net, const std::string& path) {
  WeightsInfo info;
  load_weights(net, path, -1, &info);
  if (info.loaded == info.expected) return;
  if (info.loaded == 0)
    fail_at(path, 0, "holds no layer's weights (only the header; the cfg has " + std::to_string(info.expected) +
                         " layers with weights): truncated, or not the weights of this cfg");
  const Layer& last = *net.layers[info.last_loaded];
  std::string msg = "holds the weights of only " + std::to_string(info.loaded) + " of the " +
                    std::to_string(info.expected) + " layers with weights (it ends after layer " +
                    std::to_string(info.last_loaded) + ", " + last.type() + ")";
  // Does it stop inside the first head (a missing layer before the first [yolo])?
  int first_missing = -1;
  for (int i = info.last_loaded + 1; i < static_cast<int>(net.layers.size()) && first_missing < 0; ++i)
    if (net.layers[i]->has_weights()) first_missing = i;
  for (const auto& l : net.layers)
    if (dynamic_cast<const YoloLayer*>(l.get())) {
      if (first_missing >= 0 && first_missing < l->index)
        msg += ", before the first [yolo] layer (" + std::to_string(l->index) + ")";
      break;
    }
  fail_at(path, 0, msg + ": truncated, or a partial backbone for training; detection needs them all");
}

void save_weights(const Network& net, const std::string& path, int cutoff) {
  WeightWriter w;
  int32_t header[3] = {0, 2, 5};
  uint64_t seen = net.seen;
  std::vector<char>& bytes = w.bytes();
  bytes.insert(bytes.end(), reinterpret_cast<char*>(header), reinterpret_cast<char*>(header) + 12);
  bytes.insert(bytes.end(), reinterpret_cast<char*>(&seen), reinterpret_cast<char*>(&seen) + 8);
  int n = static_cast<int>(net.layers.size());
  if (cutoff >= 0 && cutoff < n) n = cutoff;
  for (int i = 0; i < n; ++i)
    if (net.layers[i]->has_weights()) net.layers[i]->write_weights(w);
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail_at(path, 0, "cannot write weights file (cannot create " + tmp + ")");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      fail_at(path, 0, "cannot write weights file (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail_at(path, 0, "cannot rename " + tmp + " to it");
  }
}

}  // namespace dn
