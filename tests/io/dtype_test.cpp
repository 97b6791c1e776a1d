#include "qspectra/io/dtype.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "qspectra/core/error.hpp"
#include "safetensors_builder.hpp"

namespace qspectra::io {
namespace {

using test::le_bytes;

std::vector<double> widen(DType dt, const std::vector<std::byte>& bytes, std::size_t count, std::size_t shift = 0) {
  // `shift` copies the bytes to an odd address to prove unaligned input works.
  std::vector<std::byte> buf(shift);
  buf.insert(buf.end(), bytes.begin(), bytes.end());
  std::vector<double> out(count);
  widen_to_double(dt, buf.data() + shift, count, out.data());
  return out;
}

bool is_neg_zero(double v) { return v == 0.0 && std::signbit(v); }
const double kInf = std::numeric_limits<double>::infinity();

TEST(DType, NamesBitsAndReadability) {
  const std::pair<const char*, unsigned> all[] = {
      {"F64", 64}, {"F32", 32}, {"F16", 16}, {"BF16", 16}, {"F8_E4M3", 8}, {"F8_E5M2", 8}, {"I8", 8}, {"U8", 8},
      {"I16", 16}, {"U16", 16}, {"I32", 32}, {"U32", 32}, {"I64", 64}, {"U64", 64}, {"BOOL", 8}, {"C64", 64},
      {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8}, {"F4", 4}, {"F6_E2M3", 6}, {"F6_E3M2", 6}};
  for (auto [name, bits] : all) {
    auto dt = dtype_from_name(name);
    ASSERT_TRUE(dt) << name;
    EXPECT_EQ(dtype_name(*dt), name);
    EXPECT_EQ(dtype_bits(*dt), bits) << name;
    EXPECT_EQ(dtype_readable(*dt), dtype_skip_reason(*dt).empty()) << name;
  }
  EXPECT_FALSE(dtype_from_name("F33"));
  EXPECT_FALSE(dtype_from_name("f32"));  // names are case-sensitive, as in the spec
  EXPECT_TRUE(dtype_readable(DType::BOOL));
  for (DType dt : {DType::C64, DType::F8_E8M0, DType::F8_E4M3FNUZ, DType::F8_E5M2FNUZ, DType::F4, DType::F6_E2M3, DType::F6_E3M2}) {
    EXPECT_FALSE(dtype_readable(dt));
    EXPECT_NE(dtype_skip_reason(dt).find(std::string(dtype_name(dt)) + " is not readable"), std::string::npos);
  }
}

TEST(DType, F16BitPatterns) {
  EXPECT_EQ(f16_to_double(0x0000), 0.0);
  EXPECT_TRUE(is_neg_zero(f16_to_double(0x8000)));
  EXPECT_EQ(f16_to_double(0x0001), std::ldexp(1.0, -24));          // smallest subnormal
  EXPECT_EQ(f16_to_double(0x03FF), std::ldexp(1023.0, -24));       // largest subnormal
  EXPECT_EQ(f16_to_double(0x0400), std::ldexp(1.0, -14));          // smallest normal
  EXPECT_EQ(f16_to_double(0x3C00), 1.0);
  EXPECT_EQ(f16_to_double(0x3555), 0.333251953125);
  EXPECT_EQ(f16_to_double(0xC000), -2.0);
  EXPECT_EQ(f16_to_double(0x7BFF), 65504.0);
  EXPECT_EQ(f16_to_double(0x7C00), kInf);
  EXPECT_EQ(f16_to_double(0xFC00), -kInf);
  EXPECT_TRUE(std::isnan(f16_to_double(0x7E00)));
  EXPECT_TRUE(std::isnan(f16_to_double(0x7C01)));
  EXPECT_TRUE(std::isnan(f16_to_double(0xFFFF)));
}

TEST(DType, BF16BitPatterns) {
  EXPECT_EQ(bf16_to_double(0x3F80), 1.0);
  EXPECT_EQ(bf16_to_double(0xC040), -3.0);
  EXPECT_TRUE(is_neg_zero(bf16_to_double(0x8000)));
  EXPECT_EQ(bf16_to_double(0x0001), std::ldexp(1.0, -133));  // smallest subnormal
  EXPECT_EQ(bf16_to_double(0x0080), std::ldexp(1.0, -126));  // smallest normal
  EXPECT_EQ(bf16_to_double(0x7F7F), std::ldexp(255.0, 120)); // largest finite
  EXPECT_EQ(bf16_to_double(0x7F80), kInf);
  EXPECT_EQ(bf16_to_double(0xFF80), -kInf);
  EXPECT_TRUE(std::isnan(bf16_to_double(0x7FC0)));
  EXPECT_TRUE(std::isnan(bf16_to_double(0x7F81)));
}

TEST(DType, F8E4M3BitPatterns) {
  EXPECT_EQ(f8_e4m3_to_double(0x00), 0.0);
  EXPECT_TRUE(is_neg_zero(f8_e4m3_to_double(0x80)));
  EXPECT_EQ(f8_e4m3_to_double(0x01), std::ldexp(1.0, -9));   // smallest subnormal
  EXPECT_EQ(f8_e4m3_to_double(0x07), std::ldexp(7.0, -9));   // largest subnormal
  EXPECT_EQ(f8_e4m3_to_double(0x08), std::ldexp(1.0, -6));   // smallest normal
  EXPECT_EQ(f8_e4m3_to_double(0x38), 1.0);
  EXPECT_EQ(f8_e4m3_to_double(0xC4), -3.0);
  EXPECT_EQ(f8_e4m3_to_double(0x78), 256.0);                 // exponent 15 is finite: no infinities
  EXPECT_EQ(f8_e4m3_to_double(0x7E), 448.0);                 // largest finite
  EXPECT_EQ(f8_e4m3_to_double(0xFE), -448.0);
  EXPECT_TRUE(std::isnan(f8_e4m3_to_double(0x7F)));
  EXPECT_TRUE(std::isnan(f8_e4m3_to_double(0xFF)));
}

TEST(DType, F8E5M2BitPatterns) {
  EXPECT_EQ(f8_e5m2_to_double(0x00), 0.0);
  EXPECT_TRUE(is_neg_zero(f8_e5m2_to_double(0x80)));
  EXPECT_EQ(f8_e5m2_to_double(0x01), std::ldexp(1.0, -16));  // smallest subnormal
  EXPECT_EQ(f8_e5m2_to_double(0x03), std::ldexp(3.0, -16));  // largest subnormal
  EXPECT_EQ(f8_e5m2_to_double(0x04), std::ldexp(1.0, -14));  // smallest normal
  EXPECT_EQ(f8_e5m2_to_double(0x3C), 1.0);
  EXPECT_EQ(f8_e5m2_to_double(0x7B), 57344.0);               // largest finite
  EXPECT_EQ(f8_e5m2_to_double(0x7C), kInf);
  EXPECT_EQ(f8_e5m2_to_double(0xFC), -kInf);
  EXPECT_TRUE(std::isnan(f8_e5m2_to_double(0x7D)));
  EXPECT_TRUE(std::isnan(f8_e5m2_to_double(0xFF)));
}

TEST(DType, WidenFloatsUnaligned) {
  const float f32_sub = std::numeric_limits<float>::denorm_min();
  auto f32 = widen(DType::F32, le_bytes(std::vector<float>{1.5f, -0.1f, f32_sub, std::numeric_limits<float>::infinity()}), 4, 1);
  EXPECT_EQ(f32[0], 1.5);
  EXPECT_EQ(f32[1], double(-0.1f));
  EXPECT_EQ(f32[2], std::ldexp(1.0, -149));
  EXPECT_EQ(f32[3], kInf);
  auto f32nan = widen(DType::F32, le_bytes(std::vector<uint32_t>{0x7FC00000u, 0xFF800000u}), 2, 3);
  EXPECT_TRUE(std::isnan(f32nan[0]));
  EXPECT_EQ(f32nan[1], -kInf);

  auto f64 = widen(DType::F64, le_bytes(std::vector<double>{0.1, std::numeric_limits<double>::denorm_min(), -kInf}), 3, 5);
  EXPECT_EQ(f64[0], 0.1);
  EXPECT_EQ(f64[1], std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(f64[2], -kInf);
  EXPECT_TRUE(std::isnan(widen(DType::F64, le_bytes(std::vector<uint64_t>{0x7FF8000000000001ull}), 1)[0]));

  auto f16 = widen(DType::F16, le_bytes(std::vector<uint16_t>{0x3C00, 0x0001, 0xFC00}), 3, 1);
  EXPECT_EQ(f16, (std::vector<double>{1.0, std::ldexp(1.0, -24), -kInf}));
  auto bf16 = widen(DType::BF16, le_bytes(std::vector<uint16_t>{0x3F80, 0x0001, 0x7F80}), 3, 1);
  EXPECT_EQ(bf16, (std::vector<double>{1.0, std::ldexp(1.0, -133), kInf}));
  auto e4m3 = widen(DType::F8_E4M3, le_bytes(std::vector<uint8_t>{0x38, 0x01, 0x7E}), 3);
  EXPECT_EQ(e4m3, (std::vector<double>{1.0, std::ldexp(1.0, -9), 448.0}));
  EXPECT_TRUE(std::isnan(widen(DType::F8_E4M3, le_bytes(std::vector<uint8_t>{0xFF}), 1)[0]));
  auto e5m2 = widen(DType::F8_E5M2, le_bytes(std::vector<uint8_t>{0x3C, 0x01, 0x7C}), 3);
  EXPECT_EQ(e5m2, (std::vector<double>{1.0, std::ldexp(1.0, -16), kInf}));
}

TEST(DType, WidenIntegersAndBool) {
  EXPECT_EQ(widen(DType::I8, le_bytes(std::vector<uint8_t>{0x80, 0x7F, 0xFF, 0}), 4), (std::vector<double>{-128, 127, -1, 0}));
  EXPECT_EQ(widen(DType::U8, le_bytes(std::vector<uint8_t>{0x80, 0xFF, 0}), 3), (std::vector<double>{128, 255, 0}));
  EXPECT_EQ(widen(DType::I16, le_bytes(std::vector<int16_t>{-32768, 32767, -2}), 3, 1), (std::vector<double>{-32768, 32767, -2}));
  EXPECT_EQ(widen(DType::U16, le_bytes(std::vector<uint16_t>{65535, 258}), 2, 1), (std::vector<double>{65535, 258}));
  EXPECT_EQ(widen(DType::I32, le_bytes(std::vector<int32_t>{INT32_MIN, INT32_MAX, -7}), 3, 1),
            (std::vector<double>{-2147483648.0, 2147483647.0, -7}));
  EXPECT_EQ(widen(DType::U32, le_bytes(std::vector<uint32_t>{UINT32_MAX, 1}), 2, 1), (std::vector<double>{4294967295.0, 1}));
  // 64-bit integers are exact up to 2^53 and rounded to nearest (ties to even) beyond.
  const int64_t p53 = int64_t(1) << 53;
  EXPECT_EQ(widen(DType::I64, le_bytes(std::vector<int64_t>{p53, p53 + 1, -p53 - 3, INT64_MIN}), 4, 1),
            (std::vector<double>{9007199254740992.0, 9007199254740992.0, -9007199254740996.0, -9223372036854775808.0}));
  EXPECT_EQ(widen(DType::U64, le_bytes(std::vector<uint64_t>{UINT64_MAX, 42}), 2, 1),
            (std::vector<double>{18446744073709551616.0, 42}));
  EXPECT_EQ(widen(DType::BOOL, le_bytes(std::vector<uint8_t>{0, 1, 1, 0}), 4), (std::vector<double>{0, 1, 1, 0}));
}

TEST(DType, WidenUnreadableIsAnInternalError) {
  std::vector<std::byte> b(8);
  double d;
  EXPECT_THROW(widen_to_double(DType::C64, b.data(), 1, &d), InternalError);
}

}  // namespace
}  // namespace qspectra::io
