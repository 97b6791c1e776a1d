// rate-distortion: quantizers against the Gaussian Shannon bound, per layer and per layer category.
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "analysis_cli.hpp"
#include "app_main.hpp"
#include "outputs.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/rate_distortion.hpp"
#include "qspectra/plot/html.hpp"
#include "qspectra/report/csv.hpp"
#include "qspectra/report/rate_distortion.hpp"
#include "qspectra/report/text_table.hpp"
#include "run_meta.hpp"

using namespace qspectra;

namespace {

std::string method_help() {
  std::string s = "comma-separated methods (default: all listed below; also vq_dD, pq_dD_mM, and quantizer specs:\n"
                  "  sym:4:channel runs at 4 bits only, sym:B:g64 / asym:B:channel at every --bits value;\n"
                  "  GGML types q8_0 q4_0 q4_1 q5_0 q5_1 q2_k..q6_k iq4_nl iq4_xs tq1_0 tq2_0 mxfp4 at their nominal bits):";
  for (const auto& m : rd::rd_methods()) s += fmt::format("\n  {:<13} {} (bits {}-{})", m.name, m.description, m.min_bits, m.max_bits);
  return s;
}

std::vector<int> parse_bits(const std::string& spec) {
  std::vector<int> out;
  std::size_t p = 0;
  while (p <= spec.size()) {
    std::size_t q = spec.find(',', p);
    if (q == std::string::npos) q = spec.size();
    const std::string item = spec.substr(p, q - p);
    const auto dash = item.find('-');
    try {
      std::size_t used = 0;
      if (dash == std::string::npos) {
        out.push_back(std::stoi(item, &used));
        if (used != item.size()) throw std::invalid_argument(item);
      } else {
        const int a = std::stoi(item.substr(0, dash)), b = std::stoi(item.substr(dash + 1));
        if (a > b) throw std::invalid_argument(item);
        for (int x = a; x <= b; ++x) out.push_back(x);
      }
    } catch (const std::exception&) {
      throw UsageError("--bits: expected a list or range like 1-8 or 2,4,8, got '" + spec + "'");
    }
    p = q + 1;
  }
  for (int b : out)
    if (b < 1 || b > 16) throw UsageError("--bits: each value must be in [1, 16], got " + std::to_string(b));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{R"(rate-distortion: how close each quantizer comes to the Shannon bound, layer by layer.

For every selected layer, method and bit setting: rate (effective bits/weight), mse, sqnr_db, max_err,
the layer's variance and kurtosis, the Gaussian bound D(R) = sigma^2 2^(-2R) and the gap in bits
1/2 log2(mse / D(R)) (and at rate_with_codebook). A gap below 0 is possible for heavy-tailed weights
(the Gaussian is the hardest source at a given variance) and is not an error. Lloyd-Max runs from its
percentile grid and from the better uniform grid, keeps the lower mse (never worse than uniform_sym /
uniform_asym) and iterates to convergence (at most 1000 iterations; `converged` says whether it got
there). Each row has a status: ok, overflow (weights near the float range make mse non-finite) or
non_finite (NaN/Inf weights). For each target distortion (a fraction of sigma^2) the empirical rate,
interpolated in log-D, and its gap to R(D) = 1/2 log2(sigma^2 / D).

Outputs (in --out-dir): rd_curves.csv, rd_targets.csv, rd_categories.csv (mean curve per layer category),
rd_summary.json (everything + run metadata), and the gap summary on stdout.

Example:
  rate-distortion ./model --layers 'mlp|self_attn' --bits 1-8 --methods lloyd_max,group_128,nf4 --sample 200000)",
               "rate-distortion"};
  cli.get_formatter()->column_width(34);
  cli.set_version_flag("--version", std::string("rate-distortion (qspectra) ") + QSPECTRA_VERSION);
  app::CommonCli c;
  pipeline::RdRunOptions ro;
  std::string bits_spec = "1-8";
  std::vector<double> targets = {0.001, 0.01};
  app::add_model_argument(cli, c);
  cli.add_option("--bits", bits_spec, "bit settings: a range and/or list, e.g. 1-8 or 2,3,4")->capture_default_str();
  cli.add_option("--methods", ro.methods, method_help())->delimiter(',');
  cli.add_option("--targets", targets, "target distortions as fractions of sigma^2")->delimiter(',')->capture_default_str();
  cli.add_option("--sample", ro.rd.sample, "train codebooks (Lloyd-Max, k-means, PQ) on at most N weights (0 = all)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cli.add_option("--seed", ro.rd.seed, "seed for k-means++ and subsampling (results are deterministic for a seed and thread count)")
      ->capture_default_str();
  app::add_selection_options(cli, c);
  cli.add_option("--threads", c.analyze.threads, "worker threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app::add_output_options(cli, c, "rd");
  bool plot = false;
  cli.add_flag("--plot", plot,
               "also write plots/rd_<category>.svg (distortion vs rate per method with the Shannon bound, per layer "
               "category, and rd_all.svg) and report.html (all figures and the gap summary in one page)");

  return app::run(cli, argc, argv, [&] {
    app::setup_logging("rate-distortion", c.quiet, c.verbose);
    ro.bits = parse_bits(bits_spec);
    for (double t : targets)
      if (!(t > 0 && t < 1)) throw UsageError("--targets: each fraction of sigma^2 must be in (0, 1), got " + fmt::format("{}", t));
    ro.targets = targets;
    ro.analyze = c.analyze;
    const auto model = io::ModelDir::open(c.model_dir);
    for (const auto& m : ro.methods) {
      std::optional<rd::RdMethod> found;
      try {
        found = rd::find_rd_method(m);
      } catch (const UsageError& e) {
        throw UsageError(std::string("--methods: ") + e.what());  // a malformed quantizer spec
      }
      if (!found) throw UsageError("--methods: unknown method '" + m + "' (see --help)");
    }
    const std::string out_dir = app::resolve_out_dir(c, "rd");

    app::ProgressPrinter progress("rate-distortion", c.quiet);
    auto r = pipeline::run_rate_distortion(model, ro, std::ref(progress), &app::cancel_flag());
    progress.finish();

    auto summary = report::rd_summary_json(r);
    auto& meta = summary["meta"] = app::run_meta_base("rate-distortion", c, model, false);
    meta["methods"] = ro.methods.empty() ? rd::rd_method_names() : ro.methods;
    meta["bits"] = ro.bits;
    meta["targets"] = ro.targets;
    meta["sample"] = ro.rd.sample;
    meta["seed"] = ro.rd.seed;
    meta["threads"] = r.threads;
    meta["wall_s"] = r.wall_s;
    meta["notes"] = r.notes;
    if (app::cancel_flag().load()) throw pipeline::Cancelled();
    const auto gap = report::rd_gap_summary_table(r);
    std::vector<std::pair<std::string, std::string>> files = {
        {out_dir + "/rd_curves.csv", report::to_csv(report::rd_curves_table(r))},
        {out_dir + "/rd_targets.csv", report::to_csv(report::rd_targets_table(r))},
        {out_dir + "/rd_categories.csv", report::to_csv(report::rd_category_table(r))},
        {out_dir + "/rd_summary.json", summary.dump(2) + "\n"},
    };
    if (plot)
      plot::add_plot_files(files, out_dir, "rate-distortion " + c.model_dir,
                           {fmt::format("{} layers, {:.2f} s", r.layers.size(), r.wall_s)}, gap, plot::rd_figures(r));
    app::commit_outputs(out_dir, files, "rate-distortion");
    if (!c.quiet) {
      std::printf("%zu layers, %.2f s\n\nGap summary (mean over layers):\n", r.layers.size(), r.wall_s);
      std::fputs(report::to_text_table(gap).c_str(), stdout);
      std::printf("\nwrote %s/{rd_curves.csv, rd_targets.csv, rd_categories.csv, rd_summary.json}\n", out_dir.c_str());
    }
    return app::kOk;
  });
}
