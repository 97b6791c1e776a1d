#pragma once
// Ordering and reading layer names: natural order (layers.2 before layers.10) and the block index.
#include <cstdint>
#include <optional>
#include <string_view>

namespace qspectra::layers {

// Natural order: runs of digits compare by value ("layers.2" < "layers.10"), everything else byte by
// byte; names equal in that order (e.g. "x.01" and "x.1") fall back to plain byte order, so the
// order is total.
bool natural_less(std::string_view a, std::string_view b);

// The transformer block a layer belongs to: the integer after the first "layers.", "h." or "blk."
// component ("model.layers.12.mlp.up_proj" -> 12, "transformer.h.3.attn.c_attn" -> 3,
// "blk.0.attn_q" -> 0); empty when the name has none (embeddings, lm_head).
std::optional<int64_t> block_index(std::string_view name);

}  // namespace qspectra::layers
