#pragma once
// Marchenko-Pastur fit as WW's mp_fit=True (METRICS.md §7): KDE + sigma grid + Nelder-Mead polish.
#include <cstdint>
#include <span>

#include "qspectra/metrics/layer_metrics.hpp"

namespace qspectra::metrics {

// `evals` ascending (all of them), Q = N/M, M = min dim (for the Tracy-Widom term).
MpFitResult fit_marchenko_pastur(std::span<const double> evals, double Q, int64_t M);

}  // namespace qspectra::metrics
