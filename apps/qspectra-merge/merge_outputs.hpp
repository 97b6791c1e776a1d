#pragma once
// The files of a merged run, rebuilt from its shards: per-layer CSV rows copied as written, in the
// single run's order; summaries recomputed from all rows by the library's own code, so that they are
// the single run's to the last bit (CSV numbers are written with 17 significant digits: they
// round-trip). Only timing and meta fields differ from one run.
#include <string>
#include <utility>
#include <vector>

#include "shard_set.hpp"

namespace qspectra::app::merge {

// (path, content) of every file of the merged run, inside out_dir; InputError on inconsistent shards.
std::vector<std::pair<std::string, std::string>> merged_files(const ShardSet& set, const std::string& out_dir);

}  // namespace qspectra::app::merge
