// Built into qspectra_io when LibTorch is not (QSPECTRA_WITH_TORCH=OFF or not found): PyTorch
// checkpoints are refused with a message saying how to get a build that reads them.
#include "qspectra/core/error.hpp"
#include "qspectra/io/torch_checkpoint.hpp"

namespace qspectra::io::torch {

bool checkpoints_supported() { return false; }

std::shared_ptr<const TensorSource> open_checkpoint(const std::string& path) { throw InputError(path, kNeedLibTorch); }

}  // namespace qspectra::io::torch
