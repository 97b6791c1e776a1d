// The bare-LAPACK floor of ww-analyze (scripts/bench-ww-analyze.sh, docs/benchmarks.md): the same
// matrices through nothing but the Gram of the smaller side and its eigenvalues, with all cores.
//
//   qspectra-lapack-floor MODEL_DIR WW_LAYERS_CSV [fp64|fp32|fp32-route|fp32-svd [THREADS]]
//
// Reads the layers ww-analyze analysed (the `name` column of its ww_layers.csv; tensor `name.weight`,
// or `name` itself) from MODEL_DIR's *.safetensors (F32/F16/BF16/F64), widens each (not timed) and
// times only dsyrk + dsyevd(JOBZ='N') (fp32: ssyrk + ssyevd; fp32-route: what --precision fp32 runs
// first, i.e. sgesdd(JOBZ='N') on a square W below order 2048, dsyrk + dsyevd on a larger square one,
// ssyrk + ssyevd otherwise; fp32-svd: sgesdd on every square W, to measure where that stops paying)
// with OpenBLAS's default thread count
// (all cores; THREADS sets it: 1 gives the single-thread CPU cost, which a loaded machine does not
// inflate with OpenBLAS spin-waits). Prints `floor_s=<summed wall seconds> cpu_s=<their process CPU seconds> layers=<n> precision=<p> threads=<n>`.
// Stand-alone: no qspectra library code (only nlohmann_json for the header, LAPACKE for the solver).
#include <lapacke.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

extern "C" {
void dsyrk_(const char*, const char*, const int*, const int*, const double*, const double*, const int*,
            const double*, double*, const int*, std::size_t, std::size_t);
void ssyrk_(const char*, const char*, const int*, const int*, const float*, const float*, const int*,
            const float*, float*, const int*, std::size_t, std::size_t);
int openblas_get_num_threads(void) __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
}

namespace fs = std::filesystem;

namespace {

struct Tensor {
  std::string file, dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0, data_start = 0;
};

std::map<std::string, Tensor> scan(const std::string& dir) {
  std::map<std::string, Tensor> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".safetensors") continue;
    std::ifstream f(e.path(), std::ios::binary);
    uint64_t len = 0;
    f.read(reinterpret_cast<char*>(&len), 8);
    std::string header(len, '\0');
    f.read(header.data(), static_cast<std::streamsize>(len));
    const auto j = nlohmann::json::parse(header);
    for (const auto& [k, v] : j.items()) {
      if (k == "__metadata__") continue;
      Tensor t;
      t.file = e.path().string();
      t.dtype = v.at("dtype").get<std::string>();
      t.shape = v.at("shape").get<std::vector<int64_t>>();
      t.begin = v.at("data_offsets").at(0).get<uint64_t>();
      t.end = v.at("data_offsets").at(1).get<uint64_t>();
      t.data_start = 8 + len;
      out[k] = t;
    }
  }
  return out;
}

std::vector<std::string> layer_names(const std::string& csv) {
  std::ifstream f(csv);
  std::string line;
  if (!std::getline(f, line)) throw std::runtime_error(csv + ": empty");
  std::vector<std::string> cols;
  std::stringstream hs(line);
  for (std::string c; std::getline(hs, c, ',');) cols.push_back(c);
  const auto it = std::find(cols.begin(), cols.end(), "name");
  if (it == cols.end()) throw std::runtime_error(csv + ": no `name` column");
  const auto idx = static_cast<std::size_t>(it - cols.begin());
  std::vector<std::string> names;
  while (std::getline(f, line)) {  // names of the bench models hold no comma or quote
    std::stringstream ls(line);
    std::string c;
    for (std::size_t i = 0; i <= idx && std::getline(ls, c, ','); ++i) {}
    names.push_back(c);
  }
  return names;
}

// Widen (row-major as stored: read column-major it is W^T, the same singular values).
template <class T>
std::vector<T> load(const Tensor& t) {
  std::ifstream f(t.file, std::ios::binary);
  std::vector<char> raw(t.end - t.begin);
  f.seekg(static_cast<std::streamoff>(t.data_start + t.begin));
  f.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  std::size_t n = 1;
  for (auto d : t.shape) n *= static_cast<std::size_t>(d);
  std::vector<T> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    double v;
    if (t.dtype == "BF16") {
      uint16_t b;
      std::memcpy(&b, raw.data() + 2 * i, 2);
      v = std::bit_cast<float>(uint32_t(b) << 16);
    } else if (t.dtype == "F32") {
      float x;
      std::memcpy(&x, raw.data() + 4 * i, 4);
      v = x;
    } else if (t.dtype == "F64") {
      std::memcpy(&v, raw.data() + 8 * i, 8);
      v = static_cast<float>(v);
    } else if (t.dtype == "F16") {
      uint16_t h;
      std::memcpy(&h, raw.data() + 2 * i, 2);
      const int e = (h >> 10) & 31, m = h & 1023;
      v = e == 0 ? std::ldexp(m, -24) : std::ldexp(m + 1024, e - 25);  // no inf/nan in bench models
      if (h & 0x8000) v = -v;
    } else {
      throw std::runtime_error("unsupported dtype " + t.dtype);
    }
    out[i] = static_cast<T>(v);
  }
  return out;
}

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
double g_cpu_s = 0;  // process CPU seconds inside the solves (all BLAS threads)

// Seconds for Gram + eigenvalues of one matrix (`svd`: singular values of W itself, sgesdd/dgesdd).
template <class T>
double solve(const std::vector<T>& a, int rows, int cols, bool svd = false) {
  const int g = std::min(rows, cols), k = std::max(rows, cols), lda = cols;
  const char uplo = 'U', trans = rows < cols ? 'T' : 'N';
  std::vector<T> c(svd ? a.size() : static_cast<std::size_t>(g) * g), w(static_cast<std::size_t>(g));
  if (svd) std::copy(a.begin(), a.end(), c.begin());  // gesdd destroys its input
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_now();
  int info;
  if (svd) {
    if constexpr (std::is_same_v<T, double>)
      info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', cols, rows, c.data(), lda, w.data(), nullptr, 1, nullptr, 1);
    else
      info = LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'N', cols, rows, c.data(), lda, w.data(), nullptr, 1, nullptr, 1);
  } else if constexpr (std::is_same_v<T, double>) {
    const double one = 1, zero = 0;
    dsyrk_(&uplo, &trans, &g, &k, &one, a.data(), &lda, &zero, c.data(), &g, 1, 1);
    info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', g, c.data(), g, w.data());
  } else {
    const float one = 1, zero = 0;
    ssyrk_(&uplo, &trans, &g, &k, &one, a.data(), &lda, &zero, c.data(), &g, 1, 1);
    info = LAPACKE_ssyevd(LAPACK_COL_MAJOR, 'N', 'U', g, c.data(), g, w.data());
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  g_cpu_s += cpu_now() - c0;
  if (info != 0) throw std::runtime_error(std::string(svd ? "gesdd" : "syevd") + " info=" + std::to_string(info));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 3) {
      std::cerr << "usage: qspectra-lapack-floor MODEL_DIR WW_LAYERS_CSV [fp64|fp32|fp32-route|fp32-svd [THREADS]]\n";
      return 2;
    }
    const std::string precision = argc > 3 ? argv[3] : "fp64";
    if (precision != "fp64" && precision != "fp32" && precision != "fp32-route" && precision != "fp32-svd")
      throw std::runtime_error("precision: fp64, fp32, fp32-route or fp32-svd");
    if (argc > 4 && openblas_set_num_threads) openblas_set_num_threads(std::max(1, std::atoi(argv[4])));
    const auto tensors = scan(argv[1]);
    double total = 0;
    int layers = 0;
    for (const auto& name : layer_names(argv[2])) {
      auto it = tensors.find(name + ".weight");
      if (it == tensors.end()) it = tensors.find(name);
      if (it == tensors.end()) throw std::runtime_error("no tensor for layer " + name);
      const Tensor& t = it->second;
      if (t.shape.size() != 2) throw std::runtime_error(name + ": not a 2-D tensor");
      const int rows = static_cast<int>(t.shape[0]), cols = static_cast<int>(t.shape[1]);
      const bool square = rows == cols, large_square = square && rows >= 2048;  // backend.cpp's fp32 route
      if (precision == "fp64" || (precision == "fp32-route" && large_square))
        total += solve(load<double>(t), rows, cols);
      else
        total += solve(load<float>(t), rows, cols, precision != "fp32" && square);
      ++layers;
    }
    std::cout << "floor_s=" << total << " cpu_s=" << g_cpu_s << " layers=" << layers << " precision=" << precision
              << " threads=" << (openblas_get_num_threads ? openblas_get_num_threads() : 1) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "qspectra-lapack-floor: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
