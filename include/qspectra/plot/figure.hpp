#pragma once
// A figure with one pair of axes: linear or log10 axes (decade ticks, minor ticks), axis labels with
// units, a light grid, title and subtitle, legend, and the primitives the plot kinds need: lines,
// scatter points, histograms, box plots, shaded bands and reference lines. to_svg() lays it out.
#include <optional>
#include <string>
#include <vector>

namespace qspectra::plot {

enum class Scale { Linear, Log10 };

struct Axis {
  std::string label;                    // with units, e.g. "eigenvalue λ (squared singular value)"
  Scale scale = Scale::Linear;
  std::optional<double> lo, hi;         // fixed limits; otherwise from the data (nice / whole decades)
  std::vector<std::string> categories;  // a category axis: value i is categories[i] (x only)
};

enum class LegendPlace { TopRight, TopLeft, BottomRight, BottomLeft, Outside };

struct LineStyle {
  std::string colour = "#0072B2";
  double width = 1.8;
  std::string dash;                     // SVG stroke-dasharray, "" = solid
  double opacity = 1;
  std::string label;                    // legend entry; "" = none
};

struct MarkerStyle {
  std::string colour = "#0072B2";
  double radius = 3.2;
  double opacity = 0.9;
  bool outline = true;                  // thin dark outline around each point
  std::string label;
};

// Five numbers of a box plot (already computed by the caller) and the points drawn over it.
struct BoxStats {
  double whisker_lo = 0, q1 = 0, median = 0, q3 = 0, whisker_hi = 0;
  std::vector<double> points;
};

class Figure {
public:
  explicit Figure(double width = 640, double height = 420) : width_(width), height_(height) {}

  std::string title, subtitle;
  Axis x, y;
  LegendPlace legend = LegendPlace::TopRight;
  std::string legend_title;

  // Non-finite points (and non-positive ones on a log axis) are left out; a line breaks there.
  void line(const std::vector<double>& xs, const std::vector<double>& ys, LineStyle style);
  void scatter(const std::vector<double>& xs, const std::vector<double>& ys, MarkerStyle style);
  // Bars over [edges[i], edges[i+1]] of height heights[i] (edges.size() == heights.size() + 1);
  // zero-height bars are not drawn. Bars start at the bottom of the plot area on a log y axis.
  void histogram(const std::vector<double>& edges, const std::vector<double>& heights, LineStyle style);
  // A box at x (category index on a category axis), width in x units.
  void box(double x, const BoxStats& stats, LineStyle style, double width = 0.6);
  // Shaded bands over the whole plot area: lo <= y <= hi, or lo <= x <= hi.
  void band_y(double lo, double hi, std::string colour, double opacity, std::string label = "");
  void band_x(double lo, double hi, std::string colour, double opacity, std::string label = "");
  // Reference lines over the whole plot area.
  void vline(double x, LineStyle style);
  void hline(double y, LineStyle style);
  // A note in the top-left corner of the plot area (e.g. "no successful fits").
  void note(std::string text) { notes_.push_back(std::move(text)); }

  std::string to_svg() const;

  bool empty() const { return lines_.empty() && points_.empty() && bars_.empty() && boxes_.empty(); }

private:
  struct LineItem { std::vector<double> xs, ys; LineStyle style; };
  struct PointItem { std::vector<double> xs, ys; MarkerStyle style; };
  struct BarItem { std::vector<double> edges, heights; LineStyle style; };
  struct BoxItem { double x; BoxStats stats; LineStyle style; double width; };
  struct BandItem { bool vertical; double lo, hi; std::string colour; double opacity; std::string label; };
  struct RefItem { bool vertical; double at; LineStyle style; };
  double width_, height_;
  std::vector<LineItem> lines_;
  std::vector<PointItem> points_;
  std::vector<BarItem> bars_;
  std::vector<BoxItem> boxes_;
  std::vector<BandItem> bands_;
  std::vector<RefItem> refs_;
  std::vector<std::string> notes_;
  enum class Swatch { Line, Marker, Box };
  struct LegendEntry { Swatch kind; std::string colour, dash, label; double opacity; };
  std::vector<LegendEntry> entries_;
};

}  // namespace qspectra::plot
