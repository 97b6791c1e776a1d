#include "qspectra/pipeline/rate_distortion.hpp"

#include "qspectra/metrics/spectrum_extras.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>

#include "qspectra/core/error.hpp"
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
  LayerPlan plan;
  plan_layers(plan, model, options.analyze.selector, options.analyze.threads);
  const auto& todo = plan.todo;
  out.threads = plan.workers;
  rd::RdOptions rd_opts = options.rd;
  rd_opts.threads = plan.threads_per_worker;  // k-means threads left per worker

  out.layers.resize(todo.size());
  std::mutex mutex;
  std::size_t done = 0;
  // Work: numel per method and bit setting (the quantizers are linear in the weights; k-means is
  // heavier but scales the same way with the layer size).
  auto layer_work = [&](const layers::LayerInfo& l) {
    const auto& info = model.tensors()[l.tensor_index].info;
    double numel = 1;
    for (auto d : info.shape) numel *= double(d);
    return numel * double(bits.size());
  };
  double work_total = 0, work_done = 0;
  for (const auto* l : todo) work_total += layer_work(*l) * double(methods.size());
  parallel_for(todo.size(), out.threads, [&](std::size_t i) {
    auto& res = out.layers[i];
    res.layer = layer_result_template(model, *todo[i]);
    // A LoRA layer is its update dW = B·A (unscaled), as ww-analyze analyses it.
    const TensorData t = todo[i]->source != layers::LayerSource::Tensor
                             ? load_lora_tensor(model, *todo[i], options.analyze, 1.0)
                             : load_layer_tensor(model, *todo[i], options.analyze.keep_f64);
    const double method_work = layer_work(*todo[i]);
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
      layer_opts.seed = metrics::layer_seed(options.rd.seed, todo[i]->name);
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
        if (progress && &m != &methods.back()) {
          std::lock_guard lock(mutex);
          work_done += method_work;
          progress(Progress{done, todo.size(), &res.layer, work_done, work_total, res.points.back().method});
        }
      }
    }
    if (progress) {
      std::lock_guard lock(mutex);
      work_done += res.layer.non_finite_count > 0 ? method_work * double(methods.size()) : method_work;
      progress(Progress{++done, todo.size(), &res.layer, work_done, work_total, {}});
    }
  }, cancel);
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
