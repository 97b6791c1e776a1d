#pragma once
// Every per-layer number of WW's analyze() table (METRICS.md §4-§8) plus Alpha-Hill and the optional
// MP fit, computed from a layer's spectrum.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "qspectra/core/spectrum.hpp"
#include "qspectra/metrics/hill.hpp"
#include "qspectra/metrics/powerlaw.hpp"
#include "qspectra/metrics/spectrum_extras.hpp"

namespace qspectra::metrics {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct MetricsOptions {
  FitOptions fit;
  double k_frac = 0.1;          // Alpha-Hill tail fraction
  double tolerance = 1e-6;      // weak_rank_loss threshold on eigenvalues
  bool mp_fit = false;
  bool detx = false;            // WW's detX columns
};

struct MpFitResult {
  int64_t num_spikes = 0;
  double sigma_mp = kNaN, mp_softrank = kNaN, W_scale = kNaN, bulk_max = kNaN, bulk_min = kNaN;
};

// --randomize: the ESD of the element-shuffled matrix (WW's randomize=True, METRICS.md §7).
struct RandomizedSpectrum {
  double max_rand_eval = kNaN;  // max of the pooled shuffled evals (5 shuffles when n < 100, as WW)
  double rand_distance = kNaN;  // Jensen-Shannon distance, evals vs one more shuffle's evals
  double ww_softrank = kNaN;    // max(that shuffle's evals) / lambda_max
  double ww_maxdist = kNaN;     // lambda_max - max(that shuffle's evals)
  MpFitResult mp;               // MP fit of the pooled shuffled evals (rand_* columns)
};

struct LayerMetrics {
  // shape facts
  int64_t N = 0, M = 0, rf = 1, num_evals = 0;
  double Q = kNaN;
  // §4
  double sv_max = kNaN, sv_min = kNaN, lambda_max = kNaN;
  int64_t rank_loss = 0, weak_rank_loss = 0;
  // §5
  PowerLawFit fit;
  // §6
  double norm = kNaN, log_norm = kNaN, spectral_norm = kNaN, log_spectral_norm = kNaN;
  double alpha_weighted = kNaN, log_alpha_norm = kNaN, stable_rank = kNaN, entropy = kNaN;
  int64_t matrix_rank = 0;
  // §11
  HillResult hill;
  // §7 (when requested)
  std::optional<MpFitResult> mp;
  // qspectra additions (docs/metrics.md)
  int64_t fingers = -1;                         // count_fingers (always computed; -1: failed fit)
  std::optional<DetX> detx;                     // MetricsOptions::detx
  std::optional<RandomizedSpectrum> randomized; // pipeline --randomize
  std::optional<BootstrapResult> bootstrap;     // pipeline --bootstrap N
  std::optional<double> alpha_farms;            // pipeline --farms
};

LayerMetrics compute_layer_metrics(const LayerSpectrum& spectrum, const MetricsOptions& options = {});

}  // namespace qspectra::metrics
