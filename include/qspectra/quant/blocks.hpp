#pragma once
// How a weight tensor is cut into blocks that share one scale (and zero point).
// Layout rule: a tensor of rank >= 2 is viewed as [out, in*...] (row-major): a 2-D weight is
// [out, in]; a conv kernel [out, in, kh, kw] has rows = out and row length in*kh*kw. A tensor of
// rank 0 or 1 is one row. Blocks never straddle rows except for FlatBlock (bitsandbytes style).
#include <cstdint>
#include <vector>

namespace qspectra::quant {

enum class Granularity {
  Tensor,     // one block: the whole tensor (layout-free)
  Channel,    // one block per output channel (row)
  Group,      // groups of `group` consecutive inputs within a row; a last partial group is its own
  FlatBlock,  // blocks of `group` consecutive elements of the flattened tensor (bitsandbytes)
};

struct RowView {
  int64_t rows = 0;
  int64_t cols = 0;
};
RowView row_view(const std::vector<int64_t>& shape);

struct Block {
  int64_t begin;   // offset into the row-major values
  int64_t length;
};

// Blocks in memory order; their union is [0, numel). Empty for an empty tensor.
std::vector<Block> make_blocks(const std::vector<int64_t>& shape, Granularity g, int64_t group);
int64_t block_count(const std::vector<int64_t>& shape, Granularity g, int64_t group);

}  // namespace qspectra::quant
