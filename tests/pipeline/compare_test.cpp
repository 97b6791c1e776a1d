// compare_analyses: summary means side by side, layers joined by name, overlap counted.
#include "qspectra/pipeline/compare.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "../common/analysis_builder.hpp"
#include "qspectra/core/error.hpp"

namespace qspectra::pipeline {
namespace {

using testing::analysis_of;
LayerResult layer(const std::string& name, double alpha, double log_norm) { return testing::fitted_layer(name, alpha, log_norm); }

TEST(CompareAnalyses, SameLayersGiveMeanAndPerLayerChanges) {
  const auto base = analysis_of({layer("model.layers.0.up", 3.0, 1.0), layer("model.layers.1.up", 5.0, 2.0)});
  const auto fine = analysis_of({layer("model.layers.0.up", 4.0, 1.5), layer("model.layers.1.up", 5.0, 1.0)});
  const auto c = compare_analyses(base, fine);
  EXPECT_EQ(c.in_both, 2u);
  EXPECT_FALSE(c.partial());
  ASSERT_EQ(c.means.size(), compared_metrics().size());
  EXPECT_EQ(c.means[1].metric, "alpha");
  EXPECT_DOUBLE_EQ(c.means[1].baseline, 4.0);
  EXPECT_DOUBLE_EQ(c.means[1].finetuned, 4.5);
  EXPECT_DOUBLE_EQ(c.means[1].change, 0.5);
  ASSERT_EQ(c.layers.size(), 2u);
  EXPECT_EQ(c.layers[0].presence, Presence::Both);
  EXPECT_DOUBLE_EQ(c.layers[0].delta[1], 1.0);   // alpha 4 - 3
  EXPECT_DOUBLE_EQ(c.layers[1].delta[0], -1.0);  // log_norm 1 - 2
}

TEST(CompareAnalyses, PartialOverlapIsCountedAndRowsAreInNaturalOrder) {
  const auto base = analysis_of({layer("model.layers.10.up", 3.0, 1.0), layer("model.layers.2.up", 3.0, 1.0),
                                 layer("model.embed_tokens", 2.0, 1.0)});
  const auto fine = analysis_of({layer("model.layers.2.up", 4.0, 1.0), layer("model.layers.10.up", 4.0, 1.0),
                                 layer("model.layers.4.tiny", 4.0, 1.0)});
  const auto c = compare_analyses(base, fine);
  EXPECT_TRUE(c.partial());
  EXPECT_EQ(c.in_both, 2u);
  EXPECT_EQ(c.baseline_only, 1u);
  EXPECT_EQ(c.finetuned_only, 1u);
  std::vector<std::string> names;
  for (const auto& l : c.layers) names.push_back(l.any().info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"model.embed_tokens", "model.layers.2.up", "model.layers.4.tiny",
                                             "model.layers.10.up"}));
  EXPECT_EQ(c.layers[0].presence, Presence::BaselineOnly);
  EXPECT_EQ(c.layers[0].finetuned, nullptr);
  EXPECT_TRUE(std::isnan(c.layers[0].delta[1]));
  EXPECT_EQ(c.layers[2].presence, Presence::FinetunedOnly);
  EXPECT_EQ(presence_name(Presence::FinetunedOnly), "finetuned_only");
}

TEST(CompareAnalyses, NoLayerInCommonIsAnInputError) {
  const auto base = analysis_of({layer("a.weight_one", 3.0, 1.0)});
  const auto fine = analysis_of({layer("b.weight_two", 3.0, 1.0)});
  try {
    compare_analyses(base, fine, "/models/base (--base)");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/models/base (--base)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no layer name in common"), std::string::npos) << e.what();
  }
}

TEST(ComparedValue, NonFiniteLayerHasNoValue) {
  auto l = layer("x", 3.0, 1.0);
  EXPECT_EQ(compared_value(l, "alpha"), 3.0);
  l.status = kStatusNonFinite;
  EXPECT_TRUE(std::isnan(compared_value(l, "alpha")));
  EXPECT_THROW(compared_value(l, "entropy"), InternalError);
}

}  // namespace
}  // namespace qspectra::pipeline
