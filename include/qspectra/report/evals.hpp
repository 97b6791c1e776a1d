#pragma once
// ww_evals.csv / sweep_evals.csv (--save-evals): every eigenvalue of every analysed layer, long format
// (names in docs/output-schema.md). Written straight to text: a model has millions of eigenvalues.
#include <string>
#include <vector>

#include "qspectra/pipeline/layer_result.hpp"
#include "qspectra/pipeline/sweep.hpp"

namespace qspectra::report {

// ww_evals.csv: `name,lambda`, one row per eigenvalue, layers in the order given, eigenvalues ascending
// (zeros included), %.17g. Layers without eigenvalues (non-finite weights) have no rows.
std::string evals_csv(const std::vector<pipeline::LayerResult>& layers);
// sweep_evals.csv: `name,variant,lambda`, per layer then per variant in the order of the sweep.
std::string sweep_evals_csv(const pipeline::SweepResult& r);

}  // namespace qspectra::report
