#include "qspectra/report/compare.hpp"

#include <map>

#include "qspectra/report/json.hpp"
#include "qspectra/report/schema.hpp"

namespace qspectra::report {
namespace {

double mean_of(const metrics::Summary& s, const std::string& key) {
  auto it = s.means.find(key);
  return it == s.means.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
}

double layer_value(const pipeline::LayerResult& r, const std::string& metric) {
  Cell c = layer_cell(r, metric);
  if (auto d = std::get_if<double>(&c)) return *d;
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

nlohmann::ordered_json compare_json(const pipeline::AnalysisResult& baseline,
                                    const pipeline::AnalysisResult& finetuned) {
  nlohmann::ordered_json b, f, d;
  for (const auto& m : compare_metrics()) {
    const double vb = mean_of(baseline.summary, m), vf = mean_of(finetuned.summary, m);
    b[m] = number_json(vb);
    f[m] = number_json(vf);
    d[m] = number_json(vf - vb);
  }
  return {{"baseline", b}, {"finetuned", f}, {"changes", d}};
}

Table compare_table(const pipeline::AnalysisResult& baseline, const pipeline::AnalysisResult& finetuned) {
  Table t;
  t.columns = {"name", "category", "presence"};
  for (const auto& m : compare_metrics())
    t.columns.insert(t.columns.end(), {m + "_baseline", m + "_finetuned", m + "_delta"});
  std::map<std::string, const pipeline::LayerResult*> base_by_name;
  for (const auto& r : baseline.layers) base_by_name[r.info.name] = &r;

  auto add_row = [&](const pipeline::LayerResult* b, const pipeline::LayerResult* f) {
    const auto& any = f ? *f : *b;
    std::vector<Cell> row = {any.info.name, any.info.category,
                             std::string(b && f ? "both" : b ? "baseline_only" : "finetuned_only")};
    for (const auto& m : compare_metrics()) {
      const double vb = b ? layer_value(*b, m) : std::numeric_limits<double>::quiet_NaN();
      const double vf = f ? layer_value(*f, m) : std::numeric_limits<double>::quiet_NaN();
      row.push_back(b ? Cell{vb} : Cell{});
      row.push_back(f ? Cell{vf} : Cell{});
      row.push_back(b && f ? Cell{vf - vb} : Cell{});
    }
    t.rows.push_back(std::move(row));
  };
  for (const auto& r : finetuned.layers) {
    auto it = base_by_name.find(r.info.name);
    add_row(it == base_by_name.end() ? nullptr : it->second, &r);
    if (it != base_by_name.end()) base_by_name.erase(it);
  }
  for (const auto& r : baseline.layers)
    if (base_by_name.count(r.info.name)) add_row(&r, nullptr);
  return t;
}

}  // namespace qspectra::report
