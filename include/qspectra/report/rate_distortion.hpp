#pragma once
// rate-distortion's outputs (names in docs/output-schema.md).
#include <nlohmann/json.hpp>

#include "qspectra/pipeline/rate_distortion.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::report {

// rd_curves.csv: name, block, category, method, bits, rate, rate_with_codebook, mse, sqnr_db, max_err,
// variance, kurtosis, shannon_d, gap_bits, skipped, note, gap_bits_with_codebook, converged, status.
Table rd_curves_table(const pipeline::RdRunResult& r);
// rd_targets.csv: name, block, category, method, target_fraction, target_d, r_emp, r_shannon, gap, status.
Table rd_targets_table(const pipeline::RdRunResult& r);
// rd_categories.csv, the mean curve per layer category and "all" (pipeline::rd_category_curves):
// category, method, bits, layers, rate, rate_with_codebook, mse, nmse, gap_bits.
Table rd_category_table(const pipeline::RdRunResult& r);
// The "Gap summary" (pipeline::rd_gap_summary): per target and method, the mean r_emp and gap over
// layers with coverage and the number without.
Table rd_gap_summary_table(const pipeline::RdRunResult& r);
// rd_summary.json body: layers (moments, points, targets), categories (mean curves), gap summary.
nlohmann::ordered_json rd_summary_json(const pipeline::RdRunResult& r);

}  // namespace qspectra::report
