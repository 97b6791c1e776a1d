// --save-evals: ww_evals.csv / sweep_evals.csv hold every eigenvalue of every analysed layer, equal to
// the reference WeightWatcher eigenvalues (evals.csv, 17 digits, the same numbers as evals.npz) to 1e-9
// of the layer's lambda_max.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "../common/reference_csv.hpp"
#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {

const std::string kData = QSPECTRA_TEST_DATA_DIR;

std::map<std::string, std::vector<double>> read_long(const std::string& path, std::vector<std::string>* order,
                                                     const std::string& variant = "") {
  std::map<std::string, std::vector<double>> out;
  const auto t = read_csv(path);
  for (const auto& r : t.rows) {
    if (!variant.empty() && r.str("variant") != variant) continue;
    const std::string name = r.str("name");
    if (order && (order->empty() || order->back() != name)) order->push_back(name);
    out[name].push_back(r.num("lambda"));
  }
  return out;
}

void expect_equal_evals(const std::map<std::string, std::vector<double>>& got,
                        const std::map<std::string, std::vector<double>>& want) {
  ASSERT_EQ(got.size(), want.size()) << "layer set differs";
  for (const auto& [name, w] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    const auto& g = got.at(name);
    ASSERT_EQ(g.size(), w.size()) << name << ": every eigenvalue, zeros included";
    EXPECT_TRUE(std::is_sorted(g.begin(), g.end())) << name << ": ascending";
    const double lmax = *std::max_element(w.begin(), w.end());
    for (std::size_t i = 0; i < w.size(); ++i)
      ASSERT_LE(std::fabs(g[i] - w[i]), 1e-9 * lmax) << name << " index " << i << ": " << g[i] << " vs " << w[i];
  }
}

void check_ww_evals(const std::string& model, const std::string& reference) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {model, "--out-dir", out.str(), "--quiet", "--save-evals"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> order;
  const auto got = read_long(out.str() + "/ww_evals.csv", &order);
  expect_equal_evals(got, read_evals_csv(reference + "/evals.csv"));
  // Layers in the order of ww_layers.csv (natural order), each layer's rows contiguous.
  std::vector<std::string> layer_names;
  for (const auto& row : read_csv(out.str() + "/ww_layers.csv").rows) layer_names.push_back(row.str("name"));
  EXPECT_EQ(order, layer_names);
}

TEST(SaveEvals, SyntheticSmallMatchesReference) {
  check_ww_evals(kData + "/fixtures/synthetic-small", kData + "/reference/synthetic-small");
}

TEST(SaveEvals, EdgeCasesMatchReference) {
  check_ww_evals(kData + "/fixtures/edge-cases", kData + "/reference/edge-cases");
}

TEST(SaveEvals, StoriesModelMatchesReference) {
  check_ww_evals(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab",
                 kData + "/reference/llama2c-stories260K-plctlab");
}

TEST(SaveEvals, HeaderAndFullPrecision) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kData + "/fixtures/synthetic-small", "--out-dir", out.str(), "--quiet",
                                  "--save-evals", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto t = read_csv(out.str() + "/ww_evals.csv");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"name", "lambda"}));
  // Printed with 17 significant digits: the text reads back to the same double.
  std::ifstream f(out.str() + "/ww_evals.csv");
  std::string line;
  std::getline(f, line);
  std::size_t long_values = 0;
  while (std::getline(f, line)) long_values += line.size() - line.find(',') - 1 >= 16;
  EXPECT_GT(long_values, t.rows.size() / 2);
}

TEST(SaveEvals, DefaultRunWritesNoEvals) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kData + "/fixtures/synthetic-small", "--out-dir", out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out.str() + "/ww_evals.csv"));
}

TEST(SaveEvals, PrecisionSweepWritesEveryVariant) {
  test::TempDir out;
  auto r = run_app("precision-sweep", {kData + "/fixtures/synthetic-small", "--out-dir", out.str(), "--quiet",
                                       "--variants", "fp32,sym:4", "--save-evals"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string path = out.str() + "/sweep_evals.csv";
  EXPECT_EQ(read_csv(path).columns, (std::vector<std::string>{"name", "variant", "lambda"}));
  // fp32 of float32 weights is the stored model: WW's eigenvalues.
  expect_equal_evals(read_long(path, nullptr, "fp32"), read_evals_csv(kData + "/reference/synthetic-small/evals.csv"));
  const auto q4 = read_long(path, nullptr, "sym:4");
  const auto fp = read_long(path, nullptr, "fp32");
  ASSERT_EQ(q4.size(), fp.size());
  bool some_differ = false;
  for (const auto& [name, v] : q4) {
    ASSERT_EQ(v.size(), fp.at(name).size()) << name;
    some_differ = some_differ || v != fp.at(name);
  }
  EXPECT_TRUE(some_differ) << "the sym:4 rows are the quantized layers' eigenvalues";
  EXPECT_FALSE(std::filesystem::exists(out.str() + "/ww_evals.csv"));
}

}  // namespace
}  // namespace qspectra::testing
