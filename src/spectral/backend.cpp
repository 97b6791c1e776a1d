#include "qspectra/spectral/backend.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>

#include <Eigen/SVD>

#include "qspectra/core/error.hpp"
#include "qspectra/spectral/lapack.hpp"
#ifdef QSPECTRA_HAVE_CUDA
#include "qspectra/spectral/cuda.hpp"
#endif

namespace qspectra::spectral {

namespace detail {
int blas_set_threads(int n);  // lapack.cpp
}

namespace {

// The raw entry point's arguments (every backend's override checks them first).
void check_raw_buffer(const std::byte* data, int64_t rows, int64_t cols) {
  if (rows < 0 || cols < 0 || (rows * cols > 0 && data == nullptr))
    throw InternalError("squared_singular_values_raw: bad buffer for a " + std::to_string(rows) + "x" +
                        std::to_string(cols) + " matrix");
}

constexpr double kFloat64Eps = std::numeric_limits<double>::epsilon();  // 2.220446e-16, WW's rank eps

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void check_finite(const Eigen::MatrixXd& W) {
  if (!W.allFinite()) throw InputError("", "matrix has NaN or Inf values; its spectrum is undefined");
}

template <class T>
Eigen::VectorXd ascending_squares_of_descending(const std::vector<T>& s) {
  const auto k = static_cast<Eigen::Index>(s.size());
  Eigen::VectorXd ev(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    const double v = static_cast<double>(s[static_cast<std::size_t>(k - 1 - i)]);
    ev[i] = v * v;
  }
  // LAPACK returns them sorted; sort anyway (cheap) so the contract never depends on that.
  std::sort(ev.data(), ev.data() + k);
  return ev;
}

// Ascending, clamped at 0 (round-off can make the smallest Gram eigenvalues slightly negative: they are
// squares).
template <class T>
Eigen::VectorXd clamped_ascending(const std::vector<T>& w) {
  Eigen::VectorXd ev(static_cast<Eigen::Index>(w.size()));
  for (std::size_t i = 0; i < w.size(); ++i) ev[static_cast<Eigen::Index>(i)] = std::max(static_cast<double>(w[i]), 0.0);
  std::sort(ev.data(), ev.data() + ev.size());
  return ev;
}

// Per-thread buffers, kept between layers: a fresh multi-MB allocation is a fresh mapping, and faulting
// its pages in (and the kernel zeroing them) cost as much as the widening itself.
// Slot: 0 = W, 1 = Gram. Grow-only; a worker holds its largest layer's buffers until it exits.
template <class T>
T* scratch(int slot, std::size_t n) {
  thread_local std::vector<T> buf[2];
  auto& b = buf[slot];
  if (b.size() < n) {
    b = std::vector<T>();  // drop the old one first: never both at once
    b.resize(n);
  }
  return b.data();
}

// Squared singular values of the column-major m x n matrix `a` (lda = m) in T's precision:
//   gram_evals: eigenvalues of the smaller Gram (syrk then syevd; `a` kept), clamped at 0; `ata`: the
//               Gram is A^T A (n x n; must be the smaller one unless square), else A A^T;
//   svd_evals:  squares of gesdd's singular values (`a` destroyed).
// Both ascending, min(m, n) values.
template <class T>
Eigen::VectorXd gram_evals(const T* a, int64_t m, int64_t n, bool ata) {
  const int64_t g = std::min(m, n), k = std::max(m, n);
  if (g == 0) return {};
  T* c = scratch<T>(1, static_cast<std::size_t>(g * g));
  lapack::syrk_upper(ata, g, k, a, m, c, g);
  return clamped_ascending(lapack::syevd_values(g, c, g));
}
template <class T>
Eigen::VectorXd svd_evals(T* a, int64_t m, int64_t n) {
  return ascending_squares_of_descending(lapack::gesdd_values(m, n, a, m));
}

// --precision fp32 on the column-major m x n float32 matrix `a` (destroyed): a square W goes to sgesdd
// (its Gram's smallest eigenvalue sits near 0, MP's lower edge (1 - 1/sqrt(Q))^2 = 0 at Q = 1, below
// what a float32 Gram separates: trying it first would mostly be wasted), any other to ssyrk + ssyevd.
// `resolved` says whether float32 resolved the spectrum (else the caller redoes it in fp64).
MatrixSpectrum fp32_spectrum(float* a, int64_t m, int64_t n, bool& resolved) {
  MatrixSpectrum r;
  if (m == n && m > 0) {  // (fp32_goes_to_fp64 has sent the large ones to fp64 already)
    r.method = "svd32";
    try {
      r.evals = svd_evals(a, m, n);
      resolved = fp32_resolves(r.evals, kFp32RelFloor * kFp32RelFloor);  // sigma_min >= u32 * sigma_max
    } catch (const InternalError&) {  // sgesdd did not converge: the fp64 path decides (and reports)
      r.evals = Eigen::VectorXd();
      resolved = false;
    }
  } else {
    r.method = "gram32";
    r.evals = gram_evals(static_cast<const float*>(a), m, n, m > n);
    resolved = fp32_resolves(r.evals);
  }
  return r;
}

// --precision fp32 skips float32 for a square W of order >= kFp32SquareFp64From: a random n x n W has
// lambda_min / lambda_max ~ 1 / (4 n^2), below 2^-24 from n = 2048 on, so a float32 Gram cannot resolve
// even that (trained ones are further apart), and sgesdd costs more than the fp64 Gram there (1.1-1.3x
// at 2048 and 4096 with OpenBLAS, docs/benchmarks.md): the fp64 `auto` path is the cheapest exact one.
constexpr int64_t kFp32SquareFp64From = 2048;
bool fp32_goes_to_fp64(int64_t rows, int64_t cols) { return rows == cols && rows >= kFp32SquareFp64From; }

// The stored row-major rows x cols W is the column-major cols x rows W^T: its spectrum as it lies, no
// transposition. Widened into this thread's slot-0 buffer of T, NaN/Inf counted in the same pass.
template <class T>
T* widen_raw(io::DType dtype, const std::byte* data, int64_t rows, int64_t cols, bool keep_f64, MatrixSpectrum& r) {
  const auto n = static_cast<std::size_t>(rows * cols);
  T* a = scratch<T>(0, n);
  const auto t0 = std::chrono::steady_clock::now();
  if constexpr (std::is_same_v<T, double>) r.non_finite = widen_weights(dtype, data, n, keep_f64, a);
  else r.non_finite = widen_weights(dtype, data, n, a);
  r.widen_ms += ms_since(t0);
  return a;
}

// fp64 Gram of the raw bytes; `with_svd_fallback`: the `auto` rule (gram_resolves, else dgesdd).
MatrixSpectrum raw_gram64(io::DType dtype, const std::byte* data, int64_t rows, int64_t cols, bool keep_f64,
                          bool with_svd_fallback) {
  MatrixSpectrum r;
  double* a = widen_raw<double>(dtype, data, rows, cols, keep_f64, r);
  if (r.non_finite > 0) return r;
  r.method = "gram";
  r.evals = gram_evals(static_cast<const double*>(a), cols, rows, cols > rows);  // square: W^T W
  if (with_svd_fallback && !gram_resolves(r.evals)) {
    r.evals = svd_evals(a, cols, rows);
    r.method = "gram->svd";
  }
  return r;
}

class SvdBackend final : public SpectrumBackend {
public:
  std::string_view name() const override { return "svd"; }
  MatrixSpectrum squared_singular_values(const Eigen::MatrixXd& W) const override {
    check_finite(W);
    Eigen::MatrixXd A = W;  // dgesdd destroys its input
    return {svd_evals(A.data(), A.rows(), A.cols()), "svd"};
  }
};

class GramBackend final : public SpectrumBackend {
public:
  std::string_view name() const override { return "gram"; }
  MatrixSpectrum squared_singular_values(const Eigen::MatrixXd& W) const override {
    check_finite(W);
    return {gram_evals(W.data(), W.rows(), W.cols(), W.rows() >= W.cols()), "gram"};  // square: W^T W
  }
  MatrixSpectrum squared_singular_values_raw(io::DType dtype, const std::byte* data, int64_t rows, int64_t cols,
                                             bool keep_f64) const override {
    check_raw_buffer(data, rows, cols);
    return raw_gram64(dtype, data, rows, cols, keep_f64, false);
  }
};

class EigenBackend final : public SpectrumBackend {
public:
  std::string_view name() const override { return "eigen"; }
  MatrixSpectrum squared_singular_values(const Eigen::MatrixXd& W) const override {
    check_finite(W);
    if (W.size() == 0) return {Eigen::VectorXd(std::min(W.rows(), W.cols())).setZero(), "eigen"};
    Eigen::BDCSVD<Eigen::MatrixXd> svd(W);  // values only (no U/V requested)
    const Eigen::VectorXd& s = svd.singularValues();
    Eigen::VectorXd ev = s.array().square().matrix();
    std::sort(ev.data(), ev.data() + ev.size());
    return {std::move(ev), "eigen"};
  }
};

// The default: `gram` when it can resolve the spectrum, `svd` otherwise (docs/metrics.md).
class AutoBackend final : public SpectrumBackend {
public:
  std::string_view name() const override { return "auto"; }
  MatrixSpectrum squared_singular_values(const Eigen::MatrixXd& W) const override {
    MatrixSpectrum r = gram_.squared_singular_values(W);
    if (!gram_resolves(r.evals)) {
      r = svd_.squared_singular_values(W);
      r.method = "gram->svd";
    }
    return r;
  }
  MatrixSpectrum squared_singular_values_raw(io::DType dtype, const std::byte* data, int64_t rows, int64_t cols,
                                             bool keep_f64) const override {
    check_raw_buffer(data, rows, cols);
    return raw_gram64(dtype, data, rows, cols, keep_f64, true);
  }

private:
  GramBackend gram_;
  SvdBackend svd_;
};

// --precision fp32: fp32_spectrum; a layer float32 does not resolve is redone by `auto` in fp64 and its
// method says so ("gram32->gram", "svd32->gram->svd", ...); a large square one goes to `auto` at once
// (fp32_goes_to_fp64; method "gram" or "gram->svd").
class Fp32Backend final : public SpectrumBackend {
public:
  std::string_view name() const override { return "auto-fp32"; }
  MatrixSpectrum squared_singular_values(const Eigen::MatrixXd& W) const override {
    if (fp32_goes_to_fp64(W.rows(), W.cols())) return fp64_.squared_singular_values(W);
    check_finite(W);
    Eigen::MatrixXf Wf = W.cast<float>();  // column-major rows x cols
    bool resolved = false;
    MatrixSpectrum r = fp32_spectrum(Wf.data(), W.rows(), W.cols(), resolved);
    if (resolved) return r;
    return redone(r.method, fp64_.squared_singular_values(W));
  }
  MatrixSpectrum squared_singular_values_raw(io::DType dtype, const std::byte* data, int64_t rows, int64_t cols,
                                             bool keep_f64) const override {
    check_raw_buffer(data, rows, cols);
    if (fp32_goes_to_fp64(rows, cols)) return raw_gram64(dtype, data, rows, cols, keep_f64, true);
    MatrixSpectrum w;
    float* a = widen_raw<float>(dtype, data, rows, cols, keep_f64, w);
    if (w.non_finite > 0) return w;
    bool resolved = false;
    MatrixSpectrum r = fp32_spectrum(a, cols, rows, resolved);
    r.widen_ms = w.widen_ms;
    if (resolved) return r;
    MatrixSpectrum f = redone(r.method, raw_gram64(dtype, data, rows, cols, keep_f64, true));
    f.widen_ms += w.widen_ms;  // both widenings count as read
    return f;
  }

private:
  // The fp64 result of a layer float32 did not resolve; its method says what was tried first.
  static MatrixSpectrum redone(const std::string& tried, MatrixSpectrum fp64) {
    fp64.method = tried + "->" + fp64.method;
    return fp64;
  }
  AutoBackend fp64_;
};

}  // namespace

MatrixSpectrum SpectrumBackend::squared_singular_values_raw(io::DType dtype, const std::byte* data, int64_t rows,
                                                            int64_t cols, bool keep_f64) const {
  check_raw_buffer(data, rows, cols);
  // The stored row-major W read as column-major is W^T: the same singular values, no transposition.
  Eigen::MatrixXd Wt(cols, rows);
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t bad = widen_weights(dtype, data, static_cast<std::size_t>(rows * cols), keep_f64, Wt.data());
  const double widen_ms = ms_since(t0);
  if (bad > 0) return {Eigen::VectorXd(), "none", bad, widen_ms};
  MatrixSpectrum r = squared_singular_values(Wt);
  r.widen_ms = widen_ms;
  return r;
}

bool fp32_resolves(const Eigen::VectorXd& evals, double rel_floor) {
  if (evals.size() == 0) return true;
  if (!evals.allFinite()) return false;
  const double lmax = evals.maxCoeff();
  if (!(lmax > 0)) return false;
  return evals.minCoeff() >= rel_floor * lmax;
}

bool gram_resolves(const Eigen::VectorXd& evals, double rel_floor) {
  if (evals.size() == 0) return true;
  const double lmax = evals.maxCoeff();
  const double lmin = evals.minCoeff();
  if (!(lmax > 0) || !std::isfinite(lmax)) return false;  // all-zero (or broken) spectrum: let svd decide
  return lmin >= rel_floor * lmax;
}

std::unique_ptr<SpectrumBackend> make_backend(std::string_view name, std::string_view precision) {
  if (precision == "fp32") {
    if (name == "auto" || name.empty()) return std::make_unique<Fp32Backend>();
    throw UsageError("--precision fp32 needs --method auto (got '" + std::string(name) + "')");
  }
  if (precision != "fp64" && !precision.empty())
    throw UsageError("--precision: expected fp64 or fp32, got '" + std::string(precision) + "'");
  if (name == "auto" || name.empty()) return std::make_unique<AutoBackend>();
  if (name == "svd") return std::make_unique<SvdBackend>();
  if (name == "gram") return std::make_unique<GramBackend>();
  if (name == "eigen") return std::make_unique<EigenBackend>();
  std::string known;
  for (const auto& n : backend_names()) known += (known.empty() ? "" : ", ") + n;
  throw UsageError("unknown spectrum method '" + std::string(name) + "' (known: " + known + ")");
}

std::vector<std::string> backend_names() { return {"auto", "svd", "gram", "eigen"}; }

void round_to_float32(TensorData& tensor) {
  for (double& v : tensor.values) v = static_cast<double>(static_cast<float>(v));
}

std::vector<Eigen::MatrixXd> layer_matrices(const TensorData& tensor, bool conv2d) {
  if (static_cast<int64_t>(tensor.values.size()) != tensor.numel())
    throw InternalError("layer_matrices: " + std::to_string(tensor.values.size()) + " values for shape " +
                        shape_to_string(tensor.shape));
  std::vector<Eigen::MatrixXd> out;
  if (!conv2d) {
    if (tensor.shape.size() != 2)
      throw InternalError("layer_matrices: a dense layer needs a 2-D tensor, got shape " +
                          shape_to_string(tensor.shape));
    const auto rows = static_cast<Eigen::Index>(tensor.shape[0]);
    const auto cols = static_cast<Eigen::Index>(tensor.shape[1]);
    // Row-major -> column-major in cache-sized tiles (a plain element loop is several times slower
    // on large layers and shows up next to the Gram method's cost).
    Eigen::MatrixXd W(rows, cols);
    const double* src = tensor.values.data();
    double* dst = W.data();
    constexpr Eigen::Index kTile = 32;
    for (Eigen::Index i0 = 0; i0 < rows; i0 += kTile) {
      const Eigen::Index i1 = std::min(rows, i0 + kTile);
      for (Eigen::Index j0 = 0; j0 < cols; j0 += kTile) {
        const Eigen::Index j1 = std::min(cols, j0 + kTile);
        for (Eigen::Index j = j0; j < j1; ++j)
          for (Eigen::Index i = i0; i < i1; ++i) dst[j * rows + i] = src[i * cols + j];
      }
    }
    out.push_back(std::move(W));
    return out;
  }
  if (tensor.shape.size() != 4)
    throw InternalError("layer_matrices: a conv2d layer needs a 4-D tensor, got shape " +
                        shape_to_string(tensor.shape));
  const int64_t O = tensor.shape[0], I = tensor.shape[1], KH = tensor.shape[2], KW = tensor.shape[3];
  // WW multiplies each float32 slice by sqrt(1/2) in float32 (numpy keeps the array's dtype), then casts
  // to float64: reproduce that rounding exactly.
  const float scale = static_cast<float>(std::sqrt(0.5));
  out.reserve(static_cast<std::size_t>(KH * KW));
  for (int64_t i = 0; i < KH; ++i) {
    for (int64_t j = 0; j < KW; ++j) {
      Eigen::MatrixXd W(O, I);
      for (int64_t o = 0; o < O; ++o)
        for (int64_t c = 0; c < I; ++c) {
          const double v = tensor.values[static_cast<std::size_t>(((o * I + c) * KH + i) * KW + j)];
          W(o, c) = static_cast<double>(static_cast<float>(v) * scale);
        }
      out.push_back(std::move(W));
    }
  }
  return out;
}

namespace {

// Pool one matrix's squared singular values into `out` (§4): values at or below the rank tolerance
// become exact zeros, sv_max / sv_min / rank_loss are updated.
void add_matrix_spectrum(LayerSpectrum& out, MatrixSpectrum ms, int64_t N, bool& first) {
  // Pooled slices: the layer's method is the most fallen-back one ("gram" < "gram->svd", ...).
  if (ms.method.size() > out.method.size()) out.method = ms.method;
  const Eigen::Index k = ms.evals.size();
  if (k == 0) return;
  double smax = 0;
  for (Eigen::Index i = 0; i < k; ++i) smax = std::max(smax, std::sqrt(ms.evals[i]));
  const double tol = smax * static_cast<double>(N) * kFloat64Eps;
  // Singular values at or below the rank tolerance are numerically zero: LAPACKs return exact zeros
  // there (netlib, on the reference's rank-one layers) or round-off (OpenBLAS: ~1e-112). Zeroing
  // them makes the columns that see them (sv_min, log_alpha_norm of failed fits) independent of the
  // BLAS; nothing else changes (the fit ignores evals <= 1e-5, and the rank counts them as lost).
  int64_t above = 0;
  double smin = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < k; ++i) {
    if (std::sqrt(ms.evals[i]) > tol) ++above;
    else ms.evals[i] = 0.0;
    smin = std::min(smin, std::sqrt(ms.evals[i]));
  }
  out.rank_loss += static_cast<int64_t>(k) - above;
  out.sv_max = first ? smax : std::max(out.sv_max, smax);
  out.sv_min = first ? smin : std::max(out.sv_min, smin);  // WW quirk: max over slices of the slice minimum
  first = false;
  out.evals.insert(out.evals.end(), ms.evals.data(), ms.evals.data() + k);
}

// R of the thin QR of X (rows >= cols): cols x cols, upper triangular.
Eigen::MatrixXd thin_r(const Eigen::MatrixXd& X) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(X);
  return qr.matrixQR().topRows(X.cols()).triangularView<Eigen::Upper>();
}

}  // namespace

LayerSpectrum compute_layer_spectrum(const std::vector<Eigen::MatrixXd>& matrices, int64_t N,
                                     const SpectrumBackend& backend) {
  LayerSpectrum out;
  out.N = N;
  out.rf = static_cast<int64_t>(matrices.size());
  if (matrices.empty()) return out;
  const auto rows = matrices.front().rows(), cols = matrices.front().cols();
  out.M = (N == rows) ? cols : rows;
  std::size_t total = 0;
  for (const auto& W : matrices) total += static_cast<std::size_t>(std::min(W.rows(), W.cols()));
  out.evals.reserve(total);
  bool first = true;
#ifdef QSPECTRA_HAVE_CUDA
  // Several matrices (conv2d slices) on the GPU: one batch, so each upload overlaps the previous solve.
  if (const auto* cuda = dynamic_cast<const CudaSpectrumBackend*>(&backend); cuda && matrices.size() > 1) {
    for (auto& ms : cuda->squared_singular_values_batch(matrices)) add_matrix_spectrum(out, std::move(ms), N, first);
    std::sort(out.evals.begin(), out.evals.end());
    return out;
  }
#endif
  for (const auto& W : matrices) add_matrix_spectrum(out, backend.squared_singular_values(W), N, first);
  std::sort(out.evals.begin(), out.evals.end());
  return out;
}

LayerSpectrum layer_spectrum_from(MatrixSpectrum ms, int64_t N) {
  LayerSpectrum out;
  out.N = N;
  out.rf = 1;
  out.M = ms.evals.size();
  out.evals.reserve(static_cast<std::size_t>(ms.evals.size()));
  bool first = true;
  add_matrix_spectrum(out, std::move(ms), N, first);
  std::sort(out.evals.begin(), out.evals.end());
  return out;
}

LayerSpectrum compute_low_rank_product_spectrum(const Eigen::MatrixXd& B, const Eigen::MatrixXd& A,
                                                const SpectrumBackend& backend) {
  if (B.cols() != A.rows()) throw InternalError("low-rank product: B is " + std::to_string(B.rows()) + "x" +
                                                std::to_string(B.cols()) + ", A is " + std::to_string(A.rows()) +
                                                "x" + std::to_string(A.cols()));
  const Eigen::Index out_dim = B.rows(), in_dim = A.cols(), r = B.cols();
  const Eigen::Index m = std::min(out_dim, in_dim);
  const int64_t N = std::max(out_dim, in_dim);
  if (r >= m) {  // not low rank: the product is no larger than its factors
    Eigen::MatrixXd W = B * A;
    return compute_layer_spectrum({W}, N, backend);
  }
  // B = Q_B R_B, A^T = Q_A R_A  =>  B·A = Q_B (R_B R_A^T) Q_A^T: the same nonzero singular values as the
  // r x r core, whatever the size of B·A; the other m - r are zero.
  const Eigen::MatrixXd core = thin_r(B) * thin_r(A.transpose()).transpose();
  MatrixSpectrum ms = backend.squared_singular_values(core);
  MatrixSpectrum padded;
  padded.method = "lowrank-qr+" + ms.method;
  padded.evals = Eigen::VectorXd::Zero(m);
  padded.evals.tail(ms.evals.size()) = ms.evals;
  LayerSpectrum out;
  out.N = N;
  out.M = m;
  out.rf = 1;
  out.evals.reserve(static_cast<std::size_t>(m));
  bool first = true;
  add_matrix_spectrum(out, std::move(padded), N, first);
  std::sort(out.evals.begin(), out.evals.end());
  return out;
}

int set_blas_threads(int n) { return detail::blas_set_threads(std::max(n, 1)); }

}  // namespace qspectra::spectral
