#pragma once
// Spectrum backends behind one interface, chosen by name (mlpack-style policy, one class per method).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Dense>

#include "qspectra/core/spectrum.hpp"
#include "qspectra/core/tensor.hpp"
#include "qspectra/io/dtype.hpp"

namespace qspectra::spectral {

struct MatrixSpectrum {
  Eigen::VectorXd evals;   // squared singular values, ascending, length min(rows, cols)
  std::string method;      // what actually ran (e.g. "gram->svd" when auto fell back)
};

class SpectrumBackend {
public:
  virtual ~SpectrumBackend() = default;
  virtual std::string_view name() const = 0;
  // Squared singular values of W (as stored: rows x cols). Must be thread-safe (const, no shared state).
  virtual MatrixSpectrum squared_singular_values(const Eigen::MatrixXd& W) const = 0;
  virtual MatrixSpectrum squared_singular_values_raw(io::DType dtype, const std::byte* data, int64_t rows, int64_t cols, bool keep_f64) const;  // default widens on the host
};

// "auto" (the default: fastest method within the reference tolerances), "svd", "gram", "eigen".
// Throws UsageError for an unknown name, listing the known ones.
std::unique_ptr<SpectrumBackend> make_backend(std::string_view name);
std::vector<std::string> backend_names();

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
