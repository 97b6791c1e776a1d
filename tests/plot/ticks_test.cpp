// Tick generation: nice linear steps, decade ranges and log ticks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "qspectra/plot/ticks.hpp"

namespace qspectra::plot {
namespace {

std::vector<std::string> labels(const std::vector<Tick>& ticks, bool major_only = false) {
  std::vector<std::string> out;
  for (const auto& t : ticks)
    if (!t.label.empty() && (!major_only || t.major)) out.push_back(t.label);
  return out;
}

TEST(Ticks, NiceStepIsOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_DOUBLE_EQ(nice_step(10, 5), 2);
  EXPECT_DOUBLE_EQ(nice_step(1, 5), 0.2);
  EXPECT_DOUBLE_EQ(nice_step(7, 5), 1);
  EXPECT_DOUBLE_EQ(nice_step(12, 5), 2);
  EXPECT_DOUBLE_EQ(nice_step(23, 5), 5);
  EXPECT_DOUBLE_EQ(nice_step(0.03, 6), 0.005);
  EXPECT_DOUBLE_EQ(nice_step(0, 5), 1);  // degenerate span
}

TEST(Ticks, LinearRangeWidensToStepMultiples) {
  const auto r = nice_linear_range(1.3, 8.7);
  EXPECT_DOUBLE_EQ(r.lo, 0);
  EXPECT_DOUBLE_EQ(r.hi, 10);
  const auto fine = nice_linear_range(1.3, 7.9, 6);
  EXPECT_DOUBLE_EQ(fine.lo, 1);
  EXPECT_DOUBLE_EQ(fine.hi, 8);
  const auto flat = nice_linear_range(3, 3);  // a single value gets a width
  EXPECT_LT(flat.lo, 3);
  EXPECT_GT(flat.hi, 3);
}

TEST(Ticks, LinearTicksAreEvenlySpacedAndLabelledWithTheStepsDecimals) {
  EXPECT_EQ(labels(linear_ticks(0, 10)), (std::vector<std::string>{"0", "2", "4", "6", "8", "10"}));
  EXPECT_EQ(labels(linear_ticks(0, 1)), (std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
  EXPECT_EQ(labels(linear_ticks(-1, 1, 4)), (std::vector<std::string>{"-1.0", "-0.5", "0", "0.5", "1.0"}));
  EXPECT_TRUE(linear_ticks(1, 1).empty());
}

TEST(Ticks, DecadeRangeIsWholePowersOfTen) {
  const auto r = log_decade_range(0.03, 250);
  EXPECT_DOUBLE_EQ(r.lo, 0.01);
  EXPECT_DOUBLE_EQ(r.hi, 1000);
  const auto exact = log_decade_range(1, 100);
  EXPECT_DOUBLE_EQ(exact.lo, 1);
  EXPECT_DOUBLE_EQ(exact.hi, 100);
  const auto one = log_decade_range(5, 5);
  EXPECT_DOUBLE_EQ(one.lo, 1);
  EXPECT_DOUBLE_EQ(one.hi, 10);
}

TEST(Ticks, LogTicksHaveOneMajorPerDecadeAndMinorsAtTwoToNine) {
  const auto t = log_ticks(1e-2, 1e3);
  EXPECT_EQ(labels(t, true), (std::vector<std::string>{"10^-2", "10^-1", "10^0", "10^1", "10^2", "10^3"}));
  const auto minors = std::count_if(t.begin(), t.end(), [](const Tick& k) { return !k.major; });
  EXPECT_EQ(minors, 5 * 8);
  for (const auto& k : t)
    if (!k.major) EXPECT_TRUE(k.label.empty());  // minors unlabelled over many decades
}

TEST(Ticks, ShortLogRangeLabelsTheTwoAndFiveMinors) {
  const auto t = log_ticks(1, 50);
  EXPECT_EQ(labels(t), (std::vector<std::string>{"10^0", "2", "5", "10^1", "20", "50"}));
}

TEST(Ticks, ManyDecadesLabelEveryOtherOrThirdDecadeAndDropMinors) {
  const auto t = log_ticks(1e-20, 1e10);
  for (const auto& k : t) EXPECT_TRUE(k.major);
  EXPECT_EQ(t.size(), 31u);
  EXPECT_EQ(labels(t).size(), 10u);  // every 3rd decade: -18, -15, ..., 9
  EXPECT_TRUE(log_ticks(-1, 10).empty());  // a log axis needs positive limits
}

TEST(Ticks, TickNumbersUseExponentsOnlyWhenTinyOrHuge) {
  EXPECT_EQ(format_tick_number(0.25, 2), "0.25");
  EXPECT_EQ(format_tick_number(0, 3), "0");
  EXPECT_EQ(format_tick_number(1.5e-7, 8), "1.5e-07");
  EXPECT_EQ(format_tick_number(2e6, 0), "2e+06");
}

}  // namespace
}  // namespace qspectra::plot
