#include "qspectra/pipeline/layer_loop.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "qspectra/spectral/backend.hpp"

namespace qspectra::pipeline {

TensorData& LayerWork::tensor() {
  if (!tensor_) {
    const auto t0 = std::chrono::steady_clock::now();
    tensor_ = (*reader_)(*layer);
    read_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  return *tensor_;
}

void LayerWork::step(const std::string& what, double work, const LayerResult* last) {
  stepped_ += work;
  if (on_step_) on_step_(what, work, last);
}

LayerLoop::LayerLoop(const io::ModelDir& model, const layers::SelectorOptions& selector, int threads,
                     bool inner_reproducible)
    : model_(model), mode_(schedule_mode_from_env()), inner_reproducible_(inner_reproducible) {
  plan_layers(plan_, model, selector);
  threads_ = threads > 0 ? threads : worker_count(0, std::size_t{1} << 20);
}

namespace {
std::vector<double> layer_costs(const std::vector<const layers::LayerInfo*>& todo, const LayerWorkFn& work) {
  std::vector<double> costs;
  costs.reserve(todo.size());
  for (const auto* l : todo) costs.push_back(work(*l));
  return costs;
}
}  // namespace

int LayerLoop::workers(const LayerWorkFn& work) const {
  int w = 1;
  for (const auto& p : make_schedule(layer_costs(plan_.todo, work), threads_, mode_, inner_reproducible_)) w = std::max(w, p.workers);
  return w;
}

void LayerLoop::run(const LayerWorkFn& work, const LayerReader& reader, const LayerTask& task,
                    const ProgressCallback& progress, const std::atomic<bool>* cancel) {
  const auto& todo = plan_.todo;
  const std::vector<double> costs = layer_costs(todo, work);
  double work_total = 0;
  for (double c : costs) work_total += c;
  std::mutex mutex;
  std::size_t done = 0;
  double work_done = 0;
  for (const auto& phase : make_schedule(costs, threads_, mode_, inner_reproducible_)) {
    spectral::set_blas_threads(phase.inner_threads);
    parallel_for(phase.order.size(), phase.workers, [&](std::size_t k) {
      const std::size_t i = phase.order[k];
      LayerWork w;
      w.index = i;
      w.layer = todo[i];
      w.result_template = layer_result_template(model_, *todo[i]);
      w.inner_threads = phase.inner_threads;
      const std::size_t ahead = k + static_cast<std::size_t>(phase.workers);
      if (ahead < phase.order.size()) w.next = todo[phase.order[ahead]];
      w.reader_ = &reader;
      if (progress)
        w.on_step_ = [&](const std::string& what, double amount, const LayerResult* last) {
          std::lock_guard lock(mutex);
          work_done += amount;
          progress(Progress{done, todo.size(), last, work_done, work_total, what});
        };
      const LayerResult* last = task(w);
      if (progress) {
        std::lock_guard lock(mutex);
        work_done += costs[i] - w.stepped_;  // the rest of the layer's work
        progress(Progress{++done, todo.size(), last, work_done, work_total, {}});
      }
    }, cancel);
  }
}

}  // namespace qspectra::pipeline
