// k-means of the rate-distortion VQ/PQ methods: Yinyang-filtered kmeans() vs the brute-force
// kmeans_ref(), side by side on the same data (docs/benchmarks.md). Data: a 4864x896-sized
// heavy-ish tailed layer (Student-t, 5 dof) rounded to bf16 like stored LLM weights, cut into
// dim-vectors as vq_dD does; 2^B centroids, 50 iterations at most, 1 thread.
#include <benchmark/benchmark.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "qspectra/rd/kmeans.hpp"

namespace {

const std::vector<double>& weights() {
  static const std::vector<double> w = [] {
    std::mt19937_64 g(1);
    std::student_t_distribution<double> t(5.0);
    std::vector<double> v(size_t(4864) * 896);
    for (double& x : v) {
      const float f = float(0.02 * t(g));
      const uint32_t bf = std::bit_cast<uint32_t>(f) & 0xFFFF0000u;  // truncate to bf16
      x = double(std::bit_cast<float>(bf));
    }
    return v;
  }();
  return w;
}

template <bool Fast>
void BM_KMeans(benchmark::State& state) {
  const int dim = int(state.range(0)), bits = int(state.range(1));
  const auto& w = weights();
  int iterations = 0;
  for (auto _ : state) {
    const qspectra::rd::KMeansOptions opt{0, 50, 1};
    const auto r = Fast ? qspectra::rd::kmeans(w, dim, 1 << bits, opt) : qspectra::rd::kmeans_ref(w, dim, 1 << bits, opt);
    iterations = r.iterations;
    benchmark::DoNotOptimize(r.centroids.data());
  }
  state.counters["lloyd_iterations"] = iterations;
}

void Shapes(benchmark::internal::Benchmark* b) {
  for (auto [dim, bits] : {std::pair{2, 4}, {2, 8}, {4, 8}, {8, 8}}) b->Args({dim, bits});
  b->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(1)->UseRealTime();
}

}  // namespace

BENCHMARK(BM_KMeans<true>)->Name("kmeans/yinyang")->Apply(Shapes);
BENCHMARK(BM_KMeans<false>)->Name("kmeans/brute_force_ref")->Apply(Shapes);
BENCHMARK_MAIN();
