#pragma once
// The lowest layer of the plot module: XML escaping, the Okabe-Ito colour-blind-safe palette, and a
// writer that appends SVG elements (text stays <text>, so it can be selected and searched).
#include <cstddef>
#include <string>
#include <string_view>

namespace qspectra::plot {

// &, <, >, " and ' replaced by entities; control characters other than tab/newline dropped (they are
// not allowed in XML 1.0).
std::string xml_escape(std::string_view text);

// Okabe & Ito (2008) colours, safe for the common colour-vision deficiencies, without black:
// blue, vermillion, bluish green, orange, sky blue, reddish purple, black, yellow (yellow last: it is
// hard to see on white). Index wraps around.
std::string palette_colour(std::size_t index);
inline constexpr std::size_t kPaletteSize = 8;

inline constexpr const char* kFontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif";

enum class Anchor { Start, Middle, End };

// Appends SVG elements to a buffer; numbers are written with 2 decimals.
class SvgWriter {
public:
  SvgWriter(double width, double height);
  void raw(std::string_view s) { body_ += s; }
  void rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke = "none",
            double stroke_width = 1, double opacity = 1);
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1,
            std::string_view dash = "");
  // Polyline through the points (xs[i], ys[i]).
  void polyline(const double* xs, const double* ys, std::size_t n, std::string_view stroke, double width,
                std::string_view dash = "", double opacity = 1);
  void circle(double cx, double cy, double r, std::string_view fill, std::string_view stroke = "none",
              double opacity = 1);
  // Text; "10^k" is written as 10 with a superscript k. rotate in degrees around (x, y).
  void text(double x, double y, std::string_view s, double size = 12, Anchor anchor = Anchor::Start,
            std::string_view fill = "#222", bool bold = false, double rotate = 0);
  void begin_clip(double x, double y, double w, double h);  // clip what follows to a rectangle
  void end_clip();
  std::string finish() const;  // the complete SVG document

private:
  double width_, height_;
  int clip_count_ = 0;
  std::string body_;
};

// Approximate width of `s` in px at font `size` (sans-serif average advance ~0.56 em).
double text_width(std::string_view s, double size);

}  // namespace qspectra::plot
