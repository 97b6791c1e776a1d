// docs/output-schema.md documents every column of every CSV and every key of every JSON file the apps
// write: each app runs on the bundled model with the options that add optional columns, and each CSV
// header column and each JSON key (at any depth, inside arrays too) must be named in backticks in the
// first cell of a table row under that file's `### `file`` heading.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {

const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";
const std::string kSchemaDoc = std::string(QSPECTRA_DATA_DIR) + "/../docs/output-schema.md";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> backticked(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t p = text.find('`'); p != std::string::npos;) {
    const auto q = text.find('`', p + 1);
    if (q == std::string::npos) break;
    out.push_back(text.substr(p + 1, q - p - 1));
    p = text.find('`', q + 1);
  }
  return out;
}

// heading's first backticked name -> names in the first cells of its table rows
std::map<std::string, std::set<std::string>> documented_names(const std::string& doc) {
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(doc);
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) {
      const auto names = backticked(line);
      current = line.rfind("### ", 0) == 0 && !names.empty() ? names.front() : "";
      if (!current.empty()) out[current];
      continue;
    }
    if (current.empty() || line.rfind("|", 0) != 0 || line.rfind("|---", 0) == 0) continue;
    const auto end = line.find('|', 1);
    for (const auto& name : backticked(line.substr(1, end == std::string::npos ? std::string::npos : end - 1)))
      out[current].insert(name);
  }
  return out;
}

class OutputSchema : public ::testing::Test {
protected:
  static void SetUpTestSuite() { docs_ = documented_names(read_text(kSchemaDoc)); }

  // `alpha_<variant>` documents every alpha_... column.
  static bool matches(const std::string& documented, const std::string& name) {
    if (documented == name) return true;
    if (documented.find('<') == std::string::npos) return false;
    std::string re;
    for (std::size_t i = 0; i < documented.size(); ++i) {
      const char c = documented[i];
      if (c == '<') {
        i = documented.find('>', i);
        re += ".+";
      } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
        re += c;
      } else {
        re += std::string("\\") + c;
      }
    }
    return std::regex_match(name, std::regex(re));
  }

  static bool documented(const std::vector<std::string>& files, const std::string& name) {
    for (const auto& f : files) {
      auto it = docs_.find(f);
      if (it == docs_.end()) continue;
      for (const auto& d : it->second)
        if (matches(d, name)) return true;
    }
    return false;
  }

  static void expect_csv_documented(const std::string& path, const std::string& file,
                                    const std::vector<std::string>& also = {}) {
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::string header;
    std::getline(in, header);
    expect_header_documented(header, file, also);
  }

  static void expect_header_documented(const std::string& header, const std::string& file,
                                       const std::vector<std::string>& also = {}) {
    ASSERT_TRUE(docs_.count(file)) << "no ### `" << file << "` heading in docs/output-schema.md";
    std::vector<std::string> files = {file};
    files.insert(files.end(), also.begin(), also.end());
    std::stringstream ss(header);
    std::string column;
    int n = 0;
    while (std::getline(ss, column, ',')) {
      ++n;
      EXPECT_TRUE(documented(files, column)) << file << ": column `" << column << "` is not documented";
    }
    EXPECT_GT(n, 1) << file;
  }

  static void collect_keys(const nlohmann::json& j, std::set<std::string>& keys) {
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        keys.insert(k);
        collect_keys(v, keys);
      }
    } else if (j.is_array()) {
      for (const auto& v : j) collect_keys(v, keys);
    }
  }

  static void expect_json_documented(const nlohmann::json& j, const std::string& file) {
    ASSERT_TRUE(docs_.count(file)) << "no ### `" << file << "` heading in docs/output-schema.md";
    std::set<std::string> keys;
    collect_keys(j, keys);
    EXPECT_GT(keys.size(), 1u) << file;
    for (const auto& k : keys) EXPECT_TRUE(documented({file}, k)) << file << ": key `" << k << "` is not documented";
  }

  static void expect_json_file_documented(const std::string& path, const std::string& file) {
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    expect_json_documented(nlohmann::json::parse(in), file);
  }

  static std::map<std::string, std::set<std::string>> docs_;
};
std::map<std::string, std::set<std::string>> OutputSchema::docs_;

TEST_F(OutputSchema, TheCheckCatchesAnUndocumentedName) {
  EXPECT_TRUE(documented({"rd_curves.csv"}, "gap_bits"));
  EXPECT_FALSE(documented({"rd_curves.csv"}, "no_such_column"));
  EXPECT_FALSE(documented({"rd_curves.csv"}, "alpha"));  // documented elsewhere, not under this file
  EXPECT_TRUE(documented({"precision_alpha_hill_results.csv"}, "alpha_sym_4_g64"));
  EXPECT_FALSE(documented({"precision_alpha_hill_results.csv"}, "alpha_"));
}

TEST_F(OutputSchema, WwAnalyze) {
  test::TempDir out;
  const auto r = run_app("ww-analyze", {kModel, "--out-dir", out.str(), "--quiet", "--mp-fit", "--fix-fingers",
                                        "clip_xmax", "--quantize", "sym:4", "--base", kModel, "--hash-inputs"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_csv_documented(out.str() + "/ww_layers.csv", "ww_layers.csv");
  expect_json_file_documented(out.str() + "/ww_summary.json", "ww_summary.json");
  expect_json_file_documented(out.str() + "/ww_compare.json", "ww_compare.json");
  expect_csv_documented(out.str() + "/ww_compare.csv", "ww_compare.csv");
}

TEST_F(OutputSchema, WwAnalyzeQuantSource) {
  test::TempDir out;
  const std::string gguf = std::string(QSPECTRA_TEST_DATA_DIR) + "/gguf/stories260k_natural_q8_0.gguf";
  const auto r = run_app("ww-analyze", {gguf, "--quant-source", kModel, "--out-dir", out.str(), "--quiet",
                                        "--layers", "layers\\.0\\.|embed_tokens"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_csv_documented(out.str() + "/ww_quant_error.csv", "ww_quant_error.csv");
  expect_json_file_documented(out.str() + "/ww_quant_error.json", "ww_quant_error.json");
  expect_json_file_documented(out.str() + "/ww_summary.json", "ww_summary.json");
}

TEST_F(OutputSchema, PrecisionSweep) {
  test::TempDir out;
  const auto r = run_app("precision-sweep", {kModel, "--out-dir", out.str(), "--quiet", "--variants",
                                             "fp32,sym:4:g64,nf4", "--mp-fit"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // sweep_long.csv carries every ww_layers.csv column (documented there).
  expect_csv_documented(out.str() + "/sweep_long.csv", "sweep_long.csv", {"ww_layers.csv"});
  expect_csv_documented(out.str() + "/precision_alpha_hill_results.csv", "precision_alpha_hill_results.csv");
  expect_csv_documented(out.str() + "/precision_summary_statistics.csv", "precision_summary_statistics.csv");
  expect_csv_documented(out.str() + "/precision_ww_alpha_summary.csv", "precision_ww_alpha_summary.csv");
  expect_json_file_documented(out.str() + "/sweep_comparison.json", "sweep_comparison.json");
}

TEST_F(OutputSchema, RateDistortion) {
  test::TempDir out;
  const auto r = run_app("rate-distortion", {kModel, "--out-dir", out.str(), "--quiet", "--bits", "2,3", "--methods",
                                             "uniform_sym,lloyd_max,vq_d2,sym:B:channel", "--layers", "layers\\.0\\."});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_csv_documented(out.str() + "/rd_curves.csv", "rd_curves.csv");
  expect_csv_documented(out.str() + "/rd_targets.csv", "rd_targets.csv");
  expect_csv_documented(out.str() + "/rd_categories.csv", "rd_categories.csv");
  expect_json_file_documented(out.str() + "/rd_summary.json", "rd_summary.json");
}

TEST_F(OutputSchema, Inspect) {
  int code = -1;
  const auto csv = read_pipe(shell_quote(app_path("qspectra-inspect")) + " " + shell_quote(kModel) +
                                 " --format csv 2>/dev/null", &code);
  ASSERT_EQ(code, 0) << csv;
  expect_header_documented(csv.substr(0, csv.find('\n')), "qspectra-inspect --format csv");
  const auto json = read_pipe(shell_quote(app_path("qspectra-inspect")) + " " + shell_quote(kModel) +
                                  " --format json 2>/dev/null", &code);
  ASSERT_EQ(code, 0) << json;
  expect_json_documented(nlohmann::json::parse(json), "qspectra-inspect --format json");
}

TEST_F(OutputSchema, InspectGgufMetadata) {
  int code = 0;
  const std::string gguf = std::string(QSPECTRA_TEST_DATA_DIR) + "/gguf/stories260k_natural_q8_0.gguf";
  const auto json = read_pipe(shell_quote(app_path("qspectra-inspect")) + " " + shell_quote(gguf) + " --format json 2>/dev/null", &code);
  ASSERT_EQ(code, 0) << json;
  expect_json_documented(nlohmann::json::parse(json), "qspectra-inspect --format json");
}

// JSON is strict: the docs never promise the strings "inf"/"nan" there.
TEST_F(OutputSchema, DocsDoNotPromiseInfStringsInJson) {
  for (const std::string doc : {kSchemaDoc, std::string(QSPECTRA_DATA_DIR) + "/../README.md"}) {
    const auto text = read_text(doc);
    ASSERT_FALSE(text.empty()) << doc;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("JSON") == std::string::npos && line.find("json") == std::string::npos) continue;
      for (const char* bad : {"\"inf\"", "\"nan\"", "\"-inf\""})
        if (line.find(bad) != std::string::npos)
          EXPECT_NE(line.find("never"), std::string::npos) << doc << ": " << line;
    }
  }
}

}  // namespace
}  // namespace qspectra::testing
