#pragma once
// qspectra-inspect's listing: every tensor of a model and whether the analysis would take it.
#include <nlohmann/json.hpp>

#include "qspectra/io/model_dir.hpp"
#include "qspectra/layers/selector.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::report {

// One row per tensor in natural name order: layer_id (WW's, empty for a tensor that is not a layer
// candidate), tensor, block, dtype, shape, type, category, analysed (True/False), skip_reason.
// `selected_only` keeps the rows that would be analysed.
Table inspect_table(const io::ModelDir& model, const layers::Selection& selection, bool selected_only);

// A GGUF model's metadata, one row per KV in file order: key, type, value (arrays summarised as
// "[elem_type x length: first elements, ...]").
Table gguf_metadata_table(const io::GgufHeader& h);

// {"model_dir", "layout", "files": [{"name", "bytes"}], "notes", "layers_selected", "tensors": [rows]},
// plus for a GGUF model "gguf": {"version", "alignment", "data_offset", "metadata": [{"key", "type",
// "value"} or, for arrays, {"key", "type", "elem_type", "length", "first"}]}.
nlohmann::ordered_json inspect_json(const io::ModelDir& model, const layers::Selection& selection,
                                    bool selected_only);

}  // namespace qspectra::report
