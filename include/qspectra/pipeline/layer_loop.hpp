#pragma once
// The one layer loop of every app (ww-analyze, precision-sweep, rate-distortion): plan -> schedule
// (pipeline/schedule.hpp) -> read -> cancel -> progress -> timing. What an app does with a layer is
// its LayerTask; results are stored by the task at the layer's index, so they come out in natural
// order whatever order the schedule ran them in.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "qspectra/io/model_dir.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/pipeline/schedule.hpp"

namespace qspectra::pipeline {

// Reads a layer's tensor (the app's reader: e.g. load_layer_tensor and --delta-from).
using LayerReader = std::function<TensorData(const layers::LayerInfo&)>;

// One layer in flight, as its task sees it.
class LayerWork {
public:
  std::size_t index = 0;                  // position in LayerPlan::todo (natural order)
  const layers::LayerInfo* layer = nullptr;
  LayerResult result_template;            // identity columns (layer_result_template)
  int inner_threads = 1;                  // BLAS / k-means threads this layer may use
  const layers::LayerInfo* next = nullptr;  // about what this worker takes next: its pages can be prefetched

  // The layer's tensor through the loop's reader, read on the first call (timed: read_ms).
  TensorData& tensor();
  // Time spent reading, once per layer (0 until tensor() is called; a task that reads by itself,
  // e.g. a LoRA product from its factors, reports its own).
  double read_ms() const { return read_ms_; }
  // Progress inside the layer: `work` more of the layer's work is done after `what` (e.g. a variant).
  void step(const std::string& what, double work, const LayerResult* last);

private:
  friend class LayerLoop;
  const LayerReader* reader_ = nullptr;
  std::optional<TensorData> tensor_;
  double read_ms_ = 0;
  double stepped_ = 0;                    // work reported through step()
  std::function<void(const std::string&, double, const LayerResult*)> on_step_;
};

// Runs one layer; returns the result progress reports for it (stored by the task, alive until run ends).
using LayerTask = std::function<const LayerResult*(LayerWork&)>;
// A layer's work, in units proportional to its time: the schedule balances it and progress counts it.
using LayerWorkFn = std::function<double(const layers::LayerInfo&)>;

class LayerLoop {
public:
  // Selects the layers (plan_layers: InputError when none); `threads` 0 = all cores. The schedule
  // mode comes from QSPECTRA_SCHEDULE (schedule_mode_from_env).
  // `inner_reproducible`: a layer's result does not depend on its inner thread count (make_schedule).
  LayerLoop(const io::ModelDir& model, const layers::SelectorOptions& selector, int threads,
            bool inner_reproducible);
  LayerPlan& plan() { return plan_; }
  const std::vector<const layers::LayerInfo*>& todo() const { return plan_.todo; }
  // The most workers any phase runs (what "threads" reports), known once the work is known.
  int workers(const LayerWorkFn& work) const;

  // Runs `task` on every layer as scheduled; the BLAS thread count is set per phase. Progress is
  // reported after each layer (and at each LayerWork::step), under a lock. Throws Cancelled when
  // `cancel` is set (checked between layers), rethrows the first exception a task threw.
  void run(const LayerWorkFn& work, const LayerReader& reader, const LayerTask& task,
           const ProgressCallback& progress, const std::atomic<bool>* cancel);

private:
  const io::ModelDir& model_;
  LayerPlan plan_;
  int threads_ = 1;  // cores to use
  ScheduleMode mode_ = ScheduleMode::Auto;
  bool inner_reproducible_ = false;
};

}  // namespace qspectra::pipeline
