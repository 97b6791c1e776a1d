// The one layer loop: every layer read once and run once, results at their natural index whatever
// the schedule's order, progress by work, cancellation between layers; precision-sweep counts a layer's
// read once and its variants match ww-analyze --quantize.
#include "qspectra/pipeline/layer_loop.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <random>

#include "../io/safetensors_builder.hpp"
#include "qspectra/pipeline/sweep.hpp"

namespace qspectra::pipeline {
namespace {

// Layers of very different sizes (rows 10 .. 96, 16 columns), named so natural and byte order differ.
void write_model(const test::TempDir& dir) {
  std::vector<test::StEntry> entries;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  const int rows[] = {10, 96, 16, 64, 24, 32, 40, 48, 56, 12, 88};
  for (int b = 0; b < 11; ++b) {
    std::vector<float> w(std::size_t(rows[b]) * 16);
    for (auto& x : w) x = normal(rng);
    entries.push_back({"model.layers." + std::to_string(b) + ".mlp.up_proj.weight", "F32", {rows[b], 16},
                       test::le_bytes(w)});
  }
  test::write_file(dir.path() / "model.safetensors", test::build_safetensors(entries));
}

TEST(LayerLoop, EachLayerReadAndRunOnceResultsInNaturalOrder) {
  test::TempDir dir;
  write_model(dir);
  const auto model = io::ModelDir::open(dir.str());
  for (int threads : {1, 2, 4}) {
    LayerLoop loop(model, {}, threads, false);
    const auto& todo = loop.todo();
    ASSERT_EQ(todo.size(), 11u);
    std::vector<LayerResult> results(todo.size());
    std::vector<int> reads(todo.size(), 0);
    std::vector<std::size_t> started;
    std::mutex m;
    const LayerReader reader = [&](const layers::LayerInfo& l) {
      for (std::size_t i = 0; i < todo.size(); ++i)
        if (todo[i] == &l) { std::lock_guard lock(m); ++reads[i]; }
      return load_layer_tensor(model, l, false);
    };
    const LayerWorkFn work = [](const layers::LayerInfo& l) { return double(l.N) * double(l.M); };
    std::vector<Progress> seen;
    loop.run(work, reader, [&](LayerWork& w) -> const LayerResult* {
      { std::lock_guard lock(m); started.push_back(w.index); }
      EXPECT_EQ(w.layer, todo[w.index]);
      const auto& t = w.tensor();
      (void)w.tensor();  // a second call does not read again
      EXPECT_EQ(int64_t(t.values.size()), w.layer->N * w.layer->M);
      EXPECT_GE(w.read_ms(), 0.0);
      EXPECT_GE(w.inner_threads, 1);
      results[w.index] = w.result_template;
      return &results[w.index];
    }, [&](const Progress& p) { seen.push_back(p); }, nullptr);
    for (std::size_t i = 0; i < todo.size(); ++i) {
      EXPECT_EQ(reads[i], 1) << i;
      EXPECT_EQ(results[i].info.name, todo[i]->name);  // stored at the natural index
    }
    ASSERT_EQ(seen.size(), todo.size());
    EXPECT_DOUBLE_EQ(seen.back().work_done, seen.back().work_total);
    EXPECT_EQ(seen.back().done, todo.size());
    if (threads == 1) {  // one worker: natural order
      for (std::size_t i = 0; i < started.size(); ++i) EXPECT_EQ(started[i], i);
    } else {  // workers start the largest layers first
      EXPECT_EQ(todo[started.front()]->N, 96);
    }
  }
}

TEST(LayerLoop, CancelStopsBetweenLayers) {
  test::TempDir dir;
  write_model(dir);
  const auto model = io::ModelDir::open(dir.str());
  LayerLoop loop(model, {}, 1, false);
  std::atomic<bool> cancel{false};
  int ran = 0;
  const LayerReader reader = [&](const layers::LayerInfo& l) { return load_layer_tensor(model, l, false); };
  LayerResult r;
  EXPECT_THROW(loop.run([](const layers::LayerInfo&) { return 1.0; }, reader, [&](LayerWork&) -> const LayerResult* {
    if (++ran == 3) cancel.store(true);
    return &r;
  }, {}, &cancel), Cancelled);
  EXPECT_EQ(ran, 3);
}

TEST(LayerLoop, SweepReadsOnceAndEachVariantIsAnalyzeWithQuantize) {
  test::TempDir dir;
  write_model(dir);
  const auto model = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  o.threads = 2;
  const std::vector<std::string> variants = {"bf16", "sym:4", "fp16"};
  const auto sweep = run_sweep(model, o, variants);
  ASSERT_EQ(sweep.layers.size(), 11u);
  for (std::size_t v = 0; v < variants.size(); ++v) {
    AnalyzeOptions q = o;
    q.quantize = variants[v];
    q.threads = 1;
    const auto single = analyze_model(model, q);
    for (std::size_t i = 0; i < sweep.layers.size(); ++i) {
      const auto& a = sweep.layers[i][v];
      const auto& b = single.layers[i];
      EXPECT_EQ(a.info.name, b.info.name);
      EXPECT_EQ(a.metrics.fit.alpha, b.metrics.fit.alpha) << a.info.name << " " << variants[v];
      EXPECT_EQ(a.metrics.lambda_max, b.metrics.lambda_max);
      ASSERT_TRUE(a.quant && b.quant);
      EXPECT_EQ(a.quant->mse, b.quant->mse);
      EXPECT_EQ(a.quant->distinct_levels, b.quant->distinct_levels);
      // read once: counted on the first variant's row only
      if (v > 0) EXPECT_EQ(a.timing.read_ms, 0.0);
    }
  }
}

}  // namespace
}  // namespace qspectra::pipeline
