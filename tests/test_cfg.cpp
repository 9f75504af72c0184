// The cfg module on its own: Darknet's cfg text rules (whitespace, comments, sections), the
// errors the parser itself raises, typed option access, and .data/.names files.
//
// Building networks from cfgs (the original cfg files, build-time errors such as a bad [route]
// index or a wrong filters= before [yolo], unknown-key warnings) needs dn_network and lives in
// test_network_cfg.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "error_matchers.hpp"
#include "cfg/cfg.hpp"
#include "cfg/data_file.hpp"
#include "core/error.hpp"

namespace dn {
namespace {

using testing::error_of;

const std::string kCfgDir = std::string(DN_SHARED_DIR) + "/darknet-cfg/";

// All temporary files live under one folder per process, removed at exit.
const std::filesystem::path& temp_root() {
  static const struct Root {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("dn_test_cfg_" + std::to_string(::getpid()));
    ~Root() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } root;
  return root.path;
}

std::string make_temp_dir(const std::string& name) {
  auto dir = temp_root() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  ASSERT_TRUE(f) << path;
  f << text;
}



// Restores the working directory when it goes out of scope.
class ScopedChdir {
 public:
  explicit ScopedChdir(const std::string& dir) : saved_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedChdir() { std::filesystem::current_path(saved_); }

 private:
  std::filesystem::path saved_;
};

// ---------------------------------------------------------------------------------------------
// The original cfg files parse unchanged.

struct CfgCount {
  const char* file;
  size_t sections;  // [net] included
  int width, height;
};

TEST(CfgParse, OriginalCfgsParse) {
  for (const CfgCount& c : {CfgCount{"yolov3.cfg", 108, 608, 608}, CfgCount{"yolov3-tiny.cfg", 25, 416, 416},
                            CfgCount{"yolov3-voc.cfg", 108, 416, 416}, CfgCount{"yolov3-openimages.cfg", 108, 608, 608}}) {
    SCOPED_TRACE(c.file);
    CfgFile cfg = parse_cfg(kCfgDir + c.file);
    EXPECT_EQ(cfg.path, kCfgDir + c.file);
    ASSERT_EQ(cfg.sections.size(), c.sections);
    EXPECT_EQ(cfg.sections[0].type, "net");
    EXPECT_EQ(cfg.sections[0].get_int("width", 0), c.width);
    EXPECT_EQ(cfg.sections[0].get_int("height", 0), c.height);
    for (const CfgSection& s : cfg.sections) {
      EXPECT_EQ(s.file, cfg.path);
      EXPECT_GT(s.line, 0);
    }
  }
}

TEST(CfgParse, WhitespaceCommentsAndLines) {
  // Darknet removes all whitespace before splitting at the first '='.
  CfgFile cfg = parse_cfg_text(
      "# a comment\n"
      "[net]\n"
      "  width = 4 16\n"        // line 3: "width=416"
      "; another comment\n"
      "\n"
      "height=\t32\r\n"         // line 6
      "[convolutional]\n"       // line 7
      "filters = 8\n"           // line 8
      "activation=  leaky  \n"  // line 9
      "steps=1, 2,3,\n",        // line 10: trailing comma tolerated
      "mem.cfg");
  ASSERT_EQ(cfg.sections.size(), 2u);
  const CfgSection& net = cfg.sections[0];
  EXPECT_EQ(net.line, 2);
  EXPECT_EQ(net.get_int("width", 0), 416);
  EXPECT_EQ(net.get_int("height", 0), 32);
  EXPECT_EQ(net.line_of("height"), 6);
  const CfgSection& conv = cfg.sections[1];
  EXPECT_EQ(conv.type, "convolutional");
  EXPECT_EQ(conv.line, 7);
  EXPECT_EQ(conv.require_int("filters"), 8);
  EXPECT_EQ(conv.get_string("activation", ""), "leaky");
  EXPECT_EQ(conv.get_ints("steps"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(conv.line_of("steps"), 10);
  EXPECT_EQ(conv.line_of("absent"), 7);  // a missing key points at its section
  EXPECT_EQ(conv.get_int("absent", -3), -3);
}

TEST(CfgParse, NetworkIsAcceptedAsFirstSection) {
  CfgFile cfg = parse_cfg_text("[network]\nwidth=32\n", "n.cfg");
  EXPECT_EQ(cfg.sections[0].type, "network");
}

// Darknet's option_find returns the first occurrence of a key; the later ones are set aside and
// warn_unused names their lines.
TEST(CfgParse, FirstOccurrenceWinsAndDuplicatesWarn) {
  CfgFile cfg = parse_cfg_text("[net]\nbatch=1\nbatch=64\n[maxpool]\nsize=2\nsize=3\nsize=4\n", "dup.cfg");
  EXPECT_EQ(cfg.sections[0].get_int("batch", 0), 1);
  EXPECT_EQ(cfg.sections[0].line_of("batch"), 2);
  EXPECT_EQ(cfg.sections[1].get_int("size", 0), 2);
  ASSERT_EQ(cfg.sections[1].duplicates.size(), 2u);
  ::testing::internal::CaptureStderr();
  cfg.sections[0].warn_unused();
  cfg.sections[1].warn_unused();
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_CONTAINS(err, "dup.cfg:3: warning: [net] duplicate key 'batch' ignored: the first, at line 2, is used");
  EXPECT_CONTAINS(err, "dup.cfg:6: warning: [maxpool] duplicate key 'size' ignored: the first, at line 5");
  EXPECT_CONTAINS(err, "dup.cfg:7: warning: [maxpool] duplicate key 'size'");
  EXPECT_EQ(err.find("unused"), std::string::npos) << err;
  // The same key in another section is no duplicate.
  CfgFile two = parse_cfg_text("[net]\nwidth=8\n[maxpool]\nsize=2\n[maxpool]\nsize=3\n", "two.cfg");
  EXPECT_TRUE(two.sections[1].duplicates.empty() && two.sections[2].duplicates.empty());
  EXPECT_EQ(two.sections[2].get_int("size", 0), 3);
}

// Errors echo what the user wrote cut to 80 characters, non-printable bytes escaped.
TEST(QuoteInput, CutsAndEscapes) {
  EXPECT_EQ(quote_input("leaky"), "'leaky'");
  EXPECT_EQ(quote_input(""), "''");
  EXPECT_EQ(quote_input("a\tb\x01\xff\\"), "'a\\tb\\x01\\xff\\\\'");
  const std::string cut = quote_input(std::string(1000, 'x'));
  EXPECT_EQ(cut, "'" + std::string(80, 'x') + "...' (1000 bytes)");
  EXPECT_EQ(quote_input(std::string(80, 'y')), "'" + std::string(80, 'y') + "'");
  EXPECT_EQ(quote_input("abcdef", 3), "'abc...' (6 bytes)");
}

TEST(CfgErrors, HugeLineIsCutInTheMessage) {
  const std::string huge(5'000'000, 'k');
  std::string msg = error_of([&] { parse_cfg_text("[net]\nwidth=8\n" + huge + "\x02\n", "huge.cfg"); });
  EXPECT_CONTAINS(msg, "huge.cfg:3: malformed line");
  EXPECT_CONTAINS(msg, "(5000001 bytes)");
  EXPECT_LT(msg.size(), 200u) << msg.substr(0, 300);
  msg = error_of([&] { parse_cfg_text("[net]\nwidth=" + huge + "\n", "hugev.cfg").sections[0].get_int("width", 0); });
  EXPECT_CONTAINS(msg, "hugev.cfg:2: bad integer for 'width'");
  EXPECT_LT(msg.size(), 200u) << msg.substr(0, 300);
  msg = error_of([&] { parse_cfg_text("[net]\nwidth=8\n[" + huge + "]\n", "hugesec.cfg").sections[1].fail("", "x"); });
  EXPECT_LT(msg.size(), 200u) << msg.substr(0, 300);
  CfgFile cfg = parse_cfg_text("[net]\nk\x7f" + huge + "=1\n", "hugekey.cfg");
  ::testing::internal::CaptureStderr();
  cfg.sections[0].warn_unused();
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_CONTAINS(err, "hugekey.cfg:2: warning: [net] unused key 'k\\x7fkkk");
  EXPECT_LT(err.size(), 200u) << err.substr(0, 300);
}

TEST(CfgParse, ManyDuplicateKeysParseFast) {
  // 200000 copies of one key in one section: a set, not a quadratic search.
  std::string text = "[net]\n";
  for (int i = 0; i < 200000; ++i) text += "width=" + std::to_string(i + 1) + "\n";
  CfgFile cfg = parse_cfg_text(text, "many.cfg");
  EXPECT_EQ(cfg.sections[0].get_int("width", 0), 1);
  EXPECT_EQ(cfg.sections[0].duplicates.size(), 199999u);
}

TEST(CfgParse, IntegralFloatIsAnInteger) {
  CfgFile cfg = parse_cfg_text("[net]\nbatch=2.0\n", "f.cfg");
  EXPECT_EQ(cfg.sections[0].get_int("batch", 0), 2);
  // Beyond int, or NaN: an error, not an undefined conversion.
  for (const char* v : {"1e20", "-1e20", "nan", "inf", "3e9"}) {
    CfgFile big = parse_cfg_text(std::string("[net]\nbatch=") + v + "\n", "big.cfg");
    EXPECT_CONTAINS(error_of([&] { big.sections[0].get_int("batch", 0); }), "big.cfg:2: bad integer for 'batch'");
  }
}

TEST(CfgParse, StrictNumbers) {
  int i = 0;
  float f = 0;
  EXPECT_TRUE(parse_int("-12", i));
  EXPECT_EQ(i, -12);
  EXPECT_FALSE(parse_int("", i));
  EXPECT_FALSE(parse_int("12abc", i));
  EXPECT_FALSE(parse_int("abc", i));
  EXPECT_FALSE(parse_int("99999999999", i));
  EXPECT_TRUE(parse_float(".5", f));
  EXPECT_FLOAT_EQ(f, .5f);
  EXPECT_TRUE(parse_float("1e-3", f));
  EXPECT_FALSE(parse_float("0.5x", f));
  EXPECT_FALSE(parse_float("", f));
}

// ---------------------------------------------------------------------------------------------
// Errors the parser raises. Each names file:line and says what is wrong.

TEST(CfgErrors, MalformedLineWithoutEquals) {
  std::string dir = make_temp_dir("malformed");
  std::string path = dir + "/malformed.cfg";
  write_file(path, "[net]\nwidth=32\n[convolutional]\nfilters 16\n");
  std::string msg = error_of([&] { parse_cfg(path); });
  EXPECT_CONTAINS(msg, path + ":4:");
  EXPECT_CONTAINS(msg, "malformed line");
  EXPECT_CONTAINS(msg, "filters 16");
}

TEST(CfgErrors, EmptyValueIsMalformed) {
  std::string msg = error_of([] { parse_cfg_text("[net]\n\nwidth=\n", "empty_value.cfg"); });
  EXPECT_CONTAINS(msg, "empty_value.cfg:3:");
  EXPECT_CONTAINS(msg, "malformed line");
}

TEST(CfgErrors, MalformedSectionHeader) {
  std::string msg = error_of([] { parse_cfg_text("[net]\nwidth=32\n[convolutional\n", "header.cfg"); });
  EXPECT_CONTAINS(msg, "header.cfg:3:");
  EXPECT_CONTAINS(msg, "section header");
}

TEST(CfgErrors, FirstSectionNotNet) {
  std::string dir = make_temp_dir("first");
  std::string path = dir + "/first.cfg";
  write_file(path, "# comment\n\n[convolutional]\nfilters=16\n[net]\nwidth=32\n");
  std::string msg = error_of([&] { parse_cfg(path); });
  EXPECT_CONTAINS(msg, path + ":3:");
  EXPECT_CONTAINS(msg, "[net]");
  EXPECT_CONTAINS(msg, "convolutional");
}

TEST(CfgErrors, OptionBeforeAnySection) {
  std::string msg = error_of([] { parse_cfg_text("width=32\n[net]\n", "orphan.cfg"); });
  EXPECT_CONTAINS(msg, "orphan.cfg:1:");
  EXPECT_CONTAINS(msg, "outside any section");
}

TEST(CfgErrors, EmptyFile) {
  std::string msg = error_of([] { parse_cfg_text("# nothing\n\n", "nothing.cfg"); });
  EXPECT_CONTAINS(msg, "nothing.cfg");
  EXPECT_CONTAINS(msg, "[net]");
}

TEST(CfgErrors, MissingFile) {
  std::string path = make_temp_dir("missing") + "/does_not_exist.cfg";
  std::string msg = error_of([&] { parse_cfg(path); });
  EXPECT_CONTAINS(msg, path);
  EXPECT_CONTAINS(msg, "cannot open");
}

// Typed access errors (the build reports these through the same calls).
TEST(CfgErrors, BadIntegerNamesKeyValueAndLine) {
  CfgFile cfg = parse_cfg_text("[net]\nwidth=32\n[convolutional]\nsize=3\nfilters=abc\n", "bad_int.cfg");
  std::string msg = error_of([&] { cfg.sections[1].require_int("filters"); });
  EXPECT_CONTAINS(msg, "bad_int.cfg:5:");
  EXPECT_CONTAINS(msg, "filters");
  EXPECT_CONTAINS(msg, "abc");
}

TEST(CfgErrors, BadFloatAndBadListItem) {
  CfgFile cfg = parse_cfg_text("[net]\nmomentum=0.9.1\nsteps=100,x200\n", "bad_float.cfg");
  std::string msg = error_of([&] { cfg.sections[0].get_float("momentum", 0); });
  EXPECT_CONTAINS(msg, "bad_float.cfg:2:");
  EXPECT_CONTAINS(msg, "0.9.1");
  msg = error_of([&] { cfg.sections[0].get_ints("steps"); });
  EXPECT_CONTAINS(msg, "bad_float.cfg:3:");
  EXPECT_CONTAINS(msg, "x200");
}

TEST(CfgErrors, RequiredKeyMissingNamesSectionLine) {
  CfgFile cfg = parse_cfg_text("[net]\nwidth=32\n\n[convolutional]\nsize=3\n", "req.cfg");
  std::string msg = error_of([&] { cfg.sections[1].require_int("filters"); });
  EXPECT_CONTAINS(msg, "req.cfg:4:");
  EXPECT_CONTAINS(msg, "missing required key 'filters'");
}

TEST(CfgWarnings, UnusedKeyWarnsWithFileAndLine) {
  CfgFile cfg = parse_cfg_text("[net]\nwidth=32\nwidht=32\n", "typo.cfg");
  cfg.sections[0].get_int("width", 0);
  ::testing::internal::CaptureStderr();
  cfg.sections[0].warn_unused();
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_CONTAINS(err, "typo.cfg:3:");
  EXPECT_CONTAINS(err, "warning");
  EXPECT_CONTAINS(err, "widht");
  EXPECT_EQ(err.find("'width'"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// .data and .names files.

TEST(DataFile, ReadsAllKeys) {
  std::string dir = make_temp_dir("keys");
  write_file(dir + "/x.data",
             "classes = 3\n# comment\ntrain=/abs/train.txt\nvalid=/abs/valid.txt\nnames=/abs/x.names\n"
             "backup=/abs/backup/\nresults=/abs/results\neval=coco\n");
  DataConfig d = read_data_file(dir + "/x.data");
  EXPECT_EQ(d.path, dir + "/x.data");
  EXPECT_EQ(d.classes, 3);
  EXPECT_EQ(d.train, "/abs/train.txt");
  EXPECT_EQ(d.valid, "/abs/valid.txt");
  EXPECT_EQ(d.names, "/abs/x.names");
  EXPECT_EQ(d.backup, "/abs/backup/");
  EXPECT_EQ(d.results, "/abs/results");
  EXPECT_EQ(d.eval, "coco");
}

TEST(DataFile, RelativePathsResolveAgainstCwdThenDataFolder) {
  // root/
  //   cwd_only.names       (exists only next to the working directory)
  //   both.txt             (exists in both places: the working directory wins)
  //   cfg/x.data
  //   cfg/data_only.names  (exists only next to the .data file)
  //   cfg/both.txt
  std::string root = make_temp_dir("resolve");
  std::filesystem::create_directories(root + "/cfg");
  write_file(root + "/cwd_only.names", "a\n");
  write_file(root + "/both.txt", "x\n");
  write_file(root + "/cfg/data_only.names", "a\n");
  write_file(root + "/cfg/both.txt", "x\n");
  write_file(root + "/cfg/x.data",
             "classes=1\nnames=data_only.names\ntrain=both.txt\nvalid=cwd_only.names\nresults=nowhere/results\n");
  ScopedChdir cd(root);
  DataConfig d = read_data_file("cfg/x.data");
  EXPECT_EQ(d.names, "cfg/data_only.names");
  EXPECT_EQ(d.train, "both.txt");
  EXPECT_EQ(d.valid, "cwd_only.names");
  EXPECT_EQ(d.results, "nowhere/results");  // found nowhere: kept as given
  EXPECT_EQ(names_for(d), std::vector<std::string>{"a"});
}

TEST(DataFile, MissingClassesIsAnError) {
  std::string dir = make_temp_dir("noclasses");
  write_file(dir + "/x.data", "names=x.names\n");
  std::string msg = error_of([&] { read_data_file(dir + "/x.data"); });
  EXPECT_CONTAINS(msg, dir + "/x.data");
  EXPECT_CONTAINS(msg, "classes");
}

TEST(DataFile, BadClassesAndMalformedLine) {
  std::string dir = make_temp_dir("badclasses");
  write_file(dir + "/a.data", "\nclasses=two\n");
  std::string msg = error_of([&] { read_data_file(dir + "/a.data"); });
  EXPECT_CONTAINS(msg, dir + "/a.data:2:");
  EXPECT_CONTAINS(msg, "two");
  write_file(dir + "/b.data", "classes=2\nnames x.names\n");
  msg = error_of([&] { read_data_file(dir + "/b.data"); });
  EXPECT_CONTAINS(msg, dir + "/b.data:2:");
  EXPECT_CONTAINS(msg, "malformed");
}

// As in cfgs: the first occurrence wins, the later ones warn with their line.
TEST(DataFile, DuplicateKeyFirstWinsAndWarns) {
  std::string dir = make_temp_dir("dupdata");
  write_file(dir + "/d.data", "classes=2\nvalid=a.txt\nclasses=80\nvalid=b.txt\n");
  ::testing::internal::CaptureStderr();
  DataConfig d = read_data_file(dir + "/d.data");
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.classes, 2);
  EXPECT_EQ(d.valid, "a.txt");
  EXPECT_CONTAINS(err, dir + "/d.data:3: warning: duplicate key 'classes' ignored: the first, at line 1, is used");
  EXPECT_CONTAINS(err, dir + "/d.data:4: warning: duplicate key 'valid' ignored: the first, at line 2, is used");
  // An error in the first occurrence is reported at its line, not hidden by a later good one.
  write_file(dir + "/e.data", "classes=0\nclasses=2\n");
  EXPECT_CONTAINS(error_of([&] { read_data_file(dir + "/e.data"); }), dir + "/e.data:1: bad value for 'classes'");
}

TEST(DataFile, ClassesBoundedAndLongLinesCut) {
  std::string dir = make_temp_dir("bounds");
  write_file(dir + "/c.data", "classes=2000000000\n");
  std::string msg = error_of([&] { read_data_file(dir + "/c.data"); });
  EXPECT_CONTAINS(msg, dir + "/c.data:1: bad value for 'classes': '2000000000' (an integer in 1..65536)");
  write_file(dir + "/l.data", "classes=2\n" + std::string(1'000'000, '#') + "\n" + std::string(1'000'000, 'z') + "\n");
  msg = error_of([&] { read_data_file(dir + "/l.data"); });
  EXPECT_CONTAINS(msg, dir + "/l.data:3: malformed line (expected key=value): 'zzz");
  EXPECT_CONTAINS(msg, "...' (1000000 bytes)");
  EXPECT_LT(msg.size(), 300u) << msg.substr(0, 400);
}

TEST(DataFile, UnknownKeyWarns) {
  std::string dir = make_temp_dir("unknownkey");
  write_file(dir + "/x.data", "classes=2\nnmaes=x.names\n");
  ::testing::internal::CaptureStderr();
  DataConfig d = read_data_file(dir + "/x.data");
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.classes, 2);
  EXPECT_CONTAINS(err, dir + "/x.data:2:");
  EXPECT_CONTAINS(err, "nmaes");
}

TEST(DataFile, MissingDataFile) {
  std::string path = make_temp_dir("nodata") + "/none.data";
  std::string msg = error_of([&] { read_data_file(path); });
  EXPECT_CONTAINS(msg, path);
}

TEST(DataFile, OriginalDataFilesParse) {
  DataConfig coco = read_data_file(kCfgDir + "coco.data");
  EXPECT_EQ(coco.classes, 80);
  EXPECT_EQ(coco.eval, "coco");
  DataConfig voc = read_data_file(kCfgDir + "voc.data");
  EXPECT_EQ(voc.classes, 20);
  EXPECT_EQ(read_names(kCfgDir + "coco.names").size(), 80u);
  EXPECT_EQ(read_names(kCfgDir + "voc.names").size(), 20u);
}

TEST(Names, TooFewNamesIsAnError) {
  std::string dir = make_temp_dir("fewnames");
  write_file(dir + "/x.names", "cat\ndog\n\n");
  write_file(dir + "/x.data", "classes=3\nnames=" + dir + "/x.names\n");
  DataConfig d = read_data_file(dir + "/x.data");
  std::string msg = error_of([&] { names_for(d); });
  EXPECT_CONTAINS(msg, dir + "/x.names");
  EXPECT_CONTAINS(msg, "2 names");
  EXPECT_CONTAINS(msg, "classes=3");
}

TEST(Names, TrailingBlanksAndCarriageReturns) {
  std::string dir = make_temp_dir("names");
  write_file(dir + "/x.names", "cat\r\nhot dog \n\n\n");
  EXPECT_EQ(read_names(dir + "/x.names"), (std::vector<std::string>{"cat", "hot dog"}));
  DataConfig d;
  d.classes = 2;
  d.names = dir + "/x.names";
  EXPECT_EQ(names_for(d), (std::vector<std::string>{"cat", "hot dog"}));
}

TEST(Names, WithoutNamesFileClassesAreNumbered) {
  DataConfig d;
  d.classes = 3;
  EXPECT_EQ(names_for(d), (std::vector<std::string>{"0", "1", "2"}));
}

TEST(Names, MissingNamesFile) {
  std::string path = make_temp_dir("nonames") + "/none.names";
  std::string msg = error_of([&] { read_names(path); });
  EXPECT_CONTAINS(msg, path);
}

}  // namespace
}  // namespace dn
