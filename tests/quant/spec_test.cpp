#include "qspectra/quant/spec.hpp"

#include <gtest/gtest.h>

#include "qspectra/core/error.hpp"
#include "qspectra/quant/quantizer.hpp"

using namespace qspectra::quant;

TEST(QuantSpec, CanonicalForms) {
  const std::pair<const char*, const char*> cases[] = {
      {"fp16", "fp16"},         {"sym:8", "sym:8"},         {"sym:8:channel", "sym:8:channel"},
      {"sym:4:g128", "sym:4:g128"}, {"sym:4:g", "sym:4:g128"}, {"usym:3", "usym:3"},
      {"asym:4:g32", "asym:4:g32"}, {"asym:2:channel", "asym:2:channel"}, {"clip:4:3s", "clip:4:3s"},
      {"clip:4:2.5s", "clip:4:2.5s"}, {"nf4", "nf4"},     {"nf4:g64", "nf4"},
      {"nf4:g", "nf4"},         {"fp4:g128", "fp4:g128"},   {"lloyd:3", "lloyd:3"},
  };
  for (auto [in, out] : cases) {
    EXPECT_EQ(parse_quant_spec(in).canonical(), out) << in;
    EXPECT_EQ(make_quantizer(in)->spec(), out) << in;
    EXPECT_FALSE(make_quantizer(in)->is_precision_cast() && std::string(in).find(':') != std::string::npos);
  }
  const auto s = parse_quant_spec("sym:4:g64");
  EXPECT_EQ(s.kind, QuantKind::Sym);
  EXPECT_EQ(s.bits, 4);
  EXPECT_EQ(s.granularity, Granularity::Group);
  EXPECT_EQ(s.group, 64);
  EXPECT_EQ(parse_quant_spec("clip:3:2.5s").clip_sigmas, 2.5);
  EXPECT_EQ(parse_quant_spec("fp4").granularity, Granularity::FlatBlock);
}

TEST(QuantSpec, BadSpecsNameTheRule) {
  auto msg = [](const char* spec) {
    try {
      parse_quant_spec(spec);
    } catch (const qspectra::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(msg("sym:1"), "sym: B must be in [2,16], got 1");
  EXPECT_EQ(msg("sym:17"), "sym: B must be in [2,16], got 17");
  EXPECT_EQ(msg("usym:0"), "usym: B must be in [1,16], got 0");
  EXPECT_EQ(msg("asym:17:channel"), "asym: B must be in [1,16], got 17");
  EXPECT_EQ(msg("lloyd:9"), "lloyd: B must be in [1,8], got 9");
  EXPECT_EQ(msg("clip:1:3s"), "clip: B must be in [2,16], got 1");
  EXPECT_NE(msg("sym:x").find("B must be an integer"), std::string::npos);
  EXPECT_NE(msg("sym:4:row").find("granularity must be 'channel' or 'gG'"), std::string::npos);
  EXPECT_NE(msg("sym:4:g0").find("G >= 1"), std::string::npos);
  EXPECT_NE(msg("nf4:channel").find("granularity must be 'gG'"), std::string::npos);
  EXPECT_NE(msg("clip:4:3").find("K must be a positive number followed by 's'"), std::string::npos);
  EXPECT_NE(msg("clip:4:-1s").find("K must be"), std::string::npos);
  EXPECT_NE(msg("clip:4").find("expected clip:B:Ks"), std::string::npos);
  EXPECT_NE(msg("sym").find("expected sym:B"), std::string::npos);
  EXPECT_NE(msg("usym:4:channel").find("expected usym:B"), std::string::npos);
  EXPECT_NE(msg("int8").find("unknown quantizer spec 'int8'"), std::string::npos);
  EXPECT_NE(msg("").find("unknown quantizer spec"), std::string::npos);
  EXPECT_NE(msg("FP16").find("unknown"), std::string::npos);
  EXPECT_THROW(make_quantizer("sym:1"), qspectra::UsageError);
}

TEST(QuantSpec, RulesListEveryFamily) {
  EXPECT_EQ(quant_spec_rules().size(), 9u);  // 8 families + the GGML types
}
