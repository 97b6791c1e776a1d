// qspectra-inspect: what is in a model directory and which layers the analysis would take (headers only).
#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "analysis_cli.hpp"
#include "app_main.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/layers/selector.hpp"
#include "qspectra/report/text_table.hpp"

using namespace qspectra;

int main(int argc, char** argv) {
  CLI::App cli{"qspectra-inspect: list a model's tensors and which layers would be analysed, and why others\n"
               "are skipped. Reads file headers only (instant, whatever the model size).\n\n"
               "Example:\n  qspectra-inspect data/llama2c-stories260K-plctlab\n"
               "  qspectra-inspect ./model --all-matrices --selected-only",
               "qspectra-inspect"};
  app::CommonCli c;
  bool selected_only = false;
  app::add_model_argument(cli, c);
  app::add_selection_options(cli, c);
  cli.add_flag("--selected-only", selected_only, "list only the layers that would be analysed");

  return app::run(cli, argc, argv, [&] {
    const auto model = io::ModelDir::open(c.model_dir);
    const auto sel = layers::select_layers(model, c.analyze.selector);
    std::printf("%s: layout %s, %zu file(s), %zu tensors\n", model.path().c_str(),
                std::string(io::layout_name(model.layout())).c_str(), model.files().size(), model.tensors().size());
    for (const auto& f : model.files()) std::printf("  %s (%llu bytes)\n", f.name.c_str(), (unsigned long long)f.size);
    for (const auto& n : model.notes()) std::printf("note: %s\n", n.c_str());

    std::map<std::size_t, const layers::LayerInfo*> by_tensor;
    for (const auto& l : sel.layers) by_tensor[l.tensor_index] = &l;
    report::Table t;
    t.columns = {"id", "tensor", "dtype", "shape", "type", "category", "analysed"};
    for (std::size_t i = 0; i < model.tensors().size(); ++i) {
      const auto& ti = model.tensors()[i].info;
      auto it = by_tensor.find(i);
      const layers::LayerInfo* l = it == by_tensor.end() ? nullptr : it->second;
      if (selected_only && !(l && l->selected)) continue;
      t.rows.push_back({l && l->layer_id > 0 ? report::Cell{l->layer_id} : report::Cell{}, ti.name,
                        std::string(io::dtype_name(ti.dtype)), shape_to_string(ti.shape),
                        l ? std::string(layers::layer_type_name(l->type)) : std::string("-"),
                        l ? l->category : std::string("-"),
                        l ? (l->selected ? std::string("yes") : "no: " + l->skip_reason) : std::string("no: not a layer")});
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
