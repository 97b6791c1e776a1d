#pragma once
// Thin, exception-throwing wrappers over the LAPACK/BLAS routines the CPU backends use (values only).
// Column-major input, as LAPACK expects. Each call allocates its own workspace: thread-safe.
#include <cstdint>
#include <vector>

namespace qspectra::spectral::lapack {

// Each routine comes in float64 (d*) and float32 (s*, --precision fp32) by overload.

// Singular values of the m x n column-major matrix `a` (destroyed), via dgesdd / sgesdd JOBZ='N'.
// Returns min(m, n) values in descending order (LAPACK's order). Throws InternalError on info != 0.
std::vector<double> gesdd_values(int64_t m, int64_t n, double* a, int64_t lda);
std::vector<float> gesdd_values(int64_t m, int64_t n, float* a, int64_t lda);

// The Gram building blocks: C = A^T A ('T') or A A^T (upper triangle, dsyrk / ssyrk), and the
// eigenvalues (ascending) of the symmetric C (destroyed; dsyevd / ssyevd JOBZ='N', upper).
void syrk_upper(bool transpose, int64_t n, int64_t k, const double* a, int64_t lda, double* c, int64_t ldc);
void syrk_upper(bool transpose, int64_t n, int64_t k, const float* a, int64_t lda, float* c, int64_t ldc);
std::vector<double> syevd_values(int64_t n, double* c, int64_t ldc);
std::vector<float> syevd_values(int64_t n, float* c, int64_t ldc);

// True when the BLAS in use lets us set its thread count (OpenBLAS's openblas_set_num_threads).
bool blas_threads_controllable();

}  // namespace qspectra::spectral::lapack
