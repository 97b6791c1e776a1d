#pragma once
// Spectrum backends behind one interface, chosen by name (mlpack-style policy, one class per method).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <cmath>
#include <limits>

#include <Eigen/Dense>

#include "qspectra/core/spectrum.hpp"
#include "qspectra/core/tensor.hpp"
#include "qspectra/io/dtype.hpp"

namespace qspectra::spectral {

struct MatrixSpectrum {
  Eigen::VectorXd evals;   // squared singular values, ascending, length min(rows, cols)
  std::string method;      // what actually ran (e.g. "gram->svd" when auto fell back)
  // Raw entry point only: weights the spectrum cannot take (NaN/Inf, or so large that the squared norm
  // overflows float64, see count_unanalysable). When > 0 nothing was computed and evals is empty.
  int64_t non_finite = 0;
  double widen_ms = 0;     // raw entry point: time spent widening the stored bytes (part of the read)
};

class SpectrumBackend {
public:
  virtual ~SpectrumBackend() = default;
  virtual std::string_view name() const = 0;
  // Squared singular values of W (as stored: rows x cols). Must be thread-safe (const, no shared state).
  virtual MatrixSpectrum squared_singular_values(const Eigen::MatrixXd& W) const = 0;
  // W given as its stored bytes: rows x cols, row-major, little-endian `dtype` (io::DType, readable),
  // values rounded to float32 as WW reads them unless keep_f64. Default: widen on the host.
  virtual MatrixSpectrum squared_singular_values_raw(io::DType dtype, const std::byte* data, int64_t rows,
                                                     int64_t cols, bool keep_f64) const;
};

// "auto" (the default: fastest method within the reference tolerances), "svd", "gram", "eigen".
// `precision` "fp64" (the default, WW's numbers) or "fp32" (`auto` only: float32 Gram + ssyevd, a layer
// float32 cannot resolve is redone in fp64, see fp32_resolves; docs/metrics.md).
// Throws UsageError for an unknown name or precision, listing the known ones.
std::unique_ptr<SpectrumBackend> make_backend(std::string_view name, std::string_view precision = "fp64");
std::vector<std::string> backend_names();

// NaN/Inf values and finite ones so large that the layer's squared norm overflows float64 (|w| >=
// sqrt(DBL_MAX / n), n the number of values): the weights a spectrum cannot take.
inline double unanalysable_limit(std::size_t n) {
  return n == 0 ? 0.0 : std::sqrt(std::numeric_limits<double>::max() / static_cast<double>(n));
}

// Widen `n` stored values of `dtype` (readable) into `dst`, rounded to float32 unless keep_f64 (float
// destinations always are), and count the unanalysable ones (see unanalysable_limit). One pass.
int64_t widen_weights(io::DType dtype, const std::byte* src, std::size_t n, bool keep_f64, double* dst);
int64_t widen_weights(io::DType dtype, const std::byte* src, std::size_t n, float* dst);
// The same count without keeping the values (a backend that widens elsewhere, e.g. on the GPU).
int64_t count_unanalysable_weights(io::DType dtype, const std::byte* src, std::size_t n, bool keep_f64);

// The fp32 rule: a float32 Gram spectrum (ascending, clamped at 0) is trusted when lambda_min >=
// kFp32RelFloor * lambda_max, kFp32RelFloor = 2^-24 (float32's unit round-off): below that float32 cannot
// separate lambda_min from 0 relative to lambda_max (the float32 Gram is numerically singular), and its
// small eigenvalues are round-off. Such a layer (and a non-finite or all-zero spectrum) is redone in fp64.
// Above it the eigenvalues the power-law fit uses (the tail) keep ~1e-6 relative accuracy; the smallest
// ones (lambda_min, sv_min) are only known to ~u32 * sqrt(g) * lambda_max absolute (docs/metrics.md).
// The same rule for squared singular values from sgesdd (a square W) uses rel_floor = kFp32RelFloor^2:
// a singular value carries ~u32 * sigma_max of round-off, so sigma_min >= u32 * sigma_max.
inline constexpr double kFp32RelFloor = 5.9604644775390625e-08;
bool fp32_resolves(const Eigen::VectorXd& evals, double rel_floor = kFp32RelFloor);

// The matrices WW builds for a layer (METRICS.md §3): dense = W as stored ([rows, cols] of the
// row-major tensor); conv2d [out, in, kh, kw] = kh*kw slices T[:, :, i, j] scaled by sqrt(1/2).
// The conv2d scaling is done in float32 as WW does (fl32(fl32(v) * fl32(sqrt(1/2)))), so the values
// passed in should already be float32-representable (see round_to_float32).
std::vector<Eigen::MatrixXd> layer_matrices(const TensorData& tensor, bool conv2d);

// WW reads every tensor as float32 (F64 is rounded): round the widened values in place.
void round_to_float32(TensorData& tensor);

// The `auto` rule: a Gram spectrum is trusted when its smallest eigenvalue is >= rel_floor * lambda_max
// (otherwise its small eigenvalues are round-off and the layer is redone with `svd`).
inline constexpr double kGramRelFloor = 1e-10;
bool gram_resolves(const Eigen::VectorXd& evals, double rel_floor = kGramRelFloor);

// Eigenvalues of a layer: every matrix through `backend`, pooled and sorted, plus sv_max, sv_min,
// rank_loss as §4 defines them. `N` is the layer's max dim (for the rank tolerance).
LayerSpectrum compute_layer_spectrum(const std::vector<Eigen::MatrixXd>& matrices, int64_t N,
                                     const SpectrumBackend& backend);

// A dense layer's spectrum from its one matrix's squared singular values (as compute_layer_spectrum
// pools them: the same rank tolerance rule, sv_max, sv_min, rank_loss). `N` is the layer's max dim.
LayerSpectrum layer_spectrum_from(MatrixSpectrum ms, int64_t N);

// The spectrum of the product B·A (B: out x r, A: r x in; a LoRA update) without forming it when
// r < min(out, in): the nonzero squared singular values of B·A are those of the r x r matrix
// R_B R_A^T (thin QRs B = Q_B R_B, A^T = Q_A R_A), the other min(out, in) - r are zero. The result is
// the spectrum compute_layer_spectrum({B*A}) gives (same tolerance rule, same length), method
// "lowrank-qr+<backend method>". Otherwise B·A is formed.
LayerSpectrum compute_low_rank_product_spectrum(const Eigen::MatrixXd& B, const Eigen::MatrixXd& A,
                                                const SpectrumBackend& backend);

// Keep BLAS/LAPACK single-threaded inside each call when layers run in parallel (returns old value).
// Process-wide (OpenBLAS has one pool): call it once before starting the workers, not per layer.
// A no-op returning 1 when the BLAS in use has no such control.
int set_blas_threads(int n);

}  // namespace qspectra::spectral
