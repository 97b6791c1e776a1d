// report.html and the files a --plot run adds.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "qspectra/plot/figure.hpp"
#include "qspectra/plot/html.hpp"

namespace qspectra::plot {
namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

std::vector<NamedFigure> two_figures() {
  Figure a, b;
  a.title = "first";
  a.line({0, 1}, {0, 1}, {});
  b.title = "second";
  b.scatter({0, 1}, {1, 0}, {});
  return {{"a.svg", a.to_svg()}, {"b.svg", b.to_svg()}};
}

TEST(ReportHtml, SelfContainedPageWithTheTableAndEveryFigureInline) {
  report::Table t;
  t.columns = {"name", "alpha"};
  t.rows = {{std::string("layers.0 <wq>"), 3.14159265}, {std::string("layers.1"), std::nan("")}};
  const auto h = report_html("ww-analyze model & co", {"36 layers"}, t, two_figures());
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(h.find("<title>ww-analyze model &amp; co</title>"), std::string::npos);
  EXPECT_NE(h.find("<th>alpha</th>"), std::string::npos);
  EXPECT_NE(h.find("<td>layers.0 &lt;wq&gt;</td>"), std::string::npos);
  EXPECT_NE(h.find("<td>3.142</td>"), std::string::npos);
  EXPECT_NE(h.find("<td>nan</td>"), std::string::npos);
  EXPECT_NE(h.find(">36 layers</p>"), std::string::npos);
  EXPECT_EQ(count(h, "<svg "), 2u);
  EXPECT_EQ(h.find("<?xml"), std::string::npos);  // declarations removed from inline SVG
  EXPECT_EQ(h.find("src=\"http"), std::string::npos);
  EXPECT_EQ(h.find("<script"), std::string::npos);
}

TEST(ReportHtml, InlineSvgIdsAreUniqueAcrossFigures) {
  const auto h = report_html("t", {}, {}, two_figures());
  EXPECT_NE(h.find("id=\"f0_clip1\""), std::string::npos);
  EXPECT_NE(h.find("id=\"f1_clip1\""), std::string::npos);
  EXPECT_NE(h.find("url(#f1_clip1)"), std::string::npos);
  EXPECT_EQ(h.find("id=\"clip1\""), std::string::npos);
}

TEST(ReportHtml, AddPlotFilesListsSvgsUnderPlotsAndTheReport) {
  const auto dir = std::filesystem::temp_directory_path() / ("qspectra-plot-html-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::vector<std::pair<std::string, std::string>> files = {{"existing.csv", "x"}};
  add_plot_files(files, dir.string(), "t", {}, {}, two_figures());
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[1].first, dir.string() + "/plots/a.svg");
  EXPECT_EQ(files[2].first, dir.string() + "/plots/b.svg");
  EXPECT_EQ(files[3].first, dir.string() + "/report.html");
  EXPECT_FALSE(std::filesystem::exists(dir / "plots"));  // nothing on disk until the run commits
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qspectra::plot
