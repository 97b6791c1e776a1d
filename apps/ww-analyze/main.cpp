// ww-analyze: WeightWatcher metrics for every layer of a model directory.
#include <cmath>
#include <cstdio>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "analysis_cli.hpp"
#include "app_main.hpp"
#include "outputs.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/pipeline/compare.hpp"
#include "qspectra/plot/html.hpp"
#include "qspectra/report/compare.hpp"
#include "qspectra/report/csv.hpp"
#include "qspectra/report/evals.hpp"
#include "qspectra/report/json.hpp"
#include "qspectra/report/quant_error.hpp"
#include "qspectra/report/schema.hpp"
#include "qspectra/report/text_table.hpp"
#include "model_series.hpp"
#include "run_meta.hpp"
#include "ww_summary.hpp"

using namespace qspectra;

namespace {

constexpr const char* kDescription = R"(ww-analyze: per-layer WeightWatcher metrics of a model, from its weights alone.

Reads a model directory (safetensors: single, sharded with an index, or a LoRA adapter), computes the
eigenvalues of every selected layer (lambda = squared singular values of W) and the same numbers as
WeightWatcher 0.7.5.5's analyze():
  alpha              power-law exponent of the eigenvalue tail (2-6: well trained; <2 over-fit; >6 under-trained)
  alpha_weighted     alpha * log10(lambda_max)
  log_norm           log10 of the squared Frobenius norm (sum of eigenvalues)
  log_spectral_norm  log10 of lambda_max (squared largest singular value)
  log_alpha_norm     log10(sum lambda^alpha)
  stable_rank        sum lambda / lambda_max
  D, xmin, xmax      KS distance and range of the power-law fit; num_pl_spikes = eigenvalues >= xmin
  fingers            eigenvalues above the fitted tail's expected maximum (outliers that pull alpha)
  alpha_hill         Alpha-Hill estimate on the top k = floor(k_frac*n) eigenvalues; alpha_mid: the median-xmin MLE
  entropy, matrix_rank, rank_loss, weak_rank_loss, sv_max, sv_min, lambda_max  as WW defines them

Outputs (in --out-dir): ww_layers.csv (one row per layer in natural order, WW's column names, 'name' is
the join key, 'layer_id' WW's numbering),
ww_summary.json (WW summary means, counts, run metadata), and a table on stdout.
With --save-evals: ww_evals.csv (every eigenvalue, long format name,lambda).
LoRA adapters (adapter_model*.safetensors): each lora_A/lora_B pair is one layer <module>.lora_BA, the
update dW = B·A (computed from the factors); --lora-scale, --peft-base BASE (also W_base + dW) as below.
With --base BASELINE: also ww_compare.json / ww_compare.csv (summary and per-layer changes, layers
joined by name; none in common is an error). --quantize applies to MODEL_DIR only: the baseline is
analysed as stored, or as --base-quantize SPEC says. This compares two analyses; it is not WW's
base_model option (which analyses W - W_base): that is --delta-from BASELINE.
With --quant-source SOURCE (a quantized model, e.g. a GGUF file, against its float source): also
ww_quant_error.csv / ww_quant_error.json, per layer alpha, stable_rank of W, Q(W) and E = W - Q(W), E's
MP fit and llama.cpp quantize-stats' error statistics; ww_layers.csv stays the analysis of Q(W).

Exit codes: 0 done (failed fits and non-finite layers are counted, not errors); 1 bad input;
2 usage error; 3 internal error; 130 interrupted.

Example:
  ww-analyze data/llama2c-stories260K-plctlab --out-dir out/
  ww-analyze ./my-model --all-matrices --format csv --quiet
  ww-analyze ./finetuned --base ./base-model
  ww-analyze model-Q4_K_M.gguf --quant-source ./hf-source-dir   # W, Q(W), E = W - Q(W): ww_quant_error.csv)";

report::Table stdout_table(const pipeline::AnalysisResult& r) {
  report::Table t;
  t.columns = {"id", "name", "category", "shape", "alpha", "alpha_hill", "D", "lambda_max", "log_norm",
               "alpha_weighted", "stable_rank", "status"};
  for (const auto& l : r.layers) {
    auto cell = [&](const char* c) { return report::layer_cell(l, c); };
    std::string status = l.status;
    if (l.analysed() && !l.metrics.fit.warning.empty()) status += " (" + l.metrics.fit.warning + ")";
    t.rows.push_back({cell("layer_id"), cell("name"), cell("category"), cell("tensor_shape"), cell("alpha"),
                      cell("alpha_hill"), cell("D"), cell("lambda_max"), cell("log_norm"),
                      cell("alpha_weighted"), cell("stable_rank"), status});
  }
  return t;
}

std::string summary_text(const pipeline::AnalysisResult& r) {
  const auto& s = r.summary;
  auto mean = [&](const char* k) {
    auto it = s.means.find(k);
    return it == s.means.end() ? std::string("-") : report::format_cell(report::Cell{it->second}).substr(0, 12);
  };
  const double n = static_cast<double>(std::max<int64_t>(1, s.num_layers));
  std::string out = fmt::format(
      "\n{} layers analysed ({} skipped), backend {}, {} threads, {:.2f} s\n"
      "mean alpha {}  alpha_weighted {}  log_norm {}  log_spectral_norm {}  stable_rank {}\n"
      "alpha in [2,6]: {} ({:.0f}%)   < 2: {}   > 6: {}   failed fits: {}   non-finite layers: {}\n",
      r.layers.size(), r.selection.layers.size() - r.layers.size(), r.backend, r.threads, r.wall_s,
      mean("alpha"), mean("alpha_weighted"), mean("log_norm"), mean("log_spectral_norm"), mean("stable_rank"),
      s.alpha_in_2_6, 100.0 * static_cast<double>(s.alpha_in_2_6) / n, s.alpha_below_2, s.alpha_above_6,
      s.failed, s.non_finite);
  if (const auto left_out = report::left_out_of_means_text(s); !left_out.empty())
    out += "means: " + left_out + "\n";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{kDescription, "ww-analyze"};
  cli.get_formatter()->column_width(34);
  cli.set_version_flag("--version", std::string("ww-analyze (qspectra) ") + QSPECTRA_VERSION);
  app::CommonCli c;
  std::vector<std::string> formats = {"csv", "json", "table"};
  std::string base_dir;
  bool hash_inputs = false;
  std::vector<std::string> model_dirs;
  std::string models_file;
  cli.add_option("MODEL_DIR", model_dirs,
                 "model directory (model*.safetensors, sharded with an index, adapter_model*.safetensors) or a "
                 "single .safetensors file; several: one out-dir each under --out-dir and ww_models.csv");
  cli.add_option("--models", models_file,
                 "a file listing model dirs, one per line (blank lines and lines starting with # ignored), analysed "
                 "after any MODEL_DIR given, as several MODEL_DIRs are");
  app::add_selection_options(cli, c);
  app::add_spectrum_options(cli, c);
  app::add_metric_options(cli, c);
  app::add_extra_metric_options(cli, c);
  app::add_peft_options(cli, c);
  cli.add_option("--quantize", c.analyze.quantize,
                 "analyse the model as quantized by SPEC (e.g. sym:8:channel, sym:4:g128, nf4, bf16, q4_k); adds "
                 "the quantization error columns (see docs/quantizers.md)");
  app::add_output_options(cli, c, "ww");
  cli.add_option("--format", formats, "outputs: csv (ww_layers.csv), json (ww_summary.json), table (stdout)")
      ->delimiter(',')
      ->check(CLI::IsMember({"csv", "json", "table"}))
      ->capture_default_str();
  auto* base_opt = cli.add_option("--base", base_dir,
                                  "baseline model dir: also write ww_compare.json/.csv (fine-tuned vs baseline)");
  std::string base_quantize;
  cli.add_option("--base-quantize", base_quantize,
                 "analyse the --base model as quantized by SPEC (--quantize applies to MODEL_DIR only)")
      ->needs(base_opt);
  std::string delta_dir;
  auto* delta_opt = cli.add_option("--delta-from", delta_dir,
                                   "WW's base_model: analyse W - W_base for every layer, W_base from this model dir "
                                   "(same names and shapes)")
                        ->excludes(base_opt);
  std::string quant_source_dir;
  cli.add_option("--quant-source", quant_source_dir,
                 "the float source of this quantized model (safetensors dir/file or an F16/F32 GGUF): also write "
                 "ww_quant_error.csv/.json, per layer the spectra of W, Q(W) and E = W - Q(W) (with E's MP fit) "
                 "and the error statistics (rmse, rel_rmse, sqnr_db, max_err, p95/median |error|)")
      ->excludes(delta_opt);
  cli.add_flag("--hash-inputs", hash_inputs, "record the sha256 of every input file in ww_summary.json");
  bool plot = false;
  cli.add_flag("--plot", plot,
               "also write plots/esd_<layer>.svg (per layer ESD with the power-law fit), plots/alpha_by_layer.svg, "
               "plots/alpha_hist.svg and report.html (all figures and the table in one page)");
  bool save_evals = false;
  cli.add_flag("--save-evals", save_evals,
               "also write ww_evals.csv (name,lambda): every eigenvalue of every analysed layer, ascending, "
               "zeros included, 17 digits (WW's get_ESD); eigenvalues are kept in memory only with this flag");

  return app::run(cli, argc, argv, [&] {
    app::setup_logging("ww-analyze", c.quiet, c.verbose);
    app::finish_options(c);
    auto has = [&](const char* f) { return std::find(formats.begin(), formats.end(), f) != formats.end(); };
    if (c.sharded()) {  // qspectra-merge rebuilds the outputs from ww_layers.csv and ww_summary.json's meta
      if (!has("csv") || !has("json")) throw UsageError("--shard needs --format with csv and json (qspectra-merge reads both)");
      if (plot) throw UsageError("--shard: --plot is not merged; run without --shard for the figures");
      if (!base_dir.empty()) throw UsageError("--shard: --base comparisons are not merged; run --base without --shard");
      if (!quant_source_dir.empty())
        throw UsageError("--shard: ww_quant_error.csv/.json are not merged; run --quant-source without --shard");
    }

    if (!base_quantize.empty()) quant::make_quantizer(base_quantize);  // a bad spec fails before any work
    const auto models = app::model_list(model_dirs, models_file);
    if (models.empty()) throw UsageError("MODEL_DIR is required (or --models LIST_FILE)");
    if (models.size() > 1 && c.out_dir.empty())
      throw UsageError("several models need --out-dir OUT (OUT/<model name>/ per model, OUT/ww_models.csv)");
    if (models.size() > 1 && plot) throw UsageError("--plot is for one model at a time");

    // The baseline is the same for every model of a series: analysed once.
    std::optional<pipeline::AnalysisResult> base_result;
    auto analyze_one = [&](app::ModelRow& row) {
      const auto model = io::ModelDir::open(c.model_dir);
      std::optional<io::ModelDir> peft_base;
      if (!c.peft_base_dir.empty()) {
        peft_base = io::ModelDir::open(c.peft_base_dir);
        c.analyze.peft_base = &*peft_base;
      }
      std::optional<io::ModelDir> base;
      if (!base_dir.empty()) base = io::ModelDir::open(base_dir);
      std::optional<io::ModelDir> delta;
      if (!delta_dir.empty()) {
        delta = io::ModelDir::open(delta_dir);
        c.analyze.delta_base = &*delta;
      }
      std::optional<io::ModelDir> quant_source;
      if (!quant_source_dir.empty()) {
        quant_source = io::ModelDir::open(quant_source_dir);
        c.analyze.quant_source = &*quant_source;
      }
      const std::string out_dir = app::resolve_out_dir(c, "ww");
      c.analyze.keep_evals = plot || save_evals;  // the ESD figures and ww_evals.csv need the eigenvalues; other runs drop them

      app::ProgressPrinter progress("analysing", c.quiet);
      auto result = pipeline::analyze_model(model, c.analyze, std::ref(progress), &app::cancel_flag());
      progress.finish();
      for (const auto& note : result.notes) spdlog::info("{}", note);
      for (const auto& warning : result.warnings) spdlog::warn("{}", warning);

      // The baseline is analysed as stored: --quantize is the analysed model's, --base-quantize its own.
      app::CommonCli base_cli = c;
      base_cli.model_dir = base_dir;
      base_cli.analyze.quantize = base_quantize;
      base_cli.analyze.quant_source = nullptr;  // the baseline is analysed as stored, against nothing
      std::optional<pipeline::Comparison> comparison;
      if (base) {
        if (!base_result) {
          app::ProgressPrinter base_progress("analysing baseline", c.quiet);
          base_result = pipeline::analyze_model(*base, base_cli.analyze, std::ref(base_progress), &app::cancel_flag());
          base_progress.finish();
        }
        comparison = pipeline::compare_analyses(*base_result, result, base_dir + " (--base)");
        if (comparison->partial()) spdlog::warn("--base: {}", report::overlap_text(*comparison));
      }

      report::LayerTableOptions table_opts;
      table_opts.mp_fit = c.analyze.metrics.mp_fit;
      table_opts.fingers = c.analyze.metrics.fit.fix_fingers == metrics::FixFingers::ClipXmax;  // WW adds them for clip_xmax only
      table_opts.detx = c.analyze.metrics.detx;
      table_opts.randomize = c.analyze.randomize;
      table_opts.bootstrap = c.analyze.bootstrap > 0;
      table_opts.farms = c.analyze.farms;
      table_opts.quant = !c.analyze.quantize.empty();

      std::vector<std::pair<std::string, std::string>> files;
      if (has("csv"))
        files.emplace_back(out_dir + "/ww_layers.csv", report::to_csv(report::layer_table(result.layers, table_opts)));
      if (has("json")) {
        nlohmann::ordered_json j =
            app::ww_summary_document(result.summary, app::run_meta_json("ww-analyze", c, model, result, hash_inputs));
        std::vector<std::string> names;
        for (const auto& l : result.layers) names.push_back(l.info.name);
        app::add_shard_meta(j["meta"], c, result.selection, names);
        files.emplace_back(out_dir + "/ww_summary.json", j.dump(2) + "\n");
      }
      if (quant_source) {
        const report::Table qe = report::quant_error_table(result.layers, result.quant_error);
        if (has("csv")) files.emplace_back(out_dir + "/ww_quant_error.csv", report::to_csv(qe));
        if (has("json")) {
          nlohmann::ordered_json j = report::quant_error_json(qe);
          j["meta"] = {{"tool", "ww-analyze"}, {"version", QSPECTRA_VERSION}, {"model_dir", c.model_dir},
                       {"quant_source", quant_source_dir}};
          files.emplace_back(out_dir + "/ww_quant_error.json", j.dump(2) + "\n");
        }
      }
      if (save_evals) files.emplace_back(out_dir + "/ww_evals.csv", report::evals_csv(result.layers));
      if (comparison) {
        nlohmann::ordered_json j = report::compare_json(*comparison);
        j["meta"] = app::compare_meta_json(c, result, base_cli, *base_result);
        files.emplace_back(out_dir + "/ww_compare.json", j.dump(2) + "\n");
        files.emplace_back(out_dir + "/ww_compare.csv", report::to_csv(report::compare_table(*comparison)));
      }
      if (plot)
        plot::add_plot_files(files, out_dir, "ww-analyze " + c.model_dir, {summary_text(result)}, stdout_table(result),
                             plot::analysis_figures(result));
      if (app::cancel_flag().load()) throw pipeline::Cancelled();
      app::commit_outputs(out_dir, files, "ww-analyze");

      if (has("table") && !c.quiet) {
        std::fputs(report::to_text_table(stdout_table(result)).c_str(), stdout);
        std::fputs(summary_text(result).c_str(), stdout);
        if (comparison) {
          std::printf("\nChanges (fine-tuned - baseline):\n");
          for (const auto& m : comparison->means)
            std::printf("  %-20s: %s\n", m.metric.c_str(), report::format_number(m.change).c_str());
          if (comparison->partial()) std::printf("layers: %s\n", report::overlap_text(*comparison).c_str());
        }
        for (const auto& f : files) std::printf("wrote %s\n", f.first.c_str());
      }
      row.layers = static_cast<int64_t>(result.layers.size());
      row.summary = result.summary;
      if (comparison)
        for (const auto& m : comparison->means) row.changes.emplace_back(m.metric, m.change);
    };

    if (models.size() == 1 && models_file.empty()) {
      c.model_dir = models.front();
      app::ModelRow row;
      analyze_one(row);
      return app::kOk;
    }
    const std::string series_dir = c.out_dir;
    std::vector<app::ModelRow> rows;
    for (const auto& m : app::model_names(models)) {
      c.model_dir = m.path;
      c.out_dir = series_dir + "/" + m.name;
      if (!c.quiet) std::printf("== %s (%s)\n", m.name.c_str(), m.path.c_str());
      app::ModelRow row;
      row.model = m.name;
      row.path = m.path;
      analyze_one(row);
      rows.push_back(std::move(row));
    }
    app::commit_outputs(series_dir, {{series_dir + "/ww_models.csv", report::to_csv(app::models_table(rows))}},
                        "ww-analyze");
    if (!c.quiet) std::printf("wrote %s/ww_models.csv (%zu models)\n", series_dir.c_str(), rows.size());
    return app::kOk;
  });
}
