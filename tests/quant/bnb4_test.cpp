#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "qspectra/quant/codebooks.hpp"
#include "qspectra/quant/quantizer.hpp"

using namespace qspectra;
using namespace qspectra::quant;

TEST(Bnb4, Nf4CodebookIsBitsandbytes) {
  // bitsandbytes functional.get_4bit_type("nf4"), as float32
  const float expected[16] = {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
                              -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
                              0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f,
                              0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
                              0.7229568362236023f, 1.0f};
  for (int i = 0; i < 16; ++i) EXPECT_EQ(nf4_codebook()[i], expected[i]) << i;
}

TEST(Bnb4, Fp4CodebookIsBitsandbytes) {
  // get_4bit_type("fp4") = [0, .0625, 8, 12, 4, 6, 2, 3, -0, ...] / 12 in float32; bitsandbytes'
  // CUDA dequantization tree returns the same constants (0.6666667f, 0.0052083333f, ...).
  const float expected[16] = {0.0f, 5.208333333e-03f, 0.66666667f, 1.0f, 0.33333333f, 0.5f, 0.16666667f, 0.25f,
                              -0.0f, -5.208333333e-03f, -0.66666667f, -1.0f, -0.33333333f, -0.5f, -0.16666667f, -0.25f};
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(fp4_codebook()[i], expected[i]) << i;
    EXPECT_EQ(std::signbit(fp4_codebook()[i]), i >= 8) << i;
  }
}

TEST(Bnb4, NearestCodeWithBitsandbytesTies) {
  EXPECT_EQ(nf4_round(1.0f), 1.0f);
  EXPECT_EQ(nf4_round(0.03f), 0.0f);
  EXPECT_EQ(nf4_round(0.04f), 0.07958029955625534f);  // above bitsandbytes' 0.03979014977812767
  EXPECT_EQ(nf4_round(0.8614784181118011f), 0.7229568362236023f);  // on a midpoint: stays below
  EXPECT_EQ(nf4_round(-0.61f), -0.5250730514526367f);
  EXPECT_EQ(fp4_round(0.29f), 0.25f);   // threshold 0.29166667
  EXPECT_EQ(fp4_round(0.3f), 0.33333333f);
  EXPECT_EQ(fp4_round(-0.9f), -1.0f);
  EXPECT_TRUE(std::signbit(fp4_round(-0.001f)));  // sign-magnitude: -0 code
}

TEST(Bnb4, BlocksOfTheFlattenedTensor) {
  // 3 x 50 with blocks of 64: blocks straddle rows (bitsandbytes flattens); last block has 22
  TensorData t{{3, 50}, std::vector<double>(150, 0.25)};
  t.values[0] = 4;    // block 0 absmax 4: 0.25/4 = 0.0625 -> nf4 0.07958
  t.values[70] = -1;  // block 1 absmax 1
  auto q = make_quantizer("nf4");
  q->apply(t);
  EXPECT_EQ(t.values[0], 4.0);
  EXPECT_EQ(t.values[63], double(0.07958029955625534f * 4.0f));
  EXPECT_EQ(t.values[64], double(0.24611230194568634f));
  EXPECT_EQ(t.values[70], -1.0);
  EXPECT_EQ(t.values[149], 0.25);  // last partial block: absmax 0.25, code 1.0
  EXPECT_DOUBLE_EQ(q->bits_per_weight({3, 50}), 4 + 32.0 * 3 / 150);
}

TEST(Bnb4, LevelsPerBlockAndZeros) {
  TensorData t{{2, 64}, {}};
  for (int i = 0; i < 128; ++i) t.values.push_back(i < 64 ? 0.0 : std::sin(i * 0.37));
  for (auto [spec, blocks] : {std::pair{"nf4", 1u}, {"fp4", 1u}, {"nf4:g32", 2u}, {"fp4:g16", 4u}}) {
    TensorData c = t;
    make_quantizer(spec)->apply(c);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(c.values[i], 0.0) << spec;
    std::set<double> lv(c.values.begin() + 64, c.values.begin() + 128);
    EXPECT_LE(lv.size(), 16u * blocks) << spec;
  }
}
