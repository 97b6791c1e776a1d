// The layer loop's schedule: every layer once, no more threads than cores, big layers first with all
// cores, the rest largest first on workers; natural order where the order cannot matter.
#include "qspectra/pipeline/schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "qspectra/core/error.hpp"

namespace qspectra::pipeline {
namespace {

std::vector<std::size_t> all_indices(const std::vector<SchedulePhase>& phases) {
  std::vector<std::size_t> out;
  for (const auto& p : phases) out.insert(out.end(), p.order.begin(), p.order.end());
  return out;
}

void expect_valid(const std::vector<SchedulePhase>& phases, std::size_t n, int threads) {
  auto idx = all_indices(phases);
  std::sort(idx.begin(), idx.end());
  ASSERT_EQ(idx.size(), n);
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(idx[i], i);
  for (const auto& p : phases) {
    EXPECT_GE(p.workers, 1);
    EXPECT_GE(p.inner_threads, 1);
    EXPECT_LE(p.workers * p.inner_threads, threads);  // no oversubscription
  }
}

TEST(Schedule, OneThreadKeepsNaturalOrder) {
  const std::vector<double> costs = {1, 9, 4, 100};
  for (auto mode : {ScheduleMode::Auto, ScheduleMode::Workers, ScheduleMode::Phased, ScheduleMode::Layers, ScheduleMode::Blas}) {
    const auto s = make_schedule(costs, 1, mode, true);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].order, (std::vector<std::size_t>{0, 1, 2, 3}));
    EXPECT_EQ(s[0].workers, 1);
  }
}

TEST(Schedule, ManySimilarLayersRunOnWorkersLargestFirst) {
  std::vector<double> costs;
  for (int i = 0; i < 40; ++i) costs.push_back(10 + i % 7);
  const auto s = make_schedule(costs, 4, ScheduleMode::Auto, true);
  expect_valid(s, costs.size(), 4);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].workers, 4);
  EXPECT_EQ(s[0].inner_threads, 1);
  for (std::size_t k = 1; k < s[0].order.size(); ++k) EXPECT_GE(costs[s[0].order[k - 1]], costs[s[0].order[k]]);
}

TEST(Schedule, ALayerBiggerThanAWorkersShareGetsEveryCore) {
  const std::vector<double> costs = {1, 1, 50, 1, 1, 30, 1, 1};
  const auto s = make_schedule(costs, 4, ScheduleMode::Auto, /*inner_reproducible=*/true);
  expect_valid(s, costs.size(), 4);
  ASSERT_EQ(s.size(), 2u);
  // 50 > 86/4 and 30 > 36/4: both alone with 4 BLAS threads, in natural order; 1 < 6/4 stays.
  EXPECT_EQ(s[0].order, (std::vector<std::size_t>{2, 5}));
  EXPECT_EQ(s[0].workers, 1);
  EXPECT_EQ(s[0].inner_threads, 4);
  EXPECT_EQ(s[1].workers, 4);
  EXPECT_EQ(s[1].order.size(), 6u);
  // Where inner threads change results (OpenBLAS's dsyevd), auto keeps one per layer: workers only.
  const auto w = make_schedule(costs, 4, ScheduleMode::Auto, /*inner_reproducible=*/false);
  expect_valid(w, costs.size(), 4);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].workers, 4);
  EXPECT_EQ(w[0].inner_threads, 1);
  EXPECT_EQ(costs[w[0].order.front()], 50);
}

TEST(Schedule, FewerLayersThanCoresShareTheCores) {
  const std::vector<double> costs = {5, 5};
  const auto s = make_schedule(costs, 8, ScheduleMode::Layers, false);
  expect_valid(s, 2, 8);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].workers, 2);
  EXPECT_EQ(s[0].inner_threads, 4);
  const auto b = make_schedule(costs, 8, ScheduleMode::Blas, false);
  expect_valid(b, 2, 8);
  EXPECT_EQ(b[0].workers, 1);
  EXPECT_EQ(b[0].inner_threads, 8);
}

TEST(Schedule, ModeFromTheEnvironment) {
  ::setenv("QSPECTRA_SCHEDULE", "blas", 1);
  EXPECT_EQ(schedule_mode_from_env(), ScheduleMode::Blas);
  ::setenv("QSPECTRA_SCHEDULE", "phased", 1);
  EXPECT_EQ(schedule_mode_from_env(), ScheduleMode::Phased);
  ::setenv("QSPECTRA_SCHEDULE", "bogus", 1);
  EXPECT_THROW(schedule_mode_from_env(), UsageError);
  ::unsetenv("QSPECTRA_SCHEDULE");
  EXPECT_EQ(schedule_mode_from_env(), ScheduleMode::Auto);
  EXPECT_TRUE(make_schedule({}, 4, ScheduleMode::Auto, true).empty());
}

}  // namespace
}  // namespace qspectra::pipeline
