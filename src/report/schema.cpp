#include "qspectra/report/schema.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include "qspectra/core/error.hpp"
#include "qspectra/layers/names.hpp"
#include "qspectra/report/json.hpp"

namespace qspectra::report {
namespace {

using pipeline::LayerResult;
using Getter = std::function<Cell(const LayerResult&)>;

Cell i64(int64_t v) { return Cell{v}; }
Cell dbl(double v) { return Cell{v}; }
Cell str(std::string v) { return Cell{std::move(v)}; }

// Columns that describe the layer itself and stay filled for non_finite layers.
const std::vector<std::string>& identity_columns() {
  static const std::vector<std::string> c = {"layer_id", "name", "tensor_shape", "file_dtype", "file",
                                             "M", "N", "Q", "rf", "layer_type", "longname", "status",
                                             "category", "method", "elapsed_ms", "non_finite_count", "block"};
  return c;
}

const std::map<std::string, Getter>& getters() {
  static const std::map<std::string, Getter> g = {
      {"layer_id", [](const LayerResult& r) { return i64(r.info.layer_id); }},
      {"name", [](const LayerResult& r) { return str(r.info.name); }},
      {"block", [](const LayerResult& r) {
         const auto b = layers::block_index(r.info.name);
         return b ? i64(*b) : Cell{};
       }},
      {"longname", [](const LayerResult& r) { return str(r.info.name); }},
      {"tensor_shape", [](const LayerResult& r) { return str(r.tensor_shape); }},
      {"file_dtype", [](const LayerResult& r) { return str(r.file_dtype); }},
      {"file", [](const LayerResult& r) { return str(r.file); }},
      {"layer_type", [](const LayerResult& r) { return str(std::string(layers::layer_type_name(r.info.type))); }},
      {"M", [](const LayerResult& r) { return i64(r.info.M); }},
      {"N", [](const LayerResult& r) { return i64(r.info.N); }},
      {"Q", [](const LayerResult& r) { return dbl(static_cast<double>(r.info.N) / static_cast<double>(r.info.M)); }},
      {"rf", [](const LayerResult& r) { return i64(r.info.rf); }},
      {"status", [](const LayerResult& r) { return str(r.status); }},
      {"has_esd", [](const LayerResult&) { return Cell{true}; }},
      {"D", [](const LayerResult& r) { return dbl(r.metrics.fit.D); }},
      {"alpha", [](const LayerResult& r) { return dbl(r.metrics.fit.alpha); }},
      {"xmin", [](const LayerResult& r) { return dbl(r.metrics.fit.xmin); }},
      {"xmax", [](const LayerResult& r) { return dbl(r.metrics.fit.xmax); }},
      {"sigma", [](const LayerResult& r) { return dbl(r.metrics.fit.sigma); }},
      {"num_pl_spikes", [](const LayerResult& r) { return i64(r.metrics.fit.num_pl_spikes); }},
      {"warning", [](const LayerResult& r) { return str(r.metrics.fit.warning); }},
      {"num_fingers", [](const LayerResult& r) { return i64(r.metrics.fit.num_fingers); }},
      {"raw_alpha", [](const LayerResult& r) { return dbl(r.metrics.fit.raw_alpha); }},
      {"alpha_weighted", [](const LayerResult& r) { return dbl(r.metrics.alpha_weighted); }},
      {"entropy", [](const LayerResult& r) { return dbl(r.metrics.entropy); }},
      {"lambda_max", [](const LayerResult& r) { return dbl(r.metrics.lambda_max); }},
      {"log_alpha_norm", [](const LayerResult& r) { return dbl(r.metrics.log_alpha_norm); }},
      {"log_norm", [](const LayerResult& r) { return dbl(r.metrics.log_norm); }},
      {"log_spectral_norm", [](const LayerResult& r) { return dbl(r.metrics.log_spectral_norm); }},
      {"matrix_rank", [](const LayerResult& r) { return i64(r.metrics.matrix_rank); }},
      {"norm", [](const LayerResult& r) { return dbl(r.metrics.norm); }},
      {"num_evals", [](const LayerResult& r) { return i64(r.metrics.num_evals); }},
      {"rank_loss", [](const LayerResult& r) { return i64(r.metrics.rank_loss); }},
      {"spectral_norm", [](const LayerResult& r) { return dbl(r.metrics.spectral_norm); }},
      {"stable_rank", [](const LayerResult& r) { return dbl(r.metrics.stable_rank); }},
      {"sv_max", [](const LayerResult& r) { return dbl(r.metrics.sv_max); }},
      {"sv_min", [](const LayerResult& r) { return dbl(r.metrics.sv_min); }},
      {"weak_rank_loss", [](const LayerResult& r) { return i64(r.metrics.weak_rank_loss); }},
      {"W_scale", [](const LayerResult& r) { return r.metrics.mp ? dbl(r.metrics.mp->W_scale) : Cell{}; }},
      {"bulk_max", [](const LayerResult& r) { return r.metrics.mp ? dbl(r.metrics.mp->bulk_max) : Cell{}; }},
      {"bulk_min", [](const LayerResult& r) { return r.metrics.mp ? dbl(r.metrics.mp->bulk_min) : Cell{}; }},
      {"mp_softrank", [](const LayerResult& r) { return r.metrics.mp ? dbl(r.metrics.mp->mp_softrank) : Cell{}; }},
      {"num_spikes", [](const LayerResult& r) { return r.metrics.mp ? i64(r.metrics.mp->num_spikes) : Cell{}; }},
      {"sigma_mp", [](const LayerResult& r) { return r.metrics.mp ? dbl(r.metrics.mp->sigma_mp) : Cell{}; }},
      {"category", [](const LayerResult& r) { return str(r.info.category); }},
      {"alpha_hill", [](const LayerResult& r) { return dbl(r.metrics.hill.alpha_hill); }},
      {"hill_k", [](const LayerResult& r) { return i64(r.metrics.hill.k); }},
      {"alpha_mid", [](const LayerResult& r) { return dbl(r.metrics.hill.alpha_mid); }},
      {"method", [](const LayerResult& r) { return str(r.method); }},
      {"elapsed_ms", [](const LayerResult& r) { return dbl(r.timing.total_ms()); }},
      {"non_finite_count", [](const LayerResult& r) { return i64(r.non_finite_count); }},
      {"fingers", [](const LayerResult& r) { return i64(r.metrics.fingers); }},
      {"detX_num", [](const LayerResult& r) { return r.metrics.detx ? i64(r.metrics.detx->num) : Cell{}; }},
      {"detX_val", [](const LayerResult& r) { return r.metrics.detx ? dbl(r.metrics.detx->val) : Cell{}; }},
      {"detX_val_unrescaled", [](const LayerResult& r) { return r.metrics.detx ? dbl(r.metrics.detx->val_unrescaled) : Cell{}; }},
      {"max_rand_eval", [](const LayerResult& r) { return r.metrics.randomized ? dbl(r.metrics.randomized->max_rand_eval) : Cell{}; }},
      {"rand_distance", [](const LayerResult& r) { return r.metrics.randomized ? dbl(r.metrics.randomized->rand_distance) : Cell{}; }},
      {"ww_softrank", [](const LayerResult& r) { return r.metrics.randomized ? dbl(r.metrics.randomized->ww_softrank) : Cell{}; }},
      {"ww_maxdist", [](const LayerResult& r) { return r.metrics.randomized ? dbl(r.metrics.randomized->ww_maxdist) : Cell{}; }},
      {"rand_W_scale", [](const LayerResult& r) { return r.metrics.randomized ? dbl(r.metrics.randomized->mp.W_scale) : Cell{}; }},
      {"rand_bulk_max", [](const LayerResult& r) { return r.metrics.randomized ? dbl(r.metrics.randomized->mp.bulk_max) : Cell{}; }},
      {"rand_bulk_min", [](const LayerResult& r) { return r.metrics.randomized ? dbl(r.metrics.randomized->mp.bulk_min) : Cell{}; }},
      {"rand_mp_softrank", [](const LayerResult& r) { return r.metrics.randomized ? dbl(r.metrics.randomized->mp.mp_softrank) : Cell{}; }},
      {"rand_num_spikes", [](const LayerResult& r) { return r.metrics.randomized ? i64(r.metrics.randomized->mp.num_spikes) : Cell{}; }},
      {"rand_sigma_mp", [](const LayerResult& r) { return r.metrics.randomized ? dbl(r.metrics.randomized->mp.sigma_mp) : Cell{}; }},
      {"alpha_ci_low", [](const LayerResult& r) { return r.metrics.bootstrap ? dbl(r.metrics.bootstrap->ci_low) : Cell{}; }},
      {"alpha_ci_high", [](const LayerResult& r) { return r.metrics.bootstrap ? dbl(r.metrics.bootstrap->ci_high) : Cell{}; }},
      {"xmin_stability", [](const LayerResult& r) { return r.metrics.bootstrap ? dbl(r.metrics.bootstrap->xmin_stability) : Cell{}; }},
      {"alpha_farms", [](const LayerResult& r) { return r.metrics.alpha_farms ? dbl(*r.metrics.alpha_farms) : Cell{}; }},
      {"quant_spec", [](const LayerResult& r) { return r.quant ? str(r.quant->spec) : Cell{}; }},
      {"bits_per_weight", [](const LayerResult& r) { return r.quant ? dbl(r.quant->bits_per_weight) : Cell{}; }},
      {"q_mse", [](const LayerResult& r) { return r.quant ? dbl(r.quant->mse) : Cell{}; }},
      {"q_rmse", [](const LayerResult& r) { return r.quant ? dbl(r.quant->rmse) : Cell{}; }},
      {"q_sqnr_db", [](const LayerResult& r) { return r.quant ? dbl(r.quant->sqnr_db) : Cell{}; }},
      {"q_max_err", [](const LayerResult& r) { return r.quant ? dbl(r.quant->max_err) : Cell{}; }},
      {"q_rel_max_err", [](const LayerResult& r) { return r.quant ? dbl(r.quant->rel_max_err) : Cell{}; }},
      {"q_distinct_levels", [](const LayerResult& r) { return r.quant ? i64(r.quant->distinct_levels) : Cell{}; }},
  };
  return g;
}

}  // namespace

std::vector<std::string> layer_columns(const LayerTableOptions& o) {
  std::vector<std::string> ww = {"D", "M", "N", "Q", "alpha", "alpha_weighted", "entropy", "has_esd",
                                 "lambda_max", "layer_type", "log_alpha_norm", "log_norm",
                                 "log_spectral_norm", "longname", "matrix_rank", "norm", "num_evals",
                                 "num_pl_spikes", "rank_loss", "rf", "sigma", "spectral_norm",
                                 "stable_rank", "status", "sv_max", "sv_min", "warning",
                                 "weak_rank_loss", "xmax", "xmin"};
  if (o.mp_fit) ww.insert(ww.end(), {"W_scale", "bulk_max", "bulk_min", "mp_softrank", "num_spikes", "sigma_mp"});
  if (o.fingers) ww.insert(ww.end(), {"num_fingers", "raw_alpha"});
  if (o.detx) ww.insert(ww.end(), {"detX_num", "detX_val", "detX_val_unrescaled"});
  if (o.randomize)
    ww.insert(ww.end(), {"max_rand_eval", "rand_W_scale", "rand_bulk_max", "rand_bulk_min", "rand_distance",
                         "rand_mp_softrank", "rand_num_spikes", "rand_sigma_mp", "ww_maxdist", "ww_softrank"});
  std::sort(ww.begin(), ww.end());  // pandas' order: plain byte order, upper case first
  std::vector<std::string> cols = {"layer_id", "name", "tensor_shape", "file_dtype", "file"};
  cols.insert(cols.end(), ww.begin(), ww.end());
  cols.insert(cols.end(), {"category", "alpha_hill", "hill_k", "alpha_mid", "method", "elapsed_ms",
                           "non_finite_count"});
  cols.push_back("block");
  cols.push_back("fingers");
  if (o.bootstrap) cols.insert(cols.end(), {"alpha_ci_low", "alpha_ci_high", "xmin_stability"});
  if (o.farms) cols.push_back("alpha_farms");
  if (o.quant)
    cols.insert(cols.end(), {"quant_spec", "bits_per_weight", "q_mse", "q_rmse", "q_sqnr_db",
                             "q_max_err", "q_rel_max_err", "q_distinct_levels"});
  return cols;
}

Cell layer_cell(const LayerResult& r, const std::string& column) {
  auto it = getters().find(column);
  if (it == getters().end()) throw InternalError("unknown layer column '" + column + "'");
  if (!r.analysed()) {
    const auto& keep = identity_columns();
    if (std::find(keep.begin(), keep.end(), column) == keep.end()) return Cell{};
  }
  return it->second(r);
}

Table layer_table(const std::vector<LayerResult>& layers, const LayerTableOptions& options) {
  Table t;
  t.columns = layer_columns(options);
  for (const auto& r : layers) {
    std::vector<Cell> row;
    row.reserve(t.columns.size());
    for (const auto& c : t.columns) row.push_back(layer_cell(r, c));
    t.rows.push_back(std::move(row));
  }
  return t;
}

nlohmann::ordered_json summary_means_json(const metrics::Summary& s) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const char* key : {"log_norm", "alpha", "alpha_weighted", "log_alpha_norm", "log_spectral_norm",
                          "stable_rank", "mp_softrank"}) {
    auto it = s.means.find(key);
    if (it != s.means.end()) j[key] = number_json(it->second);
  }
  j["alpha_median"] = number_json(s.alpha_median);
  j["alpha_iqr"] = number_json(s.alpha_iqr);
  return j;
}

nlohmann::ordered_json summary_counts_json(const metrics::Summary& s) {
  return {{"layers_analysed", s.num_layers}, {"alpha_in_2_6", s.alpha_in_2_6},
          {"alpha_below_2", s.alpha_below_2}, {"alpha_above_6", s.alpha_above_6},
          {"failed", s.failed}, {"non_finite", s.non_finite}};
}

void insert_block_column(Table& t, const std::string& name_column) {
  const std::size_t at = t.column_index(name_column);
  t.columns.insert(t.columns.begin() + static_cast<std::ptrdiff_t>(at) + 1, "block");
  for (auto& row : t.rows) {
    const auto* name = std::get_if<std::string>(&row.at(at));
    const auto b = name ? layers::block_index(*name) : std::nullopt;
    row.insert(row.begin() + static_cast<std::ptrdiff_t>(at) + 1, b ? Cell{*b} : Cell{});
  }
}

nlohmann::ordered_json left_out_of_means_json(const metrics::Summary& s) {
  nlohmann::ordered_json nan = nlohmann::ordered_json::object();
  for (const auto& [key, n] : s.nan_left_out) nan[key] = n;
  return {{"non_finite_weights", s.non_finite}, {"nan_value", nan}};
}

nlohmann::ordered_json infinite_in_means_json(const metrics::Summary& s) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [key, n] : s.infinite_kept) j[key] = n;
  return j;
}

std::string left_out_of_means_text(const metrics::Summary& s) {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (s.non_finite > 0) add(std::to_string(s.non_finite) + " layer(s) with NaN/Inf weights left out of every mean");
  for (const auto& [key, n] : s.nan_left_out)
    if (n > 0) add(key + ": " + std::to_string(n) + " NaN value(s) left out");
  for (const auto& [key, n] : s.infinite_kept)
    if (n > 0) add(key + ": " + std::to_string(n) + " infinite value(s) kept, so its mean is not finite");
  return out;
}

const std::vector<std::string>& evals_columns() {
  static const std::vector<std::string> c = {"name", "lambda"};
  return c;
}
const std::vector<std::string>& sweep_evals_columns() {
  static const std::vector<std::string> c = {"name", "variant", "lambda"};
  return c;
}

}  // namespace qspectra::report
