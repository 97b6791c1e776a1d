#include "qspectra/report/rate_distortion.hpp"

#include <cmath>
#include <map>

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
  t.columns = {"name", "category", "method", "bits", "rate", "rate_with_codebook", "mse", "sqnr_db", "max_err",
               "variance", "kurtosis", "shannon_d", "gap_bits", "skipped", "note"};
  for (const auto& l : r.layers)
    for (const auto& p : l.points) {
      if (p.skipped) {
        t.rows.push_back({l.layer.info.name, l.layer.info.category, p.method, int64_t{p.bits}, Cell{}, Cell{}, Cell{},
                          Cell{}, Cell{}, l.moments.variance, l.moments.kurtosis, Cell{}, Cell{}, true, p.note});
        continue;
      }
      t.rows.push_back({l.layer.info.name, l.layer.info.category, p.method, int64_t{p.bits}, p.rate,
                        p.rate_with_codebook, p.mse, p.sqnr_db, p.max_err, p.variance, l.moments.kurtosis,
                        p.shannon_d, p.gap_bits, false, p.note});
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
  std::map<std::string, std::vector<rd::RdPoint>> by_cat;
  std::vector<std::string> order;
  for (const auto& l : r.layers) {
    for (const std::string& cat : {l.layer.info.category, std::string("all")}) {
      if (!by_cat.count(cat)) order.push_back(cat);
      auto& v = by_cat[cat];
      v.insert(v.end(), l.points.begin(), l.points.end());
    }
  }
  Table t;
  t.columns = {"category", "method", "bits", "layers", "rate", "rate_with_codebook", "mse", "nmse", "gap_bits"};
  for (const auto& cat : order)
    for (const auto& p : rd::mean_curves(by_cat[cat]))
      t.rows.push_back({cat, p.method, int64_t{p.bits}, int64_t{p.layers}, p.rate, p.rate_with_codebook, p.mse,
                        p.nmse, p.gap_bits});
  return t;
}

Table rd_gap_summary_table(const pipeline::RdRunResult& r) {
  struct Acc { double r_emp = 0, gap = 0; int64_t ok = 0, missing = 0; };
  std::map<std::pair<double, std::string>, Acc> acc;
  std::vector<std::pair<double, std::string>> order;
  for (const auto& l : r.layers)
    for (const auto& x : l.targets) {
      auto key = std::make_pair(x.target_fraction, x.method);
      if (!acc.count(key)) order.push_back(key);
      auto& a = acc[key];
      if (x.result.status == rd::Coverage::Ok) {
        a.r_emp += x.result.rate;
        a.gap += x.result.gap_bits;
        ++a.ok;
      } else {
        ++a.missing;
      }
    }
  Table t;
  t.columns = {"target_D/sigma^2", "method", "mean_R_emp", "mean_gap_bits", "layers", "insufficient_coverage"};
  for (const auto& key : order) {
    const auto& a = acc[key];
    const double n = static_cast<double>(a.ok);
    t.rows.push_back({key.first, key.second, a.ok ? Cell{a.r_emp / n} : Cell{}, a.ok ? Cell{a.gap / n} : Cell{},
                      a.ok, a.missing});
  }
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
                        {"gap_bits", number_json(p.gap_bits)}});
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
