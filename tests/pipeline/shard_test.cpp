// --shard I/N: the partition of the selected layers (pipeline/shard.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/pipeline/shard.hpp"

namespace qspectra::pipeline {
namespace {

std::vector<layers::LayerInfo> make_layers(const std::vector<std::pair<int64_t, int64_t>>& shapes) {
  std::vector<layers::LayerInfo> out;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    layers::LayerInfo l;
    l.name = "model.layers." + std::to_string(i) + ".w";
    l.N = std::max(shapes[i].first, shapes[i].second);
    l.M = std::min(shapes[i].first, shapes[i].second);
    out.push_back(l);
  }
  return out;
}

std::vector<const layers::LayerInfo*> pointers(const std::vector<layers::LayerInfo>& ls) {
  std::vector<const layers::LayerInfo*> p;
  for (const auto& l : ls) p.push_back(&l);
  return p;
}

TEST(Shard, ParsesIOverN) {
  const auto s = parse_shard("2/3");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(parse_shard("0/1").count, 1);
  for (const char* bad : {"3/3", "4/3", "-1/3", "0/0", "1", "/3", "1/", "a/3", "1/3x", " 1/3"})
    EXPECT_THROW(parse_shard(bad), UsageError) << bad;
}

TEST(Shard, LargestFirstOntoTheLeastLoadedShard) {
  // Costs N*M^2: 8, 1, 1, 27, 8, 1 (x 1e6 scale irrelevant). Largest first: 27 -> 0, 8 (layer 0) -> 1,
  // 8 (layer 4) -> 2, then the 1s onto the least loaded (1, then 2, ...), ties to the lowest index.
  const auto ls = make_layers({{200, 200}, {100, 100}, {100, 100}, {300, 300}, {200, 200}, {100, 100}});
  EXPECT_EQ(shard_assignment(pointers(ls), 3), (std::vector<int>{1, 1, 2, 0, 2, 1}));
  EXPECT_EQ(shard_assignment(pointers(ls), 1), (std::vector<int>(6, 0)));
}

TEST(Shard, EveryLayerInExactlyOneShardInOrderAndBalanced) {
  std::mt19937_64 rng(7);
  std::vector<std::pair<int64_t, int64_t>> shapes;
  for (int i = 0; i < 97; ++i) shapes.emplace_back(64 + int64_t(rng() % 2048), 64 + int64_t(rng() % 512));
  const auto ls = make_layers(shapes);
  const auto all = pointers(ls);
  double max_cost = 0;
  for (const auto* l : all) max_cost = std::max(max_cost, spectrum_work(*l));
  for (int n : {1, 2, 3, 7, 16, 120}) {
    std::vector<const layers::LayerInfo*> seen;
    std::vector<double> load;
    for (int i = 0; i < n; ++i) {
      auto part = all;
      keep_shard(part, {i, n});
      EXPECT_TRUE(std::is_sorted(part.begin(), part.end())) << "shard keeps the run's order";
      double cost = 0;
      for (const auto* l : part) cost += spectrum_work(*l);
      load.push_back(cost);
      seen.insert(seen.end(), part.begin(), part.end());
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, all) << n << " shards: each layer exactly once";
    // Greedy largest-first: no shard exceeds the least-loaded one by more than the largest layer.
    EXPECT_LE(*std::max_element(load.begin(), load.end()) - *std::min_element(load.begin(), load.end()), max_cost) << n;
    // Deterministic: the same assignment on every call (and machine: integer-valued costs).
    EXPECT_EQ(shard_assignment(all, n), shard_assignment(all, n));
  }
}

TEST(Shard, A70BModelSplitsEvenly) {
  // 560 matrices of a 70B model (80 blocks x 7), the largest 8192x28672: 8 shards within 5% of each other.
  std::vector<std::pair<int64_t, int64_t>> shapes;
  for (int b = 0; b < 80; ++b)
    for (auto s : std::vector<std::pair<int64_t, int64_t>>{{8192, 8192}, {1024, 8192}, {1024, 8192}, {8192, 8192},
                                                           {28672, 8192}, {28672, 8192}, {8192, 28672}})
      shapes.push_back(s);
  const auto ls = make_layers(shapes);
  const auto a = shard_assignment(pointers(ls), 8);
  std::vector<double> load(8, 0);
  for (std::size_t i = 0; i < ls.size(); ++i) load[std::size_t(a[i])] += spectrum_work(ls[i]);
  EXPECT_LT(*std::max_element(load.begin(), load.end()), 1.05 * *std::min_element(load.begin(), load.end()));
}

}  // namespace
}  // namespace qspectra::pipeline
