#pragma once
// Rate-distortion methods: one layer, one method, one bit setting -> one point of an R-D curve.
//
// Names (see docs/quantizers.md for the exact grids):
//   uniform_asym   asym:B          min/max affine per tensor, 2^B levels          B in [1,16]
//   uniform_sym    usym:B          symmetric mid-rise grid, exactly 2^B levels     B in [1,16]
//   seed_sym       (notebook)      the notebook's quantize_uniform_symmetric: step 2 absmax/(2^B-1)
//                                  rounded to nearest -> 2^B+1 levels (kept for comparison) B in [2,16]
//   clip_3sigma    clip:B:3s       symmetric +-(2^(B-1)-1) grid clipped at 3 sigma  B in [2,16]
//   group_128      sym:B:g128      per-group absmax (rate B + 16/128)              B in [2,16]
//   group_32       sym:B:g32       per-group absmax (rate B + 16/32)               B in [2,16]
//   lloyd_max      lloyd:B         Lloyd-Max codebook (from the percentile and the better
//                                  uniform grid, lower mse kept, cap 1000 iterations) B in [1,8]
//   nf4, fp4       nf4, fp4        bitsandbytes codebooks, blocks of 64 (4.5 bits)  B = 4 only
//   vq_dD          k-means VQ on D consecutive weights, 2^B centroids, rate B/D    B in [1,12]
//   pq_dD_mM       product quantization: D-dim vectors split into M sub-vectors of D/M, each with
//                  its own 2^B-entry codebook, rate M*B/D                          B in [1,12]
// The default list has vq_d2, vq_d4, vq_d8, pq_d8_m2, pq_d8_m4; any vq_dD (D in [1,64]) and
// pq_dD_mM (M divides D) are accepted by name.
// Any quantizer spec (docs/quantizers.md) is a method too, parsed by quant::parse_quant_spec:
// "sym:4:channel" runs at that bit setting only (others are skipped), "sym:B:g64" / "asym:B:channel"
// run at every bit setting the family accepts. Their name is the canonical spelling (B kept).
// A per-tensor spec's scale counts in rate_with_codebook only; per-channel / per-group scales count
// in rate (B + 16/G).
//
// rate excludes storage paid once per tensor (a per-tensor scale, a codebook): it is the notebook's
// rate (B, B + 16/g, B/D). rate_with_codebook includes it. Shannon D(R) and the gap use `rate`.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qspectra::rd {

struct RdMethod {
  std::string name;
  int min_bits = 1;
  int max_bits = 16;
  std::string description;
};

const std::vector<RdMethod>& rd_methods();       // the default set, in report order
std::vector<std::string> rd_method_names();      // their names
// Also vq_dD / pq_dD_mM and quantizer specs; throws UsageError (the spec parser's message) for a
// malformed spec such as "sym:1" or "sym:B:x".
std::optional<RdMethod> find_rd_method(std::string_view name);

struct RdOptions {
  uint64_t seed = 0;     // k-means seeding and subsampling
  int64_t sample = 0;    // train codebooks (lloyd_max, vq, pq) on at most this many weights; 0 = all
  int threads = 1;       // k-means nearest-centroid search
  int kmeans_iter = 50;
};

struct RdPoint {
  std::string method;
  int bits = 0;
  double rate = 0;                // effective bits/weight (see above)
  double rate_with_codebook = 0;  // including per-tensor scale / codebook storage (16-bit entries)
  double mse = 0, sqnr_db = 0, max_err = 0;
  double variance = 0;            // sigma^2 of the layer (population)
  double shannon_d = 0;           // sigma^2 2^(-2 rate)
  double gap_bits = 0;            // 1/2 log2(mse / shannon_d); -inf when mse == 0
  bool skipped = false;           // bits out of range, too few vectors...: no numbers, see note
  std::string note;
  double gap_bits_with_codebook = 0;  // the same gap at rate_with_codebook
  bool converged = true;          // iterative methods (Lloyd-Max, k-means): a fixed point was reached
  std::string status = "ok";      // ok | overflow (finite weights, but mse / variance not finite:
                                  // values near the float range) | non_finite (NaN/Inf weights)
};

inline constexpr const char* kRdStatusOk = "ok";
inline constexpr const char* kRdStatusOverflow = "overflow";
inline constexpr const char* kRdStatusNonFinite = "non_finite";

// The point a layer with NaN/Inf weights gets for each method and bit setting: skipped, status
// non_finite, no numbers, the count in the note.
RdPoint non_finite_rd_point(std::string method, int bits, int64_t non_finite_count);

// Evaluates on all weights of w (row-major, `shape` as stored). An unknown method name is a
// UsageError; a non-finite weight is an InputError (check first); anything else that makes the
// combination meaningless returns skipped = true with a reason in `note`.
RdPoint run_rd_method(std::string_view method, int bits, std::span<const double> w,
                      const std::vector<int64_t>& shape, const RdOptions& opt = {});

}  // namespace qspectra::rd
