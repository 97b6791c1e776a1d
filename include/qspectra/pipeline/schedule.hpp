#pragma once
// How the layer loop spends the cores: layer workers (one layer in flight each) against BLAS / k-means
// threads inside a layer. OpenBLAS's thread count is process-wide, so a schedule is a sequence of
// phases, each with one worker count and one inner thread count, run one after the other.
#include <cstddef>
#include <string>
#include <vector>

namespace qspectra::pipeline {

enum class ScheduleMode {
  Auto,    // big layers one at a time with every core inside, then the rest on parallel workers
  Layers,  // every layer on parallel workers (inner threads = cores / workers)
  Blas,    // one layer at a time, every core inside it
};

// QSPECTRA_SCHEDULE=auto|layers|blas (benchmarks compare the choices; default auto). Throws UsageError
// for another value.
ScheduleMode schedule_mode_from_env();
const char* schedule_mode_name(ScheduleMode mode);

struct SchedulePhase {
  std::vector<std::size_t> order;  // indices into the layer list, in the order they are started
  int workers = 1;
  int inner_threads = 1;           // BLAS / k-means threads per worker; workers * inner_threads <= cores
};

// Phases for layers of relative cost `costs` on `threads` cores (>= 1). Every index appears once.
// Auto: a layer costing more than a worker's fair share of what is left (the sum of the remaining
// costs / min(threads, remaining layers)) would leave the other workers idle at the end: such layers
// run first, one at a time, with all cores inside; the rest run on min(threads, n) workers, largest
// first (longest-processing-time order). With one worker a phase keeps the layers' own (natural) order,
// which costs nothing and keeps progress in reading order.
std::vector<SchedulePhase> make_schedule(const std::vector<double>& costs, int threads, ScheduleMode mode);

}  // namespace qspectra::pipeline
