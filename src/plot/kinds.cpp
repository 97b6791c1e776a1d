#include "qspectra/plot/kinds.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "qspectra/metrics/powerlaw.hpp"
#include "qspectra/plot/figure.hpp"
#include "qspectra/plot/svg.hpp"
#include "qspectra/plot/ticks.hpp"
#include "qspectra/rd/curves.hpp"
#include "qspectra/metrics/statistics.hpp"

namespace qspectra::plot {
namespace {

constexpr const char* kBandColour = "#009E73";  // bluish green: the "well trained" alpha range
constexpr double kBandOpacity = 0.10;
constexpr const char* kBandLabel = "2 ≤ α ≤ 6";
constexpr const char* kAlphaLabel = "α (power-law exponent of the ESD tail)";

bool fitted(const pipeline::LayerResult& l) {
  return l.analysed() && l.metrics.fit.status == "success" && std::isfinite(l.metrics.fit.alpha);
}

double alpha_or_nan(const pipeline::LayerResult& l) { return fitted(l) ? l.metrics.fit.alpha : std::nan(""); }

std::string fmt_num(double v, int digits = 3) {
  if (!std::isfinite(v)) return v != v ? "nan" : (v > 0 ? "inf" : "-inf");
  return fmt::format("{:.{}g}", v, digits);
}

// Categories in order of first appearance.
std::vector<std::string> category_order(const std::vector<const pipeline::LayerResult*>& layers) {
  std::vector<std::string> out;
  for (const auto* l : layers)
    if (std::find(out.begin(), out.end(), l->info.category) == out.end()) out.push_back(l->info.category);
  return out;
}

// An axis of layer indices 0..n-1 with half a step of room at either end.
void index_axis(Axis& axis, std::size_t n) {
  axis.lo = -0.5;
  axis.hi = static_cast<double>(n) - 0.5;
}

std::string unique_name(std::set<std::string>& used, const std::string& stem) {
  std::string name = stem + ".svg";
  for (int i = 2; used.count(name); ++i) name = fmt::format("{}_{}.svg", stem, i);
  used.insert(name);
  return name;
}

}  // namespace

std::string sanitize_file_part(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    out += ok ? c : '_';
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

LogHistogram log_histogram(const std::vector<double>& values, int bins) {
  LogHistogram h;
  double lo = INFINITY, hi = 0;
  std::size_t n = 0;
  for (double v : values)
    if (v > 0 && std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      ++n;
    }
  if (n == 0 || bins < 1) return h;
  if (!(hi > lo)) {
    lo /= 1.5;
    hi *= 1.5;
  }
  const double a = std::log10(lo), b = std::log10(hi);
  for (int i = 0; i <= bins; ++i) h.edges.push_back(std::pow(10.0, a + (b - a) * i / bins));
  h.edges.front() = lo;
  h.edges.back() = hi;
  std::vector<double> counts(static_cast<std::size_t>(bins), 0.0);
  for (double v : values) {
    if (!(v > 0) || !std::isfinite(v)) continue;
    auto k = static_cast<long>(std::floor((std::log10(v) - a) / (b - a) * bins));
    k = std::clamp<long>(k, 0, bins - 1);
    counts[static_cast<std::size_t>(k)] += 1;
  }
  for (int i = 0; i < bins; ++i) {
    const auto k = static_cast<std::size_t>(i);
    h.density.push_back(counts[k] / (static_cast<double>(n) * (h.edges[k + 1] - h.edges[k])));
  }
  return h;
}

double power_law_density(const metrics::PowerLawFit& fit, std::size_t n_fitted, double x) {
  if (n_fitted == 0 || !(fit.xmin > 0) || x < fit.xmin) return 0;
  const double tail_share = static_cast<double>(fit.num_pl_spikes) / static_cast<double>(n_fitted);
  return tail_share * (fit.alpha - 1) / fit.xmin * std::pow(x / fit.xmin, -fit.alpha);
}

std::string esd_figure(const pipeline::LayerResult& layer) {
  const auto& m = layer.metrics;
  const auto& fit = m.fit;
  Figure f;
  f.title = layer.info.name;
  if (fitted(layer))
    f.subtitle = fmt::format("{} · α = {:.3f} · D = {:.3f} · xmin = {} · {} eigenvalues, {} in the tail",
                             layer.tensor_shape, fit.alpha, fit.D, fmt_num(fit.xmin), m.num_evals, fit.num_pl_spikes);
  else
    f.subtitle = fmt::format("{} · power-law fit: {} · {} eigenvalues", layer.tensor_shape,
                             layer.analysed() ? fit.status : layer.status, m.num_evals);
  f.x.label = "eigenvalue λ of WᵀW (squared singular value)";
  f.x.scale = Scale::Log10;
  f.y.label = "density p(λ)";
  f.y.scale = Scale::Log10;
  f.legend = LegendPlace::TopRight;

  // The fit's data: eigenvalues above WW's threshold.
  std::vector<double> data;
  for (double v : layer.evals)
    if (v > metrics::kEvalsThresh && std::isfinite(v)) data.push_back(v);
  const int bins = std::clamp(static_cast<int>(std::lround(2.0 * std::cbrt(static_cast<double>(data.size())))), 8, 60);
  const auto h = log_histogram(data, bins);
  f.histogram(h.edges, h.density, {"#56B4E9", 1, "", 0.75, "ESD (log bins)"});
  // At least a decade of room above the tallest bar, where the legend goes.
  double top = 0;
  for (double d : h.density) top = std::max(top, d);
  if (top > 0) f.y.hi = std::pow(10.0, std::ceil(std::log10(top) + 1.0));
  if (data.empty()) f.note("no eigenvalues above 1e-5");

  if (fitted(layer) && fit.xmin > 0 && !data.empty()) {
    const double xmax = *std::max_element(data.begin(), data.end());
    std::vector<double> xs, ys;
    for (int i = 0; i <= 60; ++i) {
      const double x = fit.xmin * std::pow(xmax / fit.xmin, i / 60.0);
      xs.push_back(x);
      ys.push_back(power_law_density(fit, data.size(), x));
    }
    f.line(xs, ys, {"#D55E00", 2.2, "", 1, fmt::format("power law, α = {:.2f}", fit.alpha)});
    f.vline(fit.xmin, {"#333333", 1.3, "5,3", 1, fmt::format("xmin = {}", fmt_num(fit.xmin))});
  }
  if (m.mp && std::isfinite(m.mp->bulk_max) && m.mp->bulk_max > 0)
    f.vline(m.mp->bulk_max, {"#CC79A7", 1.6, "2,3", 1, fmt::format("MP bulk edge = {}", fmt_num(m.mp->bulk_max))});
  return f.to_svg();
}

std::vector<NamedFigure> analysis_figures(const pipeline::AnalysisResult& result) {
  std::vector<NamedFigure> out;
  std::set<std::string> used;
  for (const auto& l : result.layers)
    if (!l.evals.empty()) out.push_back({unique_name(used, "esd_" + sanitize_file_part(l.info.name)), esd_figure(l)});

  std::vector<const pipeline::LayerResult*> layers;
  for (const auto& l : result.layers) layers.push_back(&l);
  const auto cats = category_order(layers);
  std::size_t n_fitted = 0;
  {
    Figure f;
    f.title = "α per layer";
    f.subtitle = fmt::format("{} layers in depth order; WW power-law fit", result.layers.size());
    f.x.label = "layer (index in depth order)";
    index_axis(f.x, layers.size());
    f.y.label = kAlphaLabel;
    f.legend = LegendPlace::Outside;
    f.legend_title = "category";
    std::vector<double> all_x, all_y;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      all_x.push_back(static_cast<double>(i));
      all_y.push_back(alpha_or_nan(*layers[i]));
      if (fitted(*layers[i])) ++n_fitted;
    }
    f.band_y(2, 6, kBandColour, kBandOpacity, kBandLabel);
    f.line(all_x, all_y, {"#bbbbbb", 1.0, "", 1, ""});
    for (std::size_t c = 0; c < cats.size(); ++c) {
      std::vector<double> xs, ys;
      for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i]->info.category == cats[c]) {
          xs.push_back(static_cast<double>(i));
          ys.push_back(alpha_or_nan(*layers[i]));
        }
      f.scatter(xs, ys, {palette_colour(c), 4.0, 0.95, true, cats[c]});
    }
    if (n_fitted < layers.size())
      f.note(fmt::format("{} layer(s) without a successful fit not shown", layers.size() - n_fitted));
    out.push_back({"alpha_by_layer.svg", f.to_svg()});
  }
  {
    Figure f;
    f.title = "Distribution of α";
    f.subtitle = fmt::format("{} of {} layers with a successful power-law fit", n_fitted, layers.size());
    f.x.label = kAlphaLabel;
    f.y.label = "layers (count)";
    std::vector<double> alphas;
    for (const auto* l : layers)
      if (fitted(*l)) alphas.push_back(l->metrics.fit.alpha);
    if (!alphas.empty()) {
      const double lo = *std::min_element(alphas.begin(), alphas.end());
      const double hi = *std::max_element(alphas.begin(), alphas.end());
      const int target = std::clamp(static_cast<int>(std::ceil(std::sqrt(static_cast<double>(alphas.size())))) + 2, 6, 30);
      const double step = std::max(nice_step(hi - lo, target), 1e-9);
      const double start = std::floor(lo / step) * step;
      const auto nb = static_cast<std::size_t>(std::max(1.0, std::ceil((hi - start) / step + 1e-9)));
      std::vector<double> edges, counts(nb, 0.0);
      for (std::size_t i = 0; i <= nb; ++i) edges.push_back(start + step * static_cast<double>(i));
      for (double a : alphas)
        counts[std::min(nb - 1, static_cast<std::size_t>(std::floor((a - start) / step)))] += 1;
      f.band_x(2, 6, kBandColour, kBandOpacity, kBandLabel);
      f.histogram(edges, counts, {"#0072B2", 1, "", 0.8, "layers"});
    } else {
      f.note("no successful power-law fits");
    }
    out.push_back({"alpha_hist.svg", f.to_svg()});
  }
  return out;
}

std::vector<NamedFigure> sweep_figures(const pipeline::SweepResult& r, std::size_t baseline) {
  std::vector<NamedFigure> out;
  const std::size_t nv = r.variants.size(), nl = r.layers.size();
  auto alpha = [&](std::size_t layer, std::size_t v) { return alpha_or_nan(r.layers[layer][v]); };
  const std::string& base_name = r.variants.at(baseline);
  // Colours: the baseline dark grey, the others through the palette in the order asked.
  std::vector<std::string> colour(nv);
  for (std::size_t v = 0, k = 0; v < nv; ++v) colour[v] = v == baseline ? "#444444" : palette_colour(k++);
  {
    Figure f;
    f.title = "α per variant";
    f.subtitle = fmt::format("{} layers; box: quartiles and median, whiskers: min to max, dots: layers", nl);
    f.x.label = "variant (quantizer spec)";
    f.x.categories = r.variants;
    f.y.label = kAlphaLabel;
    f.band_y(2, 6, kBandColour, kBandOpacity, kBandLabel);
    for (std::size_t v = 0; v < nv; ++v) {
      std::vector<double> values;
      for (std::size_t l = 0; l < nl; ++l)
        if (std::isfinite(alpha(l, v))) values.push_back(alpha(l, v));
      if (values.empty()) continue;
      const auto d = metrics::describe(values);
      f.box(static_cast<double>(v), {d.min, d.q25, d.median, d.q75, d.max, values}, {colour[v], 1.4, "", 1, ""});
    }
    out.push_back({"sweep_alpha_box.svg", f.to_svg()});
  }
  {
    Figure f;
    f.title = "α per layer and variant";
    f.subtitle = fmt::format("{} layers in depth order", nl);
    f.x.label = "layer (index in depth order)";
    index_axis(f.x, nl);
    f.y.label = kAlphaLabel;
    f.legend = LegendPlace::Outside;
    f.legend_title = "variant";
    f.band_y(2, 6, kBandColour, kBandOpacity, kBandLabel);
    for (std::size_t v = 0; v < nv; ++v) {
      std::vector<double> xs, ys;
      for (std::size_t l = 0; l < nl; ++l) {
        xs.push_back(static_cast<double>(l));
        ys.push_back(alpha(l, v));
      }
      f.line(xs, ys, {colour[v], v == baseline ? 2.4 : 1.4, v == baseline ? "" : "", v == baseline ? 1.0 : 0.9,
                      v == baseline ? r.variants[v] + " (baseline)" : r.variants[v]});
    }
    out.push_back({"sweep_alpha_by_layer.svg", f.to_svg()});
  }
  {
    Figure f;
    f.title = fmt::format("Change of α from the baseline ({})", base_name);
    f.subtitle = "α(variant) − α(baseline) per layer";
    f.x.label = "layer (index in depth order)";
    index_axis(f.x, nl);
    f.y.label = "Δα (variant − baseline)";
    f.legend = LegendPlace::Outside;
    f.legend_title = "variant";
    f.hline(0, {"#444444", 1.2, "", 1, ""});
    for (std::size_t v = 0; v < nv; ++v) {
      if (v == baseline) continue;
      std::vector<double> xs, ys;
      for (std::size_t l = 0; l < nl; ++l) {
        xs.push_back(static_cast<double>(l));
        ys.push_back(alpha(l, v) - alpha(l, baseline));
      }
      f.line(xs, ys, {colour[v], 1.4, "", 0.9, ""});
      f.scatter(xs, ys, {colour[v], 2.6, 0.9, false, r.variants[v]});
    }
    out.push_back({"sweep_alpha_change.svg", f.to_svg()});
  }
  {
    Figure f;
    f.title = fmt::format("α of each variant against the baseline ({})", base_name);
    f.subtitle = "one point per layer; on the diagonal the variant keeps the baseline's α";
    f.x.label = fmt::format("α at the baseline ({})", base_name);
    f.y.label = "α at the variant";
    f.legend = LegendPlace::Outside;
    f.legend_title = "variant";
    double lo = INFINITY, hi = -INFINITY;
    for (std::size_t v = 0; v < nv; ++v)
      for (std::size_t l = 0; l < nl; ++l)
        if (std::isfinite(alpha(l, v)) && std::isfinite(alpha(l, baseline))) {
          lo = std::min({lo, alpha(l, v), alpha(l, baseline)});
          hi = std::max({hi, alpha(l, v), alpha(l, baseline)});
        }
    if (lo <= hi) {
      const auto range = nice_linear_range(lo, hi);
      f.x.lo = f.y.lo = range.lo;
      f.x.hi = f.y.hi = range.hi;
      f.line({range.lo, range.hi}, {range.lo, range.hi}, {"#444444", 1.1, "4,3", 1, "y = x"});
    } else {
      f.note("no layer with a successful fit at the baseline and a variant");
    }
    for (std::size_t v = 0; v < nv; ++v) {
      if (v == baseline) continue;
      std::vector<double> xs, ys;
      for (std::size_t l = 0; l < nl; ++l) {
        xs.push_back(alpha(l, baseline));
        ys.push_back(alpha(l, v));
      }
      f.scatter(xs, ys, {colour[v], 3.4, 0.85, true, r.variants[v]});
    }
    out.push_back({"sweep_alpha_scatter.svg", f.to_svg()});
  }
  return out;
}

std::vector<NamedFigure> rd_figures(const pipeline::RdRunResult& r) {
  std::vector<NamedFigure> out;
  std::vector<std::string> order;
  std::map<std::string, std::vector<rd::RdPoint>> by_cat;
  std::map<std::string, int> layer_count;
  for (const auto& l : r.layers)
    for (const std::string& cat : {l.layer.info.category, std::string("all")}) {
      if (!by_cat.count(cat)) order.push_back(cat);
      auto& v = by_cat[cat];
      v.insert(v.end(), l.points.begin(), l.points.end());
      ++layer_count[cat];
    }
  // "all" last, and only when there is more than one category.
  order.erase(std::remove(order.begin(), order.end(), std::string("all")), order.end());
  if (order.size() != 1) order.push_back("all");
  std::set<std::string> used;
  for (const auto& cat : order) {
    const auto curves = rd::mean_curves(by_cat[cat]);
    Figure f;
    f.title = cat == "all" ? std::string("Rate-distortion, all layers") : "Rate-distortion, " + cat + " layers";
    f.subtitle = fmt::format("mean over {} layer(s); Shannon bound of a Gaussian source D(R) = σ² 2^(−2R)",
                             layer_count[cat]);
    f.x.label = "rate R (bits per weight)";
    f.y.label = "distortion D / σ² (MSE / weight variance)";
    f.y.scale = Scale::Log10;
    f.legend = LegendPlace::Outside;
    f.legend_title = "method";
    std::vector<std::string> methods;
    for (const auto& c : curves)
      if (std::find(methods.begin(), methods.end(), c.method) == methods.end()) methods.push_back(c.method);
    double rmin = INFINITY, rmax = 0;
    for (const auto& c : curves)
      if (std::isfinite(c.rate)) {
        rmin = std::min(rmin, c.rate);
        rmax = std::max(rmax, c.rate);
      }
    double dmin = INFINITY;
    for (const auto& c : curves)
      if (c.nmse > 0 && std::isfinite(c.nmse)) dmin = std::min(dmin, c.nmse);
    if (rmin <= rmax) {
      // x from 0 to the next whole bit past the largest rate; y down to the decade below the data
      // (the bound is cut there rather than stretching the axis).
      f.x.lo = 0;
      f.x.hi = std::max(1.0, std::ceil(rmax + 0.25));
      if (std::isfinite(dmin)) f.y.lo = std::pow(10.0, std::floor(std::log10(dmin)));
      std::vector<double> xs, ys;
      for (int i = 0; i <= 100; ++i) {
        const double x = *f.x.hi * i / 100.0;
        xs.push_back(x);
        ys.push_back(std::pow(2.0, -2 * x));
      }
      f.line(xs, ys, {"#222222", 2.0, "6,4", 1, "Shannon bound"});
    } else {
      f.note("no rate-distortion points");
    }
    static const char* dashes[] = {"", "5,3", "2,2", "8,3,2,3"};
    for (std::size_t k = 0; k < methods.size(); ++k) {
      std::vector<std::pair<double, double>> pts;
      for (const auto& c : curves)
        if (c.method == methods[k]) pts.push_back({c.rate, c.nmse});
      std::sort(pts.begin(), pts.end());
      std::vector<double> xs, ys;
      for (const auto& p : pts) {
        xs.push_back(p.first);
        ys.push_back(p.second);
      }
      const std::string col = palette_colour(k);
      f.line(xs, ys, {col, 1.6, dashes[(k / kPaletteSize) % 4], 0.95, methods[k]});
      f.scatter(xs, ys, {col, 2.8, 0.95, true, ""});
    }
    out.push_back({unique_name(used, "rd_" + sanitize_file_part(cat)), f.to_svg()});
  }
  return out;
}

}  // namespace qspectra::plot
