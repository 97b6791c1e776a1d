// Layer columns (block, natural identity columns) and the summary's account of what the means left out.
#include "qspectra/report/schema.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

namespace qspectra::report {
namespace {

TEST(LayerColumns, FingersAlwaysOptionalAnalysesOnRequest) {
  auto has = [](const std::vector<std::string>& cols, const char* c) {
    return std::find(cols.begin(), cols.end(), c) != cols.end();
  };
  const auto plain = layer_columns({});
  EXPECT_TRUE(has(plain, "fingers"));
  for (const char* c : {"detX_num", "rand_distance", "alpha_ci_low", "alpha_farms", "ww_softrank"})
    EXPECT_FALSE(has(plain, c)) << c;
  LayerTableOptions o;
  o.detx = o.randomize = o.bootstrap = o.farms = true;
  const auto all = layer_columns(o);
  for (const char* c : {"detX_num", "detX_val", "detX_val_unrescaled", "max_rand_eval", "rand_W_scale", "rand_bulk_max",
                        "rand_bulk_min", "rand_distance", "rand_mp_softrank", "rand_num_spikes", "rand_sigma_mp",
                        "ww_maxdist", "ww_softrank", "alpha_ci_low", "alpha_ci_high", "xmin_stability", "alpha_farms"})
    EXPECT_TRUE(has(all, c)) << c;
  // WW's own optional columns sit in its alphabetical block (before the qspectra columns).
  const auto pos = [&](const char* c) { return std::find(all.begin(), all.end(), c) - all.begin(); };
  EXPECT_LT(pos("detX_num"), pos("entropy"));
  EXPECT_LT(pos("ww_softrank"), pos("xmin"));
  EXPECT_GT(pos("alpha_ci_low"), pos("alpha_mid"));
}

TEST(LayerColumns, BlockIsAColumnFilledFromTheName) {
  const auto cols = layer_columns({});
  EXPECT_NE(std::find(cols.begin(), cols.end(), "block"), cols.end());
  EXPECT_EQ(cols.front(), "layer_id");
  pipeline::LayerResult r;
  r.info.name = "model.layers.12.mlp.up_proj";
  r.info.layer_id = 40;
  r.status = pipeline::kStatusNonFinite;  // identity columns stay filled
  EXPECT_EQ(std::get<int64_t>(layer_cell(r, "block")), 12);
  EXPECT_EQ(std::get<int64_t>(layer_cell(r, "layer_id")), 40);
  r.info.name = "lm_head";
  EXPECT_TRUE(std::holds_alternative<std::monostate>(layer_cell(r, "block")));
}

TEST(InsertBlockColumn, AfterTheNameColumn) {
  Table t;
  t.columns = {"layer_name", "x"};
  t.rows.push_back({std::string("transformer.h.11.mlp.c_fc"), 1.0});
  t.rows.push_back({std::string("transformer.wte"), 2.0});
  insert_block_column(t, "layer_name");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"layer_name", "block", "x"}));
  EXPECT_EQ(std::get<int64_t>(t.rows[0][1]), 11);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(t.rows[1][1]));
  EXPECT_EQ(std::get<double>(t.rows[1][2]), 2.0);
}

TEST(SummaryJson, NonFiniteMeansAreNullAndWhatWasLeftOutIsCounted) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  metrics::LayerMetrics a, b, c;
  for (auto* m : {&a, &b, &c}) {
    m->fit.status = "success";
    m->log_norm = m->log_alpha_norm = m->log_spectral_norm = m->stable_rank = 1.0;
  }
  a.fit.alpha = 3.0, b.fit.alpha = inf, c.fit.alpha = 4.0;  // alpha mean: inf (kept, as pandas)
  a.alpha_weighted = 1.0, b.alpha_weighted = nan, c.alpha_weighted = 2.0;  // NaN skipped: mean 1.5
  const auto s = metrics::summarize({&a, &b, &c}, 2);
  const auto means = summary_means_json(s);
  EXPECT_TRUE(means["alpha"].is_null());
  EXPECT_DOUBLE_EQ(means["alpha_weighted"].get<double>(), 1.5);
  const auto left_out = left_out_of_means_json(s);
  EXPECT_EQ(left_out["non_finite_weights"], 2);
  EXPECT_EQ(left_out["nan_value"]["alpha_weighted"], 1);
  EXPECT_EQ(left_out["nan_value"]["alpha"], 0);
  EXPECT_EQ(infinite_in_means_json(s)["alpha"], 1);
  const auto text = left_out_of_means_text(s);
  EXPECT_NE(text.find("2 layer(s) with NaN/Inf weights"), std::string::npos) << text;
  EXPECT_NE(text.find("alpha_weighted: 1 NaN value(s) left out"), std::string::npos) << text;
  EXPECT_NE(text.find("alpha: 1 infinite value(s) kept"), std::string::npos) << text;
  EXPECT_TRUE(left_out_of_means_text(metrics::summarize({&a, &c})).empty());
}

}  // namespace
}  // namespace qspectra::report
