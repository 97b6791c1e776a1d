// CSV: RFC 4180 quoting; non-finite numbers stay inf/-inf/nan (pandas reads them).
#include "qspectra/report/csv.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace qspectra::report {
namespace {

TEST(Csv, QuotesOnlyWhereNeeded) {
  EXPECT_EQ(csv_escape("plain"), "plain");
  EXPECT_EQ(csv_escape("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_escape("two\nlines"), "\"two\nlines\"");
}

TEST(Csv, NonFiniteNumbersKeepTheirNames) {
  Table t;
  t.columns = {"name", "x", "y", "z", "n", "ok", "none"};
  t.rows.push_back({std::string("l,1"), std::numeric_limits<double>::infinity(),
                    -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
                    int64_t{7}, true, Cell{}});
  t.rows.push_back({std::string("l2"), 0.1, 1e300, -2.5, int64_t{-3}, false, Cell{}});
  EXPECT_EQ(to_csv(t), "name,x,y,z,n,ok,none\n"
                       "\"l,1\",inf,-inf,nan,7,True,\n"
                       "l2,0.10000000000000001,1.0000000000000001e+300,-2.5,-3,False,\n");
}

TEST(Csv, NamesThatASpreadsheetWouldRunAsFormulasAreNeutralised) {
  EXPECT_EQ(neutralise_formula("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
  EXPECT_EQ(neutralise_formula("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
  EXPECT_EQ(neutralise_formula("-2+3"), "'-2+3");
  EXPECT_EQ(neutralise_formula("@SUM(1)"), "'@SUM(1)");
  EXPECT_EQ(neutralise_formula("\tx"), "'\tx");
  EXPECT_EQ(neutralise_formula("-1.5"), "-1.5");  // numbers stay numbers
  EXPECT_EQ(neutralise_formula("-inf"), "-inf");
  EXPECT_EQ(neutralise_formula("model.layers.0.mlp.down_proj.weight"), "model.layers.0.mlp.down_proj.weight");
  Table t;
  t.columns = {"name", "x", "s"};
  t.rows.push_back({std::string("=1+1,2"), -3.0, std::string("-")});
  EXPECT_EQ(to_csv(t), "name,x,s\n\"'=1+1,2\",-3,'-\n");
}

}  // namespace
}  // namespace qspectra::report
