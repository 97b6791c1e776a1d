#pragma once
// The figures each app draws from the pipeline's results (the plot code bins eigenvalues and draws;
// every statistic comes from the results).
//   ww-analyze       esd_<layer>.svg (one per layer with eigenvalues), alpha_by_layer.svg, alpha_hist.svg
//   precision-sweep  sweep_alpha_box.svg, sweep_alpha_by_layer.svg, sweep_alpha_change.svg,
//                    sweep_alpha_scatter.svg
//   rate-distortion  rd_<category>.svg (one per layer category, and rd_all.svg)
#include <string>
#include <vector>

#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/pipeline/rate_distortion.hpp"
#include "qspectra/pipeline/sweep.hpp"

namespace qspectra::plot {

struct NamedFigure {
  std::string file;  // file name inside plots/, e.g. "esd_model.layers.0.attention.wq.svg"
  std::string svg;
};

// A layer name as a file-name part: [A-Za-z0-9._-] kept, everything else '_'.
std::string sanitize_file_part(const std::string& name);

// Eigenvalue histogram on log-spaced bins: `bins` bins over [min, max] of the values > 0, heights as
// densities (count / (n * bin width), n = number of values > 0). Returns edges (bins + 1) and heights.
struct LogHistogram {
  std::vector<double> edges, density;
};
LogHistogram log_histogram(const std::vector<double>& values, int bins);

// The fitted power law as a density over the n fitted eigenvalues (those > 1e-5): the tail's share
// n_tail/n times the Pareto density (alpha-1)/xmin (x/xmin)^-alpha, for x >= xmin; 0 below xmin.
double power_law_density(const metrics::PowerLawFit& fit, std::size_t n_fitted, double x);

// One layer's ESD (layer.evals must be kept): log-log density histogram, the fitted power law
// p(λ) = (n_tail/n) (alpha-1)/xmin (λ/xmin)^-alpha from xmin to λ_max, xmin and the MP bulk edge.
std::string esd_figure(const pipeline::LayerResult& layer);

// All ww-analyze figures: one ESD per layer that kept its eigenvalues, the alpha overview and histogram.
std::vector<NamedFigure> analysis_figures(const pipeline::AnalysisResult& result);

// The precision-sweep figures; `baseline` indexes r.variants.
std::vector<NamedFigure> sweep_figures(const pipeline::SweepResult& r, std::size_t baseline);

// The rate-distortion figures: mean normalised distortion vs rate per method, Shannon bound 2^(-2R).
std::vector<NamedFigure> rd_figures(const pipeline::RdRunResult& r);

}  // namespace qspectra::plot
