#pragma once
// The two OCP fp8 storage formats of safetensors, decoded exactly (NaN/Inf preserved).
#include <cstdint>

namespace qspectra::types {

double f8_e4m3_to_double(uint8_t bits);  // E4M3FN: no infinities, 0x7F/0xFF are NaN
double f8_e5m2_to_double(uint8_t bits);  // the top byte of an IEEE half

}  // namespace qspectra::types
