#include "qspectra/pipeline/sweep.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <atomic>

#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/layer_loop.hpp"
#include "qspectra/pipeline/variant.hpp"

namespace qspectra::pipeline {

SweepResult run_sweep(const io::ModelDir& model, const AnalyzeOptions& options,
                      const std::vector<std::string>& variants, const ProgressCallback& progress,
                      const std::atomic<bool>* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  SweepResult out;
  if (variants.empty()) throw UsageError("no variant to sweep");
  std::vector<std::unique_ptr<quant::Quantizer>> quantizers;
  for (const auto& v : variants) {
    quantizers.push_back(quant::make_quantizer(v));
    out.variants.push_back(quantizers.back()->spec());
  }
  out.notes = model.notes();
  LayerLoop loop(model, selector_for(options), options.threads, /*inner_reproducible=*/false);  // as analyze_model
  LayerPlan& plan = loop.plan();
  const auto& todo = plan.todo;
  const double lora_scale = lora_setup(model, plan, options, out.notes, out.warnings);
  std::string device_used;
  auto backend = make_layer_backend(options, &out.warnings, &device_used);
  out.backend = device_used + "/" + std::string(backend->name());
  // Per layer: its spectrum cost times the variants.
  const LayerWorkFn work = [&](const layers::LayerInfo& l) { return spectrum_work(l) * double(quantizers.size()); };
  out.threads = loop.workers(work);

  out.layers.resize(todo.size());
  const LayerReader reader = [&](const layers::LayerInfo& layer) {
    return layer.source != layers::LayerSource::Tensor ? load_lora_tensor(model, layer, options, lora_scale)
                                                       : load_layer_tensor(model, layer, options.keep_f64);
  };
  std::atomic<uint64_t> bytes{0};
  loop.run(work, reader, [&](LayerWork& w) -> const LayerResult* {
    const bool lora = w.layer->source != layers::LayerSource::Tensor;
    const TensorData& tensor = w.tensor();  // read once for every variant
    for (std::size_t idx : {w.layer->tensor_index, w.layer->lora_b_index}) {
      const auto& info = model.tensors()[idx].info;
      bytes += info.data_end - info.data_begin;
      if (!lora) break;
    }
    auto& row = out.layers[w.index];
    const double variant_work = spectrum_work(*w.layer);
    for (const auto& q : quantizers) {
      row.push_back(analyze_variant(w.result_template, tensor, *q, *backend, options));
      // The read happened once: it is the first variant's, so that elapsed_ms adds up over the rows.
      row.back().timing.read_ms = &q == &quantizers.front() ? w.read_ms() : 0.0;
      if (&q != &quantizers.back()) w.step(q->spec(), variant_work, &row.back());  // progress inside the layer
    }
    return &row.front();
  }, progress, cancel);
  for (std::size_t v = 0; v < quantizers.size(); ++v) {  // one warning per variant that fell back
    std::vector<const LayerResult*> col;
    for (const auto& row : out.layers) col.push_back(&row[v]);
    if (auto w = quant_fallback_warning(*quantizers[v], col); !w.empty())
      out.warnings.push_back(std::move(w));
  }
  out.selection = std::move(plan.selection);
  out.bytes_read = bytes.load();
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> column(const SweepResult& r, std::size_t v, double (*get)(const LayerResult&)) {
  std::vector<double> out;
  for (const auto& row : r.layers) out.push_back(row[v].analysed() ? get(row[v]) : kNaN);
  return out;
}
}  // namespace

std::vector<double> sweep_alpha_hill(const SweepResult& r, std::size_t variant) {
  return column(r, variant, [](const LayerResult& l) { return l.metrics.hill.alpha_hill; });
}

std::vector<double> sweep_ww_alpha(const SweepResult& r, std::size_t variant) {
  return column(r, variant,
                [](const LayerResult& l) { return l.metrics.fit.status == "success" ? l.metrics.fit.alpha : kNaN; });
}

std::vector<VariantDescribe> alpha_hill_statistics(const SweepResult& r) {
  std::vector<VariantDescribe> out;
  for (std::size_t v = 0; v < r.variants.size(); ++v)
    out.push_back({r.variants[v], metrics::describe(sweep_alpha_hill(r, v))});
  return out;
}

std::vector<WwAlphaSummary> ww_alpha_summary(const SweepResult& r) {
  std::vector<WwAlphaSummary> out;
  for (std::size_t v = 0; v < r.variants.size(); ++v) {
    const auto alphas = sweep_ww_alpha(r, v);
    WwAlphaSummary s{r.variants[v], metrics::describe(alphas)};
    for (double a : alphas) {
      if (std::isnan(a)) continue;
      if (a < 2) ++s.below_2;
      else if (a > 6) ++s.above_6;
      else ++s.in_2_6;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<VariantComparison> compare_variants(const SweepResult& r, std::size_t baseline) {
  // Same rules as metrics::summarize: means over analysed layers, failed fits take part with -1.
  auto stats = [&](std::size_t v) {
    VariantComparison c;
    c.variant = r.variants[v];
    std::vector<const metrics::LayerMetrics*> ms;
    for (const auto& row : r.layers) {
      if (!row[v].analysed()) { ++c.non_finite; continue; }
      ms.push_back(&row[v].metrics);
    }
    const auto sum = metrics::summarize(ms, c.non_finite);
    auto it = sum.means.find("alpha");
    c.mean_alpha = it == sum.means.end() ? kNaN : it->second;
    c.alpha_in_2_6 = sum.alpha_in_2_6;
    c.alpha_below_2 = sum.alpha_below_2;
    c.alpha_above_6 = sum.alpha_above_6;
    c.failed = sum.failed;
    c.layers_analysed = sum.num_layers;
    return c;
  };
  // Pearson over WW alphas as written (failed fits are -1 there, as in the tables).
  auto alpha = [&](std::size_t v) {
    return column(r, v, [](const LayerResult& l) { return l.metrics.fit.alpha; });
  };
  const auto base = stats(baseline);
  const auto base_alpha = alpha(baseline), base_hill = sweep_alpha_hill(r, baseline);
  std::vector<VariantComparison> out;
  for (std::size_t v = 0; v < r.variants.size(); ++v) {
    auto c = stats(v);
    c.change_pct = 100.0 * (c.mean_alpha - base.mean_alpha) / std::fabs(base.mean_alpha);
    c.pearson_alpha = metrics::pearson(base_alpha, alpha(v), &c.pearson_pairs);
    c.pearson_alpha_hill = metrics::pearson(base_hill, sweep_alpha_hill(r, v));
    c.alpha_in_2_6_pct =
        100.0 * static_cast<double>(c.alpha_in_2_6) / static_cast<double>(std::max<int64_t>(1, c.layers_analysed));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace qspectra::pipeline
