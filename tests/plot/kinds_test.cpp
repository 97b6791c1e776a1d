// The plot kinds of the three apps, drawn from real pipeline results on the bundled model, and a
// render test: every kind goes through rsvg-convert to a PNG that must not be blank.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <unistd.h>

#include "qspectra/io/model_dir.hpp"
#include "qspectra/plot/kinds.hpp"
#include "qspectra/plot/svg.hpp"

namespace qspectra::plot {
namespace {

const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// Pipeline results computed once for all tests.
struct Results {
  pipeline::AnalysisResult analysis;
  pipeline::SweepResult sweep;
  pipeline::RdRunResult rd;
};
const Results& results() {
  static const Results r = [] {
    Results out;
    const auto model = io::ModelDir::open(kModel);
    pipeline::AnalyzeOptions a;
    a.threads = 2;
    a.keep_evals = true;
    a.metrics.mp_fit = true;
    out.analysis = pipeline::analyze_model(model, a);
    pipeline::AnalyzeOptions s;
    s.threads = 2;
    s.selector.include_regex = "layers\\.[01]\\.";
    out.sweep = pipeline::run_sweep(model, s, {"fp32", "bf16", "sym:4", "sym:2"});
    pipeline::RdRunOptions ro;
    ro.analyze.threads = 2;
    ro.analyze.selector.include_regex = "layers\\.0\\.";
    ro.methods = {"uniform_sym", "lloyd_max", "group_32"};
    ro.bits = {2, 3, 4};
    ro.targets = {0.01};
    ro.rd.sample = 20000;
    out.rd = pipeline::run_rate_distortion(model, ro);
    return out;
  }();
  return r;
}

TEST(PlotKinds, SanitizeKeepsSafeCharactersOnly) {
  EXPECT_EQ(sanitize_file_part("model.layers.0.attention.wq"), "model.layers.0.attention.wq");
  EXPECT_EQ(sanitize_file_part("a/b c:d*"), "a_b_c_d_");
  EXPECT_EQ(sanitize_file_part(".."), "_..");
  EXPECT_EQ(sanitize_file_part(""), "_");
}

TEST(PlotKinds, LogHistogramIsADensityOverLogSpacedBins) {
  std::mt19937 gen(7);
  std::lognormal_distribution<double> d(0, 2);
  std::vector<double> v;
  for (int i = 0; i < 5000; ++i) v.push_back(d(gen));
  v.push_back(0);   // not on a log axis: left out
  v.push_back(-1);
  const auto h = log_histogram(v, 30);
  ASSERT_EQ(h.edges.size(), 31u);
  ASSERT_EQ(h.density.size(), 30u);
  double mass = 0;
  for (std::size_t i = 0; i < 30; ++i) mass += h.density[i] * (h.edges[i + 1] - h.edges[i]);
  EXPECT_NEAR(mass, 1.0, 1e-12);
  // Equal ratios between consecutive edges.
  EXPECT_NEAR(h.edges[2] / h.edges[1], h.edges[11] / h.edges[10], 1e-9);
  EXPECT_TRUE(log_histogram({}, 10).edges.empty());
}

TEST(PlotKinds, PowerLawDensityHoldsTheTailsShareOfTheMass) {
  metrics::PowerLawFit fit;
  fit.alpha = 2.5;
  fit.xmin = 3.0;
  fit.num_pl_spikes = 30;
  EXPECT_EQ(power_law_density(fit, 120, 2.9), 0.0);  // nothing below xmin
  // Integral over [xmin, inf) in log space: sum p(x) x dlnx.
  double mass = 0;
  const double step = 1e-3;
  for (double t = 0; t < 60; t += step) {
    const double x = fit.xmin * std::exp(t + step / 2);
    mass += power_law_density(fit, 120, x) * x * step;
  }
  EXPECT_NEAR(mass, 30.0 / 120.0, 1e-4);
  EXPECT_DOUBLE_EQ(power_law_density(fit, 120, 3.0), 0.25 * 1.5 / 3.0);
}

TEST(PlotKinds, EsdShowsTheFitXminAndMpEdge) {
  const auto& layer = results().analysis.layers.at(0);
  ASSERT_FALSE(layer.evals.empty());
  ASSERT_EQ(layer.metrics.fit.status, "success");
  const auto s = esd_figure(layer);
  EXPECT_NE(s.find(">" + layer.info.name + "</text>"), std::string::npos);
  EXPECT_NE(s.find("α = "), std::string::npos);
  EXPECT_NE(s.find("D = "), std::string::npos);
  EXPECT_NE(s.find(">power law, α = "), std::string::npos);
  EXPECT_NE(s.find(">xmin = "), std::string::npos);
  EXPECT_NE(s.find(">MP bulk edge = "), std::string::npos);
  EXPECT_NE(s.find("eigenvalue λ"), std::string::npos);
}

TEST(PlotKinds, AnalysisFiguresOnePerLayerPlusOverviewAndHistogram) {
  const auto& a = results().analysis;
  const auto figs = analysis_figures(a);
  ASSERT_EQ(figs.size(), a.layers.size() + 2);
  EXPECT_EQ(figs[0].file, "esd_" + sanitize_file_part(a.layers[0].info.name) + ".svg");
  EXPECT_EQ(figs[figs.size() - 2].file, "alpha_by_layer.svg");
  EXPECT_EQ(figs.back().file, "alpha_hist.svg");
  // Every layer is a point in the overview, coloured by category with a legend entry per category.
  const auto& overview = figs[figs.size() - 2].svg;
  std::set<std::string> cats;
  std::size_t fitted = 0;
  for (const auto& l : a.layers) {
    cats.insert(l.info.category);
    fitted += l.metrics.fit.status == "success" ? 1 : 0;
  }
  EXPECT_EQ(count(overview, "<circle"), fitted + cats.size());
  for (const auto& c : cats) EXPECT_NE(overview.find(">" + c + "</text>"), std::string::npos) << c;
  EXPECT_NE(overview.find(">2 ≤ α ≤ 6</text>"), std::string::npos);
}

TEST(PlotKinds, EsdFiguresOnlyForLayersThatKeptEigenvalues) {
  auto a = results().analysis;
  for (auto& l : a.layers) l.evals.clear();
  const auto figs = analysis_figures(a);
  EXPECT_EQ(figs.size(), 2u);
}

TEST(PlotKinds, SweepFigures) {
  const auto& r = results().sweep;
  const auto figs = sweep_figures(r, 0);
  ASSERT_EQ(figs.size(), 4u);
  EXPECT_EQ(figs[0].file, "sweep_alpha_box.svg");
  EXPECT_EQ(figs[1].file, "sweep_alpha_by_layer.svg");
  EXPECT_EQ(figs[2].file, "sweep_alpha_change.svg");
  EXPECT_EQ(figs[3].file, "sweep_alpha_scatter.svg");
  for (const auto& v : r.variants) EXPECT_NE(figs[0].svg.find(">" + v + "</text>"), std::string::npos) << v;
  EXPECT_NE(figs[1].svg.find(">fp32 (baseline)</text>"), std::string::npos);
  EXPECT_NE(figs[3].svg.find(">y = x</text>"), std::string::npos);
  // The change figure leaves the baseline out of its legend.
  EXPECT_EQ(figs[2].svg.find(">fp32</text>"), std::string::npos);
  EXPECT_THROW(sweep_figures(r, 99), std::out_of_range);
}

TEST(PlotKinds, RdFigurePerCategoryWithTheShannonBound) {
  const auto& r = results().rd;
  const auto figs = rd_figures(r);
  std::set<std::string> cats;
  for (const auto& l : r.layers) cats.insert(l.layer.info.category);
  ASSERT_EQ(figs.size(), cats.size() + (cats.size() > 1 ? 1 : 0));
  for (const auto& f : figs) {
    EXPECT_EQ(f.file.rfind("rd_", 0), 0u);
    EXPECT_NE(f.svg.find(">Shannon bound</text>"), std::string::npos);
    for (const char* m : {"uniform_sym", "lloyd_max", "group_32"}) EXPECT_NE(f.svg.find(std::string(">") + m + "</text>"), std::string::npos);
  }
  EXPECT_EQ(figs.back().file, "rd_all.svg");
}

// ---- render test ----

bool have_rsvg() { return std::system("command -v rsvg-convert >/dev/null 2>&1") == 0; }

struct Png {
  bool ok = false;
  uint32_t width = 0, height = 0;
  std::uintmax_t bytes = 0;
};

Png render(const std::string& svg, const std::filesystem::path& dir, const std::string& name) {
  const auto in = dir / (name + ".svg"), out = dir / (name + ".png");
  std::ofstream(in) << svg;
  const std::string cmd = "rsvg-convert -f png -o '" + out.string() + "' '" + in.string() + "' 2>&1";
  Png p;
  if (std::system(cmd.c_str()) != 0) return p;
  std::ifstream f(out, std::ios::binary);
  std::string head(24, '\0');
  f.read(head.data(), 24);
  if (head.substr(0, 8) != "\x89PNG\r\n\x1a\n") return p;
  auto be32 = [&](int at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(head[static_cast<std::size_t>(at + i)]);
    return v;
  };
  p.width = be32(16);
  p.height = be32(20);
  p.bytes = std::filesystem::file_size(out);
  p.ok = true;
  return p;
}

TEST(PlotRender, EveryKindRendersToANonBlankPng) {
  if (!have_rsvg()) GTEST_SKIP() << "SKIPPED: rsvg-convert not found (install librsvg2-bin) - cannot render";
  const auto dir = std::filesystem::temp_directory_path() / ("qspectra-plot-render-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // A blank page of the same size compresses to almost nothing; a figure is far larger.
  const Png blank = render(SvgWriter(640, 420).finish(), dir, "blank");
  ASSERT_TRUE(blank.ok);
  std::vector<NamedFigure> all = analysis_figures(results().analysis);
  for (auto& f : sweep_figures(results().sweep, 0)) all.push_back(f);
  for (auto& f : rd_figures(results().rd)) all.push_back(f);
  for (const auto& f : all) {
    const Png p = render(f.svg, dir, f.file);
    ASSERT_TRUE(p.ok) << f.file << " did not render";
    EXPECT_EQ(p.width, 640u) << f.file;
    EXPECT_EQ(p.height, 420u) << f.file;
    EXPECT_GT(p.bytes, 8 * blank.bytes) << f.file << ": " << p.bytes << " bytes vs blank " << blank.bytes;
  }
  EXPECT_GE(all.size(), 9u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qspectra::plot
