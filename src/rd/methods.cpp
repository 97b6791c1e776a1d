#include "qspectra/rd/methods.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "qspectra/core/error.hpp"
#include "qspectra/quant/error_stats.hpp"
#include "qspectra/quant/spec.hpp"
#include "qspectra/rd/moments.hpp"
#include "qspectra/rd/shannon.hpp"
#include "rd_impl.hpp"

namespace qspectra::rd {
namespace {

enum class Kind { Spec, OddLevelsSym, Lloyd, PQ };

struct MethodDef {
  RdMethod info;
  Kind kind = Kind::Spec;
  std::string spec_format;  // Spec: fmt pattern with {} for B
  bool per_tensor = false;  // Spec: side information paid once per tensor
  int dim = 0, m = 0;       // PQ
};

MethodDef spec_method(std::string name, int lo, int hi, std::string fmt_spec, bool per_tensor,
                      std::string desc) {
  return {{std::move(name), lo, hi, std::move(desc)}, Kind::Spec, std::move(fmt_spec), per_tensor};
}

MethodDef pq_method(int dim, int m) {
  MethodDef d;
  d.kind = Kind::PQ;
  d.dim = dim;
  d.m = m;
  if (m == 1)
    d.info = {fmt::format("vq_d{}", dim), 1, 12,
              fmt::format("k-means VQ of {} consecutive weights, 2^B centroids, rate B/{}", dim, dim)};
  else
    d.info = {fmt::format("pq_d{}_m{}", dim, m), 1, 12,
              fmt::format("product quantization: {}-vectors as {} sub-vectors of {}, 2^B centroids "
                          "each, rate {}B/{}", dim, m, dim / m, m, dim)};
  return d;
}

const std::vector<MethodDef>& defaults() {
  static const std::vector<MethodDef> defs = [] {
    std::vector<MethodDef> d = {
        spec_method("uniform_asym", 1, 16, "asym:{}", true, "min/max affine per tensor (asym:B)"),
        spec_method("uniform_sym", 1, 16, "usym:{}", true, "symmetric mid-rise, 2^B levels (usym:B)"),
        {{"seed_sym", 2, 16, "notebook's quantize_uniform_symmetric: 2^B+1 levels"}, Kind::OddLevelsSym, "", true},
        spec_method("clip_3sigma", 2, 16, "clip:{}:3s", true, "symmetric, clipped at 3 sigma (clip:B:3s)"),
        spec_method("group_128", 2, 16, "sym:{}:g128", false, "symmetric per group of 128 (sym:B:g128)"),
        spec_method("group_32", 2, 16, "sym:{}:g32", false, "symmetric per group of 32 (sym:B:g32)"),
        {{"lloyd_max", 1, 8, "Lloyd-Max codebook, percentile and uniform starts (lloyd:B)"}, Kind::Lloyd, "", true},
        spec_method("nf4", 4, 4, "nf4", false, "bitsandbytes NF4, blocks of 64, fp32 absmax"),
        spec_method("fp4", 4, 4, "fp4", false, "bitsandbytes FP4, blocks of 64, fp32 absmax"),
    };
    for (int dim : {2, 4, 8}) d.push_back(pq_method(dim, 1));
    for (int m : {2, 4}) d.push_back(pq_method(8, m));
    return d;
  }();
  return defs;
}

bool parse_int(std::string_view s, int& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// A quantizer spec as a method: "sym:4:channel" (that bit setting only) or "sym:B:g64" (B = each
// bit setting the spec family accepts). Parsed by the one spec parser (quant/spec).
std::optional<MethodDef> spec_def(std::string_view name) {
  std::string text(name);
  const auto c1 = text.find(':');
  const auto c2 = text.find(':', c1 == std::string::npos ? text.size() : c1 + 1);
  const bool templ = c1 != std::string::npos && text.substr(c1 + 1, c2 - c1 - 1) == "B";
  auto with_bits = [&](int b) {
    return templ ? text.substr(0, c1 + 1) + std::to_string(b) + (c2 == std::string::npos ? "" : text.substr(c2))
                 : text;
  };
  int lo = 0, hi = 0;
  quant::QuantSpec spec;
  if (templ) {
    for (int b = 1; b <= 16; ++b) {
      try {
        spec = quant::parse_quant_spec(with_bits(b));
      } catch (const UsageError&) {
        continue;
      }
      if (!lo) lo = b;
      hi = b;
    }
    if (!lo) quant::parse_quant_spec(with_bits(4));  // throws the parser's message
    spec = quant::parse_quant_spec(with_bits(lo));
  } else {
    spec = quant::parse_quant_spec(text);  // UsageError naming the broken rule
    lo = hi = spec.bits;
  }
  std::string canon = spec.canonical(), format = canon;
  if (templ) {  // put B back in place of the bits in the canonical spelling
    const auto a = canon.find(':'), b = canon.find(':', a + 1);
    const std::string head = canon.substr(0, a + 1), tail = b == std::string::npos ? "" : canon.substr(b);
    canon = head + "B" + tail;
    format = head + "{}" + tail;
  }
  MethodDef d;
  d.info = {canon, lo, hi, "quantizer spec " + canon};
  d.kind = spec.kind == quant::QuantKind::Lloyd ? Kind::Lloyd : Kind::Spec;
  d.spec_format = format;
  // Side information stored once per tensor (a per-tensor scale) counts in rate_with_codebook only.
  d.per_tensor = spec.granularity == quant::Granularity::Tensor && spec.kind != quant::QuantKind::Cast;
  return d;
}

std::optional<MethodDef> find_def(std::string_view name) {
  for (const auto& d : defaults())
    if (d.info.name == name) return d;

  int dim = 0, m = 0;
  if (name.starts_with("vq_d") && parse_int(name.substr(4), dim) && dim >= 1 && dim <= 64)
    return pq_method(dim, 1);
  if (name.starts_with("pq_d")) {
    const auto us = name.find("_m", 4);
    if (us != std::string_view::npos && parse_int(name.substr(4, us - 4), dim) &&
        parse_int(name.substr(us + 2), m) && dim >= 1 && dim <= 64 && m >= 1 && dim % m == 0)
      return pq_method(dim, m);
  }
  if (name.find(':') != std::string_view::npos) return spec_def(name);
  try {
    quant::parse_quant_spec(name);  // a spec without ':' (fp16, bf16...)
  } catch (const UsageError&) {
    return std::nullopt;
  }
  return spec_def(name);
}

}  // namespace

const std::vector<RdMethod>& rd_methods() {
  static const std::vector<RdMethod> v = [] {
    std::vector<RdMethod> out;
    for (const auto& d : defaults()) out.push_back(d.info);
    return out;
  }();
  return v;
}

std::vector<std::string> rd_method_names() {
  std::vector<std::string> names;
  for (const auto& m : rd_methods()) names.push_back(m.name);
  return names;
}

std::optional<RdMethod> find_rd_method(std::string_view name) {
  auto d = find_def(name);
  if (!d) return std::nullopt;
  return d->info;
}

RdPoint run_rd_method(std::string_view method, int bits, std::span<const double> w,
                      const std::vector<int64_t>& shape, const RdOptions& opt) {
  const auto def = find_def(method);
  if (!def)
    throw UsageError(fmt::format("unknown rate-distortion method '{}' (expected one of: {}, or "
                                 "vq_dD / pq_dD_mM)", method, fmt::join(rd_method_names(), ", ")));
  int64_t numel = 1;
  for (auto d : shape) numel *= d;
  if (numel != int64_t(w.size())) throw InternalError("run_rd_method: shape does not match the weights");
  const int64_t non_finite = quant::count_non_finite(w);
  if (non_finite)
    throw InputError("", fmt::format("rate-distortion: {} non-finite weight(s)", non_finite));

  RdPoint p;
  p.method = def->info.name;
  p.bits = bits;
  p.variance = weight_moments(w).variance;
  auto skip = [&](std::string why) {
    p.skipped = true;
    p.note = std::move(why);
    p.mse = p.sqnr_db = p.max_err = p.rate = p.rate_with_codebook = p.shannon_d = p.gap_bits =
        p.gap_bits_with_codebook = NAN;
    return p;
  };
  if (bits < def->info.min_bits || bits > def->info.max_bits)
    return skip(fmt::format("{} takes B in [{},{}], got {}", p.method, def->info.min_bits,
                            def->info.max_bits, bits));
  if (w.empty()) return skip("empty tensor");

  detail::Reconstruction rec;
  switch (def->kind) {
    case Kind::Spec:
      rec = detail::reconstruct_spec(def->spec_format.find("{}") == std::string::npos
                                         ? def->spec_format
                                         : fmt::format(fmt::runtime(def->spec_format), bits),
                                     bits,
                                     def->per_tensor, w, shape);
      break;
    case Kind::OddLevelsSym: rec = detail::reconstruct_odd_levels_sym(bits, w); break;
    case Kind::Lloyd: rec = detail::reconstruct_lloyd(bits, w, opt); break;
    case Kind::PQ: rec = detail::reconstruct_pq(def->dim, def->m, bits, w, opt); break;
  }
  if (!rec.skip_reason.empty()) return skip(rec.skip_reason);

  const auto st = quant::error_stats(w, rec.values);
  p.rate = rec.rate;
  p.rate_with_codebook = rec.rate_with_codebook;
  p.mse = st.mse;
  p.sqnr_db = st.sqnr_db;
  p.max_err = st.max_err;
  p.shannon_d = shannon_distortion(p.variance, p.rate);
  p.gap_bits = gap_bits(p.mse, p.shannon_d);
  p.gap_bits_with_codebook = gap_bits(p.mse, shannon_distortion(p.variance, p.rate_with_codebook));
  p.converged = rec.converged;
  if (!std::isfinite(p.variance) || !std::isfinite(p.mse)) {
    // Finite weights near the float range (FLT_MAX) overflow in the quantizer's float32 arithmetic
    // (a range or scale becomes inf, a reconstruction NaN): the numbers are kept as computed, the
    // status says they cannot be trusted.
    p.status = kRdStatusOverflow;
    p.note = fmt::format("{} not finite: weights near the float range overflow in the quantizer",
                         !std::isfinite(p.variance) ? "variance" : "mse");
  }
  return p;
}

RdPoint non_finite_rd_point(std::string method, int bits, int64_t non_finite_count) {
  RdPoint p;
  p.method = std::move(method);
  p.bits = bits;
  p.skipped = true;
  p.status = kRdStatusNonFinite;
  p.note = fmt::format("{} non-finite weight(s): not quantized", non_finite_count);
  p.variance = p.mse = p.sqnr_db = p.max_err = p.rate = p.rate_with_codebook = p.shannon_d = p.gap_bits =
      p.gap_bits_with_codebook = NAN;
  return p;
}

}  // namespace qspectra::rd
