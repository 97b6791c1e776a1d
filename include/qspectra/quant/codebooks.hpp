#pragma once
// bitsandbytes' 4-bit codebooks, as float32, indexed by the 4-bit code exactly as bitsandbytes does
// (functional.get_4bit_type / csrc kernels). FP4 is bitsandbytes' E2M1 variant divided by 12.
#include <array>

namespace qspectra::quant {

const std::array<float, 16>& nf4_codebook();
const std::array<float, 16>& fp4_codebook();

// Nearest code value of x (already divided by the block's absmax), with bitsandbytes' tie rule:
// x goes up only when strictly above a midpoint. fp4 works on |x| and keeps the sign (-0 possible).
float nf4_round(float x);
float fp4_round(float x);

}  // namespace qspectra::quant
