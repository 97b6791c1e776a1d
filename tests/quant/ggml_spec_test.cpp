// GGML types as quantizer specs: parsing, real bits per weight, per-row application in float32
// (checked against the types layer's row functions, which tests/types checks against ggml itself).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/io/safetensors.hpp"
#include "qspectra/quant/quantizer.hpp"
#include "qspectra/quant/spec.hpp"

namespace qspectra::quant {
namespace {

TEST(GgmlSpec, EveryTypeParsesWithItsRealBitsPerWeight) {
  const std::pair<const char*, double> want[] = {
      {"q8_0", 8.5},   {"q4_0", 4.5},    {"q4_1", 5.0},      {"q5_0", 5.5},     {"q5_1", 6.0},
      {"q2_k", 2.625}, {"q3_k", 3.4375}, {"q4_k", 4.5},      {"q5_k", 5.5},     {"q6_k", 6.5625},
      {"iq4_nl", 4.5}, {"iq4_xs", 4.25}, {"tq1_0", 1.6875},  {"tq2_0", 2.0625}, {"mxfp4", 4.25},
  };
  for (auto [name, bpw] : want) {
    const QuantSpec s = parse_quant_spec(name);
    EXPECT_EQ(s.kind, QuantKind::Ggml) << name;
    EXPECT_EQ(s.canonical(), name);
    const auto q = make_quantizer(name);
    EXPECT_EQ(q->spec(), name);
    EXPECT_FALSE(q->is_precision_cast());
    EXPECT_DOUBLE_EQ(q->bits_per_weight({64, 512}), bpw) << name;
  }
  EXPECT_EQ(parse_quant_spec("Q4_K").canonical(), "q4_k");  // llama.cpp's spelling
  EXPECT_EQ(parse_quant_spec("q4_k").bits, 4);              // nominal B for rate-distortion
  EXPECT_EQ(parse_quant_spec("q8_0").bits, 8);
}

TEST(GgmlSpec, NonQuantizerNamesAreRejected) {
  for (const char* bad : {"q4_k_m", "q8_1", "q8_k", "iq2_xxs", "f16", "i8", "q4_k:g32"})
    EXPECT_THROW(parse_quant_spec(bad), UsageError) << bad;
  try {
    parse_quant_spec("q4_k_m");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("q4_k"), std::string::npos) << e.what();  // the message lists them
  }
}

TEST(GgmlSpec, RowsNotWholeBlocksRunLlamaQuantizesFallback) {
  const auto q = make_quantizer("q4_k");
  EXPECT_EQ(q->shape_problem({64, 512}), "");
  EXPECT_EQ(q->spec_for({64, 512}), "q4_k");
  // shape_problem still says why the type itself cannot run (rate-distortion skips such points).
  const std::string why = q->shape_problem({64, 172});
  EXPECT_NE(why.find("172"), std::string::npos) << why;
  EXPECT_NE(why.find("256"), std::string::npos) << why;
  EXPECT_EQ(make_quantizer("q8_0")->shape_problem({172, 64}), "");

  // The spec text and the rate are the type that ran.
  struct Case {
    const char* spec;
    int64_t cols;
    const char* ran;
    double bpw;
  };
  const Case cases[] = {
      {"q4_k", 896, "q4_k->q5_0", 5.5},   {"q4_k", 172, "q4_k->f16", 16},    {"q5_k", 96, "q5_k->q5_1", 6.0},
      {"q6_k", 64, "q6_k->q8_0", 8.5},    {"q2_k", 64, "q2_k->q4_0", 4.5},   {"q3_k", 64, "q3_k->q4_0", 4.5},
      {"iq4_xs", 64, "iq4_xs->iq4_nl", 4.5}, {"tq1_0", 64, "tq1_0->q4_0", 4.5}, {"tq2_0", 32, "tq2_0->q4_0", 4.5},
      {"q8_0", 172, "q8_0->f16", 16},     {"q4_0", 40, "q4_0->f16", 16},     {"mxfp4", 33, "mxfp4->f16", 16},
      {"iq4_nl", 172, "iq4_nl->f16", 16}, {"q8_0", 64, "q8_0", 8.5},         {"q4_k", 256, "q4_k", 4.5},
  };
  for (const auto& c : cases) {
    const auto qc = make_quantizer(c.spec);
    EXPECT_EQ(qc->spec_for({3, c.cols}), c.ran) << c.spec << " " << c.cols;
    EXPECT_DOUBLE_EQ(qc->bits_per_weight({3, c.cols}), c.bpw) << c.spec << " " << c.cols;
    EXPECT_EQ(qc->spec(), c.spec);  // the spec asked for is unchanged
  }
}

TEST(GgmlSpec, FallbackAppliesTheFallbackTypesArithmetic) {
  // A q4_k tensor of 64-long rows is quantized exactly as q5_0 would quantize it ...
  TensorData a{{3, 64}, std::vector<double>(192)};
  for (int i = 0; i < 192; ++i) a.values[i] = std::sin(0.37 * i) * (1 + i % 5);
  TensorData b = a;
  make_quantizer("q4_k")->apply(a);
  make_quantizer("q5_0")->apply(b);
  EXPECT_EQ(a.values, b.values);
  // ... and a q8_0 tensor of 172-long rows is rounded to fp16 (ggml's fp32 -> fp16, nearest even).
  TensorData c{{2, 172}, std::vector<double>(344)};
  for (int i = 0; i < 344; ++i) c.values[i] = double(float(0.001 * i + 1.0 / 3.0));  // as read: float32
  TensorData d = c;
  make_quantizer("q8_0")->apply(c);
  make_quantizer("fp16")->apply(d);
  EXPECT_EQ(c.values, d.values);
  EXPECT_NE(c.values[0], double(float(1.0 / 3.0)));
}

TEST(GgmlSpec, AppliesPerRowInFloat32) {
  // Two rows of one q8_0 block each: each row gets its own scale (amax/127), values round to it.
  std::vector<double> v(64);
  for (int i = 0; i < 32; ++i) v[i] = 0.01 * (i - 16);
  for (int i = 0; i < 32; ++i) v[32 + i] = 100.0 * std::sin(double(i));
  TensorData t{{2, 32}, v};
  make_quantizer("q8_0")->apply(t);
  for (int r = 0; r < 2; ++r) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(float(v[r * 32 + i])));
    const float d = amax / 127;
    for (int i = 0; i < 32; ++i) {
      const double got = t.values[r * 32 + i];
      EXPECT_EQ(got, double(float(got))) << "float32 result";
      EXPECT_LE(std::fabs(got - v[r * 32 + i]), 0.5 * d * 1.01) << r << " " << i;
    }
  }
  // Quantize-dequantize is idempotent for a grid type on its own output (here mxfp4: exact codes).
  TensorData u{{4, 64}, std::vector<double>(256)};
  for (int i = 0; i < 256; ++i) u.values[i] = std::cos(0.1 * i);
  make_quantizer("mxfp4")->apply(u);
  TensorData again = u;
  make_quantizer("mxfp4")->apply(again);
  EXPECT_EQ(again.values, u.values);
}

TEST(GgmlSpec, NonFiniteInputIsAnError) {
  TensorData t{{1, 32}, std::vector<double>(32, 1.0)};
  t.values[3] = NAN;
  EXPECT_THROW(make_quantizer("q4_0")->apply(t), InputError);
}

}  // namespace
}  // namespace qspectra::quant

namespace qspectra::quant {
namespace {

// End to end: --quantize TYPE on a source gives ggml's own dequantized floats (in-tree golden subset).
TEST(GgmlSpec, QuantizeDequantizeEqualsGgmlGolden) {
  auto f = io::SafetensorsFile::open(std::string(QSPECTRA_TEST_DATA_DIR) + "/gguf/ggml_golden_slices.safetensors");
  int checked = 0;
  for (const char* slice : {"edge", "t3_outliers"}) {
    const auto* src = f->find(std::string(slice) + ".source");
    ASSERT_NE(src, nullptr);
    for (const char* type : {"q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl",
                             "iq4_xs", "tq1_0", "tq2_0", "mxfp4"}) {
      TensorData t = f->read(*src);
      make_quantizer(type)->apply(t);
      const TensorData golden = f->read(*f->find(std::string(slice) + "." + type + ".dequant"));
      EXPECT_EQ(t.values, golden.values) << slice << " " << type;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 30);
}

}  // namespace
}  // namespace qspectra::quant
