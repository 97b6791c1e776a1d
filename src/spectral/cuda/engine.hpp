#pragma once
// The plain C++ interface between the Eigen-side adapter (backend.cpp) and the CUDA code (engine.cu).
// No Eigen and no CUDA headers here: only raw column-major buffers and standard types.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qspectra::spectral::cuda_detail {

enum class Precision { FP64, FP32 };
enum class Method { Gram, Svd, Auto };
enum class ElemType { F64, F32, F16, BF16 };

struct DeviceStatus {
  bool available = false;
  int device_count = 0;
  std::string message;
};
DeviceStatus query_devices();  // never throws
void probe_device(int device);  // creates the context; throws qspectra::Error on failure

// One matrix: `rows` x `cols`, column-major, leading dimension `rows`, elements of `type`.
// (A row-major r x c buffer is passed as the column-major c x r matrix W^T: same singular values.)
struct MatrixView {
  ElemType type = ElemType::F64;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
};

struct Result {
  std::vector<double> evals;  // min(rows, cols) squared singular values, ascending
  std::string method;         // "gram", "svd" or "gram->svd"
};

// Everything one host thread needs on one device: two slots (stream + cuBLAS/cuSOLVER handles +
// pinned host buffers + device workspaces) so that the upload of the next matrix overlaps the
// solve of the current one. Buffers grow only. Not thread-safe: one Engine per calling thread.
class Engine {
public:
  Engine(int device, Precision precision);  // throws qspectra::Error (one-line message)
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Method::Auto keeps a Gram spectrum when min >= gram_rel_floor * max (negatives clamped to 0 first,
  // as the CPU gram backend does), else redoes that matrix with the SVD: the CPU `auto` rule.
  // Non-finite input gives InputError (as the CPU backends).
  std::vector<Result> run(const MatrixView* mats, std::size_t count, Method method, double gram_rel_floor);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qspectra::spectral::cuda_detail
