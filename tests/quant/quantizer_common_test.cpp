// Properties every spec must have: non-finite input rejected, empty / zero tensors, idempotence
// of the grid (quantizing a quantized tensor again changes nothing for per-block absmax specs).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "qspectra/core/error.hpp"
#include "qspectra/quant/error_stats.hpp"
#include "qspectra/quant/quantizer.hpp"

using namespace qspectra;
using namespace qspectra::quant;

namespace {
const char* kSpecs[] = {"fp64", "fp32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "sym:4", "sym:8:channel",
                        "sym:4:g128", "usym:3", "asym:4", "asym:3:channel", "asym:4:g32", "clip:4:3s",
                        "nf4", "fp4:g32", "lloyd:3"};
}

TEST(AllQuantizers, RejectNonFiniteInput) {
  for (const char* spec : kSpecs)
    for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
      TensorData t{{2, 2}, {1, 2, bad, 4}};
      try {
        make_quantizer(spec)->apply(t);
        ADD_FAILURE() << spec << " accepted " << bad;
      } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("non-finite value"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("index 2"), std::string::npos) << e.what();
      }
    }
}

TEST(AllQuantizers, EmptyZeroAndSmallTensors) {
  for (const char* spec : kSpecs) {
    auto q = make_quantizer(spec);
    TensorData empty{{0, 8}, {}};
    EXPECT_NO_THROW(q->apply(empty)) << spec;
    TensorData zeros{{3, 5}, std::vector<double>(15, 0.0)};
    q->apply(zeros);
    for (double v : zeros.values) ASSERT_EQ(v, 0.0) << spec;
    TensorData one{{1}, {0.75}};
    q->apply(one);
    EXPECT_TRUE(std::isfinite(one.values[0])) << spec;
    EXPECT_TRUE(std::isfinite(q->bits_per_weight({7, 3}))) << spec;
  }
}

TEST(AllQuantizers, SingleHugeOutlier) {
  for (const char* spec : kSpecs) {
    TensorData t{{4, 64}, {}};
    for (int i = 0; i < 256; ++i) t.values.push_back(0.01 * std::sin(i * 0.7));
    t.values[5] = 3e4;
    const auto orig = t.values;
    make_quantizer(spec)->apply(t);
    EXPECT_EQ(count_non_finite(t.values), 0) << spec;
    const auto s = error_stats(orig, t.values);
    EXPECT_LE(s.rel_max_err, 1.0) << spec;
  }
}

TEST(AllQuantizers, OutsideFloat32RangeIsAnInputError) {
  TensorData t{{2}, {1e300, 1}};
  EXPECT_THROW(make_quantizer("sym:8")->apply(t), InputError);
  EXPECT_THROW(make_quantizer("nf4")->apply(t), InputError);
}

TEST(AllQuantizers, IdempotentOnTheirOwnGrid) {
  for (const char* spec : {"sym:4:channel", "sym:8:g128", "fp16", "bf16", "fp8_e4m3", "nf4"}) {
    TensorData t{{8, 32}, {}};
    for (int i = 0; i < 256; ++i) t.values.push_back(std::cos(i * 0.91) * (1 + i % 5));
    make_quantizer(spec)->apply(t);
    TensorData again = t;
    make_quantizer(spec)->apply(again);
    for (size_t i = 0; i < t.values.size(); ++i) ASSERT_FLOAT_EQ(again.values[i], t.values[i]) << spec;
  }
}
