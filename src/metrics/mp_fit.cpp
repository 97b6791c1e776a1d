#include "qspectra/metrics/mp_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "numeric.hpp"

namespace qspectra::metrics {

namespace {

double nan_to_num(double v) {
  if (std::isnan(v)) return 0.0;
  if (std::isinf(v)) return v > 0 ? std::numeric_limits<double>::max() : -std::numeric_limits<double>::max();
  return v;
}

// resid_mp(..., allresid=False) with the KDE precomputed (it does not depend on sigma).
class MpObjective {
public:
  MpObjective(const std::vector<double>& to_fit, double Q, double bw) : Q_(Q) {
    constexpr int kPoints = 1000;
    const double xmax = *std::max_element(to_fit.begin(), to_fit.end()) + 0.5;
    // np.linspace(0, xmax, 1000)
    const double step = xmax / static_cast<double>(kPoints - 1);
    const double n = static_cast<double>(to_fit.size());
    std::vector<double> sorted = to_fit;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < kPoints; ++i) {
      const double x = (i == kPoints - 1) ? xmax : static_cast<double>(i) * step;
      // sklearn KernelDensity(kernel='linear', bandwidth=bw): (1/(n h)) sum max(0, 1 - |x - e|/h), 1-D.
      auto lo = std::upper_bound(sorted.begin(), sorted.end(), x - bw);
      double k = 0;
      for (auto it = lo; it != sorted.end() && *it < x + bw; ++it) {
        const double d = std::fabs(x - *it);
        if (d < bw) k += 1.0 - d / bw;
      }
      const double y = k / (n * bw);
      if (y > kThresh) {
        xs_.push_back(x);
        ys_.push_back(y);
      } else if (y < kThresh) {
        ++n_bad_;
      }
    }
    if (!xs_.empty()) {
      const auto peak = std::max_element(ys_.begin(), ys_.end());  // first maximum
      x_peak_ = xs_[static_cast<std::size_t>(peak - ys_.begin())];
      x_last_ = *std::max_element(xs_.begin(), xs_.end());
    }
  }

  bool usable() const { return !xs_.empty(); }

  double operator()(double sigma) const {
    std::vector<double> r2(xs_.size() + n_bad_, 0.0);
    if (Q_ == 1.0) {
      for (std::size_t i = 0; i < xs_.size(); ++i) {
        const double x = xs_[i];
        const double ymp = nan_to_num((1.0 / (std::numbers::pi * sigma * sigma)) * std::sqrt(4.0 - x * x));
        const double d = ymp - ys_[i];
        r2[i] = d * d;
      }
    } else {
      const double y = 1.0 / Q_;
      const double sq = std::sqrt(1.0 / Q_);
      const double bb = sigma * (1.0 + sq), aa = sigma * (1.0 - sq);
      const double b = bb * bb, a = aa * aa;
      if (b < x_peak_ || b > x_last_ || a > x_peak_) {
        for (std::size_t i = 0; i < xs_.size(); ++i) r2[i] = 1000.0 * 1000.0;
      } else {
        for (std::size_t i = 0; i < xs_.size(); ++i) {
          const double x = xs_[i];
          const double ymp =
              nan_to_num((1.0 / (2.0 * std::numbers::pi * sigma * sigma * x * y)) * std::sqrt((b - x) * (x - a)));
          const double d = ymp - ys_[i];
          r2[i] = d * d;
        }
      }
    }
    return detail::np_sum(r2);
  }

private:
  static constexpr double kThresh = 0.01;
  double Q_;
  std::vector<double> xs_, ys_;
  std::size_t n_bad_ = 0;
  double x_peak_ = 0, x_last_ = 0;
};

// scipy.optimize.fmin (Nelder-Mead, scipy 1.10 defaults) in one dimension.
template <class F>
double nelder_mead_1d(const F& f, double x0) {
  constexpr double rho = 1, chi = 2, psi = 0.5, sig = 0.5, xatol = 1e-4, fatol = 1e-4;
  constexpr int maxiter = 200, maxfun = 200;
  int fcalls = 0;
  bool exhausted = false;
  auto call = [&](double x) {
    if (fcalls >= maxfun) {
      exhausted = true;
      return std::numeric_limits<double>::quiet_NaN();
    }
    ++fcalls;
    return f(x);
  };
  double sim[2] = {x0, x0 != 0 ? 1.05 * x0 : 0.00025};
  double fsim[2] = {call(sim[0]), call(sim[1])};
  auto sort2 = [&] {
    if (fsim[1] < fsim[0]) {  // stable: ties keep their order
      std::swap(sim[0], sim[1]);
      std::swap(fsim[0], fsim[1]);
    }
  };
  sort2();
  int iterations = 1;
  while (fcalls < maxfun && iterations < maxiter) {
    if (std::fabs(sim[1] - sim[0]) <= xatol && std::fabs(fsim[0] - fsim[1]) <= fatol) break;
    const double xbar = sim[0];
    const double xr = (1 + rho) * xbar - rho * sim[1];
    const double fxr = call(xr);
    if (exhausted) break;
    bool doshrink = false;
    if (fxr < fsim[0]) {
      const double xe = (1 + rho * chi) * xbar - rho * chi * sim[1];
      const double fxe = call(xe);
      if (exhausted) break;
      if (fxe < fxr) {
        sim[1] = xe;
        fsim[1] = fxe;
      } else {
        sim[1] = xr;
        fsim[1] = fxr;
      }
    } else {
      // with one dimension fsim[-2] is fsim[0]
      if (fxr < fsim[0]) {
        sim[1] = xr;
        fsim[1] = fxr;
      } else {
        if (fxr < fsim[1]) {
          const double xc = (1 + psi * rho) * xbar - psi * rho * sim[1];
          const double fxc = call(xc);
          if (exhausted) break;
          if (fxc <= fxr) {
            sim[1] = xc;
            fsim[1] = fxc;
          } else {
            doshrink = true;
          }
        } else {
          const double xcc = (1 - psi) * xbar + psi * sim[1];
          const double fxcc = call(xcc);
          if (exhausted) break;
          if (fxcc < fsim[1]) {
            sim[1] = xcc;
            fsim[1] = fxcc;
          } else {
            doshrink = true;
          }
        }
        if (doshrink) {
          sim[1] = sim[0] + sig * (sim[1] - sim[0]);
          fsim[1] = call(sim[1]);
          if (exhausted) break;
        }
      }
    }
    ++iterations;
    sort2();
  }
  return sim[0];
}

MpFitResult failed_mp() {
  MpFitResult r;
  r.num_spikes = -1;
  r.sigma_mp = r.mp_softrank = r.W_scale = r.bulk_max = r.bulk_min = -1;
  return r;
}

}  // namespace

MpFitResult fit_marchenko_pastur(std::span<const double> evals, double Q, int64_t M) {
  if (evals.empty() || !(Q > 0)) return failed_mp();
  const double n = static_cast<double>(evals.size());
  const double wnorm = std::sqrt(detail::np_sum(evals));
  const double wscale = std::sqrt(n) / wnorm;
  std::vector<double> to_plot(evals.size());
  for (std::size_t i = 0; i < evals.size(); ++i) to_plot[i] = (wscale * wscale) * evals[i];
  for (double v : to_plot)
    if (!std::isfinite(v)) return failed_mp();  // e.g. the zero matrix: WW's fit raises, reported as -1
  const double lambda_max = *std::max_element(to_plot.begin(), to_plot.end());

  std::vector<double> to_fit = to_plot;
  if (Q == 1.0)
    for (double& v : to_fit) v = std::sqrt(v);
  MpObjective objective(to_fit, Q, 0.1);
  if (!objective.usable()) return failed_mp();

  // scipy.optimize.brute over np.arange(0.05 s0, 2 s0, 0.01 s0), then the fmin polish.
  const double inv_sqQ = 1.0 / std::sqrt(Q);
  const double s0 = std::sqrt(lambda_max / ((1 + inv_sqQ) * (1 + inv_sqQ)));
  const double start = 0.05 * s0, stop = 2.0 * s0, step = 0.01 * s0;
  const auto count = static_cast<int64_t>(std::ceil((stop - start) / step));
  const double delta = (start + step) - start;  // numpy's arange fill
  double best_x = start, best_f = std::numeric_limits<double>::infinity();
  bool have = false;
  for (int64_t i = 0; i < count; ++i) {
    const double x = start + static_cast<double>(i) * delta;
    const double fx = objective(x);
    if (!have || fx < best_f || (std::isnan(fx) && !std::isnan(best_f))) {
      best_x = x;
      best_f = fx;
      have = true;
    }
  }
  const double s1 = nelder_mead_1d(objective, best_x);

  MpFitResult r;
  r.sigma_mp = s1;
  const double bp = s1 * (1 + 1 / std::sqrt(Q)), bm = s1 * (1 - 1 / std::sqrt(Q));
  double bulk_max = bp * bp, bulk_min = bm * bm;
  const double TW = 1 / std::sqrt(Q) * std::pow(bulk_max, 2.0 / 3.0) * std::pow(static_cast<double>(M), -2.0 / 3.0);
  const double cut = bulk_max + std::sqrt(TW);
  int64_t spikes = 0;
  for (double v : to_plot) spikes += v > cut ? 1 : 0;
  r.num_spikes = spikes;
  r.mp_softrank = bulk_max / lambda_max;
  r.W_scale = wscale;
  r.bulk_max = bulk_max / (wscale * wscale);
  r.bulk_min = bulk_min / (wscale * wscale);
  return r;
}

}  // namespace qspectra::metrics
