#include "merge_outputs.hpp"

#include <algorithm>
#include <map>

#include "csv_records.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/metrics/summary.hpp"
#include "qspectra/pipeline/rate_distortion.hpp"
#include "qspectra/pipeline/sweep.hpp"
#include "qspectra/report/csv.hpp"
#include "qspectra/report/json.hpp"
#include "qspectra/report/rate_distortion.hpp"
#include "qspectra/report/sweep.hpp"
#include "ww_summary.hpp"

namespace qspectra::app::merge {
namespace {

// A per-layer CSV of every shard, joined: one header, then each layer's records from its shard.
struct LayerCsv {
  CsvFile merged;  // header + records in the single run's order (cells parsed too)
  std::string text;
};

LayerCsv merge_layer_csv(const ShardSet& set, const std::string& file, const std::string& key) {
  LayerCsv out;
  std::vector<CsvFile> parts;
  std::vector<std::map<std::string, std::vector<std::size_t>>> by_layer(set.shards.size());
  for (std::size_t s = 0; s < set.shards.size(); ++s) {
    parts.push_back(read_csv(set.path(s, file)));
    const CsvFile& f = parts.back();
    if (f.header != parts.front().header)
      throw InputError(f.path, "header differs from " + parts.front().path);
    std::map<std::string, std::string> name_of;  // the key cell as written -> layer name
    for (const auto& name : set.shards[s].layers) name_of[report::neutralise_formula(name)] = name;
    const std::size_t k = f.column(key);
    for (std::size_t r = 0; r < f.records.size(); ++r) {
      auto it = name_of.find(f.cells[r][k]);
      if (it == name_of.end())
        throw InputError(f.path, "row " + std::to_string(r + 1) + ": layer '" + f.cells[r][k] +
                                     "' is not one of this shard's layers (meta.shard.layers)");
      by_layer[s][it->second].push_back(r);
    }
  }
  out.merged.path = file + " (merged)";
  out.merged.header = parts.front().header;
  out.merged.columns = parts.front().columns;
  out.text = out.merged.header;
  for (const auto& name : set.layers) {
    const std::size_t s = set.owner.at(name);
    auto it = by_layer[s].find(name);
    if (it == by_layer[s].end()) continue;  // e.g. no eigenvalues for a layer that was not analysed
    for (std::size_t r : it->second) {
      out.text += parts[s].records[r];
      out.merged.records.push_back(parts[s].records[r]);
      out.merged.cells.push_back(parts[s].cells[r]);
    }
  }
  return out;
}

bool is_file(const ShardSet& set, const std::string& f) {
  return std::find(set.files.begin(), set.files.end(), f) != set.files.end();
}

// ww_summary.json from ww_layers.csv: metrics::summarize over the analysed layers in WW's reference
// order (layer_id, as analyze_model sums), non-finite ones counted.
std::string ww_summary(const ShardSet& set, const CsvFile& layers) {
  const std::size_t id = layers.column("layer_id"), status = layers.column("status");
  const std::size_t c_alpha = layers.column("alpha"), c_aw = layers.column("alpha_weighted"),
                    c_lan = layers.column("log_alpha_norm"), c_ln = layers.column("log_norm"),
                    c_lsn = layers.column("log_spectral_norm"), c_sr = layers.column("stable_rank");
  const bool mp = layers.has_column("mp_softrank");
  std::vector<std::pair<int64_t, metrics::LayerMetrics>> rows;
  int64_t non_finite = 0;
  for (std::size_t r = 0; r < layers.records.size(); ++r) {
    const std::string& st = layers.cells[r][status];
    if (st == pipeline::kStatusNonFinite) {
      ++non_finite;
      continue;
    }
    metrics::LayerMetrics m;
    m.fit.status = st;
    m.fit.alpha = cell_number(layers, r, c_alpha);
    m.alpha_weighted = cell_number(layers, r, c_aw);
    m.log_alpha_norm = cell_number(layers, r, c_lan);
    m.log_norm = cell_number(layers, r, c_ln);
    m.log_spectral_norm = cell_number(layers, r, c_lsn);
    m.stable_rank = cell_number(layers, r, c_sr);
    if (mp && !layers.cells[r][layers.column("mp_softrank")].empty()) {
      m.mp.emplace();
      m.mp->mp_softrank = cell_number(layers, r, layers.column("mp_softrank"));
    }
    rows.emplace_back(std::stoll(layers.cells[r][id]), std::move(m));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const metrics::LayerMetrics*> ptrs;
  for (const auto& [i, m] : rows) ptrs.push_back(&m);
  auto meta = merged_meta(set);
  if (meta.contains("layers_analysed")) meta["layers_analysed"] = layers.records.size();
  return ww_summary_document(metrics::summarize(ptrs, non_finite), meta).dump(2) + "\n";
}

// The SweepResult fields the sweep's summaries read (status, WW alpha, Alpha-Hill) from sweep_long.csv.
pipeline::SweepResult sweep_result(const ShardSet& set, const CsvFile& rows) {
  pipeline::SweepResult r;
  const auto& meta = set.shards.front().meta;
  r.variants = meta.at("variants").get<std::vector<std::string>>();
  const std::size_t name = rows.column("name"), variant = rows.column("variant"), status = rows.column("status"),
                    alpha = rows.column("alpha"), hill = rows.column("alpha_hill");
  std::map<std::string, std::size_t> layer_index, variant_index;
  for (const auto& l : set.layers) layer_index.emplace(report::neutralise_formula(l), layer_index.size());
  for (const auto& v : r.variants) variant_index.emplace(report::neutralise_formula(v), variant_index.size());
  r.layers.assign(set.layers.size(), std::vector<pipeline::LayerResult>(r.variants.size()));
  std::vector<std::vector<bool>> seen(set.layers.size(), std::vector<bool>(r.variants.size(), false));
  for (std::size_t i = 0; i < rows.records.size(); ++i) {
    const auto l = layer_index.find(rows.cells[i][name]);
    const auto v = variant_index.find(rows.cells[i][variant]);
    if (l == layer_index.end() || v == variant_index.end())
      throw InputError("sweep_long.csv", "row " + std::to_string(i + 1) + ": unknown layer or variant");
    auto& res = r.layers[l->second][v->second];
    res.info.name = set.layers[l->second];
    res.status = rows.cells[i][status];
    res.metrics.fit.status = res.status;
    res.metrics.fit.alpha = cell_number(rows, i, alpha);
    res.metrics.hill.alpha_hill = cell_number(rows, i, hill);
    seen[l->second][v->second] = true;
  }
  for (std::size_t l = 0; l < seen.size(); ++l)
    for (std::size_t v = 0; v < seen[l].size(); ++v)
      if (!seen[l][v]) throw InputError("sweep_long.csv", set.layers[l] + ": no row for variant " + r.variants[v]);
  return r;
}

// The RdRunResult fields rd_categories.csv and the gap summary read, from rd_curves.csv / rd_targets.csv.
pipeline::RdRunResult rd_result(const ShardSet& set, const CsvFile& curves, const CsvFile& targets) {
  pipeline::RdRunResult r;
  std::map<std::string, std::size_t> layer_index;
  for (const auto& l : set.layers) layer_index.emplace(report::neutralise_formula(l), layer_index.size());
  r.layers.resize(set.layers.size());
  for (std::size_t i = 0; i < set.layers.size(); ++i) r.layers[i].layer.info.name = set.layers[i];
  auto layer_of = [&](const CsvFile& f, std::size_t row) -> pipeline::RdLayerResult& {
    const auto it = layer_index.find(f.cells[row][f.column("name")]);
    if (it == layer_index.end()) throw InputError(f.path, "row " + std::to_string(row + 1) + ": unknown layer");
    auto& l = r.layers[it->second];
    l.layer.info.category = f.cells[row][f.column("category")];
    return l;
  };
  const auto num = [](const CsvFile& f, std::size_t row, const char* col) { return cell_number(f, row, f.column(col)); };
  for (std::size_t i = 0; i < curves.records.size(); ++i) {
    auto& l = layer_of(curves, i);
    rd::RdPoint p;
    p.method = curves.cells[i][curves.column("method")];
    p.bits = static_cast<int>(num(curves, i, "bits"));
    p.skipped = curves.cells[i][curves.column("skipped")] == "True";
    p.status = curves.cells[i][curves.column("status")];
    p.rate = num(curves, i, "rate");
    p.rate_with_codebook = num(curves, i, "rate_with_codebook");
    p.mse = num(curves, i, "mse");
    p.variance = num(curves, i, "variance");
    p.gap_bits = num(curves, i, "gap_bits");
    l.points.push_back(std::move(p));
  }
  for (std::size_t i = 0; i < targets.records.size(); ++i) {
    auto& l = layer_of(targets, i);
    pipeline::RdTargetResult t;
    t.method = targets.cells[i][targets.column("method")];
    t.target_fraction = num(targets, i, "target_fraction");
    t.result.status = targets.cells[i][targets.column("status")] == rd::coverage_name(rd::Coverage::Ok)
                          ? rd::Coverage::Ok
                          : rd::Coverage::InsufficientCoverage;  // the summaries only tell ok from not ok
    t.result.rate = num(targets, i, "r_emp");
    t.result.gap_bits = num(targets, i, "gap");
    l.targets.push_back(std::move(t));
  }
  return r;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> merged_files(const ShardSet& set, const std::string& out_dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<std::string> done;
  auto add = [&](const std::string& f, std::string content) {
    files.emplace_back(out_dir + "/" + f, std::move(content));
    done.push_back(f);
  };
  auto per_layer = [&](const std::string& f, const std::string& key) {
    auto m = merge_layer_csv(set, f, key);
    add(f, m.text);
    return std::move(m.merged);
  };

  if (set.tool == "ww-analyze") {
    if (!is_file(set, "ww_layers.csv")) throw InputError(set.shards.front().dir, "no ww_layers.csv (run the shards with --format csv,json)");
    const CsvFile layers = per_layer("ww_layers.csv", "name");
    add("ww_summary.json", ww_summary(set, layers));
    if (is_file(set, "ww_evals.csv")) per_layer("ww_evals.csv", "name");
  } else if (set.tool == "precision-sweep") {
    const CsvFile rows = per_layer("sweep_long.csv", "name");
    per_layer("precision_alpha_hill_results.csv", "layer_name");
    if (is_file(set, "sweep_evals.csv")) per_layer("sweep_evals.csv", "name");
    const auto r = sweep_result(set, rows);
    const auto base_name = set.shards.front().meta.at("baseline").get<std::string>();
    const auto base = std::find(r.variants.begin(), r.variants.end(), base_name);
    if (base == r.variants.end()) throw InputError(set.shards.front().dir, "meta.baseline is not one of meta.variants");
    add("precision_summary_statistics.csv", report::to_csv(report::summary_statistics_table(r)));
    add("precision_ww_alpha_summary.csv", report::to_csv(report::ww_alpha_summary_table(r)));
    auto j = report::sweep_comparison_json(r, static_cast<std::size_t>(base - r.variants.begin()));
    j["meta"] = merged_meta(set);
    if (j["meta"].contains("layers")) j["meta"]["layers"] = r.layers.size();
    if (j["meta"].contains("tensor_bytes_read")) {
      uint64_t bytes = 0;
      for (const auto& s : set.shards) bytes += s.meta.value("tensor_bytes_read", uint64_t{0});
      j["meta"]["tensor_bytes_read"] = bytes;
    }
    add("sweep_comparison.json", j.dump(2) + "\n");
  } else {
    const CsvFile curves = per_layer("rd_curves.csv", "name");
    const CsvFile targets = per_layer("rd_targets.csv", "name");
    const auto r = rd_result(set, curves, targets);
    add("rd_categories.csv", report::to_csv(report::rd_category_table(r)));
    auto j = report::rd_summary_json(r);
    // The per-layer entries as the shards wrote them (they hold what the CSVs leave out).
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    std::vector<std::map<std::string, nlohmann::ordered_json>> by_name(set.shards.size());
    for (std::size_t s = 0; s < set.shards.size(); ++s) {
      const auto doc = read_json(set.path(s, "rd_summary.json"));
      for (const auto& l : doc.at("layers")) by_name[s][l.at("name").get<std::string>()] = l;
    }
    for (const auto& name : set.layers) {
      auto& m = by_name[set.owner.at(name)];
      if (!m.count(name)) throw InputError(set.path(set.owner.at(name), "rd_summary.json"), "no entry for layer " + name);
      layers.push_back(m[name]);
    }
    j["layers"] = layers;
    j["meta"] = merged_meta(set);
    add("rd_summary.json", j.dump(2) + "\n");
  }
  for (const auto& f : set.files)
    if (std::find(done.begin(), done.end(), f) == done.end())
      throw InputError(set.path(0, f), "qspectra-merge does not know how to merge this file");
  return files;
}

}  // namespace qspectra::app::merge
