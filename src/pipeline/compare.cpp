#include "qspectra/pipeline/compare.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "qspectra/core/error.hpp"
#include "qspectra/io/gguf.hpp"
#include "qspectra/layers/names.hpp"

namespace qspectra::pipeline {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean_of(const metrics::Summary& s, const std::string& key) {
  auto it = s.means.find(key);
  return it == s.means.end() ? kNaN : it->second;
}

// A GGUF model's layer and its Hugging Face source's pair up under either name ("blk.0.attn_q" <->
// "model.layers.0.self_attn.q_proj"); empty when the name has no counterpart.
std::string counterpart(const std::string& name) {
  for (auto map : {io::gguf_to_hf_name, io::hf_to_gguf_name})
    if (const auto n = map(name + ".weight"); n && n->size() > 7) return n->substr(0, n->size() - 7);
  return {};
}

}  // namespace

const std::vector<std::string>& compared_metrics() {
  static const std::vector<std::string> m = {"log_norm", "alpha", "alpha_weighted", "log_alpha_norm",
                                             "log_spectral_norm", "stable_rank"};
  return m;
}

double compared_value(const LayerResult& r, const std::string& metric) {
  const auto& m = r.metrics;
  double v;
  if (metric == "log_norm") v = m.log_norm;
  else if (metric == "alpha") v = m.fit.alpha;
  else if (metric == "alpha_weighted") v = m.alpha_weighted;
  else if (metric == "log_alpha_norm") v = m.log_alpha_norm;
  else if (metric == "log_spectral_norm") v = m.log_spectral_norm;
  else if (metric == "stable_rank") v = m.stable_rank;
  else throw InternalError("not a compared metric: '" + metric + "'");
  return r.analysed() ? v : kNaN;
}

std::string_view presence_name(Presence p) {
  switch (p) {
    case Presence::Both: return "both";
    case Presence::BaselineOnly: return "baseline_only";
    case Presence::FinetunedOnly: return "finetuned_only";
  }
  return "both";
}

Comparison compare_analyses(const AnalysisResult& baseline, const AnalysisResult& finetuned,
                            const std::string& baseline_label) {
  Comparison c;
  for (const auto& m : compared_metrics()) {
    const double b = mean_of(baseline.summary, m), f = mean_of(finetuned.summary, m);
    c.means.push_back({m, b, f, f - b});
  }
  std::map<std::string, LayerChange> by_name;
  for (const auto& r : finetuned.layers) by_name[r.info.name].finetuned = &r;
  for (const auto& r : baseline.layers) {
    std::string key = r.info.name;
    if (!by_name.count(key))
      if (const auto c = counterpart(key); !c.empty() && by_name.count(c) && !by_name[c].baseline) key = c;
    by_name[key].baseline = &r;
  }
  for (auto& [name, change] : by_name) {
    change.presence = change.baseline && change.finetuned ? Presence::Both
                      : change.baseline                   ? Presence::BaselineOnly
                                                          : Presence::FinetunedOnly;
    (change.presence == Presence::Both ? c.in_both
     : change.presence == Presence::BaselineOnly ? c.baseline_only : c.finetuned_only)++;
    for (const auto& m : compared_metrics())
      change.delta.push_back(change.presence == Presence::Both
                                 ? compared_value(*change.finetuned, m) - compared_value(*change.baseline, m)
                                 : kNaN);
    c.layers.push_back(change);
  }
  std::stable_sort(c.layers.begin(), c.layers.end(), [](const LayerChange& a, const LayerChange& b) {
    return layers::natural_less(a.any().info.name, b.any().info.name);
  });
  if (c.in_both == 0)
    throw InputError(baseline_label, "no layer name in common with the analysed model (" +
                                         std::to_string(baseline.layers.size()) + " baseline layers, " +
                                         std::to_string(finetuned.layers.size()) +
                                         " analysed); nothing to compare");
  return c;
}

}  // namespace qspectra::pipeline
