#include "qspectra/plot/figure.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "qspectra/plot/svg.hpp"
#include "qspectra/plot/ticks.hpp"

namespace qspectra::plot {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr const char* kInk = "#222222";
constexpr const char* kMuted = "#555555";
constexpr const char* kGrid = "#e3e3e3";
constexpr const char* kMinorGrid = "#f1f1f1";
constexpr double kTickFont = 11;
constexpr double kLabelFont = 12.5;
constexpr double kTitleFont = 13.5;
constexpr double kLegendFont = 11.5;

struct Extent {
  double lo = kInf, hi = -kInf;
  void add(double v, Scale s) {
    if (!std::isfinite(v) || (s == Scale::Log10 && !(v > 0))) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool valid() const { return lo <= hi; }
};

bool usable(double v, Scale s) { return std::isfinite(v) && (s == Scale::Linear || v > 0); }

struct Mapped {
  Scale scale;
  double lo, hi, p0, p1;  // data range -> pixel range
  double t(double v) const { return scale == Scale::Log10 ? std::log10(v) : v; }
  double operator()(double v) const { return p0 + (t(v) - t(lo)) / (t(hi) - t(lo)) * (p1 - p0); }
};

AxisRange resolve_range(const Axis& axis, Extent e) {
  if (!axis.categories.empty()) return {-0.5, static_cast<double>(axis.categories.size()) - 0.5};
  AxisRange r;
  if (axis.scale == Scale::Log10) {
    if (!e.valid()) e = {1, 10};
    r = log_decade_range(e.lo, e.hi);
  } else {
    if (!e.valid()) e = {0, 1};
    r = nice_linear_range(e.lo, e.hi);
  }
  if (axis.lo) r.lo = *axis.lo;
  if (axis.hi) r.hi = *axis.hi;
  if (!(r.hi > r.lo)) r.hi = r.lo + 1;
  return r;
}

std::vector<Tick> axis_ticks(const Axis& axis, AxisRange r, int target) {
  if (!axis.categories.empty()) {
    std::vector<Tick> t;
    for (std::size_t i = 0; i < axis.categories.size(); ++i)
      t.push_back({static_cast<double>(i), axis.categories[i], true});
    return t;
  }
  return axis.scale == Scale::Log10 ? log_ticks(r.lo, r.hi) : linear_ticks(r.lo, r.hi, target);
}

}  // namespace

void Figure::line(const std::vector<double>& xs, const std::vector<double>& ys, LineStyle style) {
  if (!style.label.empty()) entries_.push_back({Swatch::Line, style.colour, style.dash, style.label, style.opacity});
  lines_.push_back({xs, ys, std::move(style)});
}

void Figure::scatter(const std::vector<double>& xs, const std::vector<double>& ys, MarkerStyle style) {
  if (!style.label.empty()) entries_.push_back({Swatch::Marker, style.colour, "", style.label, style.opacity});
  points_.push_back({xs, ys, std::move(style)});
}

void Figure::histogram(const std::vector<double>& edges, const std::vector<double>& heights, LineStyle style) {
  if (!style.label.empty()) entries_.push_back({Swatch::Box, style.colour, "", style.label, style.opacity});
  bars_.push_back({edges, heights, std::move(style)});
}

void Figure::box(double x, const BoxStats& stats, LineStyle style, double width) {
  if (!style.label.empty()) entries_.push_back({Swatch::Box, style.colour, "", style.label, 0.35});
  boxes_.push_back({x, stats, std::move(style), width});
}

void Figure::band_y(double lo, double hi, std::string colour, double opacity, std::string label) {
  if (!label.empty()) entries_.push_back({Swatch::Box, colour, "", label, opacity});
  bands_.push_back({false, lo, hi, std::move(colour), opacity, std::move(label)});
}

void Figure::band_x(double lo, double hi, std::string colour, double opacity, std::string label) {
  if (!label.empty()) entries_.push_back({Swatch::Box, colour, "", label, opacity});
  bands_.push_back({true, lo, hi, std::move(colour), opacity, std::move(label)});
}

void Figure::vline(double x, LineStyle style) {
  if (!style.label.empty()) entries_.push_back({Swatch::Line, style.colour, style.dash, style.label, style.opacity});
  refs_.push_back({true, x, std::move(style)});
}

void Figure::hline(double y, LineStyle style) {
  if (!style.label.empty()) entries_.push_back({Swatch::Line, style.colour, style.dash, style.label, style.opacity});
  refs_.push_back({false, y, std::move(style)});
}

std::string Figure::to_svg() const {
  // 1. Data extents.
  Extent ex, ey;
  for (const auto& l : lines_)
    for (std::size_t i = 0; i < std::min(l.xs.size(), l.ys.size()); ++i)
      if (usable(l.xs[i], x.scale) && usable(l.ys[i], y.scale)) { ex.add(l.xs[i], x.scale); ey.add(l.ys[i], y.scale); }
  for (const auto& p : points_)
    for (std::size_t i = 0; i < std::min(p.xs.size(), p.ys.size()); ++i)
      if (usable(p.xs[i], x.scale) && usable(p.ys[i], y.scale)) { ex.add(p.xs[i], x.scale); ey.add(p.ys[i], y.scale); }
  for (const auto& b : bars_) {
    for (std::size_t i = 0; i + 1 < b.edges.size() && i < b.heights.size(); ++i) {
      if (!(b.heights[i] > 0) && y.scale == Scale::Log10) continue;
      ex.add(b.edges[i], x.scale);
      ex.add(b.edges[i + 1], x.scale);
      ey.add(b.heights[i], y.scale);
      if (y.scale == Scale::Linear) {
        ey.add(0, y.scale);
        ey.add(1.06 * b.heights[i], y.scale);  // headroom above the tallest bar
      }
    }
  }
  for (const auto& b : boxes_) {
    ex.add(b.x - b.width / 2, x.scale);
    ex.add(b.x + b.width / 2, x.scale);
    ey.add(b.stats.whisker_lo, y.scale);
    ey.add(b.stats.whisker_hi, y.scale);
    for (double v : b.stats.points) ey.add(v, y.scale);
  }
  for (const auto& r : refs_) (r.vertical ? ex : ey).add(r.at, r.vertical ? x.scale : y.scale);
  const AxisRange rx = resolve_range(x, ex), ry = resolve_range(y, ey);
  const auto xticks = axis_ticks(x, rx, 6), yticks = axis_ticks(y, ry, 5);

  // 2. Layout.
  double y_label_w = 0;
  for (const auto& t : yticks) y_label_w = std::max(y_label_w, text_width(t.label, kTickFont));
  const double left = 14 + (y.label.empty() ? 0 : 20) + y_label_w + 8;
  double top = 14;
  if (!title.empty()) top += 18;
  if (!subtitle.empty()) top += 16;
  if (title.empty() && subtitle.empty()) top = 16;
  double legend_w = 0;
  for (const auto& e : entries_) legend_w = std::max(legend_w, text_width(e.label, kLegendFont));
  if (!legend_title.empty()) legend_w = std::max(legend_w, text_width(legend_title, kLegendFont));
  legend_w += 36;
  const bool legend_outside = legend == LegendPlace::Outside && !entries_.empty();
  const double right = legend_outside ? legend_w + 22 : 18;
  // Category labels are rotated when they do not fit side by side.
  double cat_rot = 0, cat_extra = 0;
  if (!x.categories.empty()) {
    const double spacing = (width_ - left - right) / static_cast<double>(x.categories.size());
    double widest = 0;
    for (const auto& c : x.categories) widest = std::max(widest, text_width(c, kTickFont));
    if (widest > 0.92 * spacing) {
      cat_rot = -35;
      cat_extra = widest * std::sin(35 * M_PI / 180) - 4;
    }
  }
  const double bottom = 18 + 16 + (x.label.empty() ? 0 : 20) + std::max(0.0, cat_extra);
  const double pw = width_ - left - right, ph = height_ - top - bottom;
  const Mapped mx{x.scale, rx.lo, rx.hi, left, left + pw};
  const Mapped my{y.scale, ry.lo, ry.hi, top + ph, top};

  SvgWriter svg(width_, height_);
  // 3. Title.
  double ty = 0;
  if (!title.empty()) {
    ty += 14 + 5;
    svg.text(left, ty, title, kTitleFont, Anchor::Start, kInk, true);
  }
  if (!subtitle.empty()) {
    ty += ty == 0 ? 18 : 16;
    svg.text(left, ty, subtitle, 12, Anchor::Start, kMuted);
  }

  // 4. Grid and bands (under the data).
  auto in_x = [&](double v) { return usable(v, x.scale) && v >= rx.lo - 1e-12 && v <= rx.hi + 1e-12; };
  auto in_y = [&](double v) { return usable(v, y.scale) && v >= ry.lo * (1 - 1e-12) - 1e-300 && v <= ry.hi * (1 + 1e-12) + 1e-300; };
  svg.raw("<g id=\"grid\">\n");
  for (const auto& t : xticks)
    if (x.categories.empty() && in_x(t.value)) svg.line(mx(t.value), top, mx(t.value), top + ph, t.major ? kGrid : kMinorGrid, 0.8);
  for (const auto& t : yticks)
    if (in_y(t.value)) svg.line(left, my(t.value), left + pw, my(t.value), t.major ? kGrid : kMinorGrid, 0.8);
  svg.raw("</g>\n");
  svg.begin_clip(left, top, pw, ph);
  auto clampx = [&](double v) { return std::clamp(v, std::min(mx.p0, mx.p1) - 1, std::max(mx.p0, mx.p1) + 1); };
  auto clampy = [&](double v) { return std::clamp(v, std::min(my.p0, my.p1) - 1, std::max(my.p0, my.p1) + 1); };
  auto px = [&](double v) { return usable(v, x.scale) ? clampx(mx(v)) : (v > 0 ? mx.p1 : mx.p0); };
  auto py = [&](double v) { return usable(v, y.scale) ? clampy(my(v)) : (v > 0 ? my.p1 : my.p0); };
  for (const auto& b : bands_) {
    if (b.vertical) {
      const double a = px(b.lo), c = px(b.hi);
      svg.rect(std::min(a, c), top, std::fabs(c - a), ph, b.colour, "none", 1, b.opacity);
    } else {
      const double a = py(b.lo), c = py(b.hi);
      svg.rect(left, std::min(a, c), pw, std::fabs(c - a), b.colour, "none", 1, b.opacity);
    }
  }

  // 5. Data.
  for (const auto& b : bars_) {
    for (std::size_t i = 0; i + 1 < b.edges.size() && i < b.heights.size(); ++i) {
      const double h = b.heights[i];
      if (!(h > 0) && !(y.scale == Scale::Linear && h < 0)) continue;
      if (!usable(b.edges[i], x.scale) || !usable(b.edges[i + 1], x.scale) || !usable(h, y.scale)) continue;
      const double x0 = px(b.edges[i]), x1 = px(b.edges[i + 1]);
      const double y0 = y.scale == Scale::Log10 ? top + ph + 1 : py(0.0), y1 = py(h);
      svg.rect(std::min(x0, x1), std::min(y0, y1), std::fabs(x1 - x0), std::fabs(y1 - y0), b.style.colour,
               "white", 0.6, b.style.opacity);
    }
  }
  for (const auto& b : boxes_) {
    const double xc = px(b.x), half = std::fabs(px(b.x + b.width / 2) - xc);
    const auto& s = b.stats;
    const double yq1 = py(s.q1), yq3 = py(s.q3);
    svg.line(xc, py(s.whisker_lo), xc, yq1, b.style.colour, 1.3);
    svg.line(xc, yq3, xc, py(s.whisker_hi), b.style.colour, 1.3);
    svg.line(xc - half / 2, py(s.whisker_lo), xc + half / 2, py(s.whisker_lo), b.style.colour, 1.3);
    svg.line(xc - half / 2, py(s.whisker_hi), xc + half / 2, py(s.whisker_hi), b.style.colour, 1.3);
    svg.rect(xc - half, std::min(yq1, yq3), 2 * half, std::fabs(yq1 - yq3), b.style.colour, "none", 1, 0.25);
    svg.rect(xc - half, std::min(yq1, yq3), 2 * half, std::fabs(yq1 - yq3), "none", b.style.colour, 1.4);
    svg.line(xc - half, py(s.median), xc + half, py(s.median), kInk, 2.0);
    // The points over the box, spread sideways by a fixed low-discrepancy sequence (no randomness).
    for (std::size_t i = 0; i < s.points.size(); ++i) {
      if (!usable(s.points[i], y.scale)) continue;
      const double frac = std::fmod(0.5 + 0.6180339887 * static_cast<double>(i), 1.0) - 0.5;
      svg.circle(xc + frac * half * 1.2, py(s.points[i]), 2.0, b.style.colour, "#333333", 0.7);
    }
  }
  for (const auto& l : lines_) {
    std::vector<double> sx, sy;
    auto flush = [&] {
      svg.polyline(sx.data(), sy.data(), sx.size(), l.style.colour, l.style.width, l.style.dash, l.style.opacity);
      sx.clear();
      sy.clear();
    };
    for (std::size_t i = 0; i < std::min(l.xs.size(), l.ys.size()); ++i) {
      if (!usable(l.xs[i], x.scale) || !usable(l.ys[i], y.scale)) { flush(); continue; }
      sx.push_back(mx(l.xs[i]));
      sy.push_back(my(l.ys[i]));
    }
    flush();
  }
  for (const auto& r : refs_) {
    if (r.vertical && in_x(r.at)) svg.line(mx(r.at), top, mx(r.at), top + ph, r.style.colour, r.style.width, r.style.dash);
    if (!r.vertical && in_y(r.at)) svg.line(left, my(r.at), left + pw, my(r.at), r.style.colour, r.style.width, r.style.dash);
  }
  svg.end_clip();
  // Points are not clipped (a marker on the frame is drawn whole), but only those inside the axes.
  for (const auto& p : points_)
    for (std::size_t i = 0; i < std::min(p.xs.size(), p.ys.size()); ++i)
      if (in_x(p.xs[i]) && in_y(p.ys[i]))
        svg.circle(mx(p.xs[i]), my(p.ys[i]), p.style.radius, p.style.colour, p.style.outline ? "#333333" : "none",
                   p.style.opacity);

  // 6. Frame, ticks, tick labels, axis labels.
  svg.rect(left, top, pw, ph, "none", "#444444", 0.9);
  for (const auto& t : xticks) {
    if (!x.categories.empty() || in_x(t.value)) {
      const double xp = mx(t.value);
      svg.line(xp, top + ph, xp, top + ph + (t.major ? 5 : 3), "#444444", 0.9);
      if (t.label.empty()) continue;
      if (cat_rot != 0) svg.text(xp + 3, top + ph + 15, t.label, kTickFont, Anchor::End, kInk, false, cat_rot);
      else svg.text(xp, top + ph + 17, t.label, kTickFont, Anchor::Middle, kInk);
    }
  }
  for (const auto& t : yticks) {
    if (!in_y(t.value)) continue;
    const double yp = my(t.value);
    svg.line(left - (t.major ? 5 : 3), yp, left, yp, "#444444", 0.9);
    if (!t.label.empty()) svg.text(left - 8, yp + 4, t.label, kTickFont, Anchor::End, kInk);
  }
  if (!x.label.empty())
    svg.text(left + pw / 2, height_ - 12, x.label, kLabelFont, Anchor::Middle, kInk);
  if (!y.label.empty())
    svg.text(16, top + ph / 2, y.label, kLabelFont, Anchor::Middle, kInk, false, -90);
  for (std::size_t i = 0; i < notes_.size(); ++i)
    svg.text(left + 10, top + 20 + 16 * static_cast<double>(i), notes_[i], 12, Anchor::Start, kMuted);

  // 7. Legend.
  if (!entries_.empty()) {
    const double row = 17;
    const double lh = row * static_cast<double>(entries_.size()) + (legend_title.empty() ? 0 : row) + 8;
    double lx = 0, ly = 0;
    switch (legend) {
      case LegendPlace::TopRight: lx = left + pw - legend_w - 8; ly = top + 8; break;
      case LegendPlace::TopLeft: lx = left + 8; ly = top + 8; break;
      case LegendPlace::BottomRight: lx = left + pw - legend_w - 8; ly = top + ph - lh - 8; break;
      case LegendPlace::BottomLeft: lx = left + 8; ly = top + ph - lh - 8; break;
      case LegendPlace::Outside: lx = left + pw + 12; ly = top; break;
    }
    svg.raw("<g id=\"legend\">\n");
    if (!legend_outside) svg.rect(lx, ly, legend_w, lh, "white", "#cccccc", 0.8, 0.88);
    double yy = ly + 4 + row / 2;
    if (!legend_title.empty()) {
      svg.text(lx + 8, yy + 4, legend_title, kLegendFont, Anchor::Start, kInk, true);
      yy += row;
    }
    for (const auto& e : entries_) {
      const double sx = lx + 8;
      switch (e.kind) {
        case Swatch::Line: svg.line(sx, yy, sx + 20, yy, e.colour, 2.0, e.dash); break;
        case Swatch::Marker: svg.circle(sx + 10, yy, 3.5, e.colour, "#333333", e.opacity); break;
        case Swatch::Box: svg.rect(sx + 2, yy - 5, 16, 10, e.colour, "none", 1, std::max(0.35, e.opacity)); break;
      }
      svg.text(sx + 26, yy + 4, e.label, kLegendFont, Anchor::Start, kInk);
      yy += row;
    }
    svg.raw("</g>\n");
  }
  return svg.finish();
}

}  // namespace qspectra::plot
