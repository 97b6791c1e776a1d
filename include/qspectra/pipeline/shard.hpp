#pragma once
// --shard I/N: a deterministic split of a run's selected layers into N parts of similar cost, so that
// N processes (a Slurm job array, GNU parallel) each analyse one part and qspectra-merge joins them.
#include <string>
#include <vector>

#include "qspectra/layers/selector.hpp"

namespace qspectra::pipeline {

struct ShardSpec {
  int index = 0;  // 0-based (as sbatch --array=0-2)
  int count = 1;  // 1 = not sharded
};

// "I/N" with 0 <= I < N; UsageError otherwise.
ShardSpec parse_shard(const std::string& text);

// For each layer of `todo` (natural name order), the shard that analyses it: largest estimated cost
// (spectrum_work) first, each onto the least-loaded shard (the lowest index among equals); equal costs
// in natural name order. Integer-valued costs summed in a fixed order: the same on every machine.
std::vector<int> shard_assignment(const std::vector<const layers::LayerInfo*>& todo, int count);

// Keeps the layers of `todo` that shard `spec` analyses, in their order. No-op when spec.count <= 1.
void keep_shard(std::vector<const layers::LayerInfo*>& todo, const ShardSpec& spec);

}  // namespace qspectra::pipeline
