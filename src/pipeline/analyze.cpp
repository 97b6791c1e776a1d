#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/pipeline/layer_loop.hpp"
#include "qspectra/pipeline/variant.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <random>
#include <span>

#include <fmt/format.h>

#include "qspectra/core/error.hpp"
#include "qspectra/io/adapter_config.hpp"
#include "qspectra/io/mapped_file.hpp"
#include "qspectra/layers/names.hpp"
#include "qspectra/metrics/mp_fit.hpp"
#include "qspectra/metrics/spectrum_extras.hpp"
#include "qspectra/pipeline/shard.hpp"

namespace qspectra::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string no_layer_message(const layers::Selection& sel, const layers::SelectorOptions& selector) {
  if (!selector.all_matrices && sel.layers.empty())
    return "no analysable layer: the model has no '*.weight' keys, which is all WeightWatcher's rules "
           "look at; use --all-matrices to analyse every 2-D/4-D tensor";
  if (sel.layers.empty()) return "no analysable layer: the model has no 2-D or 4-D tensor";
  std::string msg = "no analysable layer: all " + std::to_string(sel.layers.size()) +
                    " candidate tensors were skipped (e.g. " + sel.layers.front().name + ": " +
                    sel.layers.front().skip_reason + ")";
  const bool all_too_small = std::all_of(sel.layers.begin(), sel.layers.end(), [](const layers::LayerInfo& l) {
    return l.skip_reason.find("< min_evals") != std::string::npos;
  });
  if (all_too_small) {
    int64_t smallest = selector.min_evals;
    for (const auto& l : sel.layers) smallest = std::min(smallest, l.M * l.rf);
    msg += "; every one has fewer than min_evals = " + std::to_string(selector.min_evals) +
           " eigenvalues: --min-evals " + std::to_string(std::max<int64_t>(1, smallest)) + " analyses them all";
  } else if (!selector.all_matrices) {
    msg += "; --all-matrices analyses every 2-D/4-D tensor";
  }
  return msg;
}

// The ascending eigenvalues of `replicas` element shuffles of every matrix, one vector per replica
// (WW's random_eigenvalues pools them).
std::vector<std::vector<double>> shuffled_evals(const std::vector<Eigen::MatrixXd>& matrices, int64_t N,
                                                int replicas, const spectral::SpectrumBackend& backend,
                                                std::mt19937_64& rng) {
  std::vector<std::vector<double>> out;
  for (int rep = 0; rep < replicas; ++rep) {
    std::vector<Eigen::MatrixXd> shuffled = matrices;
    for (auto& W : shuffled) {
      double* d = W.data();
      for (Eigen::Index i = W.size() - 1; i > 0; --i) {
        const auto j = static_cast<Eigen::Index>(rng() % static_cast<uint64_t>(i + 1));
        std::swap(d[i], d[j]);
      }
    }
    out.push_back(spectral::compute_layer_spectrum(shuffled, N, backend).evals);
  }
  return out;
}

// Records the layer's count of NaN/Inf (or norm-overflowing) weights; true when there are any: the layer is
// then non_finite and is not analysed (never hand such values to LAPACK: report, move on).
bool mark_non_finite(LayerResult& r, int64_t count) {
  r.non_finite_count = count;
  if (count == 0) return false;
  r.status = kStatusNonFinite;
  r.method = "none";
  return true;
}

// What the optional analyses took from the layer's matrices before they were dropped (empty when off,
// and for a LoRA product analysed from its factors: no dense matrix to shuffle or window).
struct MatrixExtras {
  std::vector<double> rand_pooled, rand_single, farms_pooled;
};

// Metrics of a layer from its spectrum (the tail of every analysis path).
void finish_layer(LayerResult& r, LayerSpectrum spectrum, const AnalyzeOptions& options, const MatrixExtras& extras = {}) {
  spectrum.N = r.info.N;
  spectrum.M = r.info.M;
  spectrum.rf = r.info.rf;
  r.method = spectrum.method;
  auto t2 = Clock::now();
  r.metrics = metrics::compute_layer_metrics(spectrum, options.metrics);
  r.status = r.metrics.fit.status;
  if (options.randomize) {
    metrics::RandomizedSpectrum rs;
    const auto& ev = spectrum.evals;
    if (!extras.rand_pooled.empty()) {
      rs.max_rand_eval = extras.rand_pooled.back();
      rs.mp = metrics::fit_marchenko_pastur(extras.rand_pooled, r.metrics.Q, r.metrics.M);
    }
    if (!ev.empty() && !extras.rand_single.empty()) {
      rs.rand_distance = metrics::jensen_shannon_distance(ev, extras.rand_single);
      rs.ww_softrank = extras.rand_single.back() / r.metrics.lambda_max;
      rs.ww_maxdist = r.metrics.lambda_max - extras.rand_single.back();
    }
    r.metrics.randomized = rs;
  }
  if (options.bootstrap > 0)
    r.metrics.bootstrap = metrics::bootstrap_alpha(spectrum.evals, r.metrics.fit, options.metrics.fit, options.bootstrap,
                                                   metrics::layer_seed(options.seed, r.info.name, 2));
  if (options.farms && !extras.farms_pooled.empty()) {
    const auto f = metrics::fit_powerlaw(extras.farms_pooled, options.metrics.fit);
    r.metrics.alpha_farms = f.alpha;
  }
  r.timing.fit_ms = ms_since(t2);
  if (options.keep_evals) r.evals = std::move(spectrum.evals);
}

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// lora_A [r, in] and lora_B [out, r] of a LoRA layer, as load_layer_tensor reads tensors.
std::pair<TensorData, TensorData> load_lora_factors(const io::ModelDir& model, const layers::LayerInfo& layer,
                                                    bool keep_f64) {
  layers::LayerInfo b = layer;
  b.tensor_index = layer.lora_b_index;
  return {load_layer_tensor(model, layer, keep_f64), load_layer_tensor(model, b, keep_f64)};
}

Eigen::MatrixXd as_matrix(const TensorData& t) {
  return Eigen::Map<const RowMajor>(t.values.data(), t.shape.at(0), t.shape.at(1));
}

// W_base of a lora_merged layer in the --peft-base model (lora_base_keys, most likely first).
const io::ModelTensor& find_peft_base(const io::ModelDir& base, const layers::LayerInfo& layer) {
  const auto keys = layers::lora_base_keys(layer.lora_prefix);
  for (const auto& key : keys)
    for (const auto& t : base.tensors())
      if (t.info.name == key) return t;
  std::string tried;
  for (const auto& k : keys) tried += (tried.empty() ? "" : ", ") + k;
  throw InputError(base.path(), layer.name + ": no base weight for the adapted module (tried " + tried + ") (--peft-base)");
}

}  // namespace

// FARMS: square side x side submatrices placed as the FARMS code's fixed_number_of_sampling_ops does
// (at most `per_dim` windows along each dimension, evenly stepped, the last one flush with the edge),
// their eigenvalues pooled and sorted.
std::vector<double> farms_pooled_evals(const std::vector<Eigen::MatrixXd>& matrices, int64_t window, int per_dim,
                                       const spectral::SpectrumBackend& backend) {
  std::vector<double> all;
  for (const auto& W : matrices) {
    const int64_t rows = W.rows(), cols = W.cols();
    const int64_t side = std::min({window > 0 ? window : std::min(rows, cols), rows, cols});
    auto starts = [&](int64_t len) {
      std::vector<int64_t> out;
      const int64_t k = std::max(per_dim, 1);
      const int64_t step = k > 1 ? std::max<int64_t>(1, (len - side) / (k - 1)) : 1;
      const int64_t count = std::min<int64_t>(k, std::max<int64_t>(1, (len - side) / step + 1));
      for (int64_t i = 0; i < count; ++i) out.push_back(std::min(i * step, len - side));
      return out;
    };
    for (int64_t r0 : starts(rows))
      for (int64_t c0 : starts(cols)) {
        std::vector<Eigen::MatrixXd> sub = {W.block(r0, c0, side, side)};
        const auto sp = spectral::compute_layer_spectrum(sub, side, backend);
        all.insert(all.end(), sp.evals.begin(), sp.evals.end());
      }
  }
  std::sort(all.begin(), all.end());
  return all;
}

double lora_scaling(const io::ModelDir& model, const AnalyzeOptions& options, std::string* note) {
  if (!options.lora_scale) return 1.0;
  const auto cfg = io::read_adapter_config(model.path());
  if (!cfg)
    throw InputError(model.path(), "--lora-scale needs the adapter's adapter_config.json (lora_alpha, r) beside its weights");
  if (cfg->has_patterns)
    throw InputError(model.path(), "adapter_config.json sets rank_pattern/alpha_pattern (per-module scaling): "
                                   "not supported by --lora-scale; run without it to analyse B·A unscaled");
  const double s = cfg->scaling();
  if (note)
    *note = fmt::format("--lora-scale: dW = {} * B·A (lora_alpha {} / {}r {})", s, cfg->lora_alpha,
                        cfg->use_rslora ? "sqrt " : "", cfg->r);
  return s;
}

TensorData load_lora_tensor(const io::ModelDir& model, const layers::LayerInfo& layer,
                            const AnalyzeOptions& options, double scale) {
  auto [a, b] = load_lora_factors(model, layer, options.keep_f64);
  const Eigen::MatrixXd A = as_matrix(a), B = as_matrix(b);
  TensorData out;
  out.shape = {B.rows(), A.cols()};
  out.values.resize(static_cast<std::size_t>(B.rows() * A.cols()));
  Eigen::Map<RowMajor> W(out.values.data(), B.rows(), A.cols());
  W.noalias() = (scale * B) * A;
  if (layer.source == layers::LayerSource::LoraMerged) {
    if (!options.peft_base) throw UsageError(layer.name + ": a lora_merged layer needs the base model (--peft-base)");
    const auto& bt = find_peft_base(*options.peft_base, layer);
    if (bt.info.shape != out.shape)
      throw InputError(options.peft_base->path(), bt.info.name + ": shape " + shape_to_string(bt.info.shape) +
                                                      " differs from B·A " + shape_to_string(out.shape) + " (--peft-base)");
    TensorData base = options.peft_base->read(bt);
    options.peft_base->release(bt);
    if (!options.keep_f64) spectral::round_to_float32(base);
    for (std::size_t i = 0; i < out.values.size(); ++i) out.values[i] += base.values[i];
  }
  return out;
}

LayerResult analyze_lora_layer(const LayerResult& result_template, const io::ModelDir& model,
                               const layers::LayerInfo& layer, const quant::Quantizer* quantizer,
                               const spectral::SpectrumBackend& backend, const AnalyzeOptions& options,
                               double scale) {
  const auto t0 = Clock::now();
  if (quantizer || layer.source != layers::LayerSource::LoraProduct) {
    TensorData dense = load_lora_tensor(model, layer, options, scale);
    const double read_ms = ms_since(t0);
    LayerResult r = analyze_tensor(result_template, std::move(dense), quantizer, backend, options);
    r.timing.read_ms = read_ms;
    return r;
  }
  LayerResult r = result_template;
  auto [a, b] = load_lora_factors(model, layer, options.keep_f64);
  r.timing.read_ms = ms_since(t0);
  if (mark_non_finite(r, count_unanalysable_weights(a.values) + count_unanalysable_weights(b.values))) return r;
  const auto t1 = Clock::now();
  const Eigen::MatrixXd B = scale * as_matrix(b);
  LayerSpectrum spectrum = spectral::compute_low_rank_product_spectrum(B, as_matrix(a), backend);
  r.timing.spectrum_ms = ms_since(t1);
  finish_layer(r, std::move(spectrum), options);
  return r;
}

layers::SelectorOptions selector_for(const AnalyzeOptions& options) {
  layers::SelectorOptions s = options.selector;
  if (options.peft_base) s.lora_merged = true;
  return s;
}

double lora_setup(const io::ModelDir& model, const LayerPlan& plan, const AnalyzeOptions& options,
                  std::vector<std::string>& notes, std::vector<std::string>& warnings) {
  notes.insert(notes.end(), plan.selection.lora_notes.begin(), plan.selection.lora_notes.end());
  const bool any_lora = std::any_of(plan.todo.begin(), plan.todo.end(), [](const layers::LayerInfo* l) {
    return l->source != layers::LayerSource::Tensor;
  });
  if (!any_lora) {
    if (options.lora_scale) warnings.push_back("--lora-scale: no LoRA layer is analysed, nothing to scale");
    if (options.peft_base) warnings.push_back("--peft-base: no LoRA layer is analysed, no merged layer to make");
    return 1.0;
  }
  if (options.delta_base)
    throw UsageError("--delta-from (W - W_base) does not apply to LoRA adapter layers; --peft-base analyses W_base + B·A");
  if (options.quant_source)
    throw UsageError("--quant-source (W against Q(W)) does not apply to LoRA adapter layers");
  std::string note;
  const double scale = lora_scaling(model, options, &note);
  if (!note.empty()) notes.push_back(note);
  return scale;
}

LayerResult layer_result_template(const io::ModelDir& model, const layers::LayerInfo& layer) {
  const auto& t = model.tensors().at(layer.tensor_index);
  LayerResult r;
  r.info = layer;
  r.file = model.files().at(t.file_index).name;
  r.file_dtype = t.info.type_name();
  r.tensor_shape = shape_to_string(t.info.shape);
  if (layer.source != layers::LayerSource::Tensor) {  // the shape of dW = B·A: [out, in]
    const auto& b = model.tensors().at(layer.lora_b_index).info.shape;
    if (b.size() == 2 && t.info.shape.size() == 2) r.tensor_shape = shape_to_string({b[0], t.info.shape[1]});
  }
  return r;
}

TensorData load_layer_tensor(const io::ModelDir& model, const layers::LayerInfo& layer, bool keep_f64) {
  const auto& t = model.tensors().at(layer.tensor_index);
  const auto bytes = model.mapped_bytes(t);
  TensorData data;
  if (bytes.empty() && t.info.numel() > 0) {  // not mapped as stored (a PyTorch checkpoint): the source widens
    data = model.read(t);
    if (!keep_f64) spectral::round_to_float32(data);  // WW reads every tensor as float32
  } else {
    // Widened and rounded (WW reads every tensor as float32) in one pass from the mapping.
    const std::string& path = model.files().at(t.file_index).path;
    io::MappedFile::touch(path, bytes);
    data.shape = t.info.shape;
    data.values.resize(static_cast<std::size_t>(t.info.numel()));
    spectral::widen_weights(t.info.dtype, bytes.data(), data.values.size(), keep_f64, data.values.data());
  }
  model.release(t);
  return data;
}

bool raw_path_applies(const io::ModelDir& model, const layers::LayerInfo& layer, const quant::Quantizer* quantizer,
                      const AnalyzeOptions& options) {
  if (layer.source != layers::LayerSource::Tensor || quantizer || options.delta_base) return false;
  if (layer.type == layers::LayerType::Conv2d || options.randomize || options.farms) return false;  // need the matrices
  const auto& t = model.tensors().at(layer.tensor_index);
  return t.info.shape.size() == 2;
}

LayerResult read_and_analyze_layer(const io::ModelDir& model, const layers::LayerInfo& layer,
                                   const quant::Quantizer* quantizer, const spectral::SpectrumBackend& backend,
                                   const AnalyzeOptions& options, const layers::LayerInfo* prefetch_next) {
  const auto t0 = Clock::now();
  LayerResult r = layer_result_template(model, layer);
  const auto& t = model.tensors().at(layer.tensor_index);
  const auto bytes = raw_path_applies(model, layer, quantizer, options) ? model.mapped_bytes(t)
                                                                        : std::span<const std::byte>{};
  if (bytes.empty()) {
    TensorData tensor = load_layer_tensor(model, layer, options.keep_f64);
    if (options.delta_base) subtract_base_tensor(tensor, *options.delta_base, t.info.name, options.keep_f64);
    const double read_ms = ms_since(t0);
    if (prefetch_next) model.prefetch(model.tensors().at(prefetch_next->tensor_index));
    r = analyze_tensor(r, std::move(tensor), quantizer, backend, options);
    r.timing.read_ms = read_ms;
    return r;
  }
  // The raw path: the backend widens the mapped bytes straight into the buffer its solver reads.
  io::MappedFile::touch(model.files().at(t.file_index).path, bytes);
  const double map_ms = ms_since(t0);
  if (prefetch_next) model.prefetch(model.tensors().at(prefetch_next->tensor_index));
  const auto t1 = Clock::now();
  spectral::MatrixSpectrum ms = backend.squared_singular_values_raw(t.info.dtype, bytes.data(), t.info.shape[0],
                                                                    t.info.shape[1], options.keep_f64);
  model.release(t);
  r.timing.read_ms = map_ms + ms.widen_ms;
  r.timing.spectrum_ms = std::max(0.0, ms_since(t1) - ms.widen_ms);
  if (mark_non_finite(r, ms.non_finite)) return r;
  finish_layer(r, spectral::layer_spectrum_from(std::move(ms), r.info.N), options);
  return r;
}

const io::ModelTensor& find_base_tensor(const io::ModelDir& base, const std::string& key,
                                        const std::vector<int64_t>& shape, const char* flag) {
  const auto& ts = base.tensors();
  auto find = [&](const std::string& n) {
    return std::find_if(ts.begin(), ts.end(), [&](const io::ModelTensor& t) { return t.info.name == n; });
  };
  auto it = find(key);
  // A GGUF model against its Hugging Face source (or the other way round): llama.cpp names map to HF
  // ones (the reader already put attn_q/attn_k rows back in HF order).
  for (const auto& alt : {io::gguf_to_hf_name(key), io::hf_to_gguf_name(key)})
    if (it == ts.end() && alt) it = find(*alt);
  if (it == ts.end()) throw InputError(base.path(), key + ": not in this model, under its own or its llama.cpp/HF name (" + flag + ")");
  if (it->info.shape != shape)
    throw InputError(base.path(), key + ": shape " + shape_to_string(it->info.shape) + " differs from " +
                                      shape_to_string(shape) + " (" + flag + ")");
  return *it;
}

void subtract_base_tensor(TensorData& tensor, const io::ModelDir& base, const std::string& key, bool keep_f64) {
  const auto& t = find_base_tensor(base, key, tensor.shape, "--delta-from");
  TensorData b = base.read(t);
  base.release(t);
  if (!keep_f64) spectral::round_to_float32(b);
  for (std::size_t i = 0; i < tensor.values.size(); ++i) tensor.values[i] -= b.values[i];
}

LayerResult analyze_tensor(const LayerResult& result_template, TensorData tensor,
                           const quant::Quantizer* quantizer,
                           const spectral::SpectrumBackend& backend, const AnalyzeOptions& options) {
  LayerResult r = result_template;
  if (mark_non_finite(r, count_unanalysable_weights(tensor.values))) return r;
  if (quantizer) return analyze_variant(result_template, tensor, *quantizer, backend, options);
  auto t1 = Clock::now();
  const bool conv = r.info.type == layers::LayerType::Conv2d;
  auto matrices = spectral::layer_matrices(tensor, conv);
  tensor.values.clear();
  tensor.values.shrink_to_fit();
  LayerSpectrum spectrum = spectral::compute_layer_spectrum(matrices, r.info.N, backend);
  std::vector<double> rand_pooled, rand_single, farms_pooled;
  if (options.randomize) {
    std::mt19937_64 rng(metrics::layer_seed(options.seed, r.info.name, 1));
    // WW pools 5 shuffles when n_comp = M < 100, else takes one, and draws one more shuffle for
    // rand_distance; we use the first of the pooled ones for that (the same distribution), so a layer
    // costs one extra eigensolve (five when M < 100).
    const int replicas = r.info.M < 100 ? 5 : 1;
    auto reps = shuffled_evals(matrices, r.info.N, replicas, backend, rng);
    rand_single = reps.front();
    for (const auto& e : reps) rand_pooled.insert(rand_pooled.end(), e.begin(), e.end());
    std::sort(rand_pooled.begin(), rand_pooled.end());
  }
  if (options.farms) farms_pooled = farms_pooled_evals(matrices, options.farms_window, options.farms_windows_per_dim, backend);
  matrices.clear();
  r.timing.spectrum_ms = ms_since(t1);
  finish_layer(r, std::move(spectrum), options, {std::move(rand_pooled), std::move(rand_single), std::move(farms_pooled)});
  return r;
}

double spectrum_work(const layers::LayerInfo& layer) {
  const double n = double(std::max<int64_t>(layer.N, 1)), m = double(std::max<int64_t>(layer.M, 1));
  return n * m * m * double(std::max<int64_t>(layer.rf, 1));
}

void plan_layers(LayerPlan& plan, const io::ModelDir& model, const layers::SelectorOptions& selector) {
  plan.selection = layers::select_layers(model, selector);
  for (const auto& l : plan.selection.layers)
    if (l.selected) plan.todo.push_back(&l);
  // Results come out in this order: natural (layers.2 before layers.10), not WW's byte order.
  std::stable_sort(plan.todo.begin(), plan.todo.end(), [](const layers::LayerInfo* a, const layers::LayerInfo* b) {
    return layers::natural_less(a->name, b->name);
  });
  if (plan.todo.empty()) throw InputError(model.path(), no_layer_message(plan.selection, selector));
  keep_shard(plan.todo, {selector.shard_index, selector.shard_count});
}

AnalysisResult analyze_model(const io::ModelDir& model, const AnalyzeOptions& options,
                             const ProgressCallback& progress, const std::atomic<bool>* cancel) {
  const auto t0 = Clock::now();
  AnalysisResult out;
  out.notes = model.notes();
  if (options.quant_source && (options.delta_base || !options.quantize.empty()))
    throw UsageError("--quant-source compares the model as stored with its source: not with --delta-from or --quantize");
  std::unique_ptr<quant::Quantizer> quantizer;
  if (!options.quantize.empty()) quantizer = quant::make_quantizer(options.quantize);
  // OpenBLAS's eigensolver is not bitwise reproducible across BLAS thread counts: one per layer.
  LayerLoop loop(model, selector_for(options), options.threads, /*inner_reproducible=*/false);
  LayerPlan& plan = loop.plan();
  const auto& todo = plan.todo;
  const double lora_scale = lora_setup(model, plan, options, out.notes, out.warnings);
  std::string device_used;
  auto backend = make_layer_backend(options, &out.warnings, &device_used);
  out.backend = device_used + "/" + std::string(backend->name());
  const LayerWorkFn work = [](const layers::LayerInfo& l) { return spectrum_work(l); };
  out.threads = loop.workers(work);

  out.layers.resize(todo.size());
  const LayerReader reader = [&](const layers::LayerInfo& layer) {
    TensorData tensor = load_layer_tensor(model, layer, options.keep_f64);
    if (options.delta_base)
      subtract_base_tensor(tensor, *options.delta_base, model.tensors()[layer.tensor_index].info.name,
                           options.keep_f64);
    return tensor;
  };
  if (options.quant_source) out.quant_error.resize(todo.size());
  loop.run(work, reader, [&](LayerWork& w) -> const LayerResult* {
    auto& r = out.layers[w.index];
    if (w.layer->source != layers::LayerSource::Tensor) {
      r = analyze_lora_layer(w.result_template, model, *w.layer, quantizer.get(), *backend, options, lora_scale);
    } else if (options.quant_source) {
      const TensorData& q = w.tensor();
      out.quant_error[w.index] = quant_error_layer(w.result_template, q, *options.quant_source,
                                                   model.tensors()[w.layer->tensor_index].info.name, *backend, options);
      r = analyze_tensor(w.result_template, std::move(w.tensor()), nullptr, *backend, options);
      r.timing.read_ms = w.read_ms();
    } else {
      r = read_and_analyze_layer(model, *w.layer, quantizer.get(), *backend, options, w.next);
    }
    return &r;
  }, progress, cancel);

  // The summary sums in WW's (reference) order, so that its means are WW's to the last bit.
  std::vector<std::size_t> reference_order(todo.size());
  for (std::size_t i = 0; i < todo.size(); ++i) reference_order[i] = i;
  std::sort(reference_order.begin(), reference_order.end(),
            [&](std::size_t a, std::size_t b) { return todo[a] < todo[b]; });  // todo points into selection.layers
  out.selection = std::move(plan.selection);
  std::vector<const metrics::LayerMetrics*> analysed;
  int64_t non_finite = 0;
  for (std::size_t i : reference_order)
    if (out.layers[i].analysed()) analysed.push_back(&out.layers[i].metrics);
    else ++non_finite;
  for (const auto& r : out.layers) {
    out.timing_sum.read_ms += r.timing.read_ms;
    out.timing_sum.quant_ms += r.timing.quant_ms;
    out.timing_sum.spectrum_ms += r.timing.spectrum_ms;
    out.timing_sum.fit_ms += r.timing.fit_ms;
  }
  out.summary = metrics::summarize(analysed, non_finite);
  if (quantizer)
    if (auto w = quant_fallback_warning(*quantizer, out.layers); !w.empty()) out.warnings.push_back(std::move(w));
  out.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return out;
}

}  // namespace qspectra::pipeline
