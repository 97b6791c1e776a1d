#include "qspectra/pipeline/quant_error.hpp"

#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::pipeline {

QuantErrorRow quant_error_layer(const LayerResult& q_template, const TensorData& quantized, const io::ModelDir& source,
                                const std::string& key, const spectral::SpectrumBackend& backend,
                                const AnalyzeOptions& options) {
  QuantErrorRow row;
  const auto& t = find_base_tensor(source, key, quantized.shape, "--quant-source");
  row.source_name = t.info.name;
  row.source_dtype = t.info.type_name();
  TensorData w = source.read(t);
  source.release(t);
  if (!options.keep_f64) spectral::round_to_float32(w);  // as every tensor is read (load_layer_tensor)
  row.stats = quant::error_stats(w.values, quantized.values);
  row.quantiles = quant::abs_error_quantiles(w.values, quantized.values);

  // W and E get the plain analysis (the optional extras are for the model itself); E always gets the
  // MP fit: a quantization error that is white noise has a Marchenko-Pastur spectrum, no spikes.
  AnalyzeOptions plain = options;
  plain.randomize = false;
  plain.bootstrap = 0;
  plain.farms = false;
  plain.keep_evals = false;
  AnalyzeOptions with_mp = plain;
  with_mp.metrics.mp_fit = true;
  TensorData e = w;
  for (std::size_t i = 0; i < e.values.size(); ++i) e.values[i] -= quantized.values[i];
  row.source = analyze_tensor(q_template, std::move(w), nullptr, backend, plain);
  row.source.file_dtype = row.source_dtype;
  if (row.stats.max_err == 0) {  // stored unquantized: no error, no spectrum to fit
    row.error = q_template;
    row.error.status = kStatusZeroError;
    row.error.method = "none";
  } else {
    row.error = analyze_tensor(q_template, std::move(e), nullptr, backend, with_mp);
  }
  return row;
}

}  // namespace qspectra::pipeline
