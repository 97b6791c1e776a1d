#include "qspectra/pipeline/sweep.hpp"

#include <chrono>
#include <mutex>

#include "qspectra/core/error.hpp"

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
  LayerPlan plan;
  plan_layers(plan, model, selector_for(options), options.threads);
  const auto& todo = plan.todo;
  const double lora_scale = lora_setup(model, plan, options, out.notes, out.warnings);
  std::string device_used;
  auto backend = make_layer_backend(options, &out.warnings, &device_used);
  out.backend = device_used + "/" + std::string(backend->name());
  out.threads = plan.workers;
  spectral::set_blas_threads(plan.threads_per_worker);

  out.layers.resize(todo.size());
  std::mutex mutex;
  std::size_t done = 0;
  std::atomic<uint64_t> bytes{0};
  parallel_for(todo.size(), out.threads, [&](std::size_t i) {
    const auto t_read = std::chrono::steady_clock::now();
    const LayerResult tmpl = layer_result_template(model, *todo[i]);
    const bool lora = todo[i]->source != layers::LayerSource::Tensor;
    const TensorData tensor = lora ? load_lora_tensor(model, *todo[i], options, lora_scale)
                                   : load_layer_tensor(model, *todo[i], options.keep_f64);
    for (std::size_t idx : {todo[i]->tensor_index, todo[i]->lora_b_index}) {
      const auto& info = model.tensors()[idx].info;
      bytes += info.data_end - info.data_begin;
      if (!lora) break;
    }
    const double read_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_read).count();
    auto& row = out.layers[i];
    for (const auto& q : quantizers) {
      row.push_back(analyze_tensor(tmpl, tensor, q.get(), *backend, options));
      row.back().timing.read_ms = read_ms / static_cast<double>(quantizers.size());
    }
    if (progress) {
      std::lock_guard lock(mutex);
      progress(Progress{++done, todo.size(), &row.front()});
    }
  }, cancel);
  out.selection = std::move(plan.selection);
  out.bytes_read = bytes.load();
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace qspectra::pipeline
