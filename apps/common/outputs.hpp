#pragma once
// Where a run's files go and how they are committed: the one place the apps touch their out-dir.
#include <string>
#include <utility>
#include <vector>

#include "analysis_cli.hpp"
#include "qspectra/report/output_dir.hpp"

namespace qspectra::app {

// The default out-dir for a model path: "<real name>.<suffix>" in the current directory, where the real
// name is the model directory's own name after resolving ".", ".." and symlinks (`cd model &&
// ww-analyze .` -> ./model.ww), or a single file's name without ".safetensors".
std::string default_out_dir_name(const std::string& model_path, const std::string& suffix);

// --out-dir, or the default above. Creates nothing: the directory is made when the run commits its
// files (a run that fails or writes nothing leaves no directory). InputError when the path, or its
// nearest existing ancestor, exists and is not a directory.
std::string resolve_out_dir(const CommonCli& c, const std::string& default_suffix);

// Commit `files` (paths inside out_dir) as one unit through report::OutputDir: waits (with a message)
// while another run commits to the same directory, removes what an earlier run wrote there and this
// one did not, logs what it removed. Nothing happens when `files` is empty.
report::CommitResult commit_outputs(const std::string& out_dir,
                                    const std::vector<std::pair<std::string, std::string>>& files,
                                    const std::string& tool);

}  // namespace qspectra::app
