#include "qspectra/metrics/powerlaw.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace qspectra::metrics {

namespace {

constexpr double kNaNd = std::numeric_limits<double>::quiet_NaN();

// One WWFit on sorted data (METRICS.md §5.3). nullopt where WWFit raises (fewer than 2 points).
struct CoreFit {
  int64_t i = 0;
  double alpha = 0, D = 0, sigma = 0, xmin = 0, xmax = 0;
  int64_t n = 0;
};

// D_i = max_t |1 - (x_{i+t}/x_i)^(1-alpha) - t/m|; stops as soon as the running max reaches `stop_at`
// (the candidate can then no longer be the first argmin). Returns the (possibly partial) max.
// `unique_values`: only at the first occurrence of each value (powerlaw 1.5's empirical CDF).
inline double ks_distance(const double* x, int64_t m, double alpha, double stop_at, bool unique_values = false) {
  const double xmin = x[0];
  const double e = 1.0 - alpha;
  const double dm = static_cast<double>(m);
  double d = 0.0;
  for (int64_t t = 0; t < m; ++t) {
    if (unique_values && t > 0 && x[t] == x[t - 1]) continue;
    const double v = std::fabs(1.0 - std::pow(x[t] / xmin, e) - static_cast<double>(t) / dm);
    if (v > d || std::isnan(v)) {
      d = v;
      if (!(d < stop_at)) return d;
    }
  }
  return d;
}

// ln x and its backward running sums (suffix[i] = sum_{j >= i} ln x_j): the MLE of alpha for every
// candidate xmin in O(1) each.
std::pair<std::vector<double>, std::vector<double>> log_suffix_sums(const std::vector<double>& x) {
  const std::size_t n = x.size();
  std::vector<double> lx(n), suffix(n);
  for (std::size_t j = 0; j < n; ++j) lx[j] = std::log(x[j]);
  double acc = 0.0;
  for (std::size_t j = n; j-- > 0;) {
    acc += lx[j];
    suffix[j] = acc;
  }
  return {std::move(lx), std::move(suffix)};
}

// The MLE alpha = 1 + m / sum_{j >= i} ln(x_j / x_i) for xmin = x_i (m = n - i points).
double mle_alpha(const std::vector<double>& lx, const std::vector<double>& suffix, int64_t i) {
  const auto ui = static_cast<std::size_t>(i);
  const double m = static_cast<double>(static_cast<int64_t>(lx.size()) - i);
  return 1.0 + m / (suffix[ui] - m * lx[ui]);
}

// The fit with xmin = x[best] and its KS distance `D`.
CoreFit core_fit_at(const std::vector<double>& x, const std::vector<double>& lx, const std::vector<double>& suffix,
                    int64_t best, double D, double xmax) {
  const auto n = static_cast<int64_t>(x.size());
  CoreFit f;
  f.i = best;
  f.alpha = mle_alpha(lx, suffix, best);
  f.D = D;
  f.sigma = (f.alpha - 1.0) / std::sqrt(static_cast<double>(n - best));
  f.xmin = x[static_cast<std::size_t>(best)];
  f.xmax = xmax;
  f.n = n;
  return f;
}

std::optional<CoreFit> wwfit(const std::vector<double>& x, bool keep_trace, std::vector<FitCandidate>* trace) {
  const auto n = static_cast<int64_t>(x.size());
  if (n < 2) return std::nullopt;
  const auto [lx, suffix] = log_suffix_sums(x);
  const double inf = std::numeric_limits<double>::infinity();
  int64_t best = -1;
  double bestD = inf;
  for (int64_t i = 0; i + 1 < n; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const double m = static_cast<double>(n - i);
    const double alpha = mle_alpha(lx, suffix, i);
    double D = 1.0;
    if (alpha > 1.0) {
      const double stop = (keep_trace || best < 0) ? inf : bestD;
      D = ks_distance(x.data() + i, n - i, alpha, stop);
    }
    if (keep_trace) trace->push_back({i, x[ui], n - i, alpha, D, (alpha - 1.0) / std::sqrt(m)});
    // np.argmin: the first minimum; a NaN counts as the minimum.
    if (best < 0 || D < bestD || (std::isnan(D) && !std::isnan(bestD))) {
      best = i;
      bestD = D;
    }
  }
  return core_fit_at(x, lx, suffix, best, bestD, x.back());
}

std::vector<double> fit_data(std::span<const double> evals) {
  std::vector<double> x;
  x.reserve(evals.size());
  for (double v : evals)
    if (v > kEvalsThresh) x.push_back(v);
  if (!std::is_sorted(x.begin(), x.end())) std::sort(x.begin(), x.end());
  return x;
}

void mark_failed(PowerLawFit& r) {
  r.alpha = r.xmin = r.D = r.sigma = -1;
  r.xmax = kNaNd;
  r.num_pl_spikes = -1;
  r.xmin_index = -1;
  r.status = "failed";
  r.warning = alpha_warning(r.alpha);  // -1 < 2: "over-trained", as WW reports it
}

void fill_from(PowerLawFit& r, const CoreFit& f, std::span<const double> evals) {
  if (std::isnan(f.alpha)) {  // WW: a NaN alpha is a failed fit
    mark_failed(r);
    return;
  }
  r.alpha = f.alpha;
  r.xmin = f.xmin;
  r.D = f.D;
  r.sigma = f.sigma;
  r.xmax = f.xmax;
  r.xmin_index = f.i;
  int64_t spikes = 0;
  for (double v : evals) spikes += v >= f.xmin ? 1 : 0;  // over ALL eigenvalues, ties at xmin included
  r.num_pl_spikes = spikes;
  r.status = "success";
  r.warning = alpha_warning(r.alpha);
}

// powerlaw 1.5's Fit(data, xmin=(lo, hi)) as WW's xmin_peak calls it: candidates are the unique values
// in [min(lo,hi), max(lo,hi)] minus the largest of them; alpha = 1 + m / sum ln(x/xmin) over the m
// points >= xmin; D = max |CDF_theory - CDF_data| at the unique tail values (CDF_data = index of the
// first occurrence / m); candidates with alpha <= 1 are masked (not in range) unless all are.
void fit_xmin_peak(PowerLawFit& r, const std::vector<double>& x, std::span<const double> evals, double xmin_max) {
  const auto n = static_cast<int64_t>(x.size());
  if (n < 2) {  // a histogram of nothing raises in numpy; one point leaves no candidate
    mark_failed(r);
    return;
  }
  const XminPeakWindow w = xmin_peak_window(x, xmin_max);
  const double lo = std::min(w.low, w.high), hi = std::max(w.low, w.high);
  std::vector<int64_t> cand;
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[static_cast<std::size_t>(i)];
    if (i > 0 && v == x[static_cast<std::size_t>(i - 1)]) continue;  // first occurrence of each value
    if (lo <= v && v <= hi) cand.push_back(i);
  }
  if (!cand.empty()) cand.pop_back();  // "don't look at the last xmin": at least two points to fit
  if (cand.empty()) {                  // powerlaw returns NaN: WW reports a failed fit
    mark_failed(r);
    return;
  }
  const auto [lx, suffix] = log_suffix_sums(x);
  const double inf = std::numeric_limits<double>::infinity();
  int64_t best_in = -1, best_any = -1;
  double bestD_in = inf, bestD_any = inf;
  for (int64_t i : cand) {
    const double alpha = mle_alpha(lx, suffix, i);
    const bool in_range = alpha > 1.0;
    const double D = ks_distance(x.data() + i, n - i, alpha, (in_range && best_in >= 0) ? bestD_in : inf, true);
    if (in_range && (best_in < 0 || D < bestD_in || (std::isnan(D) && !std::isnan(bestD_in)))) {
      best_in = i;
      bestD_in = D;
    }
    if (!in_range && (best_any < 0 || D < bestD_any)) {
      best_any = i;
      bestD_any = D;
    }
  }
  // all in range: argmin over all; none: argmin over all (noise_flag); some: argmin over the in-range ones
  const int64_t best = best_in >= 0 ? best_in : best_any;
  const double bestD = best_in >= 0 ? bestD_in : bestD_any;
  fill_from(r, core_fit_at(x, lx, suffix, best, bestD, kNaNd), evals);  // powerlaw's xmax is None
}

}  // namespace

std::string alpha_warning(double alpha) {
  if (alpha < 2.0) return "over-trained";
  if (alpha > 6.0) return "under-trained";
  return "";
}

XminPeakWindow xmin_peak_window(std::span<const double> x, double xmin_max) {
  // np.histogram(np.log10(x), bins=100): equal bins from min to max, the last one closed.
  constexpr int kBins = 100;
  std::vector<double> lg(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) lg[i] = std::log10(x[i]);
  double first = *std::min_element(lg.begin(), lg.end()), last = *std::max_element(lg.begin(), lg.end());
  if (first == last) {
    first -= 0.5;
    last += 0.5;
  }
  const double step = (last - first) / kBins;
  std::vector<double> edges(kBins + 1);
  for (int k = 0; k <= kBins; ++k) edges[static_cast<std::size_t>(k)] = static_cast<double>(k) * step + first;
  edges[kBins] = last;
  std::vector<int64_t> counts(kBins, 0);
  for (double v : lg) {
    auto idx = static_cast<int64_t>(((v - first) / (last - first)) * kBins);
    if (idx == kBins) --idx;
    if (v < edges[static_cast<std::size_t>(idx)]) --idx;
    else if (v >= edges[static_cast<std::size_t>(idx + 1)] && idx != kBins - 1) ++idx;
    ++counts[static_cast<std::size_t>(idx)];
  }
  const auto ih = std::max_element(counts.begin(), counts.end()) - counts.begin();  // first maximum
  XminPeakWindow w;
  w.peak = std::pow(10.0, edges[static_cast<std::size_t>(ih)]);
  w.low = std::log10(0.95 * w.peak);
  w.high = xmin_max > 0 ? xmin_max : 1.5 * w.peak;
  return w;
}

int64_t count_fingers(std::span<const double> evals, const PowerLawFit& fit) {
  if (fit.status != "success" || fit.num_pl_spikes < 1) return -1;
  double xstar = fit.xmin;
  if (!std::isinf(fit.alpha))
    xstar = fit.alpha > 1.0 ? fit.xmin * std::pow(static_cast<double>(fit.num_pl_spikes), 1.0 / (fit.alpha - 1.0))
                            : std::numeric_limits<double>::infinity();
  int64_t n = 0;
  for (double v : evals) n += v > xstar ? 1 : 0;
  return n;
}

PowerLawFit fit_powerlaw(std::span<const double> evals, const FitOptions& options) {
  PowerLawFit r;
  const std::vector<double> x = fit_data(evals);
  r.n_fitted = static_cast<int64_t>(x.size());
  std::vector<FitCandidate>* trace = options.keep_trace ? &r.trace : nullptr;

  if (options.fix_fingers == FixFingers::XminPeak) {
    fit_xmin_peak(r, x, evals, options.xmin_max);
    return r;
  }
  if (options.fix_fingers == FixFingers::None) {
    auto f = wwfit(x, options.keep_trace, trace);
    if (!f) mark_failed(r);
    else fill_from(r, *f, evals);
    return r;
  }

  // clip_xmax (RMT_Util.fit_clipped_powerlaw): refit with the idx largest removed, idx = 2..max_fingers-1.
  auto first = wwfit(x, options.keep_trace, trace);
  if (!first) {
    mark_failed(r);
    return r;
  }
  CoreFit best = *first;
  int64_t num_fingers = 0;
  const auto n = static_cast<int64_t>(x.size());
  auto clipped = [&](int64_t k) {
    return std::vector<double>(x.begin(), x.begin() + std::max<int64_t>(n - k, 0));
  };
  int64_t idx = 2;
  bool failed = false;
  for (idx = 2; idx < options.max_fingers; ++idx) {
    auto f = wwfit(clipped(idx), false, nullptr);
    if (!f) {  // WWFit raises on too little data: WW's whole fit fails
      failed = true;
      break;
    }
    if (f->alpha + options.finger_thresh < first->alpha) {
      best = *f;
      num_fingers = idx - 1;
      break;
    }
    if (f->alpha <= 2.0) break;  // min_alpha
  }
  if (idx == options.max_fingers) idx = options.max_fingers - 1;  // Python's loop variable keeps the last value
  // WW then refits with idx+1..idx+3 removed only to log a warning, but a refit that raises fails the layer.
  for (int64_t idy = idx + 1; !failed && idy < idx + 4; ++idy)
    if (n - idy < 2) failed = true;
  if (failed) {
    mark_failed(r);
    return r;
  }
  fill_from(r, best, evals);
  r.num_fingers = num_fingers;
  r.raw_alpha = first->alpha;
  return r;
}

PowerLawFit fit_powerlaw_ref(std::span<const double> evals) {
  PowerLawFit r;
  const std::vector<double> x = fit_data(evals);
  const auto n = static_cast<int64_t>(x.size());
  r.n_fitted = n;
  if (n < 2) {
    mark_failed(r);
    return r;
  }
  int64_t best = 0;
  double bestD = 0, bestAlpha = 0;
  for (int64_t i = 0; i + 1 < n; ++i) {
    const double m = static_cast<double>(n - i);
    double s = 0;
    for (int64_t j = i; j < n; ++j) s += std::log(x[static_cast<std::size_t>(j)]);
    const double alpha = 1.0 + m / (s - m * std::log(x[static_cast<std::size_t>(i)]));
    double D = 1.0;
    if (alpha > 1.0) {
      D = 0;
      for (int64_t t = 0; t < n - i; ++t)
        D = std::max(D, std::fabs(1.0 - std::pow(x[static_cast<std::size_t>(i + t)] / x[static_cast<std::size_t>(i)],
                                                 1.0 - alpha) -
                                  static_cast<double>(t) / m));
    }
    if (i == 0 || D < bestD) {
      best = i;
      bestD = D;
      bestAlpha = alpha;
    }
  }
  CoreFit f;
  f.i = best;
  f.alpha = bestAlpha;
  f.D = bestD;
  f.sigma = (bestAlpha - 1.0) / std::sqrt(static_cast<double>(n - best));
  f.xmin = x[static_cast<std::size_t>(best)];
  f.xmax = x.back();
  f.n = n;
  fill_from(r, f, evals);
  return r;
}

}  // namespace qspectra::metrics
