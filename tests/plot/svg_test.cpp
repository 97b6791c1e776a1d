// The SVG writer: escaping, palette, elements, selectable text.
#include <gtest/gtest.h>

#include <set>

#include "qspectra/plot/svg.hpp"

namespace qspectra::plot {
namespace {

TEST(Svg, XmlEscapeReplacesTheFiveSpecialCharacters) {
  EXPECT_EQ(xml_escape(R"(a<b & "c" 'd'>)"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  EXPECT_EQ(xml_escape("plain.layer_0"), "plain.layer_0");
  EXPECT_EQ(xml_escape("α ≤ 6"), "α ≤ 6");  // UTF-8 passes through
}

TEST(Svg, XmlEscapeDropsControlCharactersXmlForbids) {
  EXPECT_EQ(xml_escape(std::string("a\x01" "b\x1f" "c\td\n", 8)), "abc\td\n");
}

TEST(Svg, PaletteIsOkabeItoWithEightDistinctColoursThatWrap) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < kPaletteSize; ++i) seen.insert(palette_colour(i));
  EXPECT_EQ(seen.size(), kPaletteSize);
  EXPECT_TRUE(seen.count("#0072B2"));
  EXPECT_TRUE(seen.count("#E69F00"));
  EXPECT_EQ(palette_colour(0), palette_colour(kPaletteSize));
  EXPECT_EQ(palette_colour(0), "#0072B2");  // first in the rotation: blue (yellow comes last)
  EXPECT_EQ(palette_colour(kPaletteSize - 1), "#F0E442");
}

TEST(Svg, TextIsEscapedAndSelectable) {
  SvgWriter w(100, 50);
  w.text(10, 20, "layers.0 <mlp> & \"attn\"", 12, Anchor::Middle);
  const auto s = w.finish();
  EXPECT_NE(s.find(">layers.0 &lt;mlp&gt; &amp; &quot;attn&quot;</text>"), std::string::npos) << s;
  EXPECT_NE(s.find("text-anchor=\"middle\""), std::string::npos);
  EXPECT_EQ(s.find("<mlp>"), std::string::npos);
}

TEST(Svg, PowerOfTenLabelsGetASuperscriptExponent) {
  SvgWriter w(100, 50);
  w.text(0, 0, "10^-3");
  const auto s = w.finish();
  EXPECT_NE(s.find(">10<tspan dy=\"-4.8\" font-size=\"9.0\">-3</tspan></text>"), std::string::npos) << s;
}

TEST(Svg, DocumentHasTheSvgNamespaceSizeAndAWhiteBackground) {
  SvgWriter w(640, 420);
  w.line(0, 0, 10, 10, "#000", 1, "4,2");
  const double xs[] = {0, 1, 2}, ys[] = {3, 4, 5};
  w.polyline(xs, ys, 3, "#111", 2);
  w.polyline(xs, ys, 1, "#111", 2);  // a single point draws nothing
  const auto s = w.finish();
  EXPECT_EQ(s.rfind("<?xml", 0), 0u);
  EXPECT_NE(s.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(s.find("width=\"640\" height=\"420\""), std::string::npos);
  EXPECT_NE(s.find("fill=\"white\""), std::string::npos);
  EXPECT_NE(s.find("stroke-dasharray=\"4,2\""), std::string::npos);
  EXPECT_NE(s.find("points=\"0.00,3.00 1.00,4.00 2.00,5.00\""), std::string::npos);
  EXPECT_EQ(s.find("<polyline", s.find("<polyline") + 1), std::string::npos);
  EXPECT_EQ(s.substr(s.size() - 7), "</svg>\n");
}

TEST(Svg, TextWidthCountsCodePointsNotBytes) {
  EXPECT_DOUBLE_EQ(text_width("αβ", 10), text_width("ab", 10));
  EXPECT_GT(text_width("abcd", 12), text_width("ab", 12));
}

}  // namespace
}  // namespace qspectra::plot
