#pragma once
// WeightWatcher's default power-law fit (WWFit, METRICS.md §5) and the clip_xmax fix-fingers option.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace qspectra::metrics {

inline constexpr double kEvalsThresh = 1e-5;  // EVALS_THRESH: fit data = evals strictly above it

// XminPeak: WW's fix_fingers='xmin_peak' as it runs with pl_package='powerlaw' (powerlaw 1.5), METRICS.md §5.5.
enum class FixFingers { None, ClipXmax, XminPeak };

struct FitOptions {
  FixFingers fix_fingers = FixFingers::None;
  int max_fingers = 10;
  double finger_thresh = 1.0;
  double xmin_max = 0;  // xmin_peak: upper end of the xmin range; 0 = 1.5 * peak (WW's default)
  bool keep_trace = false;  // record every candidate (fit_trace.csv)
};

struct FitCandidate {
  int64_t i = 0;
  double xmin = 0;
  int64_t n_tail = 0;
  double alpha = 0, D = 0, sigma = 0;
};

struct PowerLawFit {
  double alpha = -1, xmin = -1, D = -1, sigma = -1;
  double xmax = std::numeric_limits<double>::quiet_NaN();
  int64_t num_pl_spikes = -1;
  int64_t xmin_index = -1;       // i*: index into the fitted data (evals > 1e-5)
  int64_t n_fitted = 0;          // number of evals > 1e-5
  std::string status = "failed"; // "success" | "failed"
  std::string warning;           // "over-trained" (alpha < 2), "under-trained" (alpha > 6), ""
  // clip_xmax only
  int64_t num_fingers = 0;
  double raw_alpha = std::numeric_limits<double>::quiet_NaN();
  std::vector<FitCandidate> trace;  // when keep_trace
};

// `evals`: all eigenvalues of the layer, ascending.
PowerLawFit fit_powerlaw(std::span<const double> evals, const FitOptions& options = {});

// The plain reference version of the default fit (no fix_fingers): each candidate's log-sum and KS
// distance computed from scratch, O(n^2), no early exit. Tests check fit_powerlaw against it.
PowerLawFit fit_powerlaw_ref(std::span<const double> evals);

// xmin_peak's search window (METRICS.md §5.5): peak = 10^(left edge of the fullest of 100 bins of
// log10(evals > 1e-5)); candidates are the unique fitted evals in [log10(0.95 peak), xmin_max] (WW's
// quirk: a log10 lower bound against linear eigenvalues), the largest of them dropped (powerlaw 1.5).
struct XminPeakWindow {
  double peak = 0, low = 0, high = 0;
};
XminPeakWindow xmin_peak_window(std::span<const double> fitted_ascending, double xmin_max = 0);

// "fingers": eigenvalues above the fitted tail's expected maximum x* = xmin * m^(1/(alpha-1)), m =
// num_pl_spikes (the value a Pareto(alpha, xmin) sample of m points exceeds once on average). -1 for
// a failed fit; x* = xmin for alpha = +inf.
int64_t count_fingers(std::span<const double> evals, const PowerLawFit& fit);

// "over-trained" (alpha < 2), "under-trained" (alpha > 6) or "" (WW's warning column).
std::string alpha_warning(double alpha);

}  // namespace qspectra::metrics
