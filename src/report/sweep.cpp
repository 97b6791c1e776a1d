#include "qspectra/report/sweep.hpp"

#include <cctype>
#include <cmath>

#include "qspectra/report/json.hpp"
#include "qspectra/report/schema.hpp"
#include "qspectra/report/stats.hpp"

namespace qspectra::report {
namespace {

std::vector<double> column_values(const pipeline::SweepResult& r, std::size_t v,
                                  double (*get)(const pipeline::LayerResult&)) {
  std::vector<double> out;
  for (const auto& row : r.layers) out.push_back(row[v].analysed() ? get(row[v]) : std::nan(""));
  return out;
}
double ww_alpha(const pipeline::LayerResult& l) { return l.metrics.fit.alpha; }
double hill_alpha(const pipeline::LayerResult& l) { return l.metrics.hill.alpha_hill; }

struct VariantStats {
  double mean_alpha = 0;
  int64_t in_2_6 = 0, below_2 = 0, above_6 = 0, failed = 0, non_finite = 0, analysed = 0;
};

// Same rules as metrics::summarize: means over analysed layers, failed fits take part with -1.
VariantStats variant_stats(const pipeline::SweepResult& r, std::size_t v) {
  VariantStats s;
  std::vector<const metrics::LayerMetrics*> ms;
  for (const auto& row : r.layers) {
    if (!row[v].analysed()) { ++s.non_finite; continue; }
    ms.push_back(&row[v].metrics);
  }
  const auto sum = metrics::summarize(ms, s.non_finite);
  auto it = sum.means.find("alpha");
  s.mean_alpha = it == sum.means.end() ? std::nan("") : it->second;
  s.in_2_6 = sum.alpha_in_2_6;
  s.below_2 = sum.alpha_below_2;
  s.above_6 = sum.alpha_above_6;
  s.failed = sum.failed;
  s.analysed = sum.num_layers;
  return s;
}

}  // namespace

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
  t.columns = {"precision", "count", "mean", "std", "min", "median", "max", "q25", "q75"};
  for (std::size_t v = 0; v < r.variants.size(); ++v) {
    const auto d = describe(column_values(r, v, hill_alpha));
    t.rows.push_back({r.variants[v], d.count, d.mean, d.std, d.min, d.median, d.max, d.q25, d.q75});
  }
  return t;
}

nlohmann::ordered_json sweep_comparison_json(const pipeline::SweepResult& r, std::size_t baseline) {
  const auto base = variant_stats(r, baseline);
  const auto base_alpha = column_values(r, baseline, ww_alpha);
  const auto base_hill = column_values(r, baseline, hill_alpha);
  nlohmann::ordered_json variants = nlohmann::ordered_json::array();
  for (std::size_t v = 0; v < r.variants.size(); ++v) {
    const auto s = variant_stats(r, v);
    int64_t pairs = 0;
    const double corr = pearson(base_alpha, column_values(r, v, ww_alpha), &pairs);
    const double corr_hill = pearson(base_hill, column_values(r, v, hill_alpha));
    const double n = static_cast<double>(std::max<int64_t>(1, s.analysed));
    variants.push_back({{"variant", r.variants[v]},
                        {"mean_alpha", number_json(s.mean_alpha)},
                        {"change_pct", number_json(100.0 * (s.mean_alpha - base.mean_alpha) / std::fabs(base.mean_alpha))},
                        {"pearson_alpha", number_json(corr)},
                        {"pearson_pairs", pairs},
                        {"pearson_alpha_hill", number_json(corr_hill)},
                        {"layers_analysed", s.analysed},
                        {"alpha_in_2_6", s.in_2_6},
                        {"alpha_in_2_6_pct", number_json(100.0 * static_cast<double>(s.in_2_6) / n)},
                        {"alpha_below_2", s.below_2},
                        {"alpha_above_6", s.above_6},
                        {"failed", s.failed},
                        {"non_finite", s.non_finite}});
  }
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
