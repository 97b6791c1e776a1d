#pragma once
// CLI11 option groups shared by the apps: layer selection, spectrum, metrics, output, logging.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::app {

struct CommonCli {
  std::string model_dir;
  std::string out_dir;          // default: ./<model dir name>.<suffix>/
  std::string fix_fingers;      // "" | clip_xmax | xmin_peak
  bool quiet = false;
  bool verbose = false;
  pipeline::AnalyzeOptions analyze;
  std::string peft_base_dir;    // --peft-base (opened by the app into analyze.peft_base)
  std::string shard;            // --shard I/N as given ("" = not sharded; parsed into analyze.selector)
  bool sharded() const { return analyze.selector.shard_count > 1 || !shard.empty(); }
};

void add_model_argument(CLI::App& cli, CommonCli& c);
void add_selection_options(CLI::App& cli, CommonCli& c);
void add_spectrum_options(CLI::App& cli, CommonCli& c);   // method, device, threads, keep-f64
void add_metric_options(CLI::App& cli, CommonCli& c);     // k-frac, mp-fit, fix-fingers, xmin-max
// detx, randomize, bootstrap, seed, farms (ww-analyze: they add columns to ww_layers.csv)
void add_extra_metric_options(CLI::App& cli, CommonCli& c);
// LoRA / PEFT adapters: --lora-scale, --peft-base.
void add_peft_options(CLI::App& cli, CommonCli& c);
void add_output_options(CLI::App& cli, CommonCli& c, const std::string& default_suffix);
// Validate and fold option values into c.analyze (fix_fingers...); throws UsageError.
void finish_options(CommonCli& c);

// The out-dir: resolve_out_dir() and commit_outputs() in outputs.hpp.

// Progress on stderr: a live line on a terminal, plain log lines otherwise; silent when quiet.
class ProgressPrinter {
public:
  ProgressPrinter(std::string label, bool quiet);
  ~ProgressPrinter();
  void operator()(const pipeline::Progress& p);
  void finish();
private:
  std::string label_;
  bool quiet_, tty_, line_open_ = false;
  double start_s_;
};

}  // namespace qspectra::app
