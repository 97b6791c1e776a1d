// --precision fp32 against fp64 (docs/metrics.md, "fp32 accuracy"): on every model with weights at
// hand (the reference fixtures, the bundled model, the shared models when present) the xmin index
// (num_pl_spikes) is fp64's on >= 99% of the layers and alpha is within 1e-3 relative on those.
// Prints one table row per model (the table docs/metrics.md keeps).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::pipeline {
namespace {

namespace fs = std::filesystem;

const std::string kSharedModels = "/work/shared/models";

struct Gate {
  std::size_t layers = 0, same_xmin = 0, alpha_ok = 0, redone = 0, square = 0;
  double worst_alpha_rel = 0;
};

Gate compare(const std::string& dir, bool all_matrices) {
  const auto model = io::ModelDir::open(dir);
  AnalyzeOptions o;
  o.threads = 2;
  o.selector.all_matrices = all_matrices;
  const auto exact = analyze_model(model, o);
  o.precision = "fp32";
  const auto fast = analyze_model(model, o);
  EXPECT_EQ(fast.backend, "cpu/auto-fp32");
  Gate g;
  EXPECT_EQ(exact.layers.size(), fast.layers.size()) << dir;
  for (std::size_t i = 0; i < std::min(exact.layers.size(), fast.layers.size()); ++i) {
    const auto& a = exact.layers[i];
    const auto& b = fast.layers[i];
    EXPECT_EQ(a.info.name, b.info.name);
    if (!a.analysed()) continue;
    ++g.layers;
    // A square W goes to sgesdd ("svd32"), any other to the float32 Gram ("gram32"); "->" marks a redo.
    const bool square = a.metrics.M == a.metrics.N;
    const std::string first = square ? "svd32" : "gram32";
    if (square) ++g.square;
    if (b.method.rfind(first + "->", 0) == 0) ++g.redone;
    else EXPECT_EQ(b.method, first) << b.info.name;
    const auto& fa = a.metrics.fit;
    const auto& fb = b.metrics.fit;
    if (fa.num_pl_spikes != fb.num_pl_spikes) {
      std::cout << "[ info ] " << a.info.name << ": num_pl_spikes " << fa.num_pl_spikes << " (fp64) vs "
                << fb.num_pl_spikes << " (fp32)\n";
      continue;
    }
    ++g.same_xmin;
    const bool same = fa.alpha == fb.alpha || (std::isnan(fa.alpha) && std::isnan(fb.alpha));  // inf, NaN of failed fits
    const double rel = same ? 0.0 : std::fabs(fb.alpha - fa.alpha) / std::fabs(fa.alpha);
    if (!(rel <= 1e-3)) {
      std::cout << "[ info ] " << a.info.name << ": alpha " << fa.alpha << " (fp64) vs " << fb.alpha << " (fp32)\n";
      continue;
    }
    ++g.alpha_ok;
    g.worst_alpha_rel = std::max(g.worst_alpha_rel, rel);
  }
  return g;
}

void check(const std::string& label, const std::string& dir, bool all_matrices = false) {
  SCOPED_TRACE(label);
  const Gate g = compare(dir, all_matrices);
  ASSERT_GT(g.layers, 0u);
  std::cout << fmt::format("[ table ] | {} | {} | {} ({:.1f}%) | {} | {:.2e} | {} | {} |\n", label, g.layers,
                           g.same_xmin, 100.0 * double(g.same_xmin) / double(g.layers), g.alpha_ok, g.worst_alpha_rel,
                           g.square, g.redone);
  EXPECT_GE(double(g.same_xmin), 0.99 * double(g.layers));
  EXPECT_EQ(g.alpha_ok, g.same_xmin);
}

TEST(Fp32Precision, ReferenceFixturesAndBundledModel) {
  const std::string t = QSPECTRA_TEST_DATA_DIR;
  check("synthetic-small", t + "/fixtures/synthetic-small");
  check("edge-cases", t + "/fixtures/edge-cases");
  check("llama2c-stories260K-plctlab (bundled)", std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab");
}

TEST(Fp32Precision, SharedModels) {
  if (!fs::is_directory(kSharedModels)) GTEST_SKIP() << kSharedModels << " is not present on this machine";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(kSharedModels))
    if (e.is_directory() && fs::exists(e.path() / "model.safetensors")) dirs.push_back(e.path());
  if (dirs.empty()) GTEST_SKIP() << kSharedModels << " holds no model";
  std::sort(dirs.begin(), dirs.end());
  // Most of them have no `*.weight` keys (converted checkpoints): every 2-D/4-D tensor, as the
  // silero-vad-v5-all-matrices reference does.
  for (const auto& d : dirs) check(d.filename().string() + " (--all-matrices)", d.string(), true);
}

// fp32 needs the default method: another one with it is a usage error, as is an unknown precision.
TEST(Fp32Precision, OnlyWithAutoAndKnownNames) {
  EXPECT_THROW(spectral::make_backend("svd", "fp32"), UsageError);
  EXPECT_THROW(spectral::make_backend("auto", "fp16"), UsageError);
  EXPECT_EQ(spectral::make_backend("auto", "fp32")->name(), "auto-fp32");
}

}  // namespace
}  // namespace qspectra::pipeline
