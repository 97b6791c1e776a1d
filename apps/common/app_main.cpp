#include "app_main.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <new>
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "qspectra/core/error.hpp"
#include "qspectra/core/printable.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/report/atomic_file.hpp"
#include "qspectra/report/output_dir.hpp"

namespace qspectra::app {
namespace {

std::atomic<bool> g_cancel{false};
std::atomic<int> g_signals{0};

// "<app>: error: " and "<app>: warning: " for the signal handler, which cannot format.
char g_error_prefix[96] = "error: ";
char g_warning_prefix[96] = "warning: ";

// Said when a signal came after the commit: the outputs are this run's and complete (exit 0).
constexpr char kCommittedMessage[] = "interrupted after the outputs were committed; they are complete\n";

void write_stderr_signal_safe(const char* a, const char* b) noexcept {
  (void)!::write(STDERR_FILENO, a, std::strlen(a));
  (void)!::write(STDERR_FILENO, b, std::strlen(b));
}

extern "C" void on_signal(int) {
  g_cancel.store(true);
  // A second signal means "now": drop temp files and leave without unwinding, saying what is left.
  // (The first one lets a commit that has started replacing outputs finish; see run().)
  if (g_signals.fetch_add(1) >= 1) {
    report::remove_pending_temp_files_signal_safe();
    switch (report::commit_phase()) {
      case report::CommitPhase::Replacing:
        write_stderr_signal_safe(g_error_prefix,
                                 "interrupted while replacing the outputs: the out-dir is incomplete (its "
                                 ".qspectra-manifest.json says \"complete\": false); rerun\n");
        break;
      case report::CommitPhase::Committed:
        write_stderr_signal_safe(g_warning_prefix, kCommittedMessage);
        _exit(kOk);
      default:
        write_stderr_signal_safe(g_error_prefix, "interrupted; no output written\n");
    }
    _exit(kInterrupted);
  }
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Messages echo untrusted names and file contents: one line, control bytes escaped, length capped.
int fail(const std::string& app, const std::string& what, int code) {
  std::fprintf(stderr, "%s: error: %s\n", app.c_str(), printable(what).c_str());
  return code;
}

}  // namespace

const std::atomic<bool>& cancel_flag() { return g_cancel; }

void setup_logging(const std::string& app_name, bool quiet, bool verbose) {
  auto logger = spdlog::stderr_color_mt(app_name);
  logger->set_pattern("%n: %^%l%$: %v");
  logger->set_level(quiet ? spdlog::level::warn : verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

int run(CLI::App& cli, int argc, char** argv, const std::function<int()>& body) {
  const std::string app = cli.get_name();
  std::snprintf(g_error_prefix, sizeof g_error_prefix, "%s: error: ", app.c_str());
  std::snprintf(g_warning_prefix, sizeof g_warning_prefix, "%s: warning: ", app.c_str());
  install_signal_handlers();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(app, std::string(e.what()) + " (see --help)", kUsage);
  }
  try {
    int rc = body();
    if (g_cancel.load()) {
      // A signal that came once the commit had started replacing outputs let it finish: the outputs
      // are this run's, complete, and the exit status says the run succeeded.
      if (report::commit_phase() == report::CommitPhase::Committed) {
        std::fprintf(stderr, "%s%s", g_warning_prefix, kCommittedMessage);
        return rc;
      }
      return fail(app, "interrupted; no output written", kInterrupted);
    }
    return rc;
  } catch (const pipeline::Cancelled&) {
    report::remove_pending_temp_files_signal_safe();
    return fail(app, "interrupted; no output written", kInterrupted);
  } catch (const Error& e) {
    switch (e.kind()) {
      case ErrorKind::Input: return fail(app, e.what(), kBadInput);
      case ErrorKind::Usage: return fail(app, e.what(), kUsage);
      case ErrorKind::Internal: return fail(app, std::string("internal error: ") + e.what(), kInternal);
    }
  } catch (const std::bad_alloc&) {
    return fail(app, "out of memory", kInternal);
  } catch (const std::exception& e) {
    return fail(app, std::string("internal error: ") + e.what(), kInternal);
  }
  return kInternal;
}

}  // namespace qspectra::app
