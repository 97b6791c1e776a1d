#pragma once
// The eigenvalues of one layer and the per-slice facts WW records while computing them (§4).
#include <cstdint>
#include <string>
#include <vector>

namespace qspectra {

struct LayerSpectrum {
  std::vector<double> evals;   // squared singular values, all slices pooled, ascending, float64
  double sv_max = 0;           // largest singular value over slices
  double sv_min = 0;           // WW quirk: max over slices of each slice's smallest singular value
  int64_t rank_loss = 0;       // sum over slices of #sv - #{sv > max(sv)*N*eps}
  int64_t N = 0;               // max dim (as WW's rank tolerance uses it)
  int64_t M = 0;               // min dim
  int64_t rf = 1;              // number of slices pooled (kh*kw for conv2d)
  std::string method;          // the method that produced it ("svd", "gram", "eigen", "gram->svd")
};

}  // namespace qspectra
