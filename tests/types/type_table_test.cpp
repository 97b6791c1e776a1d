#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/types/element_type.hpp"
#include "qspectra/types/half.hpp"

namespace qspectra::types {
namespace {

TEST(TypeTable, RowsAreConsistentAndLookupsRoundTrip) {
  std::set<int> ids;
  std::set<std::string_view> names, st_names;
  for (const auto& t : all_types()) {
    EXPECT_EQ(&traits(t.type), &t);
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_EQ(find_by_name(t.name), &t);
    if (!t.safetensors_name.empty()) {
      EXPECT_TRUE(st_names.insert(t.safetensors_name).second);
      EXPECT_EQ(find_by_safetensors_name(t.safetensors_name), &t);
    }
    if (t.ggml_id >= 0) {
      EXPECT_TRUE(ids.insert(t.ggml_id).second) << t.ggml_id;
      EXPECT_EQ(find_by_ggml_id(static_cast<uint32_t>(t.ggml_id)), &t);
    }
    EXPECT_EQ(t.readable(), t.unsupported.empty()) << t.name;
    EXPECT_GT(t.block_size, 0u);
    EXPECT_GT(t.block_bytes, 0u);
  }
  EXPECT_EQ(find_by_name("Q4_K"), &traits(ElementType::Q4_K));  // case-insensitive
  EXPECT_EQ(find_by_safetensors_name("f32"), nullptr);           // the spec's names are case-sensitive
  EXPECT_EQ(find_by_name("q4_k_m"), nullptr);
}

TEST(TypeTable, GgmlIdsSizesAndBitsPerWeight) {
  struct Want {
    const char* name;
    int id;
    unsigned block, bytes;
    double bpw;
  };
  const Want want[] = {
      {"f32", 0, 1, 4, 32},         {"f16", 1, 1, 2, 16},         {"bf16", 30, 1, 2, 16},
      {"f64", 28, 1, 8, 64},        {"i8", 24, 1, 1, 8},          {"i16", 25, 1, 2, 16},
      {"i32", 26, 1, 4, 32},        {"q4_0", 2, 32, 18, 4.5},     {"q4_1", 3, 32, 20, 5},
      {"q5_0", 6, 32, 22, 5.5},     {"q5_1", 7, 32, 24, 6},       {"q8_0", 8, 32, 34, 8.5},
      {"q2_k", 10, 256, 84, 2.625}, {"q3_k", 11, 256, 110, 3.4375}, {"q4_k", 12, 256, 144, 4.5},
      {"q5_k", 13, 256, 176, 5.5},  {"q6_k", 14, 256, 210, 6.5625}, {"iq4_nl", 20, 32, 18, 4.5},
      {"iq4_xs", 23, 256, 136, 4.25}, {"tq1_0", 34, 256, 54, 1.6875}, {"tq2_0", 35, 256, 66, 2.0625},
      {"mxfp4", 39, 32, 17, 4.25},
  };
  for (const auto& w : want) {
    const auto* t = find_by_name(w.name);
    ASSERT_NE(t, nullptr) << w.name;
    EXPECT_EQ(t->ggml_id, w.id) << w.name;
    EXPECT_EQ(t->block_size, w.block) << w.name;
    EXPECT_EQ(t->block_bytes, w.bytes) << w.name;
    EXPECT_DOUBLE_EQ(t->bits_per_weight(), w.bpw) << w.name;
    EXPECT_TRUE(t->readable()) << w.name;
  }
}

TEST(TypeTable, UnsupportedGgmlIdsSayWhy) {
  EXPECT_EQ(ggml_unsupported_reason(12), "");
  const std::string iq2 = ggml_unsupported_reason(16);
  EXPECT_NE(iq2.find("iq2_xxs"), std::string::npos) << iq2;
  EXPECT_NE(iq2.find("not supported"), std::string::npos) << iq2;
  EXPECT_NE(ggml_unsupported_reason(4).find("removed"), std::string::npos);
  EXPECT_EQ(ggml_unsupported_reason(9999), "unknown GGML type id 9999");
  EXPECT_EQ(find_by_ggml_id(9999), nullptr);
}

TEST(TypeTable, RowBytesNeedWholeBlocks) {
  EXPECT_EQ(row_bytes(traits(ElementType::Q4_K), 512, "x"), 288u);
  EXPECT_EQ(row_bytes(traits(ElementType::F16), 7, "x"), 14u);
  try {
    row_bytes(traits(ElementType::Q4_K), 300, "model.safetensors: layers.0.w");
    FAIL() << "no throw";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("layers.0.w"), std::string::npos) << msg;
    EXPECT_NE(msg.find("256"), std::string::npos) << msg;
  }
}

// llama-quantize's rule for rows that are not whole blocks (ggml-org/llama.cpp src/llama-quant.cpp,
// tensor_type_fallback): the type's fallback, else f16; types without one go to f16.
TEST(TypeTable, RowTypeFollowsLlamaQuantizeFallbacks) {
  using E = ElementType;
  struct Case {
    E wanted, fallback;
  };
  const Case table[] = {
      {E::Q2_K, E::Q4_0},  {E::Q3_K, E::Q4_0},   {E::Q4_K, E::Q5_0},  {E::Q5_K, E::Q5_1},
      {E::Q6_K, E::Q8_0},  {E::IQ4_XS, E::IQ4_NL}, {E::TQ1_0, E::Q4_0}, {E::TQ2_0, E::Q4_0},
      {E::Q4_0, E::F16},   {E::Q4_1, E::F16},    {E::Q5_0, E::F16},   {E::Q5_1, E::F16},
      {E::Q8_0, E::F16},   {E::IQ4_NL, E::F16},  {E::MXFP4, E::F16},
  };
  for (const auto& c : table) {
    const auto& t = traits(c.wanted);
    EXPECT_EQ(t.fallback, c.fallback) << t.name;
    EXPECT_EQ(row_type(c.wanted, 512), c.wanted) << t.name;         // whole blocks of 32 and 256
    EXPECT_EQ(row_type(c.wanted, 0), c.wanted) << t.name;
    if (t.block_size == 256) EXPECT_EQ(row_type(c.wanted, 896), c.fallback) << t.name;  // Qwen's 896 = 28 x 32
    EXPECT_EQ(row_type(c.wanted, 172), E::F16) << t.name;           // not whole 32-blocks either
  }
  for (const auto& t : all_types())  // every quantizable type has a fallback we can quantize to
    if (t.quantizable() && t.block_size > 1) EXPECT_TRUE(traits(t.fallback).quantizable()) << t.name;
  EXPECT_EQ(row_type(E::F16, 7), E::F16);
  EXPECT_EQ(traits(E::IQ2_XXS).fallback, E::IQ4_NL);  // unreadable here, but llama.cpp's row all the same
}

TEST(TypeTable, ToDoubleWidensTheFloatResult) {
  const auto& t = traits(ElementType::Q8_0);
  std::vector<float> x(64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
  std::vector<std::byte> q(68);
  t.from_float(x.data(), q.data(), 64);
  std::vector<float> f(64);
  std::vector<double> d(64);
  t.to_float(q.data(), f.data(), 64);
  to_double(t, q.data(), 64, d.data());
  for (std::size_t i = 0; i < 64; ++i) EXPECT_EQ(d[i], static_cast<double>(f[i]));
  EXPECT_THROW(to_double(traits(ElementType::IQ2_XXS), q.data(), 256, d.data()), InternalError);
}

TEST(Half, Fp16RoundTripsEveryHalfAndRoundsToNearestEven) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_EQ(fp32_to_fp16(f) & 0x7E00, 0x7E00);
      continue;
    }
    ASSERT_EQ(fp32_to_fp16(f), h) << h;
  }
  EXPECT_EQ(fp32_to_fp16(65504.f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(65520.f), 0x7C00);                 // halfway to the next binade: rounds up to inf
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.f, -25)), 0x0000);    // tie between 0 and the smallest subnormal: even
  EXPECT_EQ(fp32_to_fp16(std::ldexp(3.f, -25)), 0x0002);    // tie between 1 and 2 subnormal units: even
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(1.f, -11)), 0x3C00);  // tie: stays on the even 1.0
  EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::quiet_NaN()), 0x7E00);
}

TEST(Half, Bf16RoundsToNearestEvenAndQuietsNaN) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie -> even
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x7F800001u)), 0x7FC0);  // signalling NaN made quiet
  EXPECT_EQ(bf16_to_fp32(0xC040), -3.0f);
}

}  // namespace
}  // namespace qspectra::types

namespace qspectra::types {
namespace {

TEST(TypeTable, EveryQuantizerTakesZerosAndSubnormalsWithFiniteResults) {
  // Outside the oracle (ggml's own behaviour there is x86-specific): tiny blocks must neither crash
  // nor hit undefined float-to-int casts (a subnormal scale makes 1/d overflow).
  for (const auto& t : all_types()) {
    if (!t.quantizable()) continue;
    for (float scale : {0.0f, 1e-45f, 1e-40f, 1e-38f}) {
      std::vector<float> x(256);
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = scale * static_cast<float>(static_cast<int>(i % 7) - 3);
      std::vector<std::byte> q(256 / t.block_size * t.block_bytes);
      t.from_float(x.data(), q.data(), x.size());
      std::vector<float> y(256);
      t.to_float(q.data(), y.data(), y.size());
      for (std::size_t i = 0; i < y.size(); ++i) ASSERT_TRUE(std::isfinite(y[i])) << t.name << " " << scale << " " << i;
      if (scale == 0.0f)
        for (float v : y) EXPECT_EQ(v, 0.0f) << t.name;
    }
  }
}

}  // namespace
}  // namespace qspectra::types
