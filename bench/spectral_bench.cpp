// Spectrum backends against bare LAPACK on Qwen2.5-0.5B-shaped layers (issue 3).
//
//   cmake -S . -B build-bench -G Ninja -DQSPECTRA_BUILD_BENCH=ON -DQSPECTRA_BUILD_TESTS=OFF
//     -DQSPECTRA_BUILD_APPS=OFF && ninja -C build-bench qspectra_spectral_bench &&
//   ./build-bench/bench/qspectra_spectral_bench --benchmark_min_time=1 --benchmark_repetitions=5
//     --benchmark_report_aggregates_only=true   (compare the _min rows)
//
// Every benchmark starts from the same float32 row-major buffer (as a safetensors F32/BF16 tensor
// arrives) and includes the widening to float64:
//   ours/svd   : TensorData (widened) -> layer_matrices -> compute_layer_spectrum(make_backend("svd"))
//   bare/gesdd : widen straight into a column-major buffer -> dgesdd_(JOBZ='N') -> square + sort
//   ours/gram  : same as ours/svd with make_backend("gram")
//   bare/gram  : widen into column-major -> dsyrk_ (upper) + dsyevd_(JOBZ='N') -> clamp + sort
//   ours/auto  : the default method (gram, svd fallback for unresolvable spectra)
// BLAS runs single-threaded (QSPECTRA_BENCH_THREADS=n to change): the pipeline parallelises across layers.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "qspectra/spectral/backend.hpp"

extern "C" {
void dgesdd_(const char*, const int*, const int*, double*, const int*, double*, double*, const int*, double*,
             const int*, double*, const int*, int*, int*, std::size_t);
void dsyevd_(const char*, const char*, const int*, double*, const int*, double*, double*, const int*, int*,
             const int*, int*, std::size_t, std::size_t);
void dsyrk_(const char*, const char*, const int*, const int*, const double*, const double*, const int*,
            const double*, double*, const int*, std::size_t, std::size_t);
}

namespace {

struct Input {
  int rows, cols;
  std::vector<float> data;  // row-major float32, as stored
};

const Input& input(int rows, int cols) {
  static std::vector<Input*> cache;
  for (auto* in : cache)
    if (in->rows == rows && in->cols == cols) return *in;
  auto* in = new Input{rows, cols, std::vector<float>(static_cast<std::size_t>(rows) * cols)};
  std::mt19937_64 rng(static_cast<uint64_t>(rows) * 7919 + cols);
  std::student_t_distribution<double> t(3.0);  // heavy-tailed entries: a realistic, full-rank spectrum
  for (auto& v : in->data) v = static_cast<float>(0.02 * t(rng));
  cache.push_back(in);
  return *in;
}

// float32 row-major -> float64 column-major in one pass (tiled, like a careful hand-written caller).
void widen_col_major(const Input& in, std::vector<double>& a) {
  a.resize(in.data.size());
  constexpr int kTile = 32;
  for (int i0 = 0; i0 < in.rows; i0 += kTile)
    for (int j0 = 0; j0 < in.cols; j0 += kTile)
      for (int j = j0; j < std::min(in.cols, j0 + kTile); ++j)
        for (int i = i0; i < std::min(in.rows, i0 + kTile); ++i)
          a[static_cast<std::size_t>(j) * in.rows + i] =
              static_cast<double>(in.data[static_cast<std::size_t>(i) * in.cols + j]);
}

void setup_threads() {
  static bool done = false;
  if (done) return;
  const char* env = std::getenv("QSPECTRA_BENCH_THREADS");
  qspectra::spectral::set_blas_threads(env ? std::atoi(env) : 1);
  done = true;
}

void BM_ours(benchmark::State& st, const char* method) {
  setup_threads();
  const Input& in = input(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  const auto backend = qspectra::spectral::make_backend(method);
  for (auto _ : st) {
    qspectra::TensorData td;
    td.shape = {in.rows, in.cols};
    td.values.assign(in.data.begin(), in.data.end());  // widening
    const auto mats = qspectra::spectral::layer_matrices(td, false);
    auto s = qspectra::spectral::compute_layer_spectrum(mats, std::max(in.rows, in.cols), *backend);
    benchmark::DoNotOptimize(s.evals.data());
    st.counters["method_gram"] = s.method == "gram" ? 1 : 0;
  }
}

void BM_bare_gesdd(benchmark::State& st) {
  setup_threads();
  const Input& in = input(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  const int m = in.rows, n = in.cols, k = std::min(m, n), one = 1;
  for (auto _ : st) {
    // Fresh buffers per call, as a one-shot call on a new layer has (ours allocates too).
    std::vector<double> a, s(static_cast<std::size_t>(k)), work;
    std::vector<int> iwork(static_cast<std::size_t>(8) * k);
    widen_col_major(in, a);
    int info = 0, lwork = -1;
    double wq = 0, dummy = 0;
    dgesdd_("N", &m, &n, a.data(), &m, s.data(), &dummy, &one, &dummy, &one, &wq, &lwork, iwork.data(), &info, 1);
    lwork = static_cast<int>(wq) + 1;
    work.resize(static_cast<std::size_t>(lwork));
    dgesdd_("N", &m, &n, a.data(), &m, s.data(), &dummy, &one, &dummy, &one, work.data(), &lwork, iwork.data(),
            &info, 1);
    for (auto& v : s) v *= v;
    std::sort(s.begin(), s.end());
    benchmark::DoNotOptimize(s.data());
  }
}

void BM_bare_gram(benchmark::State& st) {
  setup_threads();
  const Input& in = input(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  const int m = in.rows, n = in.cols;
  const bool tall = m >= n;
  const int g = tall ? n : m, kk = tall ? m : n;
  const double alpha = 1, beta = 0;
  for (auto _ : st) {
    std::vector<double> a, c(static_cast<std::size_t>(g) * g), w(static_cast<std::size_t>(g)), work;
    std::vector<int> iwork;
    widen_col_major(in, a);
    dsyrk_("U", tall ? "T" : "N", &g, &kk, &alpha, a.data(), &m, &beta, c.data(), &g, 1, 1);
    int info = 0, lwork = -1, liwork = -1, iwq = 0;
    double wq = 0;
    dsyevd_("N", "U", &g, c.data(), &g, w.data(), &wq, &lwork, &iwq, &liwork, &info, 1, 1);
    lwork = static_cast<int>(wq) + 1;
    liwork = std::max(iwq, 1);
    work.resize(static_cast<std::size_t>(lwork));
    iwork.resize(static_cast<std::size_t>(liwork));
    dsyevd_("N", "U", &g, c.data(), &g, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
    for (auto& v : w) v = std::max(v, 0.0);
    std::sort(w.begin(), w.end());
    benchmark::DoNotOptimize(w.data());
  }
}

void shapes(benchmark::internal::Benchmark* b) {
  for (auto [r, c] : {std::pair{896, 896}, {128, 896}, {4864, 896}, {896, 4864}}) b->Args({r, c});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
  // min over repetitions: the least disturbed run on a shared machine
  b->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
}

BENCHMARK_CAPTURE(BM_ours, svd, "svd")->Apply(shapes);
BENCHMARK(BM_bare_gesdd)->Apply(shapes);
BENCHMARK_CAPTURE(BM_ours, gram, "gram")->Apply(shapes);
BENCHMARK(BM_bare_gram)->Apply(shapes);
BENCHMARK_CAPTURE(BM_ours, auto, "auto")->Apply(shapes);
BENCHMARK_CAPTURE(BM_ours, eigen, "eigen")->Apply(shapes);

}  // namespace

BENCHMARK_MAIN();
