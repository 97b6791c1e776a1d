// qspectra-inspect: what is in a model directory and which layers the analysis would take (headers only).
#include <cstdio>

#include <fmt/format.h>

#include "analysis_cli.hpp"
#include "app_main.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/layers/selector.hpp"
#include "qspectra/report/csv.hpp"
#include "qspectra/report/inspect.hpp"
#include "qspectra/report/text_table.hpp"

using namespace qspectra;

int main(int argc, char** argv) {
  CLI::App cli{"qspectra-inspect: list a model's tensors and which layers would be analysed, and why others\n"
               "are skipped. Reads file headers only (instant, whatever the model size).\n\n"
               "Example:\n  qspectra-inspect data/llama2c-stories260K-plctlab\n"
               "  qspectra-inspect ./model --all-matrices --selected-only\n"
               "  qspectra-inspect ./model --format csv > tensors.csv",
               "qspectra-inspect"};
  cli.set_version_flag("--version", std::string("qspectra-inspect (qspectra) ") + QSPECTRA_VERSION);
  app::CommonCli c;
  bool selected_only = false;
  std::string format = "table";
  app::add_model_argument(cli, c);
  app::add_selection_options(cli, c);
  cli.add_flag("--selected-only", selected_only, "list only the layers that would be analysed");
  cli.add_option("--format", format,
                 "table (readable), csv (one row per tensor: layer_id, tensor, block, dtype, shape, type, "
                 "category, analysed, skip_reason) or json (the same rows plus files and notes), on stdout")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();

  return app::run(cli, argc, argv, [&] {
    const auto model = io::ModelDir::open(c.model_dir);
    const auto sel = layers::select_layers(model, c.analyze.selector);
    if (format == "csv") {
      std::fputs(report::to_csv(report::inspect_table(model, sel, selected_only)).c_str(), stdout);
      return app::kOk;
    }
    if (format == "json") {
      std::fputs((report::inspect_json(model, sel, selected_only).dump(2) + "\n").c_str(), stdout);
      return app::kOk;
    }
    std::printf("%s: layout %s, %zu file(s), %zu tensors\n", model.path().c_str(),
                std::string(io::layout_name(model.layout())).c_str(), model.files().size(), model.tensors().size());
    for (const auto& f : model.files()) std::printf("  %s (%llu bytes)\n", f.name.c_str(), (unsigned long long)f.size);
    for (const auto& n : model.notes()) std::printf("note: %s\n", n.c_str());
    if (const auto* h = model.gguf_header()) {
      std::printf("GGUF v%u metadata (%zu keys, alignment %llu):\n", h->version, h->kv.size(), (unsigned long long)h->alignment);
      report::TextTableOptions mopts;
      mopts.max_name_width = 70;
      std::fputs(report::to_text_table(report::gguf_metadata_table(*h), mopts).c_str(), stdout);
      std::printf("\n");
    }

    // The readable view of the same rows: "analysed" says yes, or no and why.
    const auto rows = report::inspect_table(model, sel, selected_only);
    report::Table t;
    t.columns = {"id", "tensor", "dtype", "shape", "type", "category", "analysed"};
    for (const auto& r : rows.rows) {
      auto text = [](const report::Cell& cell) { return report::format_cell(cell); };
      const bool analysed = std::get<bool>(r[rows.column_index("analysed")]);
      const std::string type = text(r[rows.column_index("type")]), category = text(r[rows.column_index("category")]);
      t.rows.push_back({r[rows.column_index("layer_id")], r[rows.column_index("tensor")], r[rows.column_index("dtype")],
                        r[rows.column_index("shape")], type.empty() ? "-" : type, category.empty() ? "-" : category,
                        analysed ? std::string("yes") : "no: " + text(r[rows.column_index("skip_reason")])});
    }
    report::TextTableOptions opts;
    opts.max_name_width = 70;
    std::fputs(report::to_text_table(t, opts).c_str(), stdout);
    std::printf("\n%zu layer(s) would be analysed\n", sel.num_selected());
    if (sel.num_selected() == 0 && !c.analyze.selector.all_matrices)
      std::printf("hint: WeightWatcher's rules only look at '*.weight' keys; --all-matrices takes every 2-D/4-D tensor\n");
    return app::kOk;
  });
}
