// JSON outputs are strict RFC 8259: non-finite numbers become null, never strings.
#include "qspectra/report/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace qspectra::report {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(NumberJson, NonFiniteIsNullFiniteIsANumber) {
  EXPECT_TRUE(number_json(kInf).is_null());
  EXPECT_TRUE(number_json(-kInf).is_null());
  EXPECT_TRUE(number_json(kNaN).is_null());
  EXPECT_EQ(number_json(4.25).get<double>(), 4.25);
  EXPECT_EQ(number_json(-0.0).get<double>(), 0.0);
}

TEST(TableJson, EveryCellKindAndNoInfOrNanText) {
  Table t;
  t.columns = {"name", "n", "x", "y", "flag", "empty"};
  t.rows.push_back({std::string("a"), int64_t{3}, kInf, kNaN, true, Cell{}});
  t.rows.push_back({std::string("b"), int64_t{-1}, 0.5, -kInf, false, Cell{}});
  const auto j = table_json(t);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "a");
  EXPECT_EQ(j[0]["n"], 3);
  EXPECT_TRUE(j[0]["x"].is_null());
  EXPECT_TRUE(j[0]["y"].is_null());
  EXPECT_EQ(j[0]["flag"], true);
  EXPECT_TRUE(j[0]["empty"].is_null());
  EXPECT_EQ(j[1]["x"], 0.5);
  const std::string text = j.dump();
  for (const char* bad : {"inf", "nan", "Infinity", "NaN"}) EXPECT_EQ(text.find(bad), std::string::npos) << text;
  // What a strict parser reads back is what was meant.
  EXPECT_EQ(nlohmann::json::parse(text)[1]["n"], -1);
}

}  // namespace
}  // namespace qspectra::report
