// Metrics computed from the reference eigenvalues (evals.csv, 17 digits) against WW's tables:
// ww_layers.csv, fit_trace.csv (chosen xmin index), hill.csv and the summary means. This isolates the
// fit/norm/Hill/summary code from the SVD, so the tolerances here are tight.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../common/reference_csv.hpp"
#include "metrics_reference.hpp"
#include "qspectra/metrics/hill.hpp"
#include "qspectra/metrics/layer_metrics.hpp"
#include "qspectra/metrics/summary.hpp"

using namespace qspectra;
using namespace qspectra::testing;

namespace {

// LayerSpectrum from evals.csv plus the spectrum-stage facts of the reference row (sv_max, sv_min and
// rank_loss need the per-slice singular values, which evals.csv does not keep for conv2d).
LayerSpectrum spectrum_from_reference(const std::vector<double>& evals, const CsvRow& row) {
  LayerSpectrum s;
  s.evals = evals;
  s.N = row.integer("N");
  s.M = row.integer("M");
  s.rf = row.integer("rf");
  s.sv_max = row.num("sv_max");
  s.sv_min = row.num("sv_min");
  s.rank_loss = row.integer("rank_loss");
  s.method = "reference";
  return s;
}

double json_number(const nlohmann::json& j) {
  if (j.is_string()) return CsvRow::parse_double(j.get<std::string>());
  return j.get<double>();
}

struct FixtureCase {
  std::string fixture;    // folder under tests/data/reference
  std::string variant;    // "" or variants/<name> (ww_layers.csv and summary there)
  std::string evals_dir;  // where evals.csv is
  metrics::MetricsOptions options;
};

std::vector<FixtureCase> cases() {
  std::vector<FixtureCase> c;
  for (const char* f : {"synthetic-small", "edge-cases", "synthetic-small-q8", "synthetic-small-q4g128",
                        "llama2c-stories260K-plctlab", "silero-vad-v5-all-matrices"})
    c.push_back({f, "", f, {}});
  metrics::MetricsOptions clip;
  clip.fit.fix_fingers = metrics::FixFingers::ClipXmax;
  c.push_back({"synthetic-small", "variants/fix_fingers-clip_xmax", "synthetic-small", clip});
  c.push_back({"synthetic-small", "variants/keep-f64", "synthetic-small/variants/keep-f64", {}});
  return c;
}

class ReferenceEvals : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(ReferenceEvals, LayersFitHillSummary) {
  const FixtureCase& fc = GetParam();
  const std::string dir = ref_dir(fc.fixture) + (fc.variant.empty() ? "" : "/" + fc.variant);
  const auto table = read_csv(dir + "/ww_layers.csv");
  const auto evals = read_evals_csv(ref_dir(fc.evals_dir) + "/evals.csv");
  const bool base = fc.variant.empty();
  const auto trace = base ? read_csv(dir + "/fit_trace.csv") : CsvTable{};
  const auto hill = base ? read_csv(dir + "/hill.csv") : CsvTable{};

  // Same layer set.
  ASSERT_EQ(table.rows.size(), evals.size());
  std::vector<metrics::LayerMetrics> all;
  all.reserve(table.rows.size());
  for (const auto& row : table.rows) {
    const std::string name = row.str("name");
    ASSERT_TRUE(evals.count(name)) << name;
    metrics::MetricsOptions opt = fc.options;
    opt.fit.keep_trace = base;
    const auto m = metrics::compute_layer_metrics(spectrum_from_reference(evals.at(name), row), opt);
    CompareOptions co;
    co.rel = 1e-12;  // same eigenvalues: only summation order differs
    co.check_spectrum_facts = false;
    expect_matches(m, row, co);
    if (fc.options.fit.fix_fingers == metrics::FixFingers::ClipXmax) {
      EXPECT_EQ(m.fit.num_fingers, row.integer("num_fingers")) << name;
      EXPECT_TRUE(close(m.fit.raw_alpha, row.num("raw_alpha"), 1e-12)) << name;
    }
    if (base) {
      // The chosen candidate of fit_trace.csv is our xmin index, and every candidate matches.
      const auto rows = trace.where("name", name);
      if (m.fit.status == "success") {
        ASSERT_EQ(rows.size(), m.fit.trace.size()) << name;
        for (std::size_t k = 0; k < rows.size(); ++k) {
          const auto& t = *rows[k];
          const auto& c = m.fit.trace[k];
          ASSERT_EQ(c.i, t.integer("i"));
          ASSERT_EQ(c.n_tail, t.integer("n_tail"));
          EXPECT_EQ(c.xmin, t.num("xmin"));
          if (std::isfinite(t.num("alpha")) && std::fabs(t.num("alpha")) < 1e12) {  // §5.4: rounding-level alphas
            EXPECT_TRUE(close(c.alpha, t.num("alpha"), 1e-12)) << name << " i=" << c.i;
            EXPECT_TRUE(close(c.D, t.num("D"), 1e-12, 1e-15)) << name << " i=" << c.i;
            EXPECT_TRUE(close(c.sigma, t.num("sigma"), 1e-12)) << name << " i=" << c.i;
          }
          if (t.integer("chosen") == 1) EXPECT_EQ(m.fit.xmin_index, c.i) << name;
        }
      } else {
        EXPECT_TRUE(rows.empty()) << name;
      }
      // Alpha-Hill and alpha_mid (hill.csv)
      const auto& h = hill.find("name", name);
      EXPECT_EQ(m.hill.n_evals, h.integer("n_evals")) << name;
      if (h.num("k") == h.num("k")) {
        EXPECT_EQ(m.hill.k, h.integer("k")) << name;
        EXPECT_EQ(m.hill.mid_index, h.integer("mid_index")) << name;
      }
      EXPECT_TRUE(close(m.hill.threshold, h.num("threshold"), 0)) << name;
      EXPECT_TRUE(close(m.hill.alpha_hill, h.num("alpha_hill"), 1e-12)) << name;
      EXPECT_TRUE(close(m.hill.mid_xmin, h.num("mid_xmin"), 0)) << name;
      EXPECT_TRUE(close(m.hill.alpha_mid, h.num("alpha_mid"), 1e-12)) << name;
      EXPECT_TRUE(close(m.hill.D_mid, h.num("D_mid"), 1e-12, 1e-15)) << name;
    }
    all.push_back(m);
  }

  // Summary means (get_summary()).
  std::ifstream js(dir + "/ww_summary.json");
  ASSERT_TRUE(js.good());
  const auto j = nlohmann::json::parse(js);
  std::vector<const metrics::LayerMetrics*> ptrs;
  for (const auto& m : all) ptrs.push_back(&m);
  const auto s = metrics::summarize(ptrs);
  EXPECT_EQ(s.num_layers, static_cast<int64_t>(all.size()));
  for (const auto& [key, value] : j.at("summary").items()) {
    ASSERT_TRUE(s.means.count(key)) << key;
    EXPECT_TRUE(close(s.means.at(key), json_number(value), 1e-12)) << "summary " << key;
  }
  EXPECT_EQ(s.means.size(), j.at("summary").size());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReferenceEvals, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<FixtureCase>& i) {
                           std::string n = i.param.fixture + (i.param.variant.empty() ? "" : "_" + i.param.variant);
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// MP fit (mp_fit=True variants): the reference uses a KDE + grid + Nelder-Mead polish; we reproduce
// that procedure, and require 1e-3 relative (exact counts for num_spikes).
class ReferenceMpFit : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceMpFit, MatchesVariant) {
  const std::string fixture = GetParam();
  const auto table = read_csv(ref_dir(fixture) + "/variants/mp_fit/ww_layers.csv");
  const auto evals = read_evals_csv(ref_dir(fixture) + "/evals.csv");
  std::vector<metrics::LayerMetrics> all;
  for (const auto& row : table.rows) {
    const std::string name = row.str("name");
    SCOPED_TRACE(name);
    metrics::MetricsOptions opt;
    opt.mp_fit = true;
    const auto m = metrics::compute_layer_metrics(spectrum_from_reference(evals.at(name), row), opt);
    ASSERT_TRUE(m.mp.has_value());
    EXPECT_EQ(m.mp->num_spikes, row.integer("num_spikes"));
    EXPECT_TRUE(close(m.mp->sigma_mp, row.num("sigma_mp"), 1e-3)) << "sigma_mp";
    EXPECT_TRUE(close(m.mp->mp_softrank, row.num("mp_softrank"), 1e-3)) << "mp_softrank";
    EXPECT_TRUE(close(m.mp->W_scale, row.num("W_scale"), 1e-12)) << "W_scale";
    EXPECT_TRUE(close(m.mp->bulk_max, row.num("bulk_max"), 1e-3)) << "bulk_max";
    EXPECT_TRUE(close(m.mp->bulk_min, row.num("bulk_min"), 1e-3, 1e-12)) << "bulk_min";
    all.push_back(m);
  }
  std::ifstream js(ref_dir(fixture) + "/variants/mp_fit/ww_summary.json");
  const auto j = nlohmann::json::parse(js);
  std::vector<const metrics::LayerMetrics*> ptrs;
  for (const auto& m : all) ptrs.push_back(&m);
  const auto s = metrics::summarize(ptrs);
  ASSERT_TRUE(s.means.count("mp_softrank"));
  EXPECT_TRUE(close(s.means.at("mp_softrank"), json_number(j.at("summary").at("mp_softrank")), 1e-3));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReferenceMpFit, ::testing::Values("synthetic-small", "edge-cases"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
