#pragma once
// The layer loop: select -> read -> (round to f32 | quantize) -> spectrum -> metrics, in parallel
// across layers with one layer in flight per worker, progress through a callback and cancellation
// checked between layers.
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qspectra/io/model_dir.hpp"
#include "qspectra/layers/selector.hpp"
#include "qspectra/metrics/layer_metrics.hpp"
#include "qspectra/metrics/summary.hpp"
#include "qspectra/pipeline/layer_result.hpp"
#include "qspectra/pipeline/quant_error.hpp"
#include "qspectra/quant/quantizer.hpp"
#include "qspectra/spectral/backend.hpp"

namespace qspectra::pipeline {

struct AnalyzeOptions {
  layers::SelectorOptions selector;
  metrics::MetricsOptions metrics;
  std::string method = "auto";    // spectrum backend name (spectral::backend_names())
  std::string device = "cpu";     // "cpu" | "cuda" | "cuda:N" | "auto"
  std::string precision = "fp64"; // "fp64" | "fp32" (--precision; fp32: float32 Gram, docs/metrics.md)
  int threads = 0;                // 0 = all cores
  bool keep_f64 = false;          // WW rounds F64 weights to float32; this keeps them
  std::string quantize;           // quantizer spec applied to every layer ("" = none)
  bool keep_evals = false;        // keep each layer's eigenvalues in the result
  // WW's base_model: analyse W - W_base, W_base being the tensor of the same name in this model
  // (same shape required; a layer absent there is an InputError naming it).
  const io::ModelDir* delta_base = nullptr;
  // --quant-source: the float source W of this (quantized) model; each layer also gets W, E = W - Q(W)
  // analysed and the error statistics (AnalysisResult::quant_error, pipeline/quant_error.hpp).
  const io::ModelDir* quant_source = nullptr;
  // Optional analyses that need the matrix again (docs/metrics.md); seeded per layer from `seed` and
  // the layer name, so the same for any thread count.
  bool randomize = false;         // WW's randomize=True: shuffled-matrix ESD (extra eigensolves)
  int bootstrap = 0;              // resamples for alpha_ci_low/high and xmin_stability (0 = off)
  uint64_t seed = 0;
  bool farms = false;             // alpha_farms: ESD pooled over square submatrices
  int64_t farms_window = 0;       // submatrix side (0 = the smaller dimension)
  int farms_windows_per_dim = 10; // windows placed along each dimension (at most)
  // LoRA adapters (layers::LayerSource): --lora-scale multiplies dW = B·A by PEFT's scaling
  // lora_alpha / r from adapter_config.json; peft_base (--peft-base) is the model whose weights W_base
  // make the `<prefix>.lora_merged` layers W_base + dW (it turns on selector.lora_merged).
  bool lora_scale = false;
  const io::ModelDir* peft_base = nullptr;
};

struct Progress {
  std::size_t done = 0, total = 0;    // layers finished / selected
  const LayerResult* last = nullptr;  // the layer just finished (or, inside a layer, the one in work)
  // Work in units proportional to the time it takes (a layer weighs its cost, e.g. N*M^2*rf for a
  // spectrum times the number of variants; numel per method and bit setting for rate-distortion),
  // so that an ETA can be projected from work done rather than layers done. work_total > 0 always.
  double work_done = 0, work_total = 0;
  std::string step;                   // inside a layer: what just finished (e.g. "lloyd_max"); empty between layers
};
// Spectrum cost of one layer: N * M^2 * rf (the SVD / eigen decomposition dominates).
double spectrum_work(const layers::LayerInfo& layer);
using ProgressCallback = std::function<void(const Progress&)>;

struct AnalysisResult {
  layers::Selection selection;
  std::vector<LayerResult> layers;   // analysed layers, in natural name order (layers.2 before layers.10)
  std::vector<QuantErrorRow> quant_error;  // with quant_source: one per entry of `layers`, same order
  metrics::Summary summary;
  std::string backend;               // the device and method that ran (e.g. "cpu/auto", "cuda:0/cuda-gram")
  int threads = 1;                   // worker threads used
  double wall_s = 0;
  LayerTiming timing_sum;            // summed over layers
  std::vector<std::string> notes;    // things the user should know (model notes)
  std::vector<std::string> warnings; // things that did not go as asked (--device auto fell back to the CPU)
};

// Thrown when `cancel` was set; no partial result is returned.
class Cancelled : public std::exception {
public:
  const char* what() const noexcept override { return "cancelled"; }
};

// Throws InputError when nothing can be analysed (with a hint about --all-matrices when the model has
// no *.weight keys), UsageError for bad options, Cancelled on cancellation.
AnalysisResult analyze_model(const io::ModelDir& model, const AnalyzeOptions& options,
                             const ProgressCallback& progress = {},
                             const std::atomic<bool>* cancel = nullptr);

// The building blocks of analyze_model, for apps that run several variants of one layer
// (precision-sweep reads a layer once and analyses each variant while it is in memory).

// Read a layer's tensor widened to float64; rounded to float32 values unless keep_f64 (as WW).
TensorData load_layer_tensor(const io::ModelDir& model, const layers::LayerInfo& layer, bool keep_f64);

// Read and analyse one plain tensor layer (layer.source == Tensor) of `model`, timing.read_ms set. When
// nothing needs the values first (no quantizer, no delta_base, no randomize/farms, a dense 2-D tensor
// mapped as stored) the backend takes the mapped bytes (SpectrumBackend::squared_singular_values_raw:
// widened once, straight into its solver's buffer); otherwise load_layer_tensor (+ subtract_base_tensor)
// + analyze_tensor. `prefetch_next` (may be null): a layer whose pages are prefetched while this one computes.
LayerResult read_and_analyze_layer(const io::ModelDir& model, const layers::LayerInfo& layer,
                                   const quant::Quantizer* quantizer, const spectral::SpectrumBackend& backend,
                                   const AnalyzeOptions& options, const layers::LayerInfo* prefetch_next = nullptr);

// The tensor of `base` that pairs with `key` (same name, else its llama.cpp <-> HF name) of `shape`;
// InputError naming `flag` when absent or of another shape.
const io::ModelTensor& find_base_tensor(const io::ModelDir& base, const std::string& key,
                                        const std::vector<int64_t>& shape, const char* flag);
// W - W_base for `layer` (same name in `base`), both as read by load_layer_tensor.
void subtract_base_tensor(TensorData& tensor, const io::ModelDir& base, const std::string& key, bool keep_f64);

// The spectrum backend for options.method/options.device. `warnings` receives e.g. the CPU fallback
// of --device auto; `device_used` the device that will run ("cpu" or "cuda:N").
std::unique_ptr<spectral::SpectrumBackend> make_layer_backend(const AnalyzeOptions& options,
                                                              std::vector<std::string>* warnings,
                                                              std::string* device_used = nullptr);

// Analyse a tensor already in memory: non-finite check, optional quantizer, spectrum, metrics.
// `result_template` carries the layer identity (info, file, dtype, shape) into the result.
LayerResult analyze_tensor(const LayerResult& result_template, TensorData tensor,
                           const quant::Quantizer* quantizer,
                           const spectral::SpectrumBackend& backend, const AnalyzeOptions& options);

// The run warning for the layers a GGML quantizer could not take as its own type (rows not whole
// blocks: llama-quantize's fallback ran, the layer's quant_spec says which, e.g. "q4_k->q5_0"); empty
// when none fell back. `layers`: one result per layer under quantizer `q`.
std::string quant_fallback_warning(const quant::Quantizer& q, const std::vector<const LayerResult*>& layers);
std::string quant_fallback_warning(const quant::Quantizer& q, const std::vector<LayerResult>& layers);

// FARMS (alpha_farms): the eigenvalues of square side x side submatrices of every matrix (side = `window`,
// or the smaller dimension when 0), at most `windows_per_dim` windows along each dimension starting at
// 0, i * max(1, floor((len - side) / (windows_per_dim - 1))) (the FARMS code's fixed_number_of_sampling_ops);
// pooled and sorted ascending.
std::vector<double> farms_pooled_evals(const std::vector<Eigen::MatrixXd>& matrices, int64_t window,
                                       int windows_per_dim, const spectral::SpectrumBackend& backend);
// LoRA layers (layer.source != Tensor). The scaling of dW: 1, or PEFT's lora_alpha / r when
// options.lora_scale (InputError without a usable adapter_config.json). `note` receives what was used.
double lora_scaling(const io::ModelDir& model, const AnalyzeOptions& options, std::string* note = nullptr);
// The layer's matrix as a dense [out, in] tensor: scale·B·A, plus W_base (options.peft_base) for a
// lora_merged layer. Factors are read as load_layer_tensor reads tensors (float32 values unless keep_f64).
TensorData load_lora_tensor(const io::ModelDir& model, const layers::LayerInfo& layer,
                            const AnalyzeOptions& options, double scale);
// Analyse a LoRA layer: the product's spectrum from its factors (spectral::compute_low_rank_product_spectrum)
// when there is no quantizer and the layer is the update itself; otherwise load_lora_tensor + analyze_tensor.
LayerResult analyze_lora_layer(const LayerResult& result_template, const io::ModelDir& model,
                               const layers::LayerInfo& layer, const quant::Quantizer* quantizer,
                               const spectral::SpectrumBackend& backend, const AnalyzeOptions& options,
                               double scale);

// Identity columns of a layer's result (info, file, dtype, shape), before any analysis.
LayerResult layer_result_template(const io::ModelDir& model, const layers::LayerInfo& layer);

// The selected layers of a model (this shard's, in natural name order): selects, throws InputError
// when nothing is selected (with the --all-matrices hint where it helps). Workers and BLAS threads are
// the layer loop's schedule (schedule.hpp), not the plan's.
struct LayerPlan {
  layers::Selection selection;
  std::vector<const layers::LayerInfo*> todo;  // points into selection; natural name order
  LayerPlan() = default;
  LayerPlan(const LayerPlan&) = delete;        // todo points into selection
};
void plan_layers(LayerPlan& plan, const io::ModelDir& model, const layers::SelectorOptions& selector);

// options.selector, with lora_merged when options.peft_base is set.
layers::SelectorOptions selector_for(const AnalyzeOptions& options);
// Checks and scaling for the LoRA layers of a plan: returns lora_scaling (1 when the plan has none),
// adds its note; warns when --lora-scale/--peft-base find no LoRA layer; UsageError with delta_base.
double lora_setup(const io::ModelDir& model, const LayerPlan& plan, const AnalyzeOptions& options,
                  std::vector<std::string>& notes, std::vector<std::string>& warnings);

// Number of worker threads for `options.threads` (0 = hardware concurrency) and `layers` layers.
int worker_count(int threads, std::size_t layers);

// Run fn(i) for i in [0, n) on `workers` threads; stops early (throwing Cancelled) when `cancel` is
// set; rethrows the first exception a task threw.
void parallel_for(std::size_t n, int workers, const std::function<void(std::size_t)>& fn,
                  const std::atomic<bool>* cancel);

}  // namespace qspectra::pipeline
