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
inline double ks_distance(const double* x, int64_t m, double alpha, double stop_at) {
  const double xmin = x[0];
  const double e = 1.0 - alpha;
  const double dm = static_cast<double>(m);
  double d = 0.0;
  for (int64_t t = 0; t < m; ++t) {
    const double v = std::fabs(1.0 - std::pow(x[t] / xmin, e) - static_cast<double>(t) / dm);
    if (v > d || std::isnan(v)) {
      d = v;
      if (!(d < stop_at)) return d;
    }
  }
  return d;
}

std::optional<CoreFit> wwfit(const std::vector<double>& x, bool keep_trace, std::vector<FitCandidate>* trace) {
  const auto n = static_cast<int64_t>(x.size());
  if (n < 2) return std::nullopt;
  // Backward running suffix sums of ln x.
  std::vector<double> lx(static_cast<std::size_t>(n)), suffix(static_cast<std::size_t>(n));
  for (int64_t j = 0; j < n; ++j) lx[static_cast<std::size_t>(j)] = std::log(x[static_cast<std::size_t>(j)]);
  double acc = 0.0;
  for (int64_t j = n - 1; j >= 0; --j) {
    acc += lx[static_cast<std::size_t>(j)];
    suffix[static_cast<std::size_t>(j)] = acc;
  }
  const double inf = std::numeric_limits<double>::infinity();
  int64_t best = -1;
  double bestD = inf;
  for (int64_t i = 0; i + 1 < n; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const double m = static_cast<double>(n - i);
    const double alpha = 1.0 + m / (suffix[ui] - m * lx[ui]);
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
  const auto ub = static_cast<std::size_t>(best);
  const double m = static_cast<double>(n - best);
  CoreFit f;
  f.i = best;
  f.alpha = 1.0 + m / (suffix[ub] - m * lx[ub]);
  f.D = bestD;
  f.sigma = (f.alpha - 1.0) / std::sqrt(m);
  f.xmin = x[ub];
  f.xmax = x.back();
  f.n = n;
  return f;
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

}  // namespace

std::string alpha_warning(double alpha) {
  if (alpha < 2.0) return "over-trained";
  if (alpha > 6.0) return "under-trained";
  return "";
}

PowerLawFit fit_powerlaw(std::span<const double> evals, const FitOptions& options) {
  PowerLawFit r;
  const std::vector<double> x = fit_data(evals);
  r.n_fitted = static_cast<int64_t>(x.size());
  std::vector<FitCandidate>* trace = options.keep_trace ? &r.trace : nullptr;

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
