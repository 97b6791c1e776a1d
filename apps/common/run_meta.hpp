#pragma once
// The "meta" block of every JSON output: tool, version, options, inputs, timing, backend.
#include <string>

#include <nlohmann/json.hpp>

#include "analysis_cli.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::app {

// Input files with sizes (and sha256 when hash_inputs).
nlohmann::ordered_json input_files_json(const io::ModelDir& model, bool hash_inputs);
// This process's I/O counters from /proc/self/io ({"read_bytes", "rchar"}; empty where unavailable):
// read_bytes counts what was fetched from storage, mmap'd pages included.
nlohmann::ordered_json proc_io_json();
// Options as given (for reproducibility).
nlohmann::ordered_json options_json(const CommonCli& c);
// Skipped candidates with their reasons, and keys that are not layers at all.
nlohmann::ordered_json not_analysed_json(const pipeline::AnalysisResult& r);
// What makes two runs' inputs the same model for qspectra-merge: the files (name, bytes) and a sha256
// over every tensor's header entry (name, dtype, shape, offsets, file).
nlohmann::ordered_json model_identity_json(const io::ModelDir& model);
// meta["shard"] of a --shard run: index, count, layers_total (selected in the whole model) and this
// shard's layer names in output order. Nothing is added for an unsharded run.
void add_shard_meta(nlohmann::ordered_json& meta, const CommonCli& c, const layers::Selection& selection,
                    const std::vector<std::string>& layer_names);
// What every app's meta starts with: tool, version, model_dir, layout, options, files; each app adds
// what its run did (backend, threads, wall_s, ...).
nlohmann::ordered_json run_meta_base(const std::string& tool, const CommonCli& c, const io::ModelDir& model,
                                     bool hash_inputs);
// run_meta_base + backend, threads, wall_s, time split, layers, I/O, notes, warnings, not_analysed.
nlohmann::ordered_json run_meta_json(const std::string& tool, const CommonCli& c, const io::ModelDir& model,
                                     const pipeline::AnalysisResult& r, bool hash_inputs);
// ww_compare.json's meta: each side's model_dir, options, backend and layer count, and what the
// comparison is (and is not).
nlohmann::ordered_json compare_meta_json(const CommonCli& finetuned_cli, const pipeline::AnalysisResult& finetuned,
                                         const CommonCli& baseline_cli, const pipeline::AnalysisResult& baseline);

}  // namespace qspectra::app
