#include "qspectra/pipeline/shard.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>

#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::pipeline {
namespace {

bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

ShardSpec parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  ShardSpec s;
  if (slash == std::string::npos || !parse_int(std::string_view(text).substr(0, slash), s.index) ||
      !parse_int(std::string_view(text).substr(slash + 1), s.count))
    throw UsageError("--shard: expected I/N (e.g. 0/3), got '" + text + "'");
  if (s.count < 1) throw UsageError("--shard " + text + ": N must be at least 1");
  if (s.index < 0 || s.index >= s.count)
    throw UsageError("--shard " + text + ": I is 0-based and must be below N (0/" + std::to_string(s.count) + " ... " +
                     std::to_string(s.count - 1) + "/" + std::to_string(s.count) + ")");
  return s;
}

std::vector<int> shard_assignment(const std::vector<const layers::LayerInfo*>& todo, int count) {
  std::vector<int> shard(todo.size(), 0);
  if (count <= 1) return shard;
  std::vector<std::size_t> order(todo.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // todo is in natural name order, so a stable sort keeps equal costs in that order.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return spectrum_work(*todo[a]) > spectrum_work(*todo[b]); });
  std::vector<double> load(static_cast<std::size_t>(count), 0.0);
  for (std::size_t i : order) {
    const auto least = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    shard[i] = static_cast<int>(least);
    load[least] += spectrum_work(*todo[i]);
  }
  return shard;
}

void keep_shard(std::vector<const layers::LayerInfo*>& todo, const ShardSpec& spec) {
  if (spec.count <= 1) return;
  const auto shard = shard_assignment(todo, spec.count);
  std::vector<const layers::LayerInfo*> kept;
  for (std::size_t i = 0; i < todo.size(); ++i)
    if (shard[i] == spec.index) kept.push_back(todo[i]);
  todo = std::move(kept);
}

}  // namespace qspectra::pipeline
