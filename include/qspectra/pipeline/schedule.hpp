#pragma once
// How the layer loop spends the cores: layer workers (one layer in flight each) against BLAS / k-means
// threads inside a layer. OpenBLAS's thread count is process-wide, so a schedule is a sequence of
// phases, each with one worker count and one inner thread count, run one after the other.
#include <cstddef>
#include <string>
#include <vector>

namespace qspectra::pipeline {

enum class ScheduleMode {
  Auto,    // Phased where inner threads cannot change a result, else Workers
  Workers, // every layer on min(cores, layers) workers, one inner thread each, largest first
  Phased,  // big layers one at a time with every core inside, then the rest on workers, largest first
  Layers,  // every layer on parallel workers, inner threads = cores / workers (the loop before the schedule)
  Blas,    // one layer at a time, every core inside it
};

// QSPECTRA_SCHEDULE=auto|workers|phased|layers|blas (benchmarks compare the choices; default auto).
// Throws UsageError for another value.
ScheduleMode schedule_mode_from_env();
const char* schedule_mode_name(ScheduleMode mode);

struct SchedulePhase {
  std::vector<std::size_t> order;  // indices into the layer list, in the order they are started
  int workers = 1;
  int inner_threads = 1;           // BLAS / k-means threads per worker; workers * inner_threads <= cores
};

// Phases for layers of relative cost `costs` on `threads` cores (>= 1). Every index appears once.
// `inner_reproducible`: whether a layer's result is the same for any number of inner threads (k-means:
// yes; OpenBLAS's dsyevd: no, its eigenvalues change in the last bits with the BLAS thread count), so
// Auto gives a layer more than one inner thread only then: any --threads gives the same values.
// Phased: a layer costing more than a worker's fair share of what is left (the sum of the remaining
// costs / min(threads, remaining layers)) would leave the other workers idle at the end: such layers
// run first, one at a time, with all cores inside; the rest run on min(threads, n) workers, largest
// first (longest-processing-time order). With one worker a phase keeps the layers' own (natural) order,
// which costs nothing and keeps progress in reading order.
std::vector<SchedulePhase> make_schedule(const std::vector<double>& costs, int threads, ScheduleMode mode,
                                         bool inner_reproducible);

}  // namespace qspectra::pipeline
