#pragma once
// The out-dirs of one sharded run (--shard I/N), checked to be one complete, consistent set.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qspectra::app::merge {

struct Shard {
  std::string dir;
  nlohmann::ordered_json meta;        // the meta block of the tool's JSON output
  int index = 0;
  std::vector<std::string> layers;    // its layers, in output order
};

struct ShardSet {
  std::string tool;                   // ww-analyze | precision-sweep | rate-distortion
  std::string meta_file;              // ww_summary.json | sweep_comparison.json | rd_summary.json
  std::vector<std::string> files;     // the files every shard wrote (relative paths), manifest order
  std::vector<Shard> shards;          // by index
  std::vector<std::string> layers;    // all layers in the order one run writes them
  std::map<std::string, std::size_t> owner;  // layer -> index into shards
  std::string path(std::size_t shard, const std::string& file) const { return shards[shard].dir + "/" + file; }
};

// Reads every dir's manifest and meta and checks: the same tool, --shard count, options (threads
// aside), tool settings and model identity everywhere; every shard 0..N-1 exactly once; the same
// files; every selected layer in exactly one shard. InputError with what is wrong otherwise.
ShardSet load_shard_set(const std::vector<std::string>& dirs);

// The meta of the merged run: shard 0's, without "shard", with "merged_from" (the dirs), wall_s the
// largest shard's, and notes/warnings joined.
nlohmann::ordered_json merged_meta(const ShardSet& set);

// A JSON file, parsed; InputError naming it when it cannot be read or parsed.
nlohmann::ordered_json read_json(const std::string& path);

}  // namespace qspectra::app::merge
