// Vector quantization (k-means, m = 1) and product quantization (m sub-codebooks).
// The flattened weights are cut into consecutive dim-vectors, the last one zero-padded (as the
// notebook); padding takes part in training but not in the reconstruction or the error.
#include <fmt/format.h>

#include "qspectra/rd/kmeans.hpp"
#include "random.hpp"
#include "rd_impl.hpp"

namespace qspectra::rd::detail {

Reconstruction reconstruct_pq(int dim, int m, int bits, std::span<const double> w, const RdOptions& opt) {
  Reconstruction r;
  const int64_t n = int64_t(w.size());
  const int64_t nvec = (n + dim - 1) / dim;
  const int sub = dim / m;
  const int64_t k = int64_t(1) << bits;
  std::vector<int64_t> train_idx;  // vectors used for training (all unless sampled)
  if (opt.sample > 0) train_idx = sample_indices(nvec, std::max<int64_t>(1, opt.sample / dim), opt.seed);
  if (int64_t(train_idx.size()) == nvec) train_idx.clear();  // a sample of everything: train on all, no copy
  const int64_t ntrain = train_idx.empty() ? nvec : int64_t(train_idx.size());
  if (k > ntrain) {
    r.skip_reason = fmt::format("a codebook of 2^{} entries needs at least {} training vectors, have {}",
                                bits, k, ntrain);
    return r;
  }
  r.values.assign(size_t(nvec * dim), 0.0);  // padded copy, reconstructed in place
  std::copy(w.begin(), w.end(), r.values.begin());
  std::vector<double> part(size_t(nvec) * sub), train;
  std::vector<int32_t> labels(static_cast<size_t>(nvec));
  for (int s = 0; s < m; ++s) {
    for (int64_t v = 0; v < nvec; ++v)
      for (int j = 0; j < sub; ++j) part[size_t(v * sub + j)] = r.values[size_t(v * dim + s * sub + j)];
    train.clear();
    for (int64_t v : train_idx) train.insert(train.end(), part.begin() + v * sub, part.begin() + (v + 1) * sub);
    KMeansOptions ko{opt.seed + uint64_t(s), opt.kmeans_iter, opt.threads};
    const auto km = kmeans(train.empty() ? std::span<const double>(part) : std::span<const double>(train),
                           sub, int(k), ko);
    r.converged = r.converged && km.converged;
    if (train.empty())
      labels = km.labels;  // trained on every vector: the labels are already those of the centroids
    else
      assign_nearest(part, sub, km.centroids, labels, opt.threads);
    for (int64_t v = 0; v < nvec; ++v)
      for (int j = 0; j < sub; ++j)
        r.values[size_t(v * dim + s * sub + j)] = km.centroids[size_t(labels[size_t(v)]) * sub + j];
  }
  r.values.resize(size_t(n));
  r.rate = double(m) * bits / dim;
  r.rate_with_codebook = r.rate + double(m) * double(k) * sub * 16.0 / double(n);
  return r;
}

}  // namespace qspectra::rd::detail
