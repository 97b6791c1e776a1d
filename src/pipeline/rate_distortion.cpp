#include "qspectra/pipeline/rate_distortion.hpp"

#include "qspectra/metrics/spectrum_extras.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>

#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/layer_loop.hpp"
#include "qspectra/quant/error_stats.hpp"

namespace qspectra::pipeline {

RdRunResult run_rate_distortion(const io::ModelDir& model, const RdRunOptions& options,
                                const ProgressCallback& progress, const std::atomic<bool>* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  RdRunResult out;
  const auto methods = options.methods.empty() ? rd::rd_method_names() : options.methods;
  for (const auto& m : methods)
    if (!rd::find_rd_method(m)) throw UsageError("unknown rate-distortion method '" + m + "'");
  std::vector<int> bits = options.bits;
  if (bits.empty()) bits = {1, 2, 3, 4, 5, 6, 7, 8};

  out.notes = model.notes();
  // k-means gives the same result for any thread count (docs/quantizers.md): big layers get every core.
  LayerLoop loop(model, options.analyze.selector, options.analyze.threads, /*inner_reproducible=*/true);
  LayerPlan& plan = loop.plan();
  const auto& todo = plan.todo;
  // Work: numel per method and bit setting (the quantizers are linear in the weights; k-means is
  // heavier but scales the same way with the layer size).
  auto method_work = [&](const layers::LayerInfo& l) {
    const auto& info = model.tensors()[l.tensor_index].info;
    double numel = 1;
    for (auto d : info.shape) numel *= double(d);
    return numel * double(bits.size());
  };
  const LayerWorkFn work = [&](const layers::LayerInfo& l) { return method_work(l) * double(methods.size()); };
  out.threads = loop.workers(work);

  out.layers.resize(todo.size());
  // A LoRA layer is its update dW = B·A (unscaled), as ww-analyze analyses it.
  const LayerReader reader = [&](const layers::LayerInfo& layer) {
    return layer.source != layers::LayerSource::Tensor ? load_lora_tensor(model, layer, options.analyze, 1.0)
                                                       : load_layer_tensor(model, layer, options.analyze.keep_f64);
  };
  loop.run(work, reader, [&](LayerWork& w) -> const LayerResult* {
    auto& res = out.layers[w.index];
    res.layer = w.result_template;
    const TensorData& t = w.tensor();
    rd::RdOptions rd_opts = options.rd;
    rd_opts.threads = w.inner_threads;  // k-means threads the schedule gives this layer
    res.layer.non_finite_count = quant::count_non_finite(t.values);
    if (res.layer.non_finite_count > 0) {
      res.layer.status = kStatusNonFinite;
      res.moments = rd::weight_moments({});
      res.moments.n = int64_t(t.values.size());
      res.moments.variance = res.moments.kurtosis = std::numeric_limits<double>::quiet_NaN();
      for (const auto& m : methods)
        for (int b : bits) res.points.push_back(rd::non_finite_rd_point(m, b, res.layer.non_finite_count));
      for (const auto& m : methods)
        for (double f : options.targets) {
          RdTargetResult x{m, f, std::numeric_limits<double>::quiet_NaN(), {}};
          x.result.status = rd::Coverage::NonFinite;
          x.result.rate = x.result.gap_bits = x.result.shannon_rate = std::numeric_limits<double>::quiet_NaN();
          res.targets.push_back(x);
        }
    } else {
      res.layer.status = "success";
      res.moments = rd::weight_moments(t.values);
      // Seeded per layer from --seed and its name: the same values whatever the shard or position.
      rd::RdOptions layer_opts = rd_opts;
      layer_opts.seed = metrics::layer_seed(options.rd.seed, w.layer->name);
      for (const auto& m : methods) {
        std::vector<double> rates, mses;
        for (int b : bits) {
          res.points.push_back(rd::run_rd_method(m, b, t.values, t.shape, layer_opts));
          const auto& p = res.points.back();
          if (!p.skipped && p.status == rd::kRdStatusOk) {
            rates.push_back(p.rate);
            mses.push_back(p.mse);
          }
        }
        for (double f : options.targets) {
          const double d = f * res.moments.variance;
          res.targets.push_back({m, f, d, rd::rate_at_distortion(rates, mses, d, res.moments.variance)});
        }
        if (&m != &methods.back()) w.step(res.points.back().method, method_work(*w.layer), &res.layer);
      }
    }
    return &res.layer;
  }, progress, cancel);
  out.selection = std::move(plan.selection);
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::vector<RdCategoryCurve> rd_category_curves(const RdRunResult& r) {
  std::map<std::string, std::vector<rd::RdPoint>> by_cat;
  std::vector<std::string> order;
  for (const auto& l : r.layers)
    for (const std::string& cat : {l.layer.info.category, std::string("all")}) {
      if (!by_cat.count(cat)) order.push_back(cat);
      auto& v = by_cat[cat];
      v.insert(v.end(), l.points.begin(), l.points.end());
    }
  std::vector<RdCategoryCurve> out;
  for (const auto& cat : order)
    for (const auto& p : rd::mean_curves(by_cat[cat])) out.push_back({cat, p});
  return out;
}

std::vector<RdGapSummaryRow> rd_gap_summary(const RdRunResult& r) {
  std::vector<RdGapSummaryRow> out;
  for (const auto& l : r.layers)
    for (const auto& x : l.targets) {
      auto it = std::find_if(out.begin(), out.end(), [&](const RdGapSummaryRow& row) {
        return row.target_fraction == x.target_fraction && row.method == x.method;
      });
      if (it == out.end()) {
        out.push_back({x.target_fraction, x.method});
        it = out.end() - 1;
      }
      if (x.result.status == rd::Coverage::Ok) {
        it->mean_r_emp += x.result.rate;
        it->mean_gap_bits += x.result.gap_bits;
        ++it->layers;
      } else {
        ++it->insufficient_coverage;
      }
    }
  for (auto& row : out) {
    const double n = double(row.layers);
    row.mean_r_emp = row.layers ? row.mean_r_emp / n : std::numeric_limits<double>::quiet_NaN();
    row.mean_gap_bits = row.layers ? row.mean_gap_bits / n : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

}  // namespace qspectra::pipeline
