#pragma once
// Thin, exception-throwing wrappers over the LAPACK/BLAS routines the CPU backends use (values only).
// Column-major input, as LAPACK expects. Each call allocates its own workspace: thread-safe.
#include <cstdint>
#include <vector>

namespace qspectra::spectral::lapack {

// Singular values of the m x n column-major matrix `a` (destroyed), via dgesdd JOBZ='N'.
// Returns min(m, n) values in descending order (LAPACK's order). Throws InternalError on info != 0.
std::vector<double> gesdd_values(int64_t m, int64_t n, double* a, int64_t lda);

// Eigenvalues (ascending) of the Gram matrix of the m x n column-major matrix `a` (not modified):
// A^T A when m >= n, A A^T otherwise, formed with dsyrk (upper) and solved with dsyevd JOBZ='N'.
// Returns min(m, n) values; negative round-off values are returned as they come.
std::vector<double> gram_eigenvalues(int64_t m, int64_t n, const double* a, int64_t lda);

// The raw building blocks (exposed for the benchmark's "bare LAPACK" baselines and tests).
void dsyrk_upper(bool transpose, int64_t n, int64_t k, const double* a, int64_t lda, double* c, int64_t ldc);
std::vector<double> syevd_values(int64_t n, double* c, int64_t ldc);
// The float32 pair (ssyrk upper + ssyevd JOBZ='N') for --precision fp32.
void ssyrk_upper(bool transpose, int64_t n, int64_t k, const float* a, int64_t lda, float* c, int64_t ldc);
std::vector<float> ssyevd_values(int64_t n, float* c, int64_t ldc);

// True when the BLAS in use lets us set its thread count (OpenBLAS's openblas_set_num_threads).
bool blas_threads_controllable();

}  // namespace qspectra::spectral::lapack
