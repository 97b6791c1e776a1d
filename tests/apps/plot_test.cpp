// End to end: --plot on the three apps writes plots/*.svg and a self-contained report.html.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {

const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> svgs_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& f : files_under(dir))
    if (f.size() > 4 && f.substr(f.size() - 4) == ".svg") out.push_back(std::filesystem::path(f).filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(PlotFlag, WwAnalyzeWritesEsdPerLayerOverviewHistogramAndReport) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kModel, "--plot", "--mp-fit", "-o", out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto svgs = svgs_in(out.path() / "plots");
  EXPECT_EQ(svgs.size(), 36u + 2u);  // 36 layers of the bundled model
  EXPECT_TRUE(std::binary_search(svgs.begin(), svgs.end(), "alpha_by_layer.svg"));
  EXPECT_TRUE(std::binary_search(svgs.begin(), svgs.end(), "alpha_hist.svg"));
  EXPECT_TRUE(std::binary_search(svgs.begin(), svgs.end(), "esd_model.layers.0.self_attn.q_proj.svg"));
  const auto html = slurp(out.path() / "report.html");
  EXPECT_EQ(count(html, "<svg "), svgs.size());
  EXPECT_NE(html.find("<th>alpha</th>"), std::string::npos);
  EXPECT_NE(slurp(out.path() / "plots" / "esd_model.layers.0.self_attn.q_proj.svg").find("MP bulk edge"),
            std::string::npos);
}

TEST(PlotFlag, WithoutPlotNoPlotsAreWritten) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kModel, "--layers", "layers\\.0\\.", "-o", out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out.path() / "plots"));
  EXPECT_FALSE(std::filesystem::exists(out.path() / "report.html"));
}

TEST(PlotFlag, ARerunWithoutPlotRemovesTheEarlierPlotsAndReport) {
  test::TempDir out;
  ASSERT_EQ(run_app("ww-analyze", {kModel, "--layers", "layers\\.0\\.", "--plot", "-o", out.str(), "--quiet"}).exit_code, 0);
  ASSERT_EQ(svgs_in(out.path() / "plots").size(), 7u + 2u);
  ASSERT_EQ(run_app("ww-analyze", {kModel, "--layers", "layers\\.0\\.", "-o", out.str(), "--quiet"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(out.path() / "plots"));
  EXPECT_FALSE(std::filesystem::exists(out.path() / "report.html"));
  EXPECT_TRUE(std::filesystem::exists(out.path() / "ww_layers.csv"));
}

TEST(PlotFlag, PrecisionSweepWritesTheFourSweepFigures) {
  test::TempDir out;
  auto r = run_app("precision-sweep", {kModel, "--variants", "fp32,bf16,sym:4", "--layers", "layers\\.[01]\\.",
                                       "--plot", "--out-dir", out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(svgs_in(out.path() / "plots"),
            (std::vector<std::string>{"sweep_alpha_box.svg", "sweep_alpha_by_layer.svg", "sweep_alpha_change.svg",
                                      "sweep_alpha_scatter.svg"}));
  EXPECT_NE(slurp(out.path() / "report.html").find("sym:4"), std::string::npos);
}

TEST(PlotFlag, RateDistortionWritesOneFigurePerCategoryAndAll) {
  test::TempDir out;
  auto r = run_app("rate-distortion", {kModel, "--layers", "layers\\.0\\.", "--bits", "2-3", "--methods",
                                       "uniform_sym,lloyd_max", "--plot", "--out-dir", out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto svgs = svgs_in(out.path() / "plots");
  ASSERT_GE(svgs.size(), 2u);
  EXPECT_TRUE(std::binary_search(svgs.begin(), svgs.end(), "rd_all.svg"));
  for (const auto& s : svgs) EXPECT_EQ(s.rfind("rd_", 0), 0u) << s;
  EXPECT_TRUE(std::filesystem::exists(out.path() / "report.html"));
}

}  // namespace
}  // namespace qspectra::testing
