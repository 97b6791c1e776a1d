#include "qspectra/pipeline/schedule.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "qspectra/core/error.hpp"

namespace qspectra::pipeline {

ScheduleMode schedule_mode_from_env() {
  const char* v = std::getenv("QSPECTRA_SCHEDULE");
  if (!v || !*v) return ScheduleMode::Auto;
  const std::string s(v);
  if (s == "auto") return ScheduleMode::Auto;
  if (s == "workers") return ScheduleMode::Workers;
  if (s == "phased") return ScheduleMode::Phased;
  if (s == "layers") return ScheduleMode::Layers;
  if (s == "blas") return ScheduleMode::Blas;
  throw UsageError("QSPECTRA_SCHEDULE='" + s + "': expected auto, workers, phased, layers or blas");
}

const char* schedule_mode_name(ScheduleMode mode) {
  switch (mode) {
    case ScheduleMode::Workers: return "workers";
    case ScheduleMode::Phased: return "phased";
    case ScheduleMode::Layers: return "layers";
    case ScheduleMode::Blas: return "blas";
    default: return "auto";
  }
}

namespace {

// One phase over `idx` (natural order) on `threads` cores; the cores the workers leave go inside
// the layers when `share_inner`.
SchedulePhase parallel_phase(std::vector<std::size_t> idx, const std::vector<double>& costs, int threads,
                             bool share_inner) {
  SchedulePhase p;
  p.workers = std::max(1, std::min<int>(threads, static_cast<int>(idx.size())));
  p.inner_threads = share_inner ? std::max(1, threads / p.workers) : 1;
  if (p.workers > 1)  // largest first: the last layers to start are the short ones
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  p.order = std::move(idx);
  return p;
}

}  // namespace

std::vector<SchedulePhase> make_schedule(const std::vector<double>& costs, int threads, ScheduleMode mode,
                                         bool inner_reproducible) {
  threads = std::max(1, threads);
  if (mode == ScheduleMode::Auto) mode = inner_reproducible ? ScheduleMode::Phased : ScheduleMode::Workers;
  std::vector<std::size_t> all(costs.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  std::vector<SchedulePhase> out;
  if (all.empty()) return out;
  if (mode == ScheduleMode::Blas || threads == 1) {
    SchedulePhase p;
    p.order = all;
    p.inner_threads = threads;
    out.push_back(std::move(p));
    return out;
  }
  if (mode == ScheduleMode::Layers || mode == ScheduleMode::Workers) {
    out.push_back(parallel_phase(all, costs, threads, mode == ScheduleMode::Layers));
    return out;
  }
  // Phased: peel the layers that exceed a worker's fair share of the rest, largest first.
  std::vector<std::size_t> by_cost = all;
  std::stable_sort(by_cost.begin(), by_cost.end(), [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  double rest = 0;
  for (double c : costs) rest += c;
  std::size_t big = 0;
  while (big < by_cost.size()) {
    const std::size_t left = by_cost.size() - big;
    const double share = rest / double(std::min<std::size_t>(std::size_t(threads), left));
    if (left == 1 || !(costs[by_cost[big]] > share)) break;
    rest -= costs[by_cost[big]];
    ++big;
  }
  if (big > 0) {
    SchedulePhase p;
    p.order.assign(by_cost.begin(), by_cost.begin() + std::ptrdiff_t(big));
    std::sort(p.order.begin(), p.order.end());  // one at a time: natural order
    p.inner_threads = threads;
    out.push_back(std::move(p));
  }
  std::vector<std::size_t> small(by_cost.begin() + std::ptrdiff_t(big), by_cost.end());
  std::sort(small.begin(), small.end());
  if (!small.empty()) out.push_back(parallel_phase(std::move(small), costs, threads, true));
  return out;
}

}  // namespace qspectra::pipeline
