// Non-finite weights end to end (issue 9): ww-analyze reports a layer holding NaN/Inf with status
// non_finite and its count, never computes its spectrum, goes on with the other layers, counts it
// in ww_summary.json, leaves it out of the summary means (unlike failed fits) and exits 0.
#include <gtest/gtest.h>

#ifndef QSPECTRA_BIN_DIR
TEST(NonFinite, NeedsTheApps) { GTEST_SKIP() << "needs the apps (QSPECTRA_BUILD_APPS=ON)"; }
#else

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "../apps/app_runner.hpp"
#include "../common/reference_csv.hpp"
#include "../io/safetensors_builder.hpp"

namespace qspectra::testing {
namespace {

namespace fs = std::filesystem;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> gaussian(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  std::vector<float> w(n);
  for (auto& x : w) x = normal(rng);
  return w;
}

test::StEntry f32(const std::string& name, int64_t rows, int64_t cols, std::vector<float> w) {
  return {name, "F32", {rows, cols}, test::le_bytes(w)};
}

// Two healthy layers with fixed values (also written alone, as the reference for the means).
std::vector<test::StEntry> healthy() {
  return {f32("a.weight", 64, 32, gaussian(64 * 32, 1)), f32("z.weight", 48, 48, gaussian(48 * 48, 2))};
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

struct Analysis {
  RunResult r;
  CsvTable csv;
  nlohmann::json summary;
};

Analysis analyze(const std::vector<test::StEntry>& entries, const fs::path& tmp, const std::string& tag,
            std::vector<std::string> extra = {}) {
  const fs::path model = tmp / (tag + "-model"), out = tmp / (tag + "-out");
  fs::create_directories(model);
  test::write_file(model / "model.safetensors", test::build_safetensors(entries));
  std::vector<std::string> args = {model.string(), "--out-dir", out.string(), "--threads", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  Analysis run{run_app("ww-analyze", args), {}, {}};
  if (run.r.exit_code == 0) {
    run.csv = read_csv((out / "ww_layers.csv").string());
    run.summary = read_json(out / "ww_summary.json");
  }
  return run;
}

TEST(NonFinite, NanAndInfLayersAreReportedSkippedAndExcludedFromMeans) {
  test::TempDir tmp;
  std::vector<test::StEntry> entries = healthy();
  auto nan_w = gaussian(64 * 32, 3);
  nan_w[100] = kNaN;
  entries.push_back(f32("b_nan.weight", 64, 32, nan_w));
  auto inf_w = gaussian(32 * 64, 4);
  inf_w[0] = kInf;
  inf_w[5] = -kInf;
  entries.push_back(f32("c_inf.weight", 32, 64, inf_w));
  // F16 with +inf (0x7C00) and NaN (0x7E00); BF16 with -inf (0xFF80).
  std::vector<uint16_t> h(16 * 16, 0x3C00);
  h[3] = 0x7C00;
  h[7] = 0x7E00;
  entries.push_back({"d_f16.weight", "F16", {16, 16}, test::le_bytes(h)});
  std::vector<uint16_t> b(16 * 16, 0x3F80);
  b[9] = 0xFF80;
  entries.push_back({"e_bf16.weight", "BF16", {16, 16}, test::le_bytes(b)});
  // F64 1e300 is finite on disk but infinite as float32 (WW reads every tensor as float32).
  std::vector<double> d(16 * 16, 0.5);
  d[0] = 1e300;
  entries.push_back({"f_f64.weight", "F64", {16, 16}, test::le_bytes(d)});

  const Analysis run = analyze(entries, tmp.path(), "mixed");
  ASSERT_EQ(run.r.exit_code, 0) << run.r.output;
  const std::map<std::string, int64_t> expected = {{"b_nan", 1}, {"c_inf", 2}, {"d_f16", 2}, {"e_bf16", 1}, {"f_f64", 1}};
  for (const auto& [name, count] : expected) {
    const CsvRow& row = run.csv.find("name", name);
    EXPECT_EQ(row.str("status"), "non_finite") << name;
    EXPECT_EQ(row.integer("non_finite_count"), count) << name;
    EXPECT_EQ(row.str("method"), "none") << name << ": no spectrum was computed";
    EXPECT_TRUE(std::isnan(row.num("alpha"))) << name << ": alpha = '" << row.str("alpha") << "'";
    EXPECT_TRUE(std::isnan(row.num("lambda_max"))) << name << ": lambda_max = '" << row.str("lambda_max") << "'";
  }
  for (const char* name : {"a", "z"}) {
    const CsvRow& row = run.csv.find("name", name);
    EXPECT_NE(row.str("status"), "non_finite") << name;
    EXPECT_EQ(row.integer("non_finite_count"), 0) << name;
    EXPECT_TRUE(std::isfinite(row.num("alpha"))) << name;
  }
  const auto& counts = run.summary.at("counts");
  EXPECT_EQ(counts.at("non_finite").get<int64_t>(), 5) << counts;
  EXPECT_EQ(counts.at("failed").get<int64_t>(), 0) << counts;
  EXPECT_EQ(counts.at("layers_analysed").get<int64_t>(), 2) << counts;
  EXPECT_NE(run.r.output.find("non-finite layers: 5"), std::string::npos) << run.r.output;

  // The means are those of the two healthy layers alone: non-finite layers are not averaged in.
  const Analysis ref = analyze(healthy(), tmp.path(), "healthy");
  ASSERT_EQ(ref.r.exit_code, 0) << ref.r.output;
  ASSERT_FALSE(ref.summary.at("summary").empty());
  for (const auto& [key, value] : ref.summary.at("summary").items()) {
    ASSERT_TRUE(run.summary.at("summary").contains(key)) << key;
    EXPECT_DOUBLE_EQ(run.summary.at("summary").at(key).get<double>(), value.get<double>()) << key;
  }
}

TEST(NonFinite, OnlyNonFiniteLayersStillExitsZero) {
  test::TempDir tmp;
  auto w = gaussian(32 * 32, 5);
  w[1] = kNaN;
  const Analysis run = analyze({f32("x.weight", 32, 32, w), f32("y.weight", 32, 32, std::vector<float>(32 * 32, kInf))},
                          tmp.path(), "all");
  ASSERT_EQ(run.r.exit_code, 0) << run.r.output;
  EXPECT_EQ(run.summary.at("counts").at("non_finite").get<int64_t>(), 2);
  EXPECT_EQ(run.summary.at("counts").at("layers_analysed").get<int64_t>(), 0);
  EXPECT_EQ(run.csv.find("name", "y").integer("non_finite_count"), 32 * 32);
}

TEST(NonFinite, QuantizationOverflowToInfIsNonFinite) {
  // Finite weights that fp16 cannot hold (> 65504) become inf when cast: non_finite as quantized.
  test::TempDir tmp;
  auto w = gaussian(32 * 32, 6);
  w[0] = 1e6f;
  const Analysis run = analyze({f32("big.weight", 32, 32, w), f32("ok.weight", 32, 32, gaussian(32 * 32, 7))}, tmp.path(),
                          "fp16", {"--quantize", "fp16"});
  ASSERT_EQ(run.r.exit_code, 0) << run.r.output;
  EXPECT_EQ(run.csv.find("name", "big").str("status"), "non_finite");
  EXPECT_EQ(run.csv.find("name", "ok").integer("non_finite_count"), 0);
  EXPECT_EQ(run.summary.at("counts").at("non_finite").get<int64_t>(), 1);
}

// With --keep-f64, finite F64 weights whose squares overflow (|w| > ~1e154) used to reach LAPACK as inf
// (gram/auto: "dsyevd failed to converge", exit 3; svd/eigen: status failed with lambda_max 0). Such a
// layer is now reported like a non-finite one.
TEST(NonFinite, HugeFiniteF64WeightsWithKeepF64GiveNoGarbage) {
  // --keep-f64: 1e200 stays finite, but its square (in W^T W) would overflow to inf. Whatever the
  // method, the layer must not yield NaN/Inf metrics labelled as a normal result.
  test::TempDir tmp;
  std::vector<double> d(32 * 32);
  std::mt19937 rng(8);
  std::normal_distribution<double> normal(0.0, 1e200);
  for (auto& x : d) x = normal(rng);
  const Analysis run = analyze({{"huge.weight", "F64", {32, 32}, test::le_bytes(d)}}, tmp.path(), "keep", {"--keep-f64"});
  ASSERT_EQ(run.r.exit_code, 0) << run.r.output;
  const CsvRow& row = run.csv.find("name", "huge");
  EXPECT_EQ(row.str("status"), "non_finite");
  EXPECT_GT(row.integer("non_finite_count"), 0);
}

}  // namespace
}  // namespace qspectra::testing

#endif  // QSPECTRA_BIN_DIR
