// ww_evals.csv / sweep_evals.csv: long format, 17 digits, names written as every CSV text cell is.
#include "qspectra/report/evals.hpp"

#include <gtest/gtest.h>

namespace qspectra::report {
namespace {

pipeline::LayerResult layer(const std::string& name, std::vector<double> evals) {
  pipeline::LayerResult l;
  l.info.name = name;
  l.evals = std::move(evals);
  return l;
}

TEST(EvalsCsv, LongFormatWithFullPrecision) {
  EXPECT_EQ(evals_csv({layer("a,b", {0.0, 0.1}), layer("c", {})}),
            "name,lambda\n\"a,b\",0\n\"a,b\",0.10000000000000001\n");
}

TEST(EvalsCsv, NamesAreNeutralisedAsInEveryCsv) {
  // A name a spreadsheet would run as a formula gets the apostrophe, as in ww_layers.csv.
  EXPECT_EQ(evals_csv({layer("=1+1", {2.0})}), "name,lambda\n'=1+1,2\n");
  pipeline::SweepResult r;
  r.variants = {"fp16"};
  r.layers = {{layer("@x", {1.5})}};
  EXPECT_EQ(sweep_evals_csv(r), "name,variant,lambda\n'@x,fp16,1.5\n");
}

}  // namespace
}  // namespace qspectra::report
