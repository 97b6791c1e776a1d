// CUDA side of the spectrum backend: runtime API + cuBLAS + cuSOLVER only (no driver API, no Eigen).
// Per matrix: pinned staging -> async upload -> (widen on device) -> syrk + Xsyevd | Xgesvd -> values
// squared/widened to float64 on the device -> async download. Two slots per Engine alternate so that
// the upload of matrix i+1 overlaps the solve of matrix i. All buffers are reused and only grow.
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine.hpp"
#include "qspectra/core/error.hpp"

namespace qspectra::spectral::cuda_detail {
namespace {

std::string describe(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ")";
}

const char* cusolver_status_name(cusolverStatus_t s) {
  switch (s) {
    case CUSOLVER_STATUS_SUCCESS: return "CUSOLVER_STATUS_SUCCESS";
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED";
    case CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "CUSOLVER_STATUS_NOT_SUPPORTED";
    default: return "cusolverStatus_t (other)";
  }
}

std::string mib(std::size_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

[[noreturn]] void fail(int device, const std::string& what) {
  throw InternalError("cuda:" + std::to_string(device) + ": " + what);
}

[[noreturn]] void fail_oom(int device, const std::string& what, std::size_t bytes) {
  std::size_t free_b = 0, total_b = 0;
  std::string mem;
  if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
    mem = ", " + mib(free_b) + " free of " + mib(total_b);
  cudaGetLastError();  // clear the (non-sticky) allocation error
  fail(device, "out of device memory allocating " + mib(bytes) + " for " + what + mem +
                   " (use fewer parallel jobs, --gpu-precision fp32, or --device cpu)");
}

void check(cudaError_t e, int device, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();
  if (e == cudaErrorMemoryAllocation) fail_oom(device, what, 0);
  if (e == cudaErrorNoKernelImageForDevice)
    fail(device, std::string(what) + ": " + describe(e) +
                     "; rebuild with this GPU's architecture in CMAKE_CUDA_ARCHITECTURES");
  fail(device, std::string(what) + ": " + describe(e));
}

void check(cublasStatus_t s, int device, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  if (s == CUBLAS_STATUS_ALLOC_FAILED) fail_oom(device, what, 0);
  fail(device, std::string(what) + ": " + cublasGetStatusName(s) + " (" + cublasGetStatusString(s) + ")");
}

void check(cusolverStatus_t s, int device, const char* what) {
  if (s == CUSOLVER_STATUS_SUCCESS) return;
  if (s == CUSOLVER_STATUS_ALLOC_FAILED) fail_oom(device, what, 0);
  fail(device, std::string(what) + ": " + cusolver_status_name(s));
}

std::size_t elem_size(ElemType t) {
  switch (t) {
    case ElemType::F64: return 8;
    case ElemType::F32: return 4;
    case ElemType::F16:
    case ElemType::BF16: return 2;
  }
  return 8;
}

// Grow-only device buffer.
struct DevBuf {
  void* p = nullptr;
  std::size_t cap = 0;
  void reserve(std::size_t bytes, int device, const std::string& what) {
    if (bytes <= cap) return;
    if (p) cudaFree(p);
    p = nullptr;
    cap = 0;
    const std::size_t want = (bytes + 255) & ~std::size_t{255};
    const cudaError_t e = cudaMalloc(&p, want);
    if (e == cudaErrorMemoryAllocation) { p = nullptr; fail_oom(device, what, want); }
    check(e, device, "cudaMalloc");
    cap = want;
  }
  ~DevBuf() { if (p) cudaFree(p); }
};

// Grow-only pinned (page-locked) host buffer: lets cudaMemcpyAsync overlap with other work.
struct PinnedBuf {
  void* p = nullptr;
  std::size_t cap = 0;
  void reserve(std::size_t bytes, int device, const char* what) {
    if (bytes <= cap) return;
    if (p) cudaFreeHost(p);
    p = nullptr;
    cap = 0;
    const std::size_t want = std::max<std::size_t>(bytes + bytes / 4, 4096);
    const cudaError_t e = cudaMallocHost(&p, want);
    if (e != cudaSuccess) { p = nullptr; cudaGetLastError();
      fail(device, std::string("cudaMallocHost ") + mib(want) + " for " + what + ": " + describe(e)); }
    cap = want;
  }
  ~PinnedBuf() { if (p) cudaFreeHost(p); }
};

// Widen storage elements to the compute type (exact for every source type into float64).
template <typename Dst>
__global__ void widen_kernel(int type, const void* __restrict__ src, std::size_t n, Dst* __restrict__ dst) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    double v;
    switch (type) {
      case 0: v = static_cast<const double*>(src)[i]; break;
      case 1: v = static_cast<const float*>(src)[i]; break;
      case 2: v = __half2float(static_cast<const __half*>(src)[i]); break;
      default: v = __uint_as_float(static_cast<unsigned>(static_cast<const unsigned short*>(src)[i]) << 16); break;
    }
    dst[i] = static_cast<Dst>(v);
  }
}

// Solver output (eigenvalues, or singular values to square) -> float64.
template <typename Src>
__global__ void to_double_kernel(const Src* __restrict__ w, int64_t k, bool square, double* __restrict__ out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < k) {
    const double v = static_cast<double>(w[i]);
    out[i] = square ? v * v : v;
  }
}

unsigned grid_for(std::size_t n) {
  return static_cast<unsigned>(std::min<std::size_t>((n + 255) / 256, 65535));
}

std::string shape(int64_t m, int64_t n) { return std::to_string(m) + "x" + std::to_string(n); }

// The CPU `auto` rule (spectral::gram_resolves): trust the Gram spectrum when its smallest eigenvalue
// is >= rel_floor * lambda_max.
bool gram_resolves(const std::vector<double>& ev, double rel_floor) {
  if (ev.empty()) return true;
  const double lmax = *std::max_element(ev.begin(), ev.end());
  const double lmin = *std::min_element(ev.begin(), ev.end());
  if (!(lmax > 0) || !std::isfinite(lmax)) return false;
  return lmin >= rel_floor * lmax;
}

bool all_finite(const std::vector<double>& ev) {
  for (double v : ev)
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

DeviceStatus query_devices() {
  DeviceStatus st;
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    st.message = "no CUDA device: " + describe(e);
    if (e == cudaErrorInsufficientDriver) {
      int drv = 0;
      cudaDriverGetVersion(&drv);
      const std::string need = std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10);
      if (drv == 0)
        st.message += "; no NVIDIA driver is installed (this build needs one for CUDA " + need + ")";
      else
        st.message += "; the driver supports CUDA " + std::to_string(drv / 1000) + "." +
                      std::to_string(drv % 1000 / 10) + ", this build needs CUDA " + need;
    }
    return st;
  }
  if (n <= 0) {
    st.message = "no CUDA device: cudaGetDeviceCount found none";
    return st;
  }
  st.available = true;
  st.device_count = n;
  st.message = std::to_string(n) + (n == 1 ? " CUDA device:" : " CUDA devices:");
  for (int d = 0; d < n; ++d) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) { cudaGetLastError(); continue; }
    char buf[768];
    std::snprintf(buf, sizeof buf, "%s cuda:%d %s (sm_%d%d, %.1f GiB)", d ? "," : "", d, p.name, p.major,
                  p.minor, static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
    st.message += buf;
  }
  return st;
}

struct Slot {
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  cusolverDnHandle_t solver = nullptr;
  cusolverDnParams_t params = nullptr;
  DevBuf raw, a, t, g, w, out, work, info;
  PinnedBuf h_in, h_out, h_info;
  std::vector<unsigned char> host_work;
  // the job in flight
  bool pending = false;
  std::size_t index = 0;
  int64_t m = 0, n = 0, k = 0;
  bool is_svd = false;
};

struct Engine::Impl {
  int device;
  Precision prec;
  Slot slots[2];

  bool fp64() const { return prec == Precision::FP64; }
  cudaDataType dtype() const { return fp64() ? CUDA_R_64F : CUDA_R_32F; }
  std::size_t esz() const { return fp64() ? 8 : 4; }

  void stage(Slot& s, const MatrixView& v) {
    const std::size_t count = static_cast<std::size_t>(v.rows) * static_cast<std::size_t>(v.cols);
    const std::size_t bytes = count * elem_size(v.type);
    const std::string what = "a " + shape(v.rows, v.cols) + " matrix";
    s.h_in.reserve(bytes, device, "the upload buffer");
    s.a.reserve(count * esz(), device, what);
    const bool direct = (v.type == ElemType::F64 && fp64()) || (v.type == ElemType::F32 && !fp64());
    if (!direct) s.raw.reserve(bytes, device, what + " (as stored)");
    // Staged in chunks: the DMA upload of chunk i runs while the host copies chunk i+1 into pinned
    // memory. (The slot's pinned buffer is not reused before its stream is synchronized in finish().)
    constexpr std::size_t kChunk = std::size_t{8} << 20;
    unsigned char* dst = static_cast<unsigned char*>(direct ? s.a.p : s.raw.p);
    unsigned char* pinned = static_cast<unsigned char*>(s.h_in.p);
    const unsigned char* src = static_cast<const unsigned char*>(v.data);
    for (std::size_t off = 0; off < bytes; off += kChunk) {
      const std::size_t n = std::min(kChunk, bytes - off);
      std::memcpy(pinned + off, src + off, n);
      check(cudaMemcpyAsync(dst + off, pinned + off, n, cudaMemcpyHostToDevice, s.stream), device, "upload");
    }
    if (!direct) {
      const int type = static_cast<int>(v.type);
      if (fp64())
        widen_kernel<double><<<grid_for(count), 256, 0, s.stream>>>(type, s.raw.p, count, static_cast<double*>(s.a.p));
      else
        widen_kernel<float><<<grid_for(count), 256, 0, s.stream>>>(type, s.raw.p, count, static_cast<float*>(s.a.p));
      check(cudaGetLastError(), device, "widen kernel");
    }
    s.m = v.rows;
    s.n = v.cols;
    s.k = std::min(v.rows, v.cols);
  }

  void finalize(Slot& s, const void* w, bool square) {
    s.out.reserve(static_cast<std::size_t>(s.k) * 8, device, "the eigenvalues");
    const unsigned grid = static_cast<unsigned>((s.k + 255) / 256);
    if (fp64())
      to_double_kernel<double><<<grid, 256, 0, s.stream>>>(static_cast<const double*>(w), s.k, square, static_cast<double*>(s.out.p));
    else
      to_double_kernel<float><<<grid, 256, 0, s.stream>>>(static_cast<const float*>(w), s.k, square, static_cast<double*>(s.out.p));
    check(cudaGetLastError(), device, "finalize kernel");
    s.h_out.reserve(static_cast<std::size_t>(s.k) * 8, device, "the eigenvalues");
    check(cudaMemcpyAsync(s.h_out.p, s.out.p, static_cast<std::size_t>(s.k) * 8, cudaMemcpyDeviceToHost, s.stream),
          device, "download");
    check(cudaMemcpyAsync(s.h_info.p, s.info.p, sizeof(int), cudaMemcpyDeviceToHost, s.stream), device, "download");
  }

  // Gram matrix of the smaller side (A^T A when m >= n, else A A^T; upper triangle, as the CPU's
  // dsyrk), then its eigenvalues (ascending) with cusolverDnXsyevd, values only.
  void enqueue_gram(Slot& s) {
    const int64_t k = s.k, inner = std::max(s.m, s.n);
    const cublasOperation_t op = s.m >= s.n ? CUBLAS_OP_T : CUBLAS_OP_N;
    const std::string what = "the " + shape(k, k) + " Gram matrix of a " + shape(s.m, s.n) + " matrix";
    s.g.reserve(static_cast<std::size_t>(k) * k * esz(), device, what);
    s.w.reserve(static_cast<std::size_t>(k) * esz(), device, "the eigenvalues");
    if (fp64()) {
      const double one = 1.0, zero = 0.0;
      check(cublasDsyrk(s.blas, CUBLAS_FILL_MODE_UPPER, op, static_cast<int>(k), static_cast<int>(inner), &one,
                        static_cast<const double*>(s.a.p), static_cast<int>(s.m), &zero, static_cast<double*>(s.g.p),
                        static_cast<int>(k)),
            device, "cublasDsyrk");
    } else {
      const float one = 1.0f, zero = 0.0f;
      check(cublasSsyrk(s.blas, CUBLAS_FILL_MODE_UPPER, op, static_cast<int>(k), static_cast<int>(inner), &one,
                        static_cast<const float*>(s.a.p), static_cast<int>(s.m), &zero, static_cast<float*>(s.g.p),
                        static_cast<int>(k)),
            device, "cublasSsyrk");
    }
    std::size_t dws = 0, hws = 0;
    check(cusolverDnXsyevd_bufferSize(s.solver, s.params, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_UPPER, k, dtype(),
                                      s.g.p, k, dtype(), s.w.p, dtype(), &dws, &hws),
          device, "cusolverDnXsyevd_bufferSize");
    s.work.reserve(std::max<std::size_t>(dws, 1), device, "the eigensolver workspace of " + what);
    if (s.host_work.size() < hws) s.host_work.resize(hws);
    check(cusolverDnXsyevd(s.solver, s.params, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_UPPER, k, dtype(), s.g.p, k,
                           dtype(), s.w.p, dtype(), s.work.p, dws, hws ? s.host_work.data() : nullptr, hws,
                           static_cast<int*>(s.info.p)),
          device, "cusolverDnXsyevd");
    s.is_svd = false;
    finalize(s, s.w.p, false);
  }

  // Singular values with cusolverDnXgesvd (JOBU = JOBVT = 'N'), which wants rows >= cols: a wide
  // matrix is transposed on the device first (same singular values). Leaves s.a intact.
  void enqueue_svd(Slot& s) {
    int64_t m = s.m, n = s.n;
    const std::string what = "the SVD of a " + shape(s.m, s.n) + " matrix";
    s.t.reserve(static_cast<std::size_t>(m) * n * esz(), device, what);
    if (m >= n) {
      check(cudaMemcpyAsync(s.t.p, s.a.p, static_cast<std::size_t>(m) * n * esz(), cudaMemcpyDeviceToDevice, s.stream),
            device, "copy");
    } else {  // t (n x m) = a^T
      if (fp64()) {
        const double one = 1.0, zero = 0.0;
        check(cublasDgeam(s.blas, CUBLAS_OP_T, CUBLAS_OP_T, static_cast<int>(n), static_cast<int>(m), &one,
                          static_cast<const double*>(s.a.p), static_cast<int>(m), &zero,
                          static_cast<const double*>(s.a.p), static_cast<int>(m), static_cast<double*>(s.t.p),
                          static_cast<int>(n)),
              device, "cublasDgeam");
      } else {
        const float one = 1.0f, zero = 0.0f;
        check(cublasSgeam(s.blas, CUBLAS_OP_T, CUBLAS_OP_T, static_cast<int>(n), static_cast<int>(m), &one,
                          static_cast<const float*>(s.a.p), static_cast<int>(m), &zero,
                          static_cast<const float*>(s.a.p), static_cast<int>(m), static_cast<float*>(s.t.p),
                          static_cast<int>(n)),
              device, "cublasSgeam");
      }
      std::swap(m, n);
    }
    s.w.reserve(static_cast<std::size_t>(n) * esz(), device, "the singular values");
    std::size_t dws = 0, hws = 0;
    check(cusolverDnXgesvd_bufferSize(s.solver, s.params, 'N', 'N', m, n, dtype(), s.t.p, m, dtype(), s.w.p, dtype(),
                                      nullptr, m, dtype(), nullptr, n, dtype(), &dws, &hws),
          device, "cusolverDnXgesvd_bufferSize");
    s.work.reserve(std::max<std::size_t>(dws, 1), device, "the workspace of " + what);
    if (s.host_work.size() < hws) s.host_work.resize(hws);
    check(cusolverDnXgesvd(s.solver, s.params, 'N', 'N', m, n, dtype(), s.t.p, m, dtype(), s.w.p, dtype(), nullptr, m,
                           dtype(), nullptr, n, dtype(), s.work.p, dws, hws ? s.host_work.data() : nullptr, hws,
                           static_cast<int*>(s.info.p)),
          device, "cusolverDnXgesvd");
    s.is_svd = true;
    finalize(s, s.w.p, true);
  }

  // Wait for the slot's job and read its values back (ascending).
  std::vector<double> collect(Slot& s, int* info) {
    check(cudaStreamSynchronize(s.stream), device, s.is_svd ? "cusolverDnXgesvd" : "cusolverDnXsyevd");
    *info = *static_cast<const int*>(s.h_info.p);
    const double* h = static_cast<const double*>(s.h_out.p);
    std::vector<double> ev(h, h + s.k);
    std::sort(ev.begin(), ev.end());  // gesvd gives descending sigma; syevd ascending already
    return ev;
  }

  void finish(Slot& s, Method method, double rel_floor, std::vector<Result>& results) {
    s.pending = false;
    int info = 0;
    Result r;
    r.evals = collect(s, &info);
    if (!s.is_svd)  // round-off can make the smallest Gram eigenvalues negative: squares, so clamp (as the CPU)
      for (double& v : r.evals) v = std::max(v, 0.0);
    if (s.is_svd) {
      if (info != 0)
        fail(device, "cusolverDnXgesvd failed on a " + shape(s.m, s.n) + " matrix (info=" + std::to_string(info) + ")");
      r.method = "svd";
    } else if (method == Method::Auto && (info != 0 || !gram_resolves(r.evals, rel_floor))) {
      enqueue_svd(s);
      r.evals = collect(s, &info);
      if (info != 0)
        fail(device, "cusolverDnXgesvd failed on a " + shape(s.m, s.n) + " matrix (info=" + std::to_string(info) + ")");
      r.method = "gram->svd";
    } else {
      if (info != 0)
        fail(device, "cusolverDnXsyevd failed on the Gram matrix of a " + shape(s.m, s.n) + " matrix (info=" +
                         std::to_string(info) + "; try --method svd)");
      r.method = "gram";
    }
    if (!all_finite(r.evals))
      throw InputError("", "matrix has NaN or Inf values; its spectrum is undefined");
    results[s.index] = std::move(r);
  }

  void drain() noexcept {  // after an error: let in-flight work end, forget it
    for (Slot& s : slots) {
      if (s.stream) cudaStreamSynchronize(s.stream);
      s.pending = false;
    }
    cudaGetLastError();
  }
};

Engine::Engine(int device, Precision precision) : impl_(std::make_unique<Impl>()) {
  impl_->device = device;
  impl_->prec = precision;
  check(cudaSetDevice(device), device, "cudaSetDevice");
  for (Slot& s : impl_->slots) {
    check(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking), device, "cudaStreamCreate");
    check(cublasCreate(&s.blas), device, "cublasCreate");
    check(cublasSetStream(s.blas, s.stream), device, "cublasSetStream");
    check(cusolverDnCreate(&s.solver), device, "cusolverDnCreate");
    check(cusolverDnSetStream(s.solver, s.stream), device, "cusolverDnSetStream");
    check(cusolverDnCreateParams(&s.params), device, "cusolverDnCreateParams");
    s.info.reserve(sizeof(int), device, "the solver status");
    s.h_info.reserve(sizeof(int), device, "the solver status");
  }
}

Engine::~Engine() {
  if (!impl_) return;
  cudaSetDevice(impl_->device);
  for (Slot& s : impl_->slots) {
    if (s.stream) cudaStreamSynchronize(s.stream);
    if (s.params) cusolverDnDestroyParams(s.params);
    if (s.solver) cusolverDnDestroy(s.solver);
    if (s.blas) cublasDestroy(s.blas);
    if (s.stream) cudaStreamDestroy(s.stream);
  }
  cudaGetLastError();
}

std::vector<Result> Engine::run(const MatrixView* mats, std::size_t count, Method method, double rel_floor) {
  Impl& im = *impl_;
  check(cudaSetDevice(im.device), im.device, "cudaSetDevice");
  std::vector<Result> results(count);
  try {
    for (std::size_t i = 0; i < count; ++i) {
      Slot& s = im.slots[i % 2];
      if (s.pending) im.finish(s, method, rel_floor, results);
      const MatrixView& v = mats[i];
      if (v.rows <= 0 || v.cols <= 0) {
        results[i].method = method == Method::Svd ? "svd" : "gram";
        continue;
      }
      if (v.rows > std::numeric_limits<int>::max() || v.cols > std::numeric_limits<int>::max())
        fail(im.device, "matrix " + shape(v.rows, v.cols) + " is too large for cuBLAS (32-bit dimensions)");
      im.stage(s, v);
      if (method == Method::Svd) im.enqueue_svd(s); else im.enqueue_gram(s);
      s.pending = true;
      s.index = i;
    }
    for (std::size_t j = 0; j < 2; ++j) {
      Slot& s = im.slots[(count + j) % 2];  // the older job first
      if (s.pending) im.finish(s, method, rel_floor, results);
    }
  } catch (...) {
    im.drain();
    throw;
  }
  return results;
}

void probe_device(int device) {
  check(cudaSetDevice(device), device, "cudaSetDevice");
  check(cudaFree(nullptr), device, "creating the CUDA context");
}

}  // namespace qspectra::spectral::cuda_detail
