// End to end: --shard I/N runs of the three analysis apps, merged by qspectra-merge, equal one run
// (timing columns and meta aside); incomplete, duplicate and mismatched shard sets are refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {
namespace fs = std::filesystem;

const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A CSV without its timing column (elapsed_ms); the bundled model's names hold no comma or quote.
std::string without_timing(const std::string& csv) {
  std::istringstream in(csv);
  std::string line, out;
  long drop = -1;
  bool header = true;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    if (header)
      for (std::size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == "elapsed_ms") drop = static_cast<long>(i);
    header = false;
    for (std::size_t i = 0; i < cells.size(); ++i)
      if (static_cast<long>(i) != drop) out += cells[i] + ",";
    out += "\n";
  }
  return out;
}

// Every file of `single` equals the merged one: CSVs byte for byte but the timing column, JSON
// documents without "meta" (numbers as written, so bit for bit).
void expect_same_outputs(const fs::path& single, const fs::path& merged) {
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(single)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(".")) continue;
    ++files;
    ASSERT_TRUE(fs::exists(merged / name)) << name;
    if (e.path().extension() == ".csv") {
      EXPECT_EQ(without_timing(slurp(e.path())), without_timing(slurp(merged / name))) << name;
    } else {
      auto a = nlohmann::ordered_json::parse(slurp(e.path())), b = nlohmann::ordered_json::parse(slurp(merged / name));
      ASSERT_TRUE(b.contains("meta")) << name;
      EXPECT_FALSE(b["meta"].contains("shard")) << name;
      EXPECT_TRUE(b["meta"].contains("merged_from")) << name;
      a.erase("meta");
      b.erase("meta");
      EXPECT_EQ(a.dump(2), b.dump(2)) << name;
    }
  }
  EXPECT_GT(files, 0u);
  std::size_t merged_files = 0;
  for (const auto& e : fs::directory_iterator(merged)) merged_files += !e.path().filename().string().starts_with(".");
  EXPECT_EQ(files, merged_files);
}

// One run (2 workers) and three shards (1 worker each, given to the merge out of order).
void check_merge_equals_single(const std::string& app, const std::vector<std::string>& options) {
  test::TempDir t;
  auto args = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {kModel, "--quiet"};
    a.insert(a.end(), options.begin(), options.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  auto r = run_app(app, args({"--threads", "2", "--out-dir", (t.path() / "single").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int i = 0; i < 3; ++i) {
    const auto dir = t.path() / ("shard" + std::to_string(i));
    r = run_app(app, args({"--threads", "1", "--shard", std::to_string(i) + "/3", "--out-dir", dir.string()}));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  r = run_app("qspectra-merge", {"--out-dir", (t.path() / "merged").string(), (t.path() / "shard2").string(),
                                 (t.path() / "shard0").string(), (t.path() / "shard1").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_same_outputs(t.path() / "single", t.path() / "merged");
}

TEST(ShardMerge, WwAnalyzeMergeEqualsOneRun) {
  check_merge_equals_single("ww-analyze", {"--mp-fit", "--save-evals"});
}

TEST(ShardMerge, PrecisionSweepMergeEqualsOneRun) {
  check_merge_equals_single("precision-sweep", {"--variants", "fp32,fp16,sym:4", "--baseline", "fp16"});
}

TEST(ShardMerge, RateDistortionMergeEqualsOneRun) {
  check_merge_equals_single("rate-distortion", {"--bits", "2,4", "--methods", "uniform_sym,lloyd_max,nf4,vq_d2"});
}

TEST(ShardMerge, RateDistortionLayerValuesDoNotDependOnThreads) {
  // One layer: --threads 2 gives its k-means 2 threads, --threads 1 one; the rows are the same.
  test::TempDir t;
  for (const char* threads : {"1", "2"}) {
    auto r = run_app("rate-distortion", {kModel, "--quiet", "--layers", "layers\\.0\\.mlp\\.down", "--bits", "2,4",
                                         "--methods", "lloyd_max,vq_d2,pq_d8_m2", "--threads", threads, "--out-dir",
                                         (t.path() / threads).string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  EXPECT_EQ(slurp(t.path() / "1" / "rd_curves.csv"), slurp(t.path() / "2" / "rd_curves.csv"));
}

TEST(ShardMerge, ShardsSplitTheLayersAndRecordTheShard) {
  test::TempDir t;
  std::size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    const auto dir = t.path() / std::to_string(i);
    auto r = run_app("ww-analyze", {kModel, "--quiet", "--shard", std::to_string(i) + "/3", "--out-dir", dir.string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto meta = nlohmann::json::parse(slurp(dir / "ww_summary.json"))["meta"];
    EXPECT_EQ(meta["shard"]["index"], i);
    EXPECT_EQ(meta["shard"]["count"], 3);
    EXPECT_EQ(meta["shard"]["layers_total"], 36);
    EXPECT_FALSE(meta["model_identity"]["header_sha256"].get<std::string>().empty());
    EXPECT_GT(meta["shard"]["layers"].size(), 0u);
    total += meta["shard"]["layers"].size();
  }
  EXPECT_EQ(total, 36u);
}

TEST(ShardMerge, ShardIndexMustBeBelowCount) {
  for (const char* bad : {"3/3", "0/0", "-1/3", "1", "a/b"}) {
    auto r = run_app("ww-analyze", {kModel, "--quiet", "--shard", bad, "--out-dir", "/nonexistent/never"});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.output;
  }
}

class ShardSets : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    for (int i = 0; i < 3; ++i) shard(std::to_string(i), i, {});
    shard("k", 2, {"--k-frac", "0.2"});  // shard 2/3 with other options
    // Another model: the bundled one's tensors under other names (other headers).
    const auto other = dir_->path() / "other-model";
    fs::create_directories(other);
    test::write_file(other / "model.safetensors",
                     test::build_safetensors({test::zeros_f32("a.weight", {64, 64}), test::zeros_f32("b.weight", {64, 96})}));
    auto r = run_app("ww-analyze", {other.string(), "--quiet", "--shard", "2/3", "--out-dir", (dir_->path() / "m").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() { delete dir_; }
  static void shard(const std::string& name, int i, std::vector<std::string> extra) {
    std::vector<std::string> a = {kModel, "--quiet", "--shard", std::to_string(i) + "/3", "--out-dir",
                                  (dir_->path() / name).string()};
    a.insert(a.end(), extra.begin(), extra.end());
    auto r = run_app("ww-analyze", a);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static RunResult merge(const std::vector<std::string>& shards) {
    std::vector<std::string> a = {"--out-dir", (dir_->path() / "merged").string()};
    for (const auto& s : shards) a.push_back((dir_->path() / s).string());
    return run_app("qspectra-merge", a);
  }
  static test::TempDir* dir_;
};
test::TempDir* ShardSets::dir_ = nullptr;

TEST_F(ShardSets, MissingShardIsRefused) {
  auto r = merge({"0", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("missing shard 2/3"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_->path() / "merged"));
}

TEST_F(ShardSets, DuplicateShardIsRefused) {
  auto r = merge({"0", "1", "1", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("duplicate shard 1/3"), std::string::npos) << r.output;
}

TEST_F(ShardSets, OtherOptionsAreRefused) {
  auto r = merge({"0", "1", "k"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("options differ"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("k_frac"), std::string::npos) << r.output;
}

TEST_F(ShardSets, OtherModelIsRefused) {
  auto r = merge({"0", "1", "m"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("a different model"), std::string::npos) << r.output;
}

TEST_F(ShardSets, UnshardedRunIsRefused) {
  test::TempDir t;
  auto r = run_app("ww-analyze", {kModel, "--quiet", "--layers", "layers\\.0\\.", "--out-dir", (t.path() / "one").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_app("qspectra-merge", {"--out-dir", (t.path() / "merged").string(), (t.path() / "one").string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("not written by a --shard I/N run"), std::string::npos) << r.output;
}

TEST(ModelSeries, OneOutDirPerModelAndWwModelsCsv) {
  test::TempDir t;
  const auto second = t.path() / "ckpt-2";
  fs::create_directories(second);
  fs::copy_file(fs::path(kModel) / "model.safetensors", second / "model.safetensors");
  const auto out = t.path() / "series";
  auto r = run_app("ww-analyze", {kModel, second.string(), "--quiet", "--layers", "layers\\.[01]\\.", "--out-dir", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(out / "llama2c-stories260K-plctlab" / "ww_layers.csv"));
  EXPECT_TRUE(fs::exists(out / "ckpt-2" / "ww_summary.json"));
  const std::string table = slurp(out / "ww_models.csv");
  std::istringstream in(table);
  std::string header, row1, row2, extra;
  std::getline(in, header);
  std::getline(in, row1);
  std::getline(in, row2);
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_TRUE(header.starts_with("model,path,layers,log_norm,alpha,alpha_weighted,log_alpha_norm,log_spectral_norm,"
                                 "stable_rank,alpha_median,")) << header;
  EXPECT_TRUE(row1.starts_with("llama2c-stories260K-plctlab,")) << row1;
  EXPECT_TRUE(row2.starts_with("ckpt-2,")) << row2;
  // The same weights: the same summary, and the row's alpha mean is ww_summary.json's.
  EXPECT_EQ(row1.substr(row1.find(",14,")), row2.substr(row2.find(",14,")));
  const auto summary = nlohmann::json::parse(slurp(out / "ckpt-2" / "ww_summary.json"));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", summary["summary"]["alpha"].get<double>());
  EXPECT_NE(row2.find(std::string(",") + buf + ","), std::string::npos) << row2;

  // --models LIST_FILE: the same table, order as listed; with --base, the change columns.
  test::write_file(t.path() / "list.txt", "# checkpoints\n" + second.string() + "\n\n" + kModel + "\n");
  r = run_app("ww-analyze", {"--models", (t.path() / "list.txt").string(), "--quiet", "--layers", "layers\\.[01]\\.",
                             "--base", kModel, "--out-dir", (t.path() / "list").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string listed = slurp(t.path() / "list" / "ww_models.csv");
  EXPECT_NE(listed.find("change_alpha"), std::string::npos) << listed;
  EXPECT_LT(listed.find("\nckpt-2,"), listed.find("\nllama2c-stories260K-plctlab,")) << listed;
  EXPECT_TRUE(fs::exists(t.path() / "list" / "ckpt-2" / "ww_compare.csv"));
}

TEST(ModelSeries, SameNameTwiceAndNoOutDirAreUsageErrors) {
  auto r = run_app("ww-analyze", {kModel, kModel, "--quiet", "--out-dir", "/nonexistent/x"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_app("ww-analyze", {kModel, kModel, "--quiet"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace qspectra::testing
