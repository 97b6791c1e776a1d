#include "qspectra/plot/svg.hpp"

#include <array>

#include <fmt/format.h>

namespace qspectra::plot {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') break;
        out += c;
    }
  }
  return out;
}

std::string palette_colour(std::size_t index) {
  static const std::array<const char*, kPaletteSize> colours = {"#0072B2", "#D55E00", "#009E73", "#E69F00",
                                                                "#56B4E9", "#CC79A7", "#000000", "#F0E442"};
  return colours[index % kPaletteSize];
}

double text_width(std::string_view s, double size) {
  std::size_t chars = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++chars;  // count UTF-8 code points
  return 0.58 * size * static_cast<double>(chars);
}

SvgWriter::SvgWriter(double width, double height) : width_(width), height_(height) {}

void SvgWriter::rect(double x, double y, double w, double h, std::string_view fill, std::string_view stroke,
                     double stroke_width, double opacity) {
  body_ += fmt::format(R"(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}")", x, y, w, h, fill);
  if (stroke != "none") body_ += fmt::format(R"( stroke="{}" stroke-width="{:.2f}")", stroke, stroke_width);
  if (opacity < 1) body_ += fmt::format(R"( fill-opacity="{:.2f}")", opacity);
  body_ += "/>\n";
}

void SvgWriter::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
                     std::string_view dash) {
  body_ += fmt::format(R"(<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}" stroke="{}" stroke-width="{:.2f}")",
                       x1, y1, x2, y2, stroke, width);
  if (!dash.empty()) body_ += fmt::format(R"( stroke-dasharray="{}")", dash);
  body_ += "/>\n";
}

void SvgWriter::polyline(const double* xs, const double* ys, std::size_t n, std::string_view stroke, double width,
                         std::string_view dash, double opacity) {
  if (n < 2) return;
  body_ += R"(<polyline fill="none" stroke-linejoin="round" stroke-linecap="round" points=")";
  for (std::size_t i = 0; i < n; ++i) body_ += fmt::format("{}{:.2f},{:.2f}", i ? " " : "", xs[i], ys[i]);
  body_ += fmt::format(R"(" stroke="{}" stroke-width="{:.2f}")", stroke, width);
  if (!dash.empty()) body_ += fmt::format(R"( stroke-dasharray="{}")", dash);
  if (opacity < 1) body_ += fmt::format(R"( stroke-opacity="{:.2f}")", opacity);
  body_ += "/>\n";
}

void SvgWriter::circle(double cx, double cy, double r, std::string_view fill, std::string_view stroke,
                       double opacity) {
  body_ += fmt::format(R"(<circle cx="{:.2f}" cy="{:.2f}" r="{:.2f}" fill="{}")", cx, cy, r, fill);
  if (stroke != "none") body_ += fmt::format(R"( stroke="{}" stroke-width="0.8")", stroke);
  if (opacity < 1) body_ += fmt::format(R"( fill-opacity="{:.2f}")", opacity);
  body_ += "/>\n";
}

void SvgWriter::text(double x, double y, std::string_view s, double size, Anchor anchor, std::string_view fill,
                     bool bold, double rotate) {
  const char* a = anchor == Anchor::Start ? "start" : anchor == Anchor::Middle ? "middle" : "end";
  body_ += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" font-size="{:.1f}" text-anchor="{}" fill="{}")", x, y, size,
                       a, fill);
  if (bold) body_ += R"( font-weight="bold")";
  if (rotate != 0) body_ += fmt::format(" transform=\"rotate({:.1f} {:.2f} {:.2f})\"", rotate, x, y);
  body_ += ">";
  if (s.substr(0, 3) == "10^" && s.size() > 3) {
    body_ += fmt::format(R"(10<tspan dy="-{:.1f}" font-size="{:.1f}">{}</tspan>)", 0.4 * size, 0.75 * size,
                         xml_escape(s.substr(3)));
  } else {
    body_ += xml_escape(s);
  }
  body_ += "</text>\n";
}

void SvgWriter::begin_clip(double x, double y, double w, double h) {
  ++clip_count_;
  body_ += fmt::format(R"(<clipPath id="clip{}"><rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}"/></clipPath>)"
                       "\n<g clip-path=\"url(#clip{})\">\n",
                       clip_count_, x, y, w, h, clip_count_);
}

void SvgWriter::end_clip() { body_ += "</g>\n"; }

std::string SvgWriter::finish() const {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{:.0f}" height="{:.0f}" viewBox="0 0 {:.0f} {:.0f}" )"
      R"(font-family="{}">)"
      "\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{}</svg>\n",
      width_, height_, width_, height_, kFontFamily, body_);
}

}  // namespace qspectra::plot
