// ww_compare.json / ww_compare.csv from a Comparison: values as computed, nothing recomputed.
#include "qspectra/report/compare.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "../common/analysis_builder.hpp"

namespace qspectra::report {
namespace {

using testing::analysis_of;
pipeline::LayerResult layer(const std::string& name, double alpha) { return testing::fitted_layer(name, alpha); }

TEST(CompareReport, JsonHasMeansChangesAndOverlap) {
  const auto base = analysis_of({layer("h.2.q", 3.0), layer("h.10.q", 5.0), layer("wte", 2.0)});
  auto fine = analysis_of({layer("h.2.q", 3.5), layer("h.10.q", std::numeric_limits<double>::infinity())});
  const auto c = pipeline::compare_analyses(base, fine);
  const auto j = compare_json(c);
  EXPECT_DOUBLE_EQ(j["baseline"]["alpha"].get<double>(), 10.0 / 3.0);
  EXPECT_TRUE(j["finetuned"]["alpha"].is_null());  // inf: strict JSON
  EXPECT_TRUE(j["changes"]["alpha"].is_null());
  EXPECT_DOUBLE_EQ(j["changes"]["stable_rank"].get<double>(), 0.0);
  EXPECT_EQ(j["layers"]["in_both"], 2);
  EXPECT_EQ(j["layers"]["baseline_only"], 1);
  EXPECT_EQ(j["layers"]["finetuned_only"], 0);
  EXPECT_EQ(j["layers"]["baseline_only_names"], nlohmann::ordered_json::array({"wte"}));
  EXPECT_NE(overlap_text(c).find("1 only in the baseline (e.g. wte)"), std::string::npos) << overlap_text(c);
}

TEST(CompareReport, TableRowsInNaturalOrderWithBlockAndPresence) {
  const auto base = analysis_of({layer("h.2.q", 3.0), layer("h.10.q", 5.0), layer("wte", 2.0)});
  const auto fine = analysis_of({layer("h.10.q", 4.0), layer("h.2.q", 3.5)});
  const auto t = compare_table(pipeline::compare_analyses(base, fine));
  ASSERT_EQ(t.rows.size(), 3u);
  const auto name = t.column_index("name"), block = t.column_index("block"), presence = t.column_index("presence");
  EXPECT_EQ(std::get<std::string>(t.rows[0][name]), "h.2.q");
  EXPECT_EQ(std::get<int64_t>(t.rows[0][block]), 2);
  EXPECT_EQ(std::get<std::string>(t.rows[1][name]), "h.10.q");
  EXPECT_EQ(std::get<std::string>(t.rows[2][name]), "wte");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t.rows[2][block]));
  EXPECT_EQ(std::get<std::string>(t.rows[2][presence]), "baseline_only");
  EXPECT_DOUBLE_EQ(std::get<double>(t.rows[1][t.column_index("alpha_delta")]), -1.0);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t.rows[2][t.column_index("alpha_finetuned")]));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t.rows[2][t.column_index("alpha_delta")]));
  EXPECT_TRUE(overlap_text(pipeline::compare_analyses(base, base)).empty());
}

}  // namespace
}  // namespace qspectra::report
