#include "app_main.hpp"

#include <csignal>
#include <cstdio>
#include <new>
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "qspectra/core/error.hpp"
#include "qspectra/core/printable.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/report/atomic_file.hpp"

namespace qspectra::app {
namespace {

std::atomic<bool> g_cancel{false};
std::atomic<int> g_signals{0};

extern "C" void on_signal(int) {
  g_cancel.store(true);
  // A second signal means "now": drop temp files and leave without unwinding.
  if (g_signals.fetch_add(1) >= 1) {
    report::remove_pending_temp_files_signal_safe();
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
    if (g_cancel.load()) return fail(app, "interrupted", kInterrupted);
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
