#pragma once
// What every app does around its work: one-line errors, exit codes, Ctrl-C, logging.
//   exit 0 done; 1 bad input; 2 usage error; 3 internal error; 130 interrupted (SIGINT/SIGTERM).
// Interrupts and outputs: a signal before the commit replaces anything ends the run with 130 and the
// out-dir as it was. A signal once the commit is replacing outputs lets it finish (a few renames):
// exit 0 with a warning that the outputs are complete. A second signal stops at once (130) and says
// whether the out-dir is incomplete (its manifest then says "complete": false).
#include <atomic>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace qspectra::app {

enum ExitCode { kOk = 0, kBadInput = 1, kUsage = 2, kInternal = 3, kInterrupted = 130 };

// Set by SIGINT/SIGTERM; the pipeline checks it between layers.
const std::atomic<bool>& cancel_flag();

// Parse `argv` with `cli`, then run `body`; map every outcome to an exit code and a one-line
// message "<app>: error: <what>" on stderr. Installs the signal handlers first.
int run(CLI::App& cli, int argc, char** argv, const std::function<int()>& body);

// Logging to stderr: quiet = warnings and errors only, verbose = debug.
void setup_logging(const std::string& app_name, bool quiet, bool verbose);

}  // namespace qspectra::app
