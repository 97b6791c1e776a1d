// qspectra-json-get: print values of a JSON file by dotted path, tab-separated on one line, so the
// benchmark scripts need neither python nor jq.
//
//   qspectra-json-get ww_summary.json meta.wall_s meta.time_ms_summed_over_layers.read meta.files.0.bytes
//
// Array elements by index ("files.0"); `PATH#len` prints an array's or object's size; `PATH#sum.KEY` the
// sum of KEY over the elements of an array (e.g. meta.files#sum.bytes). Strings print raw, numbers and
// other values as JSON. A missing path prints "NA" (exit status 1 at the end).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

const nlohmann::json* lookup(const nlohmann::json& root, const std::string& path) {
  const nlohmann::json* j = &root;
  std::size_t p = 0;
  while (p < path.size()) {
    std::size_t q = path.find('.', p);
    if (q == std::string::npos) q = path.size();
    const std::string key = path.substr(p, q - p);
    if (j->is_object()) {
      auto it = j->find(key);
      if (it == j->end()) return nullptr;
      j = &*it;
    } else if (j->is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos) {
      const auto idx = std::stoul(key);
      if (idx >= j->size()) return nullptr;
      j = &(*j)[idx];
    } else {
      return nullptr;
    }
    p = q + 1;
  }
  return j;
}

std::string show(const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fputs("usage: qspectra-json-get FILE PATH[#len|#sum.KEY]...\n", stderr);
    return 2;
  }
  nlohmann::json root;
  try {
    std::ifstream in(argv[1]);
    if (!in) throw std::runtime_error("cannot open");
    root = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qspectra-json-get: %s: %s\n", argv[1], e.what());
    return 2;
  }
  int status = 0;
  for (int i = 2; i < argc; ++i) {
    std::string path = argv[i], op;
    if (const auto h = path.find('#'); h != std::string::npos) {
      op = path.substr(h + 1);
      path = path.substr(0, h);
    }
    const nlohmann::json* j = lookup(root, path);
    std::string v = "NA";
    if (j && op.empty()) {
      v = show(*j);
    } else if (j && op == "len" && (j->is_array() || j->is_object())) {
      v = std::to_string(j->size());
    } else if (j && op.rfind("sum.", 0) == 0 && j->is_array()) {
      double s = 0;
      for (const auto& e : *j)
        if (const auto* x = lookup(e, op.substr(4)); x && x->is_number()) s += x->get<double>();
      v = (s == static_cast<double>(static_cast<long long>(s))) ? std::to_string(static_cast<long long>(s))
                                                              : nlohmann::json(s).dump();
    }
    if (v == "NA") status = 1;
    std::cout << (i > 2 ? "\t" : "") << v;
  }
  std::cout << "\n";
  return status;
}
