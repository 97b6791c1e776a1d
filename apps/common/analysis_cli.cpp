#include "analysis_cli.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/shard.hpp"
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
  g->add_option("--shard", c.shard,
                "I/N: analyse only part I (0-based) of N of the selected layers, split by estimated cost, the same "
                "on every machine; the outputs record the shard, and qspectra-merge joins the N out-dirs into "
                "what one run writes (docs/scale-out.md)")
      ->check([](const std::string& v) {
        try {
          pipeline::parse_shard(v);
        } catch (const UsageError& e) {
          return std::string(e.what());
        }
        return std::string();
      })
      ->each([&s](const std::string& v) {
        const auto spec = pipeline::parse_shard(v);
        s.shard_index = spec.index;
        s.shard_count = spec.count;
      });
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
  g->add_option("--precision,--gpu-precision", a.precision,
                "fp64: WW's numbers; fp32: float32 Gram + eigensolver, sgesdd for a square W on the CPU "
                "(~0.6x the time, alpha to ~1e-5; a layer float32 cannot resolve is redone in fp64, "
                "`method` says so; needs --method auto on the CPU). --gpu-precision is an alias")
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
  g->add_option("--fix-fingers", c.fix_fingers,
                "clip_xmax: refit without the largest outlier eigenvalues; xmin_peak: search xmin only near the "
                "peak of the log ESD (WW's fix_fingers; xmin_peak as WW runs it with pl_package='powerlaw')")
      ->check(CLI::IsMember({"clip_xmax", "xmin_peak"}));
  g->add_option("--xmin-max", m.fit.xmin_max, "xmin_peak: upper end of the xmin range (0 = 1.5 x the peak, WW's default)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

void add_extra_metric_options(CLI::App& cli, CommonCli& c) {
  auto& a = c.analyze;
  auto* g = cli.add_option_group("More metrics", "optional analyses beyond the default table (docs/metrics.md)");
  g->add_flag("--detx", a.metrics.detx, "WW's detX: detX_num, detX_val, detX_val_unrescaled");
  g->add_flag("--randomize", a.randomize,
              "WW's randomize: ESD of the element-shuffled matrix (max_rand_eval, rand_distance, ww_softrank, "
              "ww_maxdist, rand_* MP fit), seeded by --seed. Costs a second eigensolve per layer (five more when M < 100, as WW)");
  g->add_option("--bootstrap", a.bootstrap,
                "N resamples of the eigenvalues, whole fit redone each time: alpha_ci_low/high (95% percentile "
                "interval) and xmin_stability")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  g->add_option("--seed", a.seed, "seed of --randomize and --bootstrap (per layer: seed + layer name; any thread count)")
      ->capture_default_str();
  g->add_flag("--farms", a.farms,
              "alpha_farms: the fit on the ESD pooled over square submatrices (FARMS), so alpha does not drift "
              "with the aspect ratio; costs one eigensolve per submatrix");
  g->add_option("--farms-window", a.farms_window, "FARMS submatrix side (0 = the smaller dimension)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  g->add_option("--farms-windows", a.farms_windows_per_dim, "FARMS: at most this many windows along each dimension")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
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
  g->add_option("--out-dir,-o", c.out_dir,
                "output directory (default: ./<model dir name>." + default_suffix +
                    "/ in the current directory). Holds this run's files and .qspectra-manifest.json listing "
                    "them (written last); a rerun removes the files an earlier run wrote there and this one "
                    "does not, never other files");
  g->add_flag("--quiet,-q", c.quiet, "no table, no progress; warnings and errors only");
  g->add_flag("--verbose,-v", c.verbose, "debug logging");
}

void finish_options(CommonCli& c) {
  if (c.fix_fingers == "clip_xmax") c.analyze.metrics.fit.fix_fingers = metrics::FixFingers::ClipXmax;
  if (c.fix_fingers == "xmin_peak") c.analyze.metrics.fit.fix_fingers = metrics::FixFingers::XminPeak;
}

ProgressPrinter::ProgressPrinter(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1), start_s_(now_s()) {}

ProgressPrinter::~ProgressPrinter() { finish(); }

void ProgressPrinter::operator()(const pipeline::Progress& p) {
  if (quiet_) return;
  const double elapsed = now_s() - start_s_;
  // ETA from the work done (layers weighted by their cost), not from the count of layers done.
  const double frac = p.work_total > 0 ? p.work_done / p.work_total
                      : p.total ? static_cast<double>(p.done) / static_cast<double>(p.total) : 0.0;
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0.0;
  std::string name = p.last ? p.last->info.name : "";
  if (!p.step.empty()) name += " " + p.step;
  const bool between_layers = p.step.empty();
  if (tty_) {
    std::string line =
        fmt::format("{} [{}/{}] {:.0f}% {} (ETA {:.0f}s)", label_, p.done, p.total, 100 * frac, name, eta);
    if (line.size() > 110) line = line.substr(0, 107) + "...";
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    line_open_ = true;
  } else if (between_layers && (p.done == p.total || p.done % std::max<std::size_t>(1, p.total / 10) == 0)) {
    // Not a terminal (a log file, CI): about ten plain lines per run.
    spdlog::info("{} [{}/{}] {:.0f}% {} (ETA {:.0f}s)", label_, p.done, p.total, 100 * frac, name, eta);
  } else {
    spdlog::debug("{} [{}/{}] {} ({:.1f} ms)", label_, p.done, p.total, name,
                  p.last && between_layers ? p.last->timing.total_ms() : 0.0);
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
