#include "qspectra/report/rate_distortion.hpp"

#include <cmath>

#include "qspectra/rd/curves.hpp"
#include "qspectra/report/json.hpp"
#include "qspectra/report/schema.hpp"

namespace qspectra::report {
namespace {

std::string coverage(const rd::RateAtDistortion& t) { return std::string(rd::coverage_name(t.status)); }
Cell if_ok(const rd::RateAtDistortion& t, double v) { return t.status == rd::Coverage::Ok ? Cell{v} : Cell{}; }

}  // namespace

Table rd_curves_table(const pipeline::RdRunResult& r) {
  Table t;
  t.columns = {"name",      "category", "method",   "bits",     "rate",      "rate_with_codebook",
               "mse",       "sqnr_db",  "max_err",  "variance", "kurtosis",  "shannon_d",
               "gap_bits",  "skipped",  "note",     "gap_bits_with_codebook", "converged", "status"};
  for (const auto& l : r.layers)
    for (const auto& p : l.points) {
      const bool layer_finite = l.layer.non_finite_count == 0;
      const Cell variance = layer_finite ? Cell{l.moments.variance} : Cell{};
      const Cell kurtosis = layer_finite ? Cell{l.moments.kurtosis} : Cell{};
      if (p.skipped) {
        t.rows.push_back({l.layer.info.name, l.layer.info.category, p.method, int64_t{p.bits}, Cell{}, Cell{}, Cell{},
                          Cell{}, Cell{}, variance, kurtosis, Cell{}, Cell{}, true, p.note, Cell{}, p.converged,
                          p.status});
        continue;
      }
      t.rows.push_back({l.layer.info.name, l.layer.info.category, p.method, int64_t{p.bits}, p.rate,
                        p.rate_with_codebook, p.mse, p.sqnr_db, p.max_err, p.variance, kurtosis, p.shannon_d,
                        p.gap_bits, false, p.note, p.gap_bits_with_codebook, p.converged, p.status});
    }
  insert_block_column(t);
  return t;
}

Table rd_targets_table(const pipeline::RdRunResult& r) {
  Table t;
  t.columns = {"name", "category", "method", "target_fraction", "target_d", "r_emp", "r_shannon", "gap", "status"};
  for (const auto& l : r.layers)
    for (const auto& x : l.targets)
      t.rows.push_back({l.layer.info.name, l.layer.info.category, x.method, x.target_fraction, x.target_d,
                        if_ok(x.result, x.result.rate), x.result.shannon_rate, if_ok(x.result, x.result.gap_bits),
                        coverage(x.result)});
  insert_block_column(t);
  return t;
}

Table rd_category_table(const pipeline::RdRunResult& r) {
  Table t;
  t.columns = {"category", "method", "bits", "layers", "rate", "rate_with_codebook", "mse", "nmse", "gap_bits"};
  for (const auto& [cat, p] : pipeline::rd_category_curves(r))
    t.rows.push_back({cat, p.method, int64_t{p.bits}, int64_t{p.layers}, p.rate, p.rate_with_codebook, p.mse,
                      p.nmse, p.gap_bits});
  return t;
}

Table rd_gap_summary_table(const pipeline::RdRunResult& r) {
  Table t;
  t.columns = {"target_D/sigma^2", "method", "mean_R_emp", "mean_gap_bits", "layers", "insufficient_coverage"};
  for (const auto& row : pipeline::rd_gap_summary(r))
    t.rows.push_back({row.target_fraction, row.method, row.layers ? Cell{row.mean_r_emp} : Cell{},
                      row.layers ? Cell{row.mean_gap_bits} : Cell{}, row.layers, row.insufficient_coverage});
  return t;
}

nlohmann::ordered_json rd_summary_json(const pipeline::RdRunResult& r) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const auto& l : r.layers) {
    nlohmann::ordered_json points = nlohmann::ordered_json::array();
    for (const auto& p : l.points)
      points.push_back({{"method", p.method}, {"bits", p.bits}, {"skipped", p.skipped}, {"note", p.note},
                        {"rate", number_json(p.rate)}, {"rate_with_codebook", number_json(p.rate_with_codebook)},
                        {"mse", number_json(p.mse)}, {"sqnr_db", number_json(p.sqnr_db)},
                        {"max_err", number_json(p.max_err)}, {"shannon_d", number_json(p.shannon_d)},
                        {"gap_bits", number_json(p.gap_bits)},
                        {"gap_bits_with_codebook", number_json(p.gap_bits_with_codebook)},
                        {"converged", p.converged}, {"status", p.status}});
    nlohmann::ordered_json targets = nlohmann::ordered_json::array();
    for (const auto& x : l.targets)
      targets.push_back({{"method", x.method}, {"target_fraction", x.target_fraction},
                         {"target_d", number_json(x.target_d)}, {"status", coverage(x.result)},
                         {"r_emp", x.result.status == rd::Coverage::Ok ? number_json(x.result.rate) : nullptr},
                         {"r_shannon", number_json(x.result.shannon_rate)},
                         {"gap", x.result.status == rd::Coverage::Ok ? number_json(x.result.gap_bits) : nullptr}});
    layers.push_back({{"name", l.layer.info.name}, {"category", l.layer.info.category},
                      {"tensor_shape", l.layer.tensor_shape}, {"status", l.layer.status},
                      {"non_finite_count", l.layer.non_finite_count}, {"n", l.moments.n},
                      {"variance", number_json(l.moments.variance)}, {"kurtosis", number_json(l.moments.kurtosis)},
                      {"points", points}, {"targets", targets}});
  }
  return {{"layers", layers},
          {"categories", table_json(rd_category_table(r))},
          {"gap_summary", table_json(rd_gap_summary_table(r))}};
}

}  // namespace qspectra::report
