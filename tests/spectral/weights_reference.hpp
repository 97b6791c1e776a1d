#pragma once
// Weights -> spectrum for the reference fixtures, the way WW reads them (METRICS.md §1-§4): every
// analysed `.weight` tensor of ww_layers.csv, read through io, rounded to float32 (unless keep_f64),
// split into WW's matrices and run through a backend.
#include <map>
#include <string>
#include <vector>

#include "../common/reference_csv.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/spectral/backend.hpp"

namespace qspectra::testing {

struct WeightsFixture {
  std::string name;       // reference folder under tests/data/reference
  std::string model_dir;  // where the safetensors are
};

inline std::vector<WeightsFixture> weight_fixtures() {
  const std::string t = QSPECTRA_TEST_DATA_DIR;
  return {{"synthetic-small", t + "/fixtures/synthetic-small"},
          {"edge-cases", t + "/fixtures/edge-cases"},
          {"llama2c-stories260K-plctlab", std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab"}};
}

struct ComputedLayer {
  std::string name;
  LayerSpectrum spectrum;
};

// Spectra of the layers listed in `ww_layers` (same order), computed from the weights in `model_dir`.
inline std::vector<ComputedLayer> spectra_from_weights(const std::string& model_dir, const CsvTable& ww_layers,
                                                       const spectral::SpectrumBackend& backend,
                                                       bool keep_f64 = false) {
  const auto dir = io::ModelDir::open(model_dir);
  std::map<std::string, const io::ModelTensor*> by_name;
  for (const auto& t : dir.tensors()) by_name[t.info.name] = &t;
  std::vector<ComputedLayer> out;
  for (const auto& row : ww_layers.rows) {
    const std::string name = row.str("name");
    auto it = by_name.find(name + ".weight");
    if (it == by_name.end()) throw std::runtime_error("tensor not found: " + name + ".weight");
    TensorData td = dir.read(*it->second);
    if (!keep_f64) spectral::round_to_float32(td);
    const bool conv2d = row.str("layer_type") == "conv2d";
    const auto mats = spectral::layer_matrices(td, conv2d);
    out.push_back({name, spectral::compute_layer_spectrum(mats, row.integer("N"), backend)});
  }
  return out;
}

}  // namespace qspectra::testing
