#pragma once
// The quantizer spec language, parsed in exactly one place (parse_quant_spec).
//   fp64 fp32 fp16 bf16 fp8_e4m3 fp8_e5m2      precision casts
//   sym:B   sym:B:channel   sym:B:gG           symmetric integer grid +-(2^(B-1)-1), B in [2,16]
//   usym:B                                     mid-rise symmetric grid, exactly 2^B levels, B in [1,16]
//   asym:B  asym:B:channel  asym:B:gG          min/max affine with zero point, B in [1,16]
//   clip:B:Ks                                  symmetric, clipped at K standard deviations, B in [2,16]
//   nf4[:gG]  fp4[:gG]                         bitsandbytes 4-bit codebooks, absmax per block (G=64)
//   lloyd:B                                    Lloyd-Max scalar codebook per tensor, B in [1,8]
//   q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k q4_k q5_k q6_k iq4_nl iq4_xs tq1_0 tq2_0 mxfp4
//                                              GGML types: ggml's reference quantizer per row, then
//                                              its dequantizer, in float32 (types/element_type.hpp)
// ":g" alone means the default group (128 for sym/asym, 64 for nf4/fp4).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qspectra/quant/blocks.hpp"
#include "qspectra/quant/float_format.hpp"
#include "qspectra/types/element_type.hpp"

namespace qspectra::quant {

enum class QuantKind { Cast, Sym, USym, Asym, Clip, NF4, FP4, Lloyd, Ggml };

struct QuantSpec {
  QuantKind kind = QuantKind::Cast;
  FloatFormat format = FloatFormat::FP64;     // Cast only
  int bits = 64;                              // bits per weight index (the format's width for Cast)
  Granularity granularity = Granularity::Tensor;
  int64_t group = 0;                          // Group / FlatBlock only
  double clip_sigmas = 0;                     // Clip only
  types::ElementType ggml_type = types::ElementType::Q8_0;  // Ggml only; bits = its nominal width (q4_k: 4)

  std::string canonical() const;              // e.g. "sym:4:g128", "nf4", "clip:4:3s"
};

// One line of help per spec family, for usage messages.
struct SpecRule {
  std::string_view syntax;
  int min_bits;
  int max_bits;
  std::string_view meaning;
};
const std::vector<SpecRule>& quant_spec_rules();

// Throws UsageError naming the broken rule, e.g. "sym: B must be in [2,16], got 1".
QuantSpec parse_quant_spec(std::string_view spec);

}  // namespace qspectra::quant
