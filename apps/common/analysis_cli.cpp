#include "analysis_cli.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "qspectra/core/error.hpp"
#include "qspectra/spectral/backend.hpp"

namespace qspectra::app {
namespace fs = std::filesystem;

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

void add_model_argument(CLI::App& cli, CommonCli& c) {
  cli.add_option("MODEL_DIR", c.model_dir,
                 "model directory (model*.safetensors, sharded with an index, adapter_model*.safetensors) "
                 "or a single .safetensors file")
      ->required();
}

void add_selection_options(CLI::App& cli, CommonCli& c) {
  auto& s = c.analyze.selector;
  auto* g = cli.add_option_group("Layer selection", "which tensors are analysed (WeightWatcher's rules by default)");
  g->add_option("--layers", s.include_regex, "only layers whose name matches this regex (ECMAScript, searched)");
  g->add_option("--exclude", s.exclude_regex, "skip layers whose name matches this regex");
  g->add_flag("--all-matrices", s.all_matrices,
              "analyse every 2-D/4-D tensor, not only '*.weight' keys (LSTM weight_ih, TF.js/ONNX names)");
  g->add_option("--max-N", s.max_N, "skip layers with N = max dim above this (WW default)")->capture_default_str();
  g->add_option("--min-evals", s.min_evals, "skip layers with M*rf below this (WW default; strict)")->capture_default_str();
  g->add_option("--max-evals", s.max_evals, "skip layers with M*rf above this (WW default)")->capture_default_str();
  g->add_flag("--include-oversized", s.include_oversized, "ignore --max-N/--max-evals (e.g. large vocab embeddings)");
}

void add_spectrum_options(CLI::App& cli, CommonCli& c) {
  auto& a = c.analyze;
  auto* g = cli.add_option_group("Spectrum", "how eigenvalues are computed");
  g->add_option("--method", a.method,
                "auto: fastest method within the reference tolerances (gram, redone with svd when the "
                "spectrum is rank-deficient); svd: LAPACK dgesdd (WW's path); gram: eigenvalues of the "
                "smaller Gram matrix; eigen: Eigen's BDCSVD")
      ->check(CLI::IsMember(spectral::backend_names()))
      ->capture_default_str();
  g->add_option("--device", a.device, "cpu, cuda, cuda:N, or auto (CUDA when available, else CPU with a warning)")
      ->capture_default_str();
  g->add_option("--gpu-precision", a.gpu_precision, "fp64 (matches the CPU) or fp32 (faster, CUDA only)")
      ->check(CLI::IsMember({"fp64", "fp32"}))
      ->capture_default_str();
  g->add_option("--threads", a.threads, "worker threads (0 = all cores)")->check(CLI::NonNegativeNumber)->capture_default_str();
  g->add_flag("--keep-f64", a.keep_f64, "keep F64 weights in float64 (WW rounds every tensor to float32)");
}

void add_metric_options(CLI::App& cli, CommonCli& c) {
  auto& m = c.analyze.metrics;
  auto* g = cli.add_option_group("Metrics", "optional analyses");
  g->add_option("--k-frac", m.k_frac, "Alpha-Hill tail fraction: k = floor(k_frac * n)")
      ->check(CLI::Range(1e-9, 1.0))
      ->capture_default_str();
  g->add_flag("--mp-fit", m.mp_fit, "also fit the Marchenko-Pastur bulk (num_spikes, sigma_mp, mp_softrank, bulk_min/max)");
  g->add_option("--fix-fingers", c.fix_fingers, "clip_xmax: refit without the largest outlier eigenvalues (WW's fix_fingers)")
      ->check(CLI::IsMember({"clip_xmax"}));
}

void add_peft_options(CLI::App& cli, CommonCli& c) {
  auto* g = cli.add_option_group("LoRA / PEFT adapters",
                                 "an adapter dir (adapter_model*.safetensors): each lora_A/lora_B pair is one layer "
                                 "<module>.lora_BA, the update dW = B·A (rank r), as WeightWatcher's peft=True");
  g->add_flag("--lora-scale", c.analyze.lora_scale,
              "multiply dW by PEFT's scaling lora_alpha/r from adapter_config.json (default off, as WW)");
  g->add_option("--peft-base", c.peft_base_dir,
                "base model dir: also analyse W_base + dW per adapted module (<module>.lora_merged)");
}

void add_output_options(CLI::App& cli, CommonCli& c, const std::string& default_suffix) {
  auto* g = cli.add_option_group("Output");
  g->add_option("--out-dir,-o", c.out_dir, "output directory (default: ./<model dir name>." + default_suffix + "/)");
  g->add_flag("--quiet,-q", c.quiet, "no table, no progress; warnings and errors only");
  g->add_flag("--verbose,-v", c.verbose, "debug logging");
}

void finish_options(CommonCli& c) {
  if (c.fix_fingers == "clip_xmax") c.analyze.metrics.fit.fix_fingers = metrics::FixFingers::ClipXmax;
}

std::string prepare_out_dir(const CommonCli& c, const std::string& default_suffix) {
  std::string dir = c.out_dir;
  if (dir.empty()) {
    fs::path p = fs::path(c.model_dir);
    std::string name = (p.has_filename() ? p.filename() : p.parent_path().filename()).string();
    if (name.empty() || name == "." || name == "..") name = fs::absolute(p).lexically_normal().filename().string();
    if (fs::path(name).extension() == ".safetensors") name = fs::path(name).stem().string();
    dir = name + "." + default_suffix;
  }
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw InputError(dir, "output directory exists and is not a directory");
  fs::create_directories(dir, ec);
  if (ec) throw InputError(dir, "cannot create output directory: " + ec.message());
  return dir;
}

ProgressPrinter::ProgressPrinter(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1), start_s_(now_s()) {}

ProgressPrinter::~ProgressPrinter() { finish(); }

void ProgressPrinter::operator()(const pipeline::Progress& p) {
  if (quiet_) return;
  const double elapsed = now_s() - start_s_;
  const double eta = p.done ? elapsed / static_cast<double>(p.done) * static_cast<double>(p.total - p.done) : 0.0;
  const std::string name = p.last ? p.last->info.name : "";
  if (tty_) {
    std::string line = fmt::format("{} [{}/{}] {} (ETA {:.0f}s)", label_, p.done, p.total, name, eta);
    if (line.size() > 110) line = line.substr(0, 107) + "...";
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    line_open_ = true;
  } else if (p.done == p.total || p.done % std::max<std::size_t>(1, p.total / 10) == 0) {
    // Not a terminal (a log file, CI): about ten plain lines per run.
    spdlog::info("{} [{}/{}] {} (ETA {:.0f}s)", label_, p.done, p.total, name, eta);
  } else {
    spdlog::debug("{} [{}/{}] {} ({:.1f} ms)", label_, p.done, p.total, name,
                  p.last ? p.last->timing.total_ms() : 0.0);
  }
}

void ProgressPrinter::finish() {
  if (line_open_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    line_open_ = false;
  }
}

}  // namespace qspectra::app
