#include "qspectra/report/quant_error.hpp"

#include <cmath>
#include <map>

#include "qspectra/core/error.hpp"
#include "qspectra/report/json.hpp"
#include "qspectra/report/schema.hpp"

namespace qspectra::report {
namespace {

// The columns the JSON summary averages.
const std::vector<std::string> kMeanColumns = {"rel_rmse", "sqnr_db", "rmse", "max_err", "alpha_w", "alpha_q",
                                               "alpha_e", "stable_rank_w", "stable_rank_q", "stable_rank_e",
                                               "mp_softrank_e", "num_spikes_e"};

Cell num(double v) { return Cell{v}; }

}  // namespace

Table quant_error_table(const std::vector<pipeline::LayerResult>& quantized,
                        const std::vector<pipeline::QuantErrorRow>& rows) {
  if (quantized.size() != rows.size()) throw InternalError("quant_error_table: layers and rows differ in number");
  Table t;
  t.columns = {"name", "block", "category", "tensor_shape", "quant_type", "source_name", "source_dtype",
               "alpha_w", "alpha_q", "alpha_e", "stable_rank_w", "stable_rank_q", "stable_rank_e",
               "log_spectral_norm_w", "log_spectral_norm_q", "log_spectral_norm_e", "status_w", "status_q", "status_e",
               "mp_softrank_e", "num_spikes_e", "sigma_mp_e", "bulk_max_e",
               "rms_w", "rmse", "rel_rmse", "sqnr_db", "max_err", "p95_abs_err", "median_abs_err"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& q = quantized[i];
    const auto& r = rows[i];
    // Empty cells (not WW's -1 of a failed fit, which would pull the JSON means) where a matrix has no
    // such number: not analysed (non-finite weights), a failed fit, E = 0 (layer stored unquantized).
    const bool no_error = r.error.status == pipeline::kStatusZeroError;
    auto has = [&](const pipeline::LayerResult& l) { return l.analysed() && !(&l == &r.error && no_error); };
    auto metric = [&](const pipeline::LayerResult& l, double v) { return has(l) ? num(v) : Cell{}; };
    auto alpha = [&](const pipeline::LayerResult& l) {
      return has(l) && l.status == "success" ? num(l.metrics.fit.alpha) : Cell{};
    };
    const auto& mp = r.error.metrics.mp;
    const bool mp_ok = has(r.error) && mp && mp->num_spikes >= 0;  // -1: the MP fit failed
    auto mp_cell = [&](double v) { return mp_ok ? num(v) : Cell{}; };
    t.rows.push_back({
        layer_cell(q, "name"), layer_cell(q, "block"), layer_cell(q, "category"), layer_cell(q, "tensor_shape"),
        Cell{q.file_dtype}, Cell{r.source_name}, Cell{r.source_dtype},
        alpha(r.source), alpha(q), alpha(r.error),
        metric(r.source, r.source.metrics.stable_rank), metric(q, q.metrics.stable_rank),
        metric(r.error, r.error.metrics.stable_rank),
        metric(r.source, r.source.metrics.log_spectral_norm), metric(q, q.metrics.log_spectral_norm),
        metric(r.error, r.error.metrics.log_spectral_norm),
        Cell{r.source.status}, Cell{q.status}, Cell{r.error.status},
        mp_cell(mp ? mp->mp_softrank : 0), mp_ok ? Cell{mp->num_spikes} : Cell{},
        mp_cell(mp ? mp->sigma_mp : 0), mp_cell(mp ? mp->bulk_max : 0),
        num(r.stats.rms_original), num(r.stats.rmse), num(r.stats.rel_rmse), num(r.stats.sqnr_db),
        num(r.stats.max_err), num(r.quantiles.p95), num(r.quantiles.median)});
  }
  return t;
}

nlohmann::ordered_json quant_error_json(const Table& table) {
  struct Acc {
    std::map<std::string, std::pair<double, int64_t>> sums;  // column -> (sum, count)
    int64_t layers = 0;
  };
  auto add = [&](Acc& a, const std::vector<Cell>& row) {
    ++a.layers;
    for (const auto& c : kMeanColumns) {
      const Cell& cell = row[table.column_index(c)];
      double v = NAN;
      if (const auto* d = std::get_if<double>(&cell)) v = *d;
      else if (const auto* n = std::get_if<int64_t>(&cell)) v = double(*n);
      auto& s = a.sums[c];
      if (std::isfinite(v)) s.first += v, ++s.second;
    }
  };
  auto to_json = [&](const Acc& a) {
    nlohmann::ordered_json j, means, n;
    j["layers"] = a.layers;
    for (const auto& c : kMeanColumns) {
      const auto it = a.sums.find(c);
      const auto [sum, count] = it == a.sums.end() ? std::pair<double, int64_t>{0, 0} : it->second;
      means[c] = count > 0 ? number_json(sum / double(count)) : nlohmann::ordered_json(nullptr);
      n[c] = count;
    }
    j["means"] = means;
    j["n"] = n;
    return j;
  };
  Acc all;
  std::map<std::string, Acc> by_category, by_type;
  const std::size_t cat = table.column_index("category"), type = table.column_index("quant_type");
  auto text = [](const Cell& c) { const auto* s = std::get_if<std::string>(&c); return s ? *s : std::string(); };
  for (const auto& row : table.rows) {
    add(all, row);
    add(by_category[text(row[cat])], row);
    add(by_type[text(row[type])], row);
  }
  nlohmann::ordered_json j = to_json(all);
  // Arrays of groups (not objects keyed by group) so that every key is a fixed, documented name.
  nlohmann::ordered_json jc = nlohmann::ordered_json::array(), jt = nlohmann::ordered_json::array();
  for (const auto& [k, a] : by_category) {
    nlohmann::ordered_json g = {{"category", k}};
    g.update(to_json(a));
    jc.push_back(std::move(g));
  }
  for (const auto& [k, a] : by_type) {
    nlohmann::ordered_json g = {{"quant_type", k}};
    g.update(to_json(a));
    jt.push_back(std::move(g));
  }
  j["by_category"] = jc;
  j["by_quant_type"] = jt;
  return j;
}

}  // namespace qspectra::report
