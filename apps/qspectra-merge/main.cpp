// qspectra-merge: join the out-dirs of a --shard I/N run into what one run writes.
#include <cstdio>

#include <spdlog/spdlog.h>

#include "app_main.hpp"
#include "merge_outputs.hpp"
#include "outputs.hpp"
#include "qspectra/core/error.hpp"
#include "shard_set.hpp"

using namespace qspectra;

int main(int argc, char** argv) {
  CLI::App cli{R"(qspectra-merge: join the out-dirs of a sharded run into what one run writes.

Each SHARD_DIR is the out-dir of ww-analyze, precision-sweep or rate-distortion run with --shard I/N
(all N of them, same options and model). The merged out-dir has the files one unsharded run writes:
per-layer rows in that run's order, summaries recomputed from all rows (the same numbers, bit for
bit); only timing and meta fields differ (meta.merged_from lists the shard dirs). Refused: a set with
a missing or duplicate shard, different options or tool settings, a different model, other files.

Example (docs/scale-out.md):
  for i in 0 1 2; do ww-analyze MODEL --shard $i/3 --out-dir shards/$i; done
  qspectra-merge --out-dir MODEL.ww shards/0 shards/1 shards/2)",
               "qspectra-merge"};
  cli.set_version_flag("--version", std::string("qspectra-merge (qspectra) ") + QSPECTRA_VERSION);
  std::string out_dir;
  std::vector<std::string> dirs;
  bool quiet = false, verbose = false;
  cli.add_option("--out-dir,-o", out_dir, "where the merged run's files go (as the tool's --out-dir)")->required();
  cli.add_option("SHARD_DIR", dirs, "the out-dirs of the shards, in any order")->required();
  cli.add_flag("--quiet,-q", quiet, "warnings and errors only");
  cli.add_flag("--verbose,-v", verbose, "debug logging");
  return app::run(cli, argc, argv, [&] {
    app::setup_logging("qspectra-merge", quiet, verbose);
    app::CommonCli c;
    c.out_dir = out_dir;
    const std::string out = app::resolve_out_dir(c, "merged");
    const auto set = app::merge::load_shard_set(dirs);
    const auto files = app::merge::merged_files(set, out);
    app::commit_outputs(out, files, set.tool);
    if (!quiet)
      std::printf("merged %zu shards of %s (%zu layers) into %s\n", set.shards.size(), set.tool.c_str(),
                  set.layers.size(), out.c_str());
    return app::kOk;
  });
}
