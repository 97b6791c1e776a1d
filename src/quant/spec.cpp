#include "qspectra/quant/spec.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "qspectra/core/error.hpp"

namespace qspectra::quant {
namespace {

constexpr int64_t kDefaultGroup = 128;      // GPTQ / AWQ
constexpr int64_t kDefaultBnbBlock = 64;    // bitsandbytes

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    parts.push_back(s.substr(start, p == std::string_view::npos ? p : p - start));
    if (p == std::string_view::npos) return parts;
    start = p + 1;
  }
}

[[noreturn]] void fail(std::string_view family, const std::string& what) {
  throw UsageError(fmt::format("{}: {}", family, what));
}

bool parse_int(std::string_view s, int64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

int parse_bits(std::string_view family, std::string_view s, int lo, int hi) {
  int64_t b = 0;
  if (!parse_int(s, b)) fail(family, fmt::format("B must be an integer in [{},{}], got '{}'", lo, hi, s));
  if (b < lo || b > hi) fail(family, fmt::format("B must be in [{},{}], got {}", lo, hi, b));
  return int(b);
}

// "channel" or "gG" / "g" (default group).
void parse_granularity(std::string_view family, std::string_view s, QuantSpec& q, bool allow_channel,
                       int64_t default_group, Granularity group_kind) {
  if (allow_channel && s == "channel") {
    q.granularity = Granularity::Channel;
    return;
  }
  int64_t g = default_group;
  if (s.empty() || s[0] != 'g' || (s.size() > 1 && !parse_int(s.substr(1), g)) || g < 1)
    fail(family, fmt::format("granularity must be {}'gG' with G >= 1, got '{}'",
                             allow_channel ? "'channel' or " : "", s));
  q.granularity = group_kind;
  q.group = g;
}

std::string format_k(double k) { return fmt::format("{}", k); }  // shortest round-trip form

// The GGML types offered as quantizer specs, with their nominal bit width B (the width of a level
// index; rate-distortion evaluates the spec at that B only). bits_per_weight gives the real rate.
struct GgmlSpec {
  types::ElementType type;
  int bits;
};
constexpr GgmlSpec kGgmlSpecs[] = {
    {types::ElementType::Q8_0, 8},   {types::ElementType::Q4_0, 4},   {types::ElementType::Q4_1, 4},
    {types::ElementType::Q5_0, 5},   {types::ElementType::Q5_1, 5},   {types::ElementType::Q2_K, 2},
    {types::ElementType::Q3_K, 3},   {types::ElementType::Q4_K, 4},   {types::ElementType::Q5_K, 5},
    {types::ElementType::Q6_K, 6},   {types::ElementType::IQ4_NL, 4}, {types::ElementType::IQ4_XS, 4},
    {types::ElementType::TQ1_0, 2},  {types::ElementType::TQ2_0, 2},  {types::ElementType::MXFP4, 4},
};

const GgmlSpec* find_ggml_spec(std::string_view name) {
  const auto* t = types::find_by_name(name);  // case-insensitive: Q4_K as llama.cpp spells it
  if (!t) return nullptr;
  for (const auto& g : kGgmlSpecs)
    if (g.type == t->type) return &g;
  return nullptr;
}

}  // namespace

const std::vector<SpecRule>& quant_spec_rules() {
  static const std::vector<SpecRule> rules = {
      {"fp64|fp32|fp16|bf16", 64, 16, "IEEE cast, round to nearest even, overflow -> inf"},
      {"fp8_e4m3|fp8_e5m2", 8, 8, "fp8 cast, round to nearest even, saturating"},
      {"sym:B[:channel|:gG]", 2, 16, "symmetric absmax, integer grid +-(2^(B-1)-1)"},
      {"usym:B", 1, 16, "symmetric mid-rise grid +-(k+1/2)*scale, 2^B levels, per tensor"},
      {"asym:B[:channel|:gG]", 1, 16, "min/max affine, 2^B levels, integer zero point"},
      {"clip:B:Ks", 2, 16, "symmetric grid +-(2^(B-1)-1), clipped at K standard deviations"},
      {"nf4[:gG]|fp4[:gG]", 4, 4, "bitsandbytes 4-bit codebook, absmax per block of G (64)"},
      {"lloyd:B", 1, 8, "Lloyd-Max codebook of 2^B levels per tensor"},
      {"q8_0|q4_0|q4_1|q5_0|q5_1|q2_k..q6_k|iq4_nl|iq4_xs|tq1_0|tq2_0|mxfp4", 2, 8,
       "GGML type: ggml's reference quantizer per row (blocks of 32 or 256), float32"},
  };
  return rules;
}

std::string QuantSpec::canonical() const {
  auto gran = [&]() -> std::string {
    switch (granularity) {
      case Granularity::Tensor: return "";
      case Granularity::Channel: return ":channel";
      case Granularity::Group: return fmt::format(":g{}", group);
      case Granularity::FlatBlock: return group == kDefaultBnbBlock ? "" : fmt::format(":g{}", group);
    }
    return "";
  };
  switch (kind) {
    case QuantKind::Cast: return std::string(float_format_info(format).name);
    case QuantKind::Sym: return fmt::format("sym:{}{}", bits, gran());
    case QuantKind::USym: return fmt::format("usym:{}", bits);
    case QuantKind::Asym: return fmt::format("asym:{}{}", bits, gran());
    case QuantKind::Clip: return fmt::format("clip:{}:{}s", bits, format_k(clip_sigmas));
    case QuantKind::NF4: return "nf4" + gran();
    case QuantKind::FP4: return "fp4" + gran();
    case QuantKind::Lloyd: return fmt::format("lloyd:{}", bits);
    case QuantKind::Ggml: return std::string(types::traits(ggml_type).name);
  }
  return "";
}

QuantSpec parse_quant_spec(std::string_view spec) {
  QuantSpec q;
  for (auto f : {FloatFormat::FP64, FloatFormat::FP32, FloatFormat::FP16, FloatFormat::BF16,
                 FloatFormat::FP8_E4M3, FloatFormat::FP8_E5M2}) {
    if (spec == float_format_info(f).name) {
      q.kind = QuantKind::Cast;
      q.format = f;
      q.bits = float_format_info(f).bits;
      return q;
    }
  }
  if (const auto* g = find_ggml_spec(spec)) {
    const auto& t = types::traits(g->type);
    q.kind = QuantKind::Ggml;
    q.ggml_type = g->type;
    q.bits = g->bits;
    q.granularity = Granularity::Group;  // blocks along each row, as ggml stores them
    q.group = t.block_size;
    return q;
  }
  const auto parts = split(spec, ':');
  const std::string_view family = parts[0];
  auto arity = [&](size_t lo, size_t hi, std::string_view syntax) {
    if (parts.size() < lo || parts.size() > hi)
      fail(family, fmt::format("expected {}, got '{}'", syntax, spec));
  };
  if (family == "sym" || family == "asym") {
    const bool sym = family == "sym";
    arity(2, 3, sym ? "sym:B[:channel|:gG]" : "asym:B[:channel|:gG]");
    q.kind = sym ? QuantKind::Sym : QuantKind::Asym;
    q.bits = parse_bits(family, parts[1], sym ? 2 : 1, 16);
    if (parts.size() == 3)
      parse_granularity(family, parts[2], q, true, kDefaultGroup, Granularity::Group);
  } else if (family == "usym") {
    arity(2, 2, "usym:B");
    q.kind = QuantKind::USym;
    q.bits = parse_bits(family, parts[1], 1, 16);
  } else if (family == "clip") {
    arity(3, 3, "clip:B:Ks (e.g. clip:4:3s)");
    q.kind = QuantKind::Clip;
    q.bits = parse_bits(family, parts[1], 2, 16);
    std::string_view k = parts[2];
    double v = 0;
    bool ok = k.size() >= 2 && k.back() == 's';
    if (ok) {
      auto [p, ec] = std::from_chars(k.data(), k.data() + k.size() - 1, v);
      ok = ec == std::errc() && p == k.data() + k.size() - 1 && std::isfinite(v) && v > 0;
    }
    if (!ok) fail(family, fmt::format("K must be a positive number followed by 's' (e.g. 3s), got '{}'", k));
    q.clip_sigmas = v;
  } else if (family == "nf4" || family == "fp4") {
    arity(1, 2, fmt::format("{}[:gG]", family));
    q.kind = family == "nf4" ? QuantKind::NF4 : QuantKind::FP4;
    q.bits = 4;
    q.granularity = Granularity::FlatBlock;
    q.group = kDefaultBnbBlock;
    if (parts.size() == 2)
      parse_granularity(family, parts[1], q, false, kDefaultBnbBlock, Granularity::FlatBlock);
  } else if (family == "lloyd") {
    arity(2, 2, "lloyd:B");
    q.kind = QuantKind::Lloyd;
    q.bits = parse_bits(family, parts[1], 1, 8);
  } else {
    throw UsageError(fmt::format(
        "unknown quantizer spec '{}' (expected fp64, fp32, fp16, bf16, fp8_e4m3, fp8_e5m2, sym:B, "
        "usym:B, asym:B, clip:B:Ks, nf4, fp4, lloyd:B or a GGML type: q8_0, q4_0, q4_1, q5_0, q5_1, "
        "q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, iq4_xs, tq1_0, tq2_0, mxfp4)",
        spec));
  }
  return q;
}

}  // namespace qspectra::quant
