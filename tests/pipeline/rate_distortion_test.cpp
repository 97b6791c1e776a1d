// run_rate_distortion: rows for every layer (NaN layers and overflowing layers included, with a
// status), per-method progress with work weighted by layer size, category means and gap summary.
#include "qspectra/pipeline/rate_distortion.hpp"
#include "qspectra/pipeline/sweep.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <random>

#include "../io/safetensors_builder.hpp"

namespace qspectra::pipeline {
namespace {

std::vector<float> normal_weights(std::size_t n, float scale, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> w(n);
  for (auto& x : w) x = normal(rng) * scale;
  return w;
}

struct Fixture {
  test::TempDir dir;
  Fixture() {
    std::vector<test::StEntry> entries;
    entries.push_back({"model.layers.0.mlp.up_proj.weight", "F32", {32, 16}, test::le_bytes(normal_weights(512, 0.02f, 1))});
    auto nan_w = normal_weights(512, 0.02f, 2);
    nan_w[7] = std::numeric_limits<float>::quiet_NaN();
    entries.push_back({"model.layers.1.mlp.up_proj.weight", "F32", {32, 16}, test::le_bytes(nan_w)});
    auto huge = normal_weights(512, 0.02f, 3);
    huge[0] = FLT_MAX;
    huge[1] = -FLT_MAX;
    entries.push_back({"model.layers.2.mlp.up_proj.weight", "F32", {32, 16}, test::le_bytes(huge)});
    // four times as many weights: four times the work of layer 0
    entries.push_back({"model.layers.3.mlp.down_proj.weight", "F32", {64, 32}, test::le_bytes(normal_weights(2048, 0.02f, 4))});
    test::write_file(dir.path() / "model.safetensors", test::build_safetensors(entries));
  }
};

RdRunOptions options() {
  RdRunOptions o;
  o.analyze.threads = 1;
  o.methods = {"uniform_asym", "lloyd_max", "sym:B:channel"};
  o.bits = {2, 4};
  o.targets = {0.01};
  return o;
}

TEST(RateDistortionRun, EveryLayerHasRowsWithAStatus) {
  Fixture f;
  const auto model = io::ModelDir::open(f.dir.str());
  const auto r = run_rate_distortion(model, options());
  ASSERT_EQ(r.layers.size(), 4u);
  for (const auto& l : r.layers) ASSERT_EQ(l.points.size(), 6u) << l.layer.info.name;  // 3 methods x 2 bits

  // The NaN layer: skipped, status non_finite, never silently missing.
  const auto& nan_layer = r.layers[1];
  EXPECT_EQ(nan_layer.layer.status, kStatusNonFinite);
  for (const auto& p : nan_layer.points) {
    EXPECT_TRUE(p.skipped);
    EXPECT_EQ(p.status, "non_finite");
    EXPECT_NE(p.note.find("1 non-finite"), std::string::npos) << p.note;
  }
  for (const auto& t : nan_layer.targets) EXPECT_EQ(t.result.status, rd::Coverage::NonFinite);

  // Weights at +-FLT_MAX: the affine quantizer's float32 range overflows; the row says so.
  const auto& huge = r.layers[2];
  bool overflow = false;
  for (const auto& p : huge.points)
    if (p.method == "uniform_asym") {
      EXPECT_EQ(p.status, "overflow") << p.bits << " mse " << p.mse;
      EXPECT_FALSE(p.skipped);
      overflow = true;
    }
  EXPECT_TRUE(overflow);

  // Finite layers: ok, and the spec method ran under its canonical name.
  for (const auto& p : r.layers[0].points) {
    EXPECT_EQ(p.status, "ok") << p.method;
    EXPECT_TRUE(std::isfinite(p.gap_bits_with_codebook)) << p.method;
    EXPECT_LE(p.gap_bits, p.gap_bits_with_codebook + 1e-12) << p.method;  // more rate, lower bound
  }
  EXPECT_EQ(r.layers[0].points[4].method, "sym:B:channel");

  // Means leave the overflow and non_finite points out: the "all" curve of uniform_asym at 4 bits
  // averages layers 0 and 3 only.
  bool found = false;
  for (const auto& c : rd_category_curves(r))
    if (c.category == "all" && c.point.method == "uniform_asym" && c.point.bits == 4) {
      EXPECT_EQ(c.point.layers, 2);
      EXPECT_TRUE(std::isfinite(c.point.mse));
      found = true;
    }
  EXPECT_TRUE(found);
  const auto gap = rd_gap_summary(r);
  ASSERT_EQ(gap.size(), 3u);
  for (const auto& g : gap) EXPECT_EQ(g.layers + g.insufficient_coverage, 4) << g.method;
}

TEST(RateDistortionRun, ProgressInsideLayersWeightedByWork) {
  Fixture f;
  const auto model = io::ModelDir::open(f.dir.str());
  std::vector<Progress> seen;
  run_rate_distortion(model, options(), [&](const Progress& p) { seen.push_back(p); });
  // per layer: 2 reports inside (after the first two methods) + 1 at its end
  ASSERT_EQ(seen.size(), 4u * 3u - 2u);  // the NaN layer reports once
  double last = 0;
  int inside = 0;
  for (const auto& p : seen) {
    EXPECT_GT(p.work_done, last);
    EXPECT_GT(p.work_total, 0);
    last = p.work_done;
    if (!p.step.empty()) ++inside;
  }
  EXPECT_EQ(inside, 6);
  EXPECT_DOUBLE_EQ(seen.back().work_done, seen.back().work_total);
  // layer 3 holds 4x the weights of each of layers 0..2: 4/7 of the work, though 1/4 of the layers
  EXPECT_DOUBLE_EQ(seen[seen.size() - 4].work_done / seen.back().work_total, 3.0 / 7.0);
}

// ww-analyze's loop: the ETA's work is the spectrum cost N*M^2*rf, not the layer count.
TEST(AnalyzeProgress, WorkIsTheSpectrumCost) {
  test::TempDir dir;
  std::vector<test::StEntry> entries;
  entries.push_back({"model.layers.0.mlp.up_proj.weight", "F32", {32, 16}, test::le_bytes(normal_weights(512, 1.0f, 5))});
  entries.push_back({"model.layers.1.mlp.up_proj.weight", "F32", {64, 32}, test::le_bytes(normal_weights(2048, 1.0f, 6))});
  test::write_file(dir.path() / "model.safetensors", test::build_safetensors(entries));
  const auto model = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  o.threads = 1;
  std::vector<Progress> seen;
  analyze_model(model, o, [&](const Progress& p) { seen.push_back(p); });
  ASSERT_EQ(seen.size(), 2u);
  const double small = 32.0 * 16 * 16, large = 64.0 * 32 * 32;
  EXPECT_DOUBLE_EQ(seen[0].work_total, small + large);
  EXPECT_DOUBLE_EQ(seen[0].work_done, small);  // 1/9 of the work after 1/2 of the layers
  EXPECT_DOUBLE_EQ(seen[1].work_done, small + large);
}

// precision-sweep's loop reports after each variant inside a layer, and work counts variants.
TEST(SweepProgress, InsideLayersPerVariant) {
  Fixture f;  // layer 1 has a NaN: reported like the others
  const auto model = io::ModelDir::open(f.dir.str());
  AnalyzeOptions o;
  o.threads = 1;
  std::vector<Progress> seen;
  run_sweep(model, o, {"fp32", "sym:4", "bf16"}, [&](const Progress& p) { seen.push_back(p); });
  ASSERT_EQ(seen.size(), 4u * 3u);  // 2 inside + 1 at the end, per layer
  EXPECT_EQ(seen[0].step, "fp32");
  EXPECT_EQ(seen[1].step, "sym:4");
  EXPECT_TRUE(seen[2].step.empty());
  EXPECT_EQ(seen[2].done, 1u);
  double last = 0;
  for (const auto& p : seen) {
    EXPECT_GT(p.work_done, last);
    last = p.work_done;
  }
  EXPECT_DOUBLE_EQ(seen.back().work_done, seen.back().work_total);
}

}  // namespace
}  // namespace qspectra::pipeline
