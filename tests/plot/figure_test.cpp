// Figure layout: axes, ticks, legend, primitives, what is left out.
#include <gtest/gtest.h>

#include <cmath>

#include "qspectra/plot/figure.hpp"

namespace qspectra::plot {
namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(Figure, TitleLabelsAndLegendAreEscapedText) {
  Figure f;
  f.title = "layers.0 <q_proj>";
  f.subtitle = "α = 3.1 & D = 0.05";
  f.x.label = "rate R (bits per weight)";
  f.y.label = "MSE";
  f.line({0, 1, 2}, {0, 1, 4}, {"#0072B2", 2, "", 1, "uniform & sym"});
  const auto s = f.to_svg();
  EXPECT_NE(s.find(">layers.0 &lt;q_proj&gt;</text>"), std::string::npos);
  EXPECT_NE(s.find(">α = 3.1 &amp; D = 0.05</text>"), std::string::npos);
  EXPECT_NE(s.find(">rate R (bits per weight)</text>"), std::string::npos);
  EXPECT_NE(s.find("rotate(-90"), std::string::npos);  // the y label runs up the axis
  EXPECT_NE(s.find(">uniform &amp; sym</text>"), std::string::npos);
  EXPECT_EQ(count(s, "<polyline"), 1u);
}

TEST(Figure, LinearAxesGetNiceTickLabels) {
  Figure f;
  f.scatter({1.3, 8.7}, {0.1, 0.9}, {});
  const auto s = f.to_svg();
  for (const char* label : {">0</text>", ">2</text>", ">10</text>", ">0.2</text>", ">1.0</text>"})
    EXPECT_NE(s.find(label), std::string::npos) << label;
  EXPECT_EQ(count(s, "<circle"), 2u);
}

TEST(Figure, LogAxesLeaveOutNonPositiveValuesAndBreakTheLine) {
  Figure f;
  f.x.scale = Scale::Log10;
  f.y.scale = Scale::Log10;
  f.line({1, 10, 100, 1000, 1e4}, {1, 0.1, -1, 1e-3, 1e-4}, {});
  f.scatter({0, 10}, {1, 1}, {});
  const auto s = f.to_svg();
  EXPECT_EQ(count(s, "<polyline"), 2u);  // split at the negative value
  EXPECT_EQ(count(s, "<circle"), 1u);    // x = 0 has no place on a log axis
  EXPECT_NE(s.find(">10<tspan"), std::string::npos);
  EXPECT_NE(s.find(">-4</tspan>"), std::string::npos);
  EXPECT_NE(s.find(">4</tspan>"), std::string::npos);
}

TEST(Figure, NanAndInfinityAreLeftOut) {
  Figure f;
  f.scatter({1, 2, 3, 4}, {1, NAN, INFINITY, 2}, {});
  EXPECT_EQ(count(f.to_svg(), "<circle"), 2u);
}

TEST(Figure, HistogramDrawsOneBarPerNonEmptyBin) {
  Figure f;
  f.histogram({0, 1, 2, 3, 4}, {2, 0, 5, 1}, {"#56B4E9", 1, "", 0.8, "counts"});
  const auto s = f.to_svg();
  // 3 bars + background + frame + legend box + legend swatch.
  EXPECT_EQ(count(s, "<rect"), 3u + 4u + 1u /* clip rect */);
}

TEST(Figure, CategoryAxisLabelsEachBoxAndRotatesLongNames) {
  Figure f;
  f.x.categories = {"fp32", "bf16"};
  f.box(0, {1, 2, 3, 4, 5, {1, 3, 5}}, {"#0072B2"});
  f.box(1, {1.5, 2, 2.5, 3, 4, {}}, {"#D55E00"});
  auto s = f.to_svg();
  EXPECT_NE(s.find(">fp32</text>"), std::string::npos);
  EXPECT_NE(s.find(">bf16</text>"), std::string::npos);
  EXPECT_EQ(s.find("rotate(-35"), std::string::npos);
  EXPECT_EQ(count(s, "<circle"), 3u);
  Figure g;
  for (int i = 0; i < 12; ++i) g.x.categories.push_back("sym:4:g128-long-name-" + std::to_string(i));
  g.box(0, {1, 2, 3, 4, 5, {}}, {});
  EXPECT_NE(g.to_svg().find("rotate(-35"), std::string::npos);
}

TEST(Figure, BandsAndReferenceLinesAndNotes) {
  Figure f;
  f.y.lo = 0;
  f.y.hi = 10;
  f.x.lo = 0;
  f.x.hi = 1;
  f.scatter({0, 1}, {3, 4}, {});
  f.band_y(2, 6, "#009E73", 0.1, "2 ≤ α ≤ 6");
  f.hline(0, {"#444444", 1, "", 1, ""});
  f.vline(0.5, {"#333333", 1, "5,3", 1, "xmin"});
  f.vline(99, {"#333333", 1, "5,3", 1, ""});  // outside the fixed x range: not drawn
  f.note("2 layers not shown");
  const auto s = f.to_svg();
  EXPECT_NE(s.find("fill-opacity=\"0.10\""), std::string::npos);
  EXPECT_NE(s.find(">2 ≤ α ≤ 6</text>"), std::string::npos);
  EXPECT_NE(s.find(">2 layers not shown</text>"), std::string::npos);
  EXPECT_EQ(count(s, "stroke-dasharray=\"5,3\""), 2u);  // the vline and its legend swatch
}

TEST(Figure, LegendOutsideWidensTheRightMargin) {
  Figure inside, outside;
  for (Figure* f : {&inside, &outside}) f->line({0, 1}, {0, 1}, {"#000", 1, "", 1, "a fairly long legend entry"});
  outside.legend = LegendPlace::Outside;
  // The frame is the last rect before the legend; its width shrinks when the legend moves outside.
  auto frame_width = [](const std::string& s) {
    const auto p = s.find("stroke=\"#444444\" stroke-width=\"0.90\"");
    const auto w = s.rfind("width=\"", p);
    return std::stod(s.substr(w + 7));
  };
  EXPECT_LT(frame_width(outside.to_svg()), frame_width(inside.to_svg()) - 100);
}

TEST(Figure, EmptyFigureIsStillAValidDocument) {
  Figure f;
  EXPECT_TRUE(f.empty());
  const auto s = f.to_svg();
  EXPECT_NE(s.find("<svg"), std::string::npos);
  EXPECT_NE(s.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace qspectra::plot
