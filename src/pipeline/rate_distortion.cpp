#include "qspectra/pipeline/rate_distortion.hpp"

#include <chrono>
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
  parallel_for(todo.size(), out.threads, [&](std::size_t i) {
    auto& res = out.layers[i];
    res.layer = layer_result_template(model, *todo[i]);
    // A LoRA layer is its update dW = B·A (unscaled), as ww-analyze analyses it.
    const TensorData t = todo[i]->source != layers::LayerSource::Tensor
                             ? load_lora_tensor(model, *todo[i], options.analyze, 1.0)
                             : load_layer_tensor(model, *todo[i], options.analyze.keep_f64);
    res.layer.non_finite_count = quant::count_non_finite(t.values);
    if (res.layer.non_finite_count > 0) {
      res.layer.status = kStatusNonFinite;
    } else {
      res.layer.status = "success";
      res.moments = rd::weight_moments(t.values);
      for (const auto& m : methods) {
        std::vector<double> rates, mses;
        for (int b : bits) {
          res.points.push_back(rd::run_rd_method(m, b, t.values, t.shape, rd_opts));
          const auto& p = res.points.back();
          if (!p.skipped) {
            rates.push_back(p.rate);
            mses.push_back(p.mse);
          }
        }
        for (double f : options.targets) {
          const double d = f * res.moments.variance;
          res.targets.push_back({m, f, d, rd::rate_at_distortion(rates, mses, d, res.moments.variance)});
        }
      }
    }
    if (progress) {
      std::lock_guard lock(mutex);
      progress(Progress{++done, todo.size(), &res.layer});
    }
  }, cancel);
  out.selection = std::move(plan.selection);
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace qspectra::pipeline
