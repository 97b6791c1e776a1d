#include "model_series.hpp"

#include <fstream>
#include <map>

#include "outputs.hpp"
#include "qspectra/core/error.hpp"

namespace qspectra::app {

std::vector<std::string> model_list(const std::vector<std::string>& dirs, const std::string& list_file) {
  std::vector<std::string> out = dirs;
  if (list_file.empty()) return out;
  std::ifstream in(list_file);
  if (!in) throw InputError(list_file, "cannot read the model list (--models)");
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    out.push_back(line.substr(first));
  }
  if (out.empty()) throw InputError(list_file, "lists no model (--models)");
  return out;
}

std::vector<NamedModel> model_names(const std::vector<std::string>& paths) {
  std::vector<NamedModel> out;
  std::map<std::string, std::string> seen;
  for (const auto& p : paths) {
    std::string name = default_out_dir_name(p, "ww");
    name.resize(name.size() - 3);  // without ".ww"
    if (auto [it, fresh] = seen.emplace(name, p); !fresh)
      throw UsageError("two models are named '" + name + "' (" + it->second + ", " + p +
                       "): their out-dirs would collide; analyse them in separate calls");
    out.push_back({name, p});
  }
  return out;
}

report::Table models_table(const std::vector<ModelRow>& rows) {
  static const std::vector<std::string> means = {"log_norm",          "alpha",      "alpha_weighted", "log_alpha_norm",
                                                 "log_spectral_norm", "stable_rank"};
  report::Table t;
  t.columns = {"model", "path", "layers"};
  t.columns.insert(t.columns.end(), means.begin(), means.end());
  t.columns.insert(t.columns.end(), {"alpha_median", "alpha_in_2_6", "alpha_below_2", "alpha_above_6", "failed", "non_finite"});
  const bool changes = !rows.empty() && !rows.front().changes.empty();
  if (changes)
    for (const auto& [metric, change] : rows.front().changes) t.columns.push_back("change_" + metric);
  for (const auto& r : rows) {
    std::vector<report::Cell> cells = {r.model, r.path, r.layers};
    for (const auto& m : means) {
      const auto it = r.summary.means.find(m);
      cells.push_back(it == r.summary.means.end() ? report::Cell{} : report::Cell{it->second});
    }
    const auto& s = r.summary;
    cells.insert(cells.end(), {s.alpha_median, s.alpha_in_2_6, s.alpha_below_2, s.alpha_above_6, s.failed, s.non_finite});
    if (changes)
      for (const auto& [metric, change] : r.changes) cells.push_back(change);
    t.rows.push_back(std::move(cells));
  }
  return t;
}

}  // namespace qspectra::app
