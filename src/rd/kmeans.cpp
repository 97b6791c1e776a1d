// Exact Lloyd k-means with Yinyang filtering (Ding et al., "Yinyang K-Means", ICML 2015), a
// generalisation of Hamerly's bounds. The centroids are split once into groups (a small k-means of
// the initial centroids). Each point keeps an upper bound u on the distance to its own centroid
// and, per group, a lower bound on the distance to every other centroid of that group. When the
// centroids move, u grows by its centroid's move and a group's bound shrinks by the largest move in
// that group; a point is skipped when u <= every group bound (or half the distance from its
// centroid to the closest other centroid), and otherwise only groups whose bound is below u are
// searched. In 2-8 dimensions a distance costs about as much as a bound update, so bounds are
// updated lazily: a point also keeps Hamerly's single bound over all groups (shrunk by the largest
// move of all), group bounds are stored with the groups' cumulative moves added and read only when
// that single bound fails. Small codebooks (< 64 centroids) use plain Lloyd with an unrolled
// search instead: there the bookkeeping costs more than the distances it saves. Same iterations, labels and fixed point as the brute-force kmeans_ref up to
// floating-point ties, with a fraction of the distance computations.
#include "qspectra/rd/kmeans.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <mutex>

#include "kmeans_detail.hpp"
#include "qspectra/core/error.hpp"

namespace qspectra::rd {
namespace {

using detail::dist2;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr size_t kMaxGroups = 16;
// Below this many centroids the bound bookkeeping costs more than the full search it saves
// (measured: bench/kmeans_bench.cpp, docs/benchmarks.md).
constexpr int kMinCentroidsForBounds = 64;
constexpr size_t kBoundBudgetBytes = size_t(128) << 20;  // group bounds of one k-means call

// Bounds are stored as float to halve their memory, rounded down so they stay lower bounds.
inline float lower_float(double v) {
  float f = float(v);
  if (double(f) > v) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

struct Yinyang {
  std::span<const double> x;
  int dim;
  size_t n, k, t;  // points, centroids, groups
  int threads;
  std::vector<double> centroids, sum, move, half_sep;
  std::vector<double> group_move, drift;  // per group: largest move this iteration, sum of those
  std::vector<double> upper, global_lower;
  std::vector<float> lower;  // n x t: group bound + the group's drift when it was stored
  std::vector<int64_t> count;
  std::vector<int32_t> labels, group_of;
  std::vector<std::vector<int32_t>> members;  // ascending centroid indices of each group

  Yinyang(std::span<const double> x_, int dim_, size_t k_, int threads_, std::vector<double> init, uint64_t seed)
      : x(x_), dim(dim_), n(x_.size() / size_t(dim_)), k(k_), threads(threads_), centroids(std::move(init)),
        sum(k * dim), move(k), half_sep(k), upper(n), global_lower(n), count(k), labels(n), group_of(k) {
    t = std::clamp<size_t>(k / 10, 1, kMaxGroups);
    t = std::max<size_t>(1, std::min(t, kBoundBudgetBytes / sizeof(float) / std::max<size_t>(n, 1)));
    if (t > 1) {
      const auto g = kmeans(centroids, dim, int(t), {seed ^ 0x9e3779b97f4a7c15ULL, 5, 1});  // t < 64: plain Lloyd
      group_of = g.labels;
    }
    members.resize(t);
    for (size_t c = 0; c < k; ++c) members[size_t(group_of[c])].push_back(int32_t(c));
    group_move.resize(t);
    drift.assign(t, 0.0);
    lower.resize(n * t);
  }

  // Searches the groups whose bound (eff) is below the best distance so far for point i, whose
  // label is a at squared distance u2 (all groups when full). Stores the new label, upper bound and
  // group bounds; returns the new label.
  template <class Dim>
  int32_t search(size_t i, int32_t a, double u2, std::span<double> eff, bool full, Dim D) {
    const double* xi = &x[i * dim];
    int32_t best = a;
    double best2 = u2, bestd = std::sqrt(u2);
    std::array<double, kMaxGroups> min1, min2;
    std::array<int32_t, kMaxGroups> arg1;
    std::array<bool, kMaxGroups> seen{};
    for (size_t g = 0; g < t; ++g) {
      if (!full && eff[g] >= bestd) continue;  // no centroid of g beats the best so far
      seen[g] = true;
      min1[g] = min2[g] = kInf;
      arg1[g] = -1;
      for (int32_t c : members[g]) {
        const double d2 = (c == a && !full) ? u2 : dist2(xi, &centroids[size_t(c) * dim], D);
        if (d2 < min1[g]) {
          min2[g] = min1[g];
          min1[g] = d2;
          arg1[g] = c;
        } else if (d2 < min2[g]) {
          min2[g] = d2;
        }
        if (d2 < best2 || (d2 == best2 && c < best)) {
          best2 = d2;
          best = c;
          bestd = std::sqrt(d2);
        }
      }
    }
    const size_t ga = size_t(group_of[size_t(a)]);
    float* lg = &lower[i * t];
    double global = kInf;
    for (size_t g = 0; g < t; ++g) {
      if (seen[g]) {
        eff[g] = std::sqrt(arg1[g] == best ? min2[g] : min1[g]);
      } else if (g == ga && best != a) {
        eff[g] = std::min(eff[g], std::sqrt(u2));  // a is now one of "the others" of its group
      } else {
        global = std::min(global, eff[g]);
        continue;
      }
      lg[g] = lower_float(eff[g] + drift[g]);
      global = std::min(global, eff[g]);
    }
    global_lower[i] = global;
    upper[i] = bestd;
    labels[i] = best;
    return best;
  }

  // Full search for every point; then the per-cluster sums from scratch.
  template <class Dim>
  void assign_all(Dim D) {
    detail::parallel_ranges(n, threads, [&](size_t b, size_t e) {
      std::array<double, kMaxGroups> eff;
      for (size_t i = b; i < e; ++i) search(i, 0, kInf, std::span(eff).first(t), true, D);
    });
    detail::cluster_sums(x, dim, labels, sum, count);
  }

  // One filtered assignment pass after the centroids moved by `move`. Returns how many labels
  // changed; sums and counts follow the changes, applied in index order (thread-count independent).
  template <class Dim>
  size_t reassign(Dim D) {
    std::fill(group_move.begin(), group_move.end(), 0.0);
    for (size_t c = 0; c < k; ++c) group_move[size_t(group_of[c])] = std::max(group_move[size_t(group_of[c])], move[c]);
    double max_move = 0;
    for (size_t g = 0; g < t; ++g) {
      drift[g] += group_move[g];
      max_move = std::max(max_move, group_move[g]);
    }
    for (size_t c = 0; c < k; ++c) {
      double s = kInf;
      for (size_t o = 0; o < k; ++o)
        if (o != c) s = std::min(s, dist2(&centroids[c * dim], &centroids[o * dim], D));
      half_sep[c] = 0.5 * std::sqrt(s);
    }
    struct Change {
      size_t i;
      int32_t from;
    };
    std::vector<std::pair<size_t, std::vector<Change>>> changes;  // (range begin, its changes)
    std::mutex mutex;
    detail::parallel_ranges(n, threads, [&](size_t b, size_t e) {
      std::vector<Change> local;
      std::array<double, kMaxGroups> eff;
      for (size_t i = b; i < e; ++i) {
        const int32_t a = labels[i];
        upper[i] += move[size_t(a)];
        global_lower[i] -= max_move;
        if (upper[i] <= std::max(global_lower[i], half_sep[size_t(a)])) continue;
        const float* lg = &lower[i * t];
        double global = kInf;
        for (size_t g = 0; g < t; ++g) {
          eff[g] = double(lg[g]) - drift[g];
          global = std::min(global, eff[g]);
        }
        global_lower[i] = std::max(global_lower[i], global);
        const double bound = std::max(global_lower[i], half_sep[size_t(a)]);
        if (upper[i] <= bound) continue;
        const double u2 = dist2(&x[i * dim], &centroids[size_t(a) * dim], D);
        upper[i] = std::sqrt(u2);
        if (upper[i] <= bound) continue;
        if (search(i, a, u2, std::span(eff).first(t), false, D) != a) local.push_back({i, a});
      }
      std::lock_guard lock(mutex);
      changes.emplace_back(b, std::move(local));
    });
    std::sort(changes.begin(), changes.end(), [](const auto& p, const auto& q) { return p.first < q.first; });
    size_t changed = 0;
    for (const auto& [begin, list] : changes) {
      for (const auto& ch : list) {
        const size_t from = size_t(ch.from), to = size_t(labels[ch.i]);
        --count[from];
        ++count[to];
        for (int j = 0; j < dim; ++j) {
          sum[from * dim + j] -= x[ch.i * dim + j];
          sum[to * dim + j] += x[ch.i * dim + j];
        }
      }
      changed += list.size();
    }
    return changed;
  }

  // Centroids = cluster means (an empty cluster keeps its centroid); records each one's move.
  void update_centroids() {
    for (size_t c = 0; c < k; ++c) {
      double m2 = 0;
      if (count[c] > 0)
        for (int j = 0; j < dim; ++j) {
          const double nc = sum[c * dim + j] / double(count[c]);
          const double d = nc - centroids[c * dim + j];
          m2 += d * d;
          centroids[c * dim + j] = nc;
        }
      move[c] = std::sqrt(m2);
    }
  }
};

}  // namespace

void assign_nearest(std::span<const double> vectors, int dim, std::span<const double> centroids,
                    std::span<int32_t> labels, int threads) {
  const size_t n = vectors.size() / size_t(dim), k = centroids.size() / size_t(dim);
  detail::with_dim(dim, [&](auto D) {
    detail::parallel_ranges(n, threads, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        double best = kInf;
        int32_t arg = 0;
        for (size_t c = 0; c < k; ++c) {
          const double d = dist2(&vectors[i * dim], &centroids[c * dim], D);
          if (d < best) {
            best = d;
            arg = int32_t(c);
          }
        }
        labels[i] = arg;
      }
    });
  });
}

KMeansResult kmeans(std::span<const double> vectors, int dim, int k, const KMeansOptions& opt) {
  if (dim < 1 || vectors.size() % size_t(dim) != 0) throw InternalError("kmeans: bad dimension");
  const size_t n = vectors.size() / size_t(dim);
  if (k < 1 || size_t(k) > n) throw InternalError("kmeans: need 1 <= k <= number of vectors");
  if (k < kMinCentroidsForBounds) return detail::lloyd_brute_force(vectors, dim, k, opt, assign_nearest);
  detail::Rng rng(opt.seed);
  Yinyang y(vectors, dim, size_t(k), opt.threads, detail::kmeanspp(vectors, dim, k, rng, opt.threads), opt.seed);
  KMeansResult r;
  detail::with_dim(dim, [&](auto D) {
    // Iteration `it` assigns, stops if no label changed, then moves the centroids (as kmeans_ref).
    for (r.iterations = 0; r.iterations < opt.max_iter; ++r.iterations) {
      if (r.iterations == 0) {
        y.assign_all(D);
      } else if (y.reassign(D) == 0) {
        r.converged = true;
        break;
      }
      y.update_centroids();
    }
    if (!r.converged) {  // labels of the final centroids
      if (r.iterations == 0)
        y.assign_all(D);
      else
        y.reassign(D);
    }
  });
  r.centroids = std::move(y.centroids);
  r.labels = std::move(y.labels);
  return r;
}

}  // namespace qspectra::rd
