// Building networks from cfg files: the four original Darknet cfgs build unchanged with the
// expected layers and YOLO output shapes, and every build-time error names file:line and says what
// is wrong. (Parser-only checks and .data files: test_cfg.cpp.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "error_matchers.hpp"
#include "core/error.hpp"
#include "layers/convolutional.hpp"
#include "layers/maxpool.hpp"
#include "layers/route.hpp"
#include "layers/shortcut.hpp"
#include "layers/upsample.hpp"
#include "layers/yolo.hpp"
#include "net_fixtures.hpp"
#include "network/network.hpp"

namespace dn {
namespace {

using testing::error_of;

const std::string kCfgDir = std::string(DN_SHARED_DIR) + "/darknet-cfg/";



// Writes `text` to <temp>/<name> and returns the path, so that errors name a real file.
std::string write_cfg(const std::string& name, const std::string& text) {
  // One folder per process, removed at exit.
  static const struct Dir {
    std::string path = testing::temp_dir("netcfg");
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } dir;
  std::string path = dir.path + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The error message of building `text` saved as `name`, checked to start with "<path>:<line>: ".
std::string build_error(const std::string& name, const std::string& text, int line) {
  std::string path = write_cfg(name, text);
  std::string msg = error_of([&] { load_network(path); });
  std::string where = path + ":" + std::to_string(line) + ": ";
  EXPECT_EQ(msg.rfind(where, 0), 0u) << "'" << msg << "' should start with '" << where << "'";
  return msg;
}

// ---------------------------------------------------------------------------------------------
// The original cfgs.

struct Expected {
  const char* file;
  int layers;
  int width;
  int classes;
  std::vector<int> yolo_index;  // layer indices of the [yolo] layers
  std::vector<int> grid;        // their output width = height
};

// Builds the cfg, checks it against `e`, and returns the network.
std::unique_ptr<Network> check_original(const Expected& e) {
  SCOPED_TRACE(e.file);
  ::testing::internal::CaptureStderr();
  auto net = load_network(kCfgDir + e.file);
  std::string err = ::testing::internal::GetCapturedStderr();
  // The original cfgs use only keys we know: no unused-key warnings (yolov3-openimages.cfg gives
  // batch and subdivisions twice, which warns: see Yolov3OpenImages).
  std::stringstream lines(err);
  for (std::string l; std::getline(lines, l);)
    if (l.find("warning") != std::string::npos) {
      EXPECT_NE(l.find("duplicate key"), std::string::npos) << l;
    }
  EXPECT_EQ(net->cfg_path, kCfgDir + e.file);
  EXPECT_EQ(net->batch, 1);
  EXPECT_EQ(static_cast<int>(net->layers.size()), e.layers);
  if (static_cast<int>(net->layers.size()) != e.layers) return net;
  EXPECT_EQ(net->params.width, e.width);
  EXPECT_EQ(net->params.height, e.width);
  EXPECT_EQ(net->params.channels, 3);
  auto yolos = net->yolo_layers();
  EXPECT_EQ(yolos.size(), e.yolo_index.size());
  if (yolos.size() != e.yolo_index.size()) return net;
  for (size_t k = 0; k < yolos.size(); ++k) {
    const YoloLayer& y = *yolos[k];
    EXPECT_EQ(y.index, e.yolo_index[k]);
    EXPECT_EQ(y.classes, e.classes);
    EXPECT_EQ(y.mask_size(), 3);
    EXPECT_EQ(y.out, (Shape{3 * (e.classes + 5), e.grid[k], e.grid[k]}));
    EXPECT_EQ(y.output.size(), y.out.size());
    // The conv in front of each head has (classes + 5) * 3 linear filters, without batch norm.
    auto* head = dynamic_cast<ConvolutionalLayer*>(net->layers[y.index - 1].get());
    EXPECT_NE(head, nullptr);
    if (!head) continue;
    EXPECT_EQ(head->filters, 3 * (e.classes + 5));
    EXPECT_FALSE(head->batch_normalize);
    EXPECT_EQ(head->activation, Activation::Linear);
  }
  for (size_t i = 0; i < net->layers.size(); ++i) EXPECT_EQ(net->layers[i]->index, static_cast<int>(i));
  return net;
}

TEST(OriginalCfgs, Yolov3) {
  auto net = check_original({"yolov3.cfg", 107, 608, 80, {82, 94, 106}, {19, 38, 76}});
  ASSERT_EQ(net->layers.size(), 107u);
  // Darknet-53 backbone: layer 0 is 32 3x3 filters, layer 1 halves the size; 75 convs in all.
  auto* c0 = dynamic_cast<ConvolutionalLayer*>(net->layers[0].get());
  ASSERT_NE(c0, nullptr);
  EXPECT_EQ(c0->out, (Shape{32, 608, 608}));
  EXPECT_EQ(net->layers[1]->out, (Shape{64, 304, 304}));
  int convs = 0, shortcuts = 0, routes = 0, upsamples = 0;
  for (auto& l : net->layers) {
    convs += dynamic_cast<ConvolutionalLayer*>(l.get()) != nullptr;
    shortcuts += dynamic_cast<ShortcutLayer*>(l.get()) != nullptr;
    routes += dynamic_cast<RouteLayer*>(l.get()) != nullptr;
    upsamples += dynamic_cast<UpsampleLayer*>(l.get()) != nullptr;
  }
  EXPECT_EQ(convs, 75);
  EXPECT_EQ(shortcuts, 23);
  EXPECT_EQ(routes, 4);
  EXPECT_EQ(upsamples, 2);
  // Layer 86: route -1, 61 concatenates the upsampled 256 channels with layer 61's 512.
  auto* r = dynamic_cast<RouteLayer*>(net->layers[86].get());
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->sources, (std::vector<int>{85, 61}));
  EXPECT_EQ(r->out, (Shape{768, 38, 38}));
  // 62001757 parameters (weights, biases and batch-norm scales/statistics) as Darknet counts them.
  size_t params = 0;
  for (auto& l : net->layers)
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(l.get()))
      params += c->weights.size() + c->biases.size() + c->scales.size() + c->rolling_mean.size() +
                c->rolling_variance.size();
  EXPECT_EQ(params, 62001757u);
}

TEST(OriginalCfgs, Yolov3Tiny) {
  auto net = check_original({"yolov3-tiny.cfg", 24, 416, 80, {16, 23}, {13, 26}});
  ASSERT_EQ(net->layers.size(), 24u);
  // The size=2 stride=1 maxpool keeps 13x13.
  auto* m = dynamic_cast<MaxpoolLayer*>(net->layers[11].get());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->in, (Shape{512, 13, 13}));
  EXPECT_EQ(m->out, (Shape{512, 13, 13}));
  auto* r = dynamic_cast<RouteLayer*>(net->layers[20].get());
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->sources, (std::vector<int>{19, 8}));
  EXPECT_EQ(r->out, (Shape{384, 26, 26}));
}

TEST(OriginalCfgs, Yolov3Voc) { check_original({"yolov3-voc.cfg", 107, 416, 20, {82, 94, 106}, {13, 26, 52}}); }

TEST(OriginalCfgs, Yolov3OpenImages) {
  check_original({"yolov3-openimages.cfg", 107, 608, 601, {82, 94, 106}, {19, 38, 76}});
  // Its [net] has "# Testing" batch=1, subdivisions=1 (lines 3-4), then "# Training" batch=64,
  // subdivisions=16 (lines 6-7): Darknet's option_find takes the first, so do we, and the two
  // ignored lines warn.
  ::testing::internal::CaptureStderr();
  auto net = build_network(parse_cfg(kCfgDir + "yolov3-openimages.cfg"), 1);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(net->params.batch, 1);
  EXPECT_EQ(net->params.subdivisions, 1);
  EXPECT_CONTAINS(err, "yolov3-openimages.cfg:6: warning: [net] duplicate key 'batch' ignored: the first, at line 3");
  EXPECT_CONTAINS(err, "yolov3-openimages.cfg:7: warning: [net] duplicate key 'subdivisions' ignored: the first, at line 4");
}

TEST(OriginalCfgs, BatchOverride) {
  // batch_override <= 0 uses [net] batch / subdivisions (the training mini-batch): 8 / 2 = 4.
  auto net = build_network(parse_cfg_text("[net]\nbatch=8\nsubdivisions=2\nwidth=8\nheight=8\nchannels=1\n"
                                          "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n",
                                          "b.cfg"),
                           0);
  EXPECT_EQ(net->batch, 4);
  EXPECT_EQ(net->layers[0]->output.size(), 4u * 2 * 8 * 8);
}

// ---------------------------------------------------------------------------------------------
// Build errors: one test per case, each naming file:line and what is wrong.

const std::string kNet = "[net]\nwidth=32\nheight=32\nchannels=3\n";  // lines 1-4

TEST(CfgBuildErrors, UnknownSection) {
  std::string msg = build_error("unknown.cfg",
                                kNet +
                                    "[convolutional]\nfilters=4\nsize=3\nactivation=leaky\n"  // 5-8
                                    "[convolutionnal]\nfilters=4\n",                          // 9
                                9);
  EXPECT_CONTAINS(msg, "unknown section [convolutionnal]");
}

TEST(CfgBuildErrors, MalformedLine) {
  std::string msg = build_error("malformed.cfg", kNet + "[convolutional]\nfilters=4\nsize 3\n", 7);
  EXPECT_CONTAINS(msg, "malformed line");
  EXPECT_CONTAINS(msg, "size 3");
}

TEST(CfgBuildErrors, BadNumber) {
  std::string msg = build_error("badnumber.cfg", kNet + "[convolutional]\nsize=3\nfilters=abc\n", 7);
  EXPECT_CONTAINS(msg, "'filters'");
  EXPECT_CONTAINS(msg, "'abc'");
  EXPECT_CONTAINS(msg, "bad integer");
}

TEST(CfgBuildErrors, BadActivation) {
  std::string msg = build_error("badact.cfg", kNet + "[convolutional]\nsize=3\nfilters=4\nactivation=leakyy\n", 8);
  EXPECT_CONTAINS(msg, "leakyy");
}

TEST(CfgBuildErrors, ConvWithoutFilters) {
  std::string msg = build_error("nofilters.cfg", kNet + "\n[convolutional]\nsize=3\nactivation=leaky\n", 6);
  EXPECT_CONTAINS(msg, "[convolutional]");
  EXPECT_CONTAINS(msg, "missing required key 'filters'");
}

TEST(CfgBuildErrors, YoloWithoutClasses) {
  std::string msg = build_error("noclasses.cfg",
                                kNet +
                                    "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n"  // 5-8
                                    "[yolo]\nmask=0,1,2\nanchors=10,14,23,27,37,58\nnum=3\n",   // 9-12
                                9);
  EXPECT_CONTAINS(msg, "[yolo]");
  EXPECT_CONTAINS(msg, "missing required key 'classes'");
}

TEST(CfgBuildErrors, RouteIndexOutOfRange) {
  std::string msg = build_error("route.cfg",
                                kNet +
                                    "[convolutional]\nfilters=4\nsize=3\n"  // 5-7: layer 0
                                    "[maxpool]\nsize=2\nstride=2\n"         // 8-10: layer 1
                                    "[route]\nlayers=-1,-5\n",              // 11-12: layer 2
                                12);
  EXPECT_CONTAINS(msg, "-5");
  EXPECT_CONTAINS(msg, "out of range");
  EXPECT_CONTAINS(msg, "layer 2");
}

TEST(CfgBuildErrors, RouteForwardReference) {
  std::string msg = build_error("route_fwd.cfg", kNet + "[convolutional]\nfilters=4\nsize=3\n[route]\nlayers=1\n", 9);
  EXPECT_CONTAINS(msg, "out of range");
}

TEST(CfgBuildErrors, RouteSizeMismatch) {
  std::string msg = build_error("route_size.cfg",
                                kNet +
                                    "[convolutional]\nfilters=4\nsize=3\npad=1\n"  // 5-8: layer 0, 32x32
                                    "[maxpool]\nsize=2\nstride=2\n"                // 9-11: layer 1, 16x16
                                    "[route]\nlayers=-1,0\n",                      // 12-13
                                13);
  EXPECT_CONTAINS(msg, "different sizes");
}

TEST(CfgBuildErrors, ShortcutIndexOutOfRange) {
  std::string msg = build_error("shortcut.cfg",
                                kNet +
                                    "[convolutional]\nfilters=4\nsize=3\npad=1\n"  // 5-8: layer 0
                                    "[convolutional]\nfilters=4\nsize=3\npad=1\n"  // 9-12: layer 1
                                    "[shortcut]\nactivation=linear\nfrom=-3\n",    // 13-15: layer 2
                                15);
  EXPECT_CONTAINS(msg, "[shortcut]");
  EXPECT_CONTAINS(msg, "-3");
  EXPECT_CONTAINS(msg, "out of range");
}

TEST(CfgBuildErrors, ShortcutShapeMismatch) {
  std::string msg = build_error("shortcut_shape.cfg",
                                kNet +
                                    "[convolutional]\nfilters=4\nsize=3\npad=1\n"  // 5-8
                                    "[convolutional]\nfilters=8\nsize=3\npad=1\n"  // 9-12
                                    "[shortcut]\nfrom=-2\n",                       // 13-14
                                14);
  EXPECT_CONTAINS(msg, "differs");
}

TEST(CfgBuildErrors, MaskBeyondAnchors) {
  std::string msg = build_error("mask.cfg",
                                kNet +
                                    "[convolutional]\nfilters=21\nsize=1\nactivation=linear\n"  // 5-8
                                    "[yolo]\nmask=0,1,3\nanchors=10,14,23,27,37,58\nclasses=2\n",  // 9-12
                                10);
  EXPECT_CONTAINS(msg, "mask index 3");
  EXPECT_CONTAINS(msg, "3 anchors");
}

TEST(CfgBuildErrors, YoloFiltersMismatchNamesTheConvFiltersLine) {
  // classes=80, 3 masks: the conv must have (80 + 5) * 3 = 255 filters.
  std::string msg = build_error("filters.cfg",
                                kNet +
                                    "[convolutional]\nsize=1\nstride=1\n"     // 5-7
                                    "filters=256\n"                           // 8
                                    "activation=linear\n"                     // 9
                                    "\n[yolo]\nmask=0,1,2\n"                  // 10-12
                                    "anchors=10,14,23,27,37,58\nclasses=80\nnum=3\n",
                                8);
  EXPECT_CONTAINS(msg, "filters=256");
  EXPECT_CONTAINS(msg, "255");
  EXPECT_CONTAINS(msg, "classes 80");
  EXPECT_CONTAINS(msg, ":11");  // and says where the [yolo] is
}

TEST(CfgBuildErrors, FirstSectionNotNet) {
  std::string msg = build_error("notnet.cfg", "[convolutional]\nfilters=4\nsize=3\n[net]\nwidth=32\n", 1);
  EXPECT_CONTAINS(msg, "[net]");
}

TEST(CfgBuildErrors, NetWithoutWidth) {
  std::string msg = build_error("nowidth.cfg", "[net]\nheight=32\n[convolutional]\nfilters=4\nsize=3\n", 1);
  EXPECT_CONTAINS(msg, "width");
}

TEST(CfgBuildErrors, KernelLargerThanInput) {
  std::string msg = build_error("kernel.cfg", "[net]\nwidth=2\nheight=2\n[convolutional]\nfilters=4\nsize=5\n", 6);
  EXPECT_CONTAINS(msg, "kernel");
}

TEST(CfgBuildErrors, GroupsMustDivideChannels) {
  std::string msg = build_error("groups.cfg", kNet + "[convolutional]\nfilters=4\nsize=3\ngroups=2\n", 8);
  EXPECT_CONTAINS(msg, "groups=2");
}

// ---------------------------------------------------------------------------------------------
// Sizes: checked in 64-bit against sane bounds, every error naming file:line and the key.

TEST(CfgBuildBounds, YoloChannelProductDoesNotOverflow) {
  // (1431655761 + 5) * 3 = 2^32 + 2 wraps to 2 in 32-bit: it used to pass the channel check.
  std::string msg = build_error("overflow.cfg",
                                kNet +
                                    "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"  // 5-8
                                    "[yolo]\nmask=0,1,2\nanchors=10,14,23,27,37,58\n"          // 9-11
                                    "classes=1431655761\n",                                     // 12
                                12);
  EXPECT_CONTAINS(msg, "[yolo] classes=1431655761 is out of range (1..65536)");
  // In range, the product is computed in 64-bit and compared whole.
  msg = build_error("bigclasses.cfg",
                    kNet + "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
                           "[yolo]\nmask=0,1,2\nanchors=10,14,23,27,37,58\nclasses=65536\n",
                    6);
  EXPECT_CONTAINS(msg, "needs 196623 input channels");
}

TEST(CfgBuildBounds, AnchorsMustBePositiveAndFinite) {
  for (const char* bad : {"nan", "-23", "0", "inf", "1e9"}) {
    SCOPED_TRACE(bad);
    std::string msg = build_error("anchors.cfg",
                                  kNet + "[convolutional]\nfilters=14\nsize=1\nactivation=linear\n"  // 5-8
                                         "[yolo]\nmask=0,1\nclasses=2\n"                            // 9-11
                                         "anchors=10,14," + std::string(bad) + ",27\n",               // 12
                                  12);
    EXPECT_CONTAINS(msg, std::string("[yolo] anchors: item 3 (the width of anchor 1) is '") + bad + "'");
    EXPECT_CONTAINS(msg, "anchors must be numbers > 0");
  }
}

TEST(CfgBuildBounds, NetSidesAndChannels) {
  std::string msg = build_error("h.cfg", "[net]\nwidth=32\nheight=2147483647\n[maxpool]\n", 3);
  EXPECT_CONTAINS(msg, "[net] height=2147483647 is out of range (1..65536)");
  msg = build_error("w.cfg", "[net]\nwidth=100000\nheight=32\n[maxpool]\n", 2);
  EXPECT_CONTAINS(msg, "[net] width=100000 is out of range (1..65536)");
  msg = build_error("c.cfg", "[net]\nwidth=8\nheight=8\nchannels=70000\n[maxpool]\n", 4);
  EXPECT_CONTAINS(msg, "[net] channels=70000 is out of range (1..65536)");
}

TEST(CfgBuildBounds, LayerKeysOutOfRange) {
  struct Case {
    std::string layer;  // keys from line 6 on
    int line;
    const char* says;
  };
  const Case cases[] = {
      {"filters=70000\nsize=1\n", 6, "[convolutional] filters=70000 is out of range (1..65536)"},
      {"filters=4\nsize=0\n", 7, "[convolutional] size=0 is out of range (1..65536)"},
      {"filters=4\nsize=1\nstride=-1\n", 8, "[convolutional] stride=-1 is out of range (1..65536)"},
      {"filters=4\nsize=1\npadding=-2\n", 8, "[convolutional] padding=-2 is out of range (0..65536)"},
      {"filters=4\nsize=1\ngroups=0\n", 8, "[convolutional] groups=0 is out of range (1..65536)"},
      {"filters=4\nsize=3\npadding=60000\n", 8, "[convolutional] padding=60000 makes the output 120030 pixels high"},
      {"filters=4\nsize=2147483647\n", 7, "[convolutional] size=2147483647 is out of range"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.layer);
    std::string msg = build_error("conv.cfg", kNet + "[convolutional]\n" + c.layer, c.line);
    EXPECT_CONTAINS(msg, c.says);
  }
}

TEST(CfgBuildBounds, MaxpoolWindowCheckedOnBothSides) {
  // 2 pixels wide, 8 high: the window of 5 fits the height, not the width.
  std::string msg = build_error("pool.cfg", "[net]\nwidth=2\nheight=8\n[maxpool]\nsize=5\npadding=0\n", 5);
  EXPECT_CONTAINS(msg, "[maxpool] size=5: pool window larger than its input 2x8 (padding=0)");
  msg = build_error("pool2.cfg", "[net]\nwidth=8\nheight=8\n[maxpool]\nsize=2\nstride=0\n", 6);
  EXPECT_CONTAINS(msg, "[maxpool] stride=0 is out of range");
}

TEST(CfgBuildBounds, UpsampleOutputSize) {
  std::string msg = build_error("up.cfg", "[net]\nwidth=13\nheight=13\n[upsample]\nstride=1000000000\n", 5);
  EXPECT_CONTAINS(msg, "[upsample] stride=1000000000 is out of range (1..65536)");
  msg = build_error("up2.cfg", "[net]\nwidth=13\nheight=13\n[upsample]\nstride=60000\n", 5);
  EXPECT_CONTAINS(msg, "[upsample] stride=60000 makes the output 780000 pixels high (it must be 1..65536)");
}

TEST(CfgBuildBounds, RouteChannelsSummedIn64Bit) {
  std::string msg = build_error("route_c.cfg",
                                "[net]\nwidth=1\nheight=1\n"
                                "[convolutional]\nfilters=40000\nsize=1\n"  // 4-6
                                "[route]\nlayers=-1,-1\n",                   // 7-8
                                8);
  EXPECT_CONTAINS(msg, "[route] the routed layers have 80000 channels together, more than 65536");
}

TEST(CfgBuildBounds, DropoutProbabilityNaN) {
  std::string msg = build_error("drop.cfg", kNet + "[dropout]\nprobability=nan\n", 6);
  EXPECT_CONTAINS(msg, "[dropout] probability must be in [0, 1), got 'nan'");
}

// ---------------------------------------------------------------------------------------------
// Memory: estimated before anything is allocated, the key to lower named.

// Sets DN_MEMORY_LIMIT_MB for one scope.
class ScopedMemoryLimit {
 public:
  explicit ScopedMemoryLimit(const char* mb) { ::setenv("DN_MEMORY_LIMIT_MB", mb, 1); }
  ~ScopedMemoryLimit() { ::unsetenv("DN_MEMORY_LIMIT_MB"); }
};

TEST(CfgBuildMemory, TooLargeForAnyMachineNamesWidth) {
  // 65536 x 65536 x 16 filters: some 900 GiB, more than the machine's physical memory.
  std::string msg = build_error("mem_wh.cfg",
                                "[net]\nwidth=65536\nheight=65536\n"
                                "[convolutional]\nfilters=16\nsize=3\npad=1\n",
                                2);
  EXPECT_CONTAINS(msg, "[net] width=65536 height=65536 needs ~");
  EXPECT_CONTAINS(msg, "of physical memory: lower width and height");
}

TEST(CfgBuildMemory, CapNamesBatchWidthOrFilters) {
  ScopedMemoryLimit cap("256");
  // Training (batch_override 0) at batch 64: 416x416x16 per image is fine, 64 of them are not.
  const std::string batch_cfg = write_cfg("mem_batch.cfg",
                                          "[net]\nwidth=416\nheight=416\nbatch=64\nsubdivisions=2\n"
                                          "[convolutional]\nfilters=16\nsize=3\npad=1\n");
  std::string msg = error_of([&] { build_network(parse_cfg(batch_cfg), 0); });
  EXPECT_CONTAINS(msg, batch_cfg + ":4: [net] batch=64 (batch/subdivisions = 32 images per forward) needs ~");
  EXPECT_CONTAINS(msg, "to train, more than the 256 MiB (the DN_MEMORY_LIMIT_MB cap): lower batch or raise subdivisions");
  EXPECT_NO_THROW(build_network(parse_cfg(batch_cfg), 1));  // detection: one image fits
  // One image does not fit at 4000x4000, would at 608x608.
  msg = build_error("mem_w.cfg",
                    "[net]\nwidth=4000\nheight=3000\n[convolutional]\nfilters=16\nsize=3\npad=1\n", 2);
  EXPECT_CONTAINS(msg, "[net] width=4000 height=3000 needs ~");
  EXPECT_CONTAINS(msg, ": lower width and height");
  msg = build_error("mem_h.cfg",
                    "[net]\nwidth=3000\nheight=4000\n[convolutional]\nfilters=16\nsize=3\npad=1\n", 3);
  EXPECT_CONTAINS(msg, "[net] width=3000 height=4000 needs ~");
  // A layer with absurd filters: its filters= line.
  msg = build_error("mem_f.cfg",
                    "[net]\nwidth=416\nheight=416\n"
                    "[convolutional]\nfilters=16\nsize=3\npad=1\n"  // 4-7
                    "[convolutional]\nsize=1\nfilters=60000\n",       // 8-10
                    10);
  EXPECT_CONTAINS(msg, "[convolutional] filters=60000 size=1: the network needs ~");
  EXPECT_CONTAINS(msg, "output 416x416x60000): lower filters");
  EXPECT_EQ(msg.substr(msg.size() - 16), "): lower filters");
}

TEST(CfgBuildMemory, RealCfgsFitAndKeepTheirShapes) {
  // The estimate does not refuse the original cfgs, for detection or for training at their batch.
  for (const char* f : {"yolov3.cfg", "yolov3-tiny.cfg"}) {
    SCOPED_TRACE(f);
    EXPECT_NO_THROW(load_network(kCfgDir + f, 1));
  }
}

TEST(CfgBuildWarnings, DuplicateKeyFirstWins) {
  // filters=14 first (what [yolo] needs), filters=99 later: the first is used, the second warned about.
  std::string path = write_cfg("dup.cfg", kNet +
                                              "[convolutional]\nfilters=14\nsize=1\nactivation=linear\n"  // 5-8
                                              "filters=99\n"                                                 // 9
                                              "[yolo]\nmask=0,1\nclasses=2\nanchors=10,14,23,27\n");       // 10-13
  ::testing::internal::CaptureStderr();
  std::unique_ptr<Network> net;
  try {
    net = load_network(path);
  } catch (const Error& e) {
    ADD_FAILURE() << e.what();
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(dynamic_cast<ConvolutionalLayer&>(net->layer(0)).filters, 14);
  EXPECT_CONTAINS(err, path + ":9: warning: [convolutional] duplicate key 'filters' ignored: the first, at line 6, is used");
}

TEST(CfgBuildWarnings, UnknownKeyWarnsButBuilds) {
  std::string path = write_cfg("unknownkey.cfg", kNet +
                                                     "[convolutional]\nfilters=4\nsize=3\n"  // 5-7
                                                     "fliters=8\n"                           // 8
                                                     "[maxpool]\nsize=2\nstride=2\n"         // 9-11
                                                     "sride=3\n");                           // 12
  ::testing::internal::CaptureStderr();
  std::unique_ptr<Network> net;
  try {
    net = load_network(path);
  } catch (const Error& e) {
    ADD_FAILURE() << "unexpected error: " << e.what();
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->layers.size(), 2u);
  EXPECT_CONTAINS(err, path + ":8: warning");
  EXPECT_CONTAINS(err, "fliters");
  EXPECT_CONTAINS(err, path + ":12: warning");
  EXPECT_CONTAINS(err, "sride");
}

TEST(CfgBuildWarnings, UnknownNetKeyWarns) {
  std::string path = write_cfg("unknownnet.cfg", "[net]\nwidth=8\nheight=8\nlearnig_rate=0.1\n[avgpool]\n");
  ::testing::internal::CaptureStderr();
  auto net = load_network(path);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_CONTAINS(err, path + ":4: warning");
  EXPECT_CONTAINS(err, "learnig_rate");
}

}  // namespace
}  // namespace dn
