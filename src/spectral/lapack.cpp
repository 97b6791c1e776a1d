#include "qspectra/spectral/lapack.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>

#include "qspectra/core/error.hpp"

// Fortran LAPACK/BLAS prototypes (LP64 integers, gfortran hidden string lengths at the end).
extern "C" {
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s, double* u,
             const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* iwork, int* info,
             std::size_t jobz_len);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s, float* u,
             const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork, int* iwork, int* info,
             std::size_t jobz_len);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
             const int* lwork, int* iwork, const int* liwork, int* info, std::size_t jobz_len, std::size_t uplo_len);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w, float* work,
             const int* lwork, int* iwork, const int* liwork, int* info, std::size_t jobz_len, std::size_t uplo_len);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha, const double* a,
            const int* lda, const double* beta, double* c, const int* ldc, std::size_t uplo_len,
            std::size_t trans_len);
void ssyrk_(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha, const float* a,
            const int* lda, const float* beta, float* c, const int* ldc, std::size_t uplo_len, std::size_t trans_len);
// Optional (OpenBLAS): weak so that another BLAS links too.
void openblas_set_num_threads(int) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
}

namespace qspectra::spectral::lapack {

namespace {
int to_int(int64_t v, const char* what) {
  if (v < 0 || v > std::numeric_limits<int>::max())
    throw InternalError(std::string("LAPACK dimension out of 32-bit range: ") + what + "=" + std::to_string(v));
  return static_cast<int>(v);
}

// One row per scalar type: the routine of each precision and its LAPACK name (for errors).
template <class T>
struct Routines;
template <>
struct Routines<double> {
  static constexpr auto gesdd = dgesdd_;
  static constexpr auto syevd = dsyevd_;
  static constexpr auto syrk = dsyrk_;
  static constexpr const char* prefix = "d";
};
template <>
struct Routines<float> {
  static constexpr auto gesdd = sgesdd_;
  static constexpr auto syevd = ssyevd_;
  static constexpr auto syrk = ssyrk_;
  static constexpr const char* prefix = "s";
};

template <class T>
std::vector<T> gesdd_values_t(int64_t m64, int64_t n64, T* a, int64_t lda64) {
  const int m = to_int(m64, "m"), n = to_int(n64, "n"), lda = to_int(std::max<int64_t>(lda64, 1), "lda");
  const int k = std::min(m, n);
  std::vector<T> s(static_cast<std::size_t>(k));
  if (k == 0) return s;
  const std::string name = std::string(Routines<T>::prefix) + "gesdd";
  const char jobz = 'N';
  const int one = 1;
  T dummy = 0, wq = 0;
  int info = 0, lwork = -1;
  std::vector<int> iwork(static_cast<std::size_t>(8) * k);
  Routines<T>::gesdd(&jobz, &m, &n, a, &lda, s.data(), &dummy, &one, &dummy, &one, &wq, &lwork, iwork.data(), &info,
                     1);
  if (info != 0) throw InternalError(name + " workspace query failed, info=" + std::to_string(info));
  lwork = static_cast<int>(wq) + 1;
  std::vector<T> work(static_cast<std::size_t>(lwork));
  Routines<T>::gesdd(&jobz, &m, &n, a, &lda, s.data(), &dummy, &one, &dummy, &one, work.data(), &lwork,
                     iwork.data(), &info, 1);
  if (info != 0)
    throw InternalError(name + " failed (did not converge or bad argument), info=" + std::to_string(info));
  return s;
}

template <class T>
void syrk_upper_t(bool transpose, int64_t n64, int64_t k64, const T* a, int64_t lda64, T* c, int64_t ldc64) {
  const int n = to_int(n64, "n"), k = to_int(k64, "k");
  const int lda = to_int(std::max<int64_t>(lda64, 1), "lda"), ldc = to_int(std::max<int64_t>(ldc64, 1), "ldc");
  const char uplo = 'U', trans = transpose ? 'T' : 'N';
  const T alpha = 1, beta = 0;
  Routines<T>::syrk(&uplo, &trans, &n, &k, &alpha, a, &lda, &beta, c, &ldc, 1, 1);
}

template <class T>
std::vector<T> syevd_values_t(int64_t n64, T* c, int64_t ldc64) {
  const int n = to_int(n64, "n"), ldc = to_int(std::max<int64_t>(ldc64, 1), "ldc");
  std::vector<T> w(static_cast<std::size_t>(n));
  if (n == 0) return w;
  const std::string name = std::string(Routines<T>::prefix) + "syevd";
  const char jobz = 'N', uplo = 'U';
  T wq = 0;
  int iwq = 0, info = 0, lwork = -1, liwork = -1;
  Routines<T>::syevd(&jobz, &uplo, &n, c, &ldc, w.data(), &wq, &lwork, &iwq, &liwork, &info, 1, 1);
  if (info != 0) throw InternalError(name + " workspace query failed, info=" + std::to_string(info));
  lwork = static_cast<int>(wq) + 1;
  liwork = std::max(iwq, 1);
  std::vector<T> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  Routines<T>::syevd(&jobz, &uplo, &n, c, &ldc, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  if (info != 0) throw InternalError(name + " failed to converge, info=" + std::to_string(info));
  return w;  // ascending
}
}  // namespace

std::vector<double> gesdd_values(int64_t m, int64_t n, double* a, int64_t lda) { return gesdd_values_t(m, n, a, lda); }
std::vector<float> gesdd_values(int64_t m, int64_t n, float* a, int64_t lda) { return gesdd_values_t(m, n, a, lda); }

void syrk_upper(bool transpose, int64_t n, int64_t k, const double* a, int64_t lda, double* c, int64_t ldc) {
  syrk_upper_t(transpose, n, k, a, lda, c, ldc);
}
void syrk_upper(bool transpose, int64_t n, int64_t k, const float* a, int64_t lda, float* c, int64_t ldc) {
  syrk_upper_t(transpose, n, k, a, lda, c, ldc);
}

std::vector<double> syevd_values(int64_t n, double* c, int64_t ldc) { return syevd_values_t(n, c, ldc); }
std::vector<float> syevd_values(int64_t n, float* c, int64_t ldc) { return syevd_values_t(n, c, ldc); }

bool blas_threads_controllable() { return openblas_set_num_threads != nullptr; }

}  // namespace qspectra::spectral::lapack

// Used by backend.cpp's set_blas_threads.
namespace qspectra::spectral::detail {
int blas_set_threads(int n) {
  int old = openblas_get_num_threads ? openblas_get_num_threads() : 1;
  if (openblas_set_num_threads) openblas_set_num_threads(n);
  return old;
}
}  // namespace qspectra::spectral::detail
