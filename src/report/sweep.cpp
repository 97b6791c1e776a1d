#include "qspectra/report/sweep.hpp"

#include <cctype>
#include <cmath>

#include "qspectra/report/json.hpp"
#include "qspectra/report/schema.hpp"

namespace qspectra::report {
std::string variant_column_suffix(const std::string& variant) {
  std::string s = variant;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

Table sweep_long_table(const pipeline::SweepResult& r, bool mp_fit) {
  LayerTableOptions opts;
  opts.mp_fit = mp_fit;
  opts.quant = true;
  Table t;
  t.columns = {"name", "category", "variant"};
  for (const auto& c : layer_columns(opts))
    if (c != "name" && c != "category") t.columns.push_back(c);
  for (const auto& row : r.layers)
    for (std::size_t v = 0; v < row.size(); ++v) {
      std::vector<Cell> cells = {row[v].info.name, row[v].info.category, r.variants[v]};
      for (std::size_t i = 3; i < t.columns.size(); ++i) cells.push_back(layer_cell(row[v], t.columns[i]));
      t.rows.push_back(std::move(cells));
    }
  return t;
}

Table alpha_hill_wide_table(const pipeline::SweepResult& r) {
  Table t;
  t.columns = {"layer_name", "category", "out_features", "in_features", "numel"};
  for (const auto& v : r.variants) {
    const auto s = variant_column_suffix(v);
    t.columns.insert(t.columns.end(), {"alpha_" + s, "k_used_" + s, "n_eigs_" + s, "method_" + s, "ww_alpha_" + s});
  }
  for (const auto& row : r.layers) {
    const auto& first = row.front();
    // out_features = shape[0]; in_features = the rest flattened (in*kh*kw for conv kernels).
    int64_t out_f = 0, numel = 1;
    std::vector<int64_t> shape;
    for (std::size_t p = 0, q; p <= first.tensor_shape.size(); p = q + 1) {
      q = first.tensor_shape.find('x', p);
      if (q == std::string::npos) q = first.tensor_shape.size();
      shape.push_back(std::stoll(first.tensor_shape.substr(p, q - p)));
    }
    for (auto d : shape) numel *= d;
    out_f = shape.empty() ? 0 : shape[0];
    std::vector<Cell> cells = {first.info.name, first.info.category, out_f, out_f ? numel / out_f : 0, numel};
    for (const auto& l : row) {
      if (!l.analysed()) {
        cells.insert(cells.end(), {Cell{}, Cell{}, Cell{}, l.status, Cell{}});
        continue;
      }
      cells.insert(cells.end(), {l.metrics.hill.alpha_hill, l.metrics.hill.k, l.metrics.hill.n_evals, l.method,
                                 l.metrics.fit.alpha});
    }
    t.rows.push_back(std::move(cells));
  }
  insert_block_column(t, "layer_name");
  return t;
}

Table summary_statistics_table(const pipeline::SweepResult& r) {
  Table t;
  t.columns = {"metric", "precision", "count", "mean", "std", "min", "median", "max", "q25", "q75"};
  for (const auto& [variant, d] : pipeline::alpha_hill_statistics(r))
    t.rows.push_back({std::string("alpha_hill"), variant, d.count, d.mean, d.std, d.min, d.median, d.max, d.q25, d.q75});
  return t;
}

Table ww_alpha_summary_table(const pipeline::SweepResult& r) {
  Table t;
  t.columns = {"variant", "count", "mean", "std", "median", "min", "max", "in_2_6", "below_2", "above_6"};
  for (const auto& s : pipeline::ww_alpha_summary(r))
    t.rows.push_back({s.variant, s.stats.count, s.stats.mean, s.stats.std, s.stats.median, s.stats.min, s.stats.max,
                      s.in_2_6, s.below_2, s.above_6});
  return t;
}

nlohmann::ordered_json sweep_comparison_json(const pipeline::SweepResult& r, std::size_t baseline) {
  nlohmann::ordered_json variants = nlohmann::ordered_json::array();
  for (const auto& c : pipeline::compare_variants(r, baseline))
    variants.push_back({{"variant", c.variant},
                        {"mean_alpha", number_json(c.mean_alpha)},
                        {"change_pct", number_json(c.change_pct)},
                        {"pearson_alpha", number_json(c.pearson_alpha)},
                        {"pearson_pairs", c.pearson_pairs},
                        {"pearson_alpha_hill", number_json(c.pearson_alpha_hill)},
                        {"layers_analysed", c.layers_analysed},
                        {"alpha_in_2_6", c.alpha_in_2_6},
                        {"alpha_in_2_6_pct", number_json(c.alpha_in_2_6_pct)},
                        {"alpha_below_2", c.alpha_below_2},
                        {"alpha_above_6", c.alpha_above_6},
                        {"failed", c.failed},
                        {"non_finite", c.non_finite}});
  return {{"baseline", r.variants[baseline]}, {"variants", variants}};
}

Table sweep_comparison_table(const pipeline::SweepResult& r, std::size_t baseline) {
  const auto j = sweep_comparison_json(r, baseline);
  Table t;
  t.columns = {"variant", "mean_alpha", "change_%", "pearson", "in_[2,6]", "%", "<2", ">6", "failed", "non_finite"};
  for (const auto& v : j["variants"]) {
    auto d = [&](const char* k) -> Cell {
      const auto& x = v[k];
      if (x.is_null()) return std::nan("");  // a non-finite number in JSON
      return x.get<double>();
    };
    t.rows.push_back({v["variant"].get<std::string>(), d("mean_alpha"), d("change_pct"), d("pearson_alpha"),
                      v["alpha_in_2_6"].get<int64_t>(), d("alpha_in_2_6_pct"), v["alpha_below_2"].get<int64_t>(),
                      v["alpha_above_6"].get<int64_t>(), v["failed"].get<int64_t>(), v["non_finite"].get<int64_t>()});
  }
  return t;
}

}  // namespace qspectra::report
