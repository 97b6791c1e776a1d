// precision-sweep: how precision and bit-width move each layer's spectrum.
#include <cstdio>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "analysis_cli.hpp"
#include "app_main.hpp"
#include "outputs.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/sweep.hpp"
#include "qspectra/plot/html.hpp"
#include "qspectra/report/csv.hpp"
#include "qspectra/report/evals.hpp"
#include "qspectra/report/sweep.hpp"
#include "qspectra/report/text_table.hpp"
#include "run_meta.hpp"

using namespace qspectra;

namespace {

constexpr const char* kDescription = R"(precision-sweep: WeightWatcher metrics and Alpha-Hill of every layer across precisions and
bit-widths. Each layer is read once; every variant is computed while it is in memory.

Variants are quantizer specs (docs/quantizers.md): fp32, fp16, bf16, fp8_e4m3, fp8_e5m2 (precision
casts); sym:B (per tensor), sym:B:channel, sym:B:gG (groups of G inputs), usym:B, asym:B[:channel|:gG],
clip:B:Ks, nf4[:gG], fp4[:gG], lloyd:B; GGML types (llama.cpp's formats, ggml's exact bytes): q8_0,
q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, iq4_xs, tq1_0, tq2_0, mxfp4.

Outputs (in --out-dir): sweep_long.csv (one row per layer x variant, every ww-analyze column plus
quantization errors), precision_alpha_hill_results.csv (wide, one row per layer), precision_summary_statistics.csv
(Alpha-Hill statistics per variant, metric = alpha_hill), precision_ww_alpha_summary.csv (WW alpha per
variant: count, mean, std, median, min, max, layers in [2,6], below 2, above 6; failed fits left
out), sweep_comparison.json (each variant vs the baseline: mean alpha,
change %, Pearson correlation of layer alphas, layers in [2,6]) and that comparison on stdout.

Examples:
  precision-sweep ./model --variants fp32,fp16,bf16,sym:8,sym:4:g128,nf4 --baseline fp32
  precision-sweep ./model --precisions fp32,fp16,bf16 --bits 8,6,5,4,2 --granularity channel)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{kDescription, "precision-sweep"};
  cli.get_formatter()->column_width(34);
  cli.set_version_flag("--version", std::string("precision-sweep (qspectra) ") + QSPECTRA_VERSION);
  app::CommonCli c;
  std::vector<std::string> variants, precisions;
  std::vector<int> bits;
  std::string granularity = "tensor";
  std::string baseline;
  app::add_model_argument(cli, c);
  cli.add_option("--variants", variants, "comma-separated quantizer specs (default: fp32,fp16,bf16,sym:8,sym:6,sym:5,sym:4,sym:2)")
      ->delimiter(',');
  cli.add_option("--precisions", precisions, "shortcut: precision casts, e.g. fp32,fp16,bf16")->delimiter(',');
  cli.add_option("--bits", bits, "shortcut: bit-widths for sym:B, e.g. 8,6,5,4,2")->delimiter(',');
  cli.add_option("--granularity", granularity, "for --bits: tensor, channel or gG (e.g. g128)")->capture_default_str();
  cli.add_option("--baseline", baseline, "the variant the others are compared with (default: the first)");
  app::add_selection_options(cli, c);
  app::add_spectrum_options(cli, c);
  app::add_metric_options(cli, c);
  app::add_peft_options(cli, c);
  app::add_output_options(cli, c, "sweep");
  bool plot = false;
  cli.add_flag("--plot", plot,
               "also write plots/sweep_alpha_{box,by_layer,change,scatter}.svg and report.html (all figures and the "
               "comparison table in one page)");
  cli.add_flag("--save-evals", c.analyze.keep_evals,
               "also write sweep_evals.csv (name,variant,lambda): every eigenvalue of every layer and variant, "
               "ascending, zeros included, 17 digits");

  return app::run(cli, argc, argv, [&] {
    app::setup_logging("precision-sweep", c.quiet, c.verbose);
    app::finish_options(c);
    std::vector<std::string> all = variants;
    all.insert(all.end(), precisions.begin(), precisions.end());
    for (int b : bits) {
      if (granularity == "tensor") all.push_back(fmt::format("sym:{}", b));
      else if (granularity == "channel" || (granularity.size() > 1 && granularity[0] == 'g'))
        all.push_back(fmt::format("sym:{}:{}", b, granularity));
      else throw UsageError("--granularity: expected tensor, channel or gG (e.g. g128), got '" + granularity + "'");
    }
    if (all.empty()) all = {"fp32", "fp16", "bf16", "sym:8", "sym:6", "sym:5", "sym:4", "sym:2"};

    const auto model = io::ModelDir::open(c.model_dir);
    std::optional<io::ModelDir> peft_base;
    if (!c.peft_base_dir.empty()) {
      peft_base = io::ModelDir::open(c.peft_base_dir);
      c.analyze.peft_base = &*peft_base;
    }
    const std::string out_dir = app::resolve_out_dir(c, "sweep");
    app::ProgressPrinter progress("sweeping", c.quiet);
    auto r = pipeline::run_sweep(model, c.analyze, all, std::ref(progress), &app::cancel_flag());
    progress.finish();
    for (const auto& note : r.notes) spdlog::info("{}", note);
    for (const auto& warning : r.warnings) spdlog::warn("{}", warning);

    std::size_t base_index = 0;
    if (!baseline.empty()) {
      const std::string canon = quant::make_quantizer(baseline)->spec();
      auto it = std::find(r.variants.begin(), r.variants.end(), canon);
      if (it == r.variants.end()) throw UsageError("--baseline " + baseline + " is not one of the variants");
      base_index = static_cast<std::size_t>(it - r.variants.begin());
    }
    auto comparison = report::sweep_comparison_json(r, base_index);
    auto& meta = comparison["meta"] = app::run_meta_base("precision-sweep", c, model, false);
    meta["variants"] = r.variants;
    meta["backend"] = r.backend;
    meta["threads"] = r.threads;
    meta["wall_s"] = r.wall_s;
    meta["tensor_bytes_read"] = r.bytes_read;
    meta["proc_io"] = app::proc_io_json();
    meta["layers"] = r.layers.size();
    meta["notes"] = r.notes;
    meta["warnings"] = r.warnings;
    std::vector<std::pair<std::string, std::string>> files = {
        {out_dir + "/sweep_long.csv", report::to_csv(report::sweep_long_table(r, c.analyze.metrics.mp_fit))},
        {out_dir + "/precision_alpha_hill_results.csv", report::to_csv(report::alpha_hill_wide_table(r))},
        {out_dir + "/precision_summary_statistics.csv", report::to_csv(report::summary_statistics_table(r))},
        {out_dir + "/precision_ww_alpha_summary.csv", report::to_csv(report::ww_alpha_summary_table(r))},
        {out_dir + "/sweep_comparison.json", comparison.dump(2) + "\n"},
    };
    if (plot)
      plot::add_plot_files(files, out_dir, "precision-sweep " + c.model_dir,
                           {fmt::format("{} layers x {} variants, baseline {}", r.layers.size(), r.variants.size(),
                                        r.variants[base_index])},
                           report::sweep_comparison_table(r, base_index), plot::sweep_figures(r, base_index));
    if (c.analyze.keep_evals) files.emplace_back(out_dir + "/sweep_evals.csv", report::sweep_evals_csv(r));
    if (app::cancel_flag().load()) throw pipeline::Cancelled();
    app::commit_outputs(out_dir, files, "precision-sweep");
    if (!c.quiet) {
      std::printf("%zu layers x %zu variants, baseline %s, %.2f s\n\n", r.layers.size(), r.variants.size(),
                  r.variants[base_index].c_str(), r.wall_s);
      std::fputs(report::to_text_table(report::sweep_comparison_table(r, base_index)).c_str(), stdout);
      std::printf("\nwrote %s/{sweep_long.csv, precision_alpha_hill_results.csv, precision_summary_statistics.csv, "
                  "precision_ww_alpha_summary.csv, sweep_comparison.json}\n", out_dir.c_str());
    }
    return app::kOk;
  });
}
