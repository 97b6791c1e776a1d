#pragma once
// Several models in one ww-analyze call (checkpoints of a training run, a family of fine-tunes): the
// list of models, their names (the out-dir of each), and ww_models.csv, one summary row per model.
#include <string>
#include <utility>
#include <vector>

#include "qspectra/metrics/summary.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::app {

// The MODEL_DIR arguments, then the lines of `list_file` (blank lines and '#' comments skipped; a
// relative path is taken as given, from the current directory). InputError naming the file when it
// cannot be read.
std::vector<std::string> model_list(const std::vector<std::string>& dirs, const std::string& list_file);

struct NamedModel {
  std::string name;  // the model dir's own name (as the default out-dir takes it)
  std::string path;
};
// UsageError when two models have the same name (their out-dirs would collide).
std::vector<NamedModel> model_names(const std::vector<std::string>& paths);

struct ModelRow {
  std::string model, path;
  int64_t layers = 0;
  metrics::Summary summary;
  std::vector<std::pair<std::string, double>> changes;  // --base: change of each summary mean
};
// ww_models.csv: model, path, layers, the six WW means, alpha_median, the counts; with --base the
// change_<mean> columns.
report::Table models_table(const std::vector<ModelRow>& rows);

}  // namespace qspectra::app
