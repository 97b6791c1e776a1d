#include "qspectra/report/compare.hpp"

#include "qspectra/report/json.hpp"
#include "qspectra/report/schema.hpp"

namespace qspectra::report {

nlohmann::ordered_json compare_json(const pipeline::Comparison& c) {
  nlohmann::ordered_json b, f, d;
  for (const auto& m : c.means) {
    b[m.metric] = number_json(m.baseline);
    f[m.metric] = number_json(m.finetuned);
    d[m.metric] = number_json(m.change);
  }
  nlohmann::ordered_json only_b = nlohmann::ordered_json::array(), only_f = nlohmann::ordered_json::array();
  for (const auto& l : c.layers) {
    if (l.presence == pipeline::Presence::BaselineOnly) only_b.push_back(l.any().info.name);
    if (l.presence == pipeline::Presence::FinetunedOnly) only_f.push_back(l.any().info.name);
  }
  return {{"baseline", b},
          {"finetuned", f},
          {"changes", d},
          {"layers", {{"in_both", c.in_both}, {"baseline_only", c.baseline_only},
                      {"finetuned_only", c.finetuned_only}, {"baseline_only_names", only_b},
                      {"finetuned_only_names", only_f}}}};
}

Table compare_table(const pipeline::Comparison& c) {
  Table t;
  t.columns = {"name", "block", "category", "presence"};
  for (const auto& m : pipeline::compared_metrics())
    t.columns.insert(t.columns.end(), {m + "_baseline", m + "_finetuned", m + "_delta"});
  for (const auto& l : c.layers) {
    const auto& any = l.any();
    std::vector<Cell> row = {any.info.name, layer_cell(any, "block"), any.info.category,
                             std::string(pipeline::presence_name(l.presence))};
    const auto& metrics = pipeline::compared_metrics();
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      row.push_back(l.baseline ? Cell{pipeline::compared_value(*l.baseline, metrics[i])} : Cell{});
      row.push_back(l.finetuned ? Cell{pipeline::compared_value(*l.finetuned, metrics[i])} : Cell{});
      row.push_back(l.presence == pipeline::Presence::Both ? Cell{l.delta[i]} : Cell{});
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string overlap_text(const pipeline::Comparison& c) {
  if (!c.partial()) return {};
  auto first = [&](pipeline::Presence p) {
    for (const auto& l : c.layers)
      if (l.presence == p) return l.any().info.name;
    return std::string();
  };
  std::string s = std::to_string(c.in_both) + " layer(s) in both";
  if (c.baseline_only)
    s += "; " + std::to_string(c.baseline_only) + " only in the baseline (e.g. " +
         first(pipeline::Presence::BaselineOnly) + ")";
  if (c.finetuned_only)
    s += "; " + std::to_string(c.finetuned_only) + " only in the analysed model (e.g. " +
         first(pipeline::Presence::FinetunedOnly) + ")";
  return s + "; the summary means are over each model's own layers";
}

}  // namespace qspectra::report
