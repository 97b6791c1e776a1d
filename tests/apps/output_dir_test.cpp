// End to end: what a run leaves in its out-dir. It owns exactly its files (a rerun removes what an
// earlier run wrote and this one did not, never a user's file), writes them as one unit with a
// manifest, creates the directory only when it writes, and waits for another run committing there.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../hardening/child_process.hpp"
#include "../io/safetensors_builder.hpp"
#include "qspectra/core/sha256.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {

namespace fs = std::filesystem;
const std::string kSmall = std::string(QSPECTRA_TEST_DATA_DIR) + "/fixtures/synthetic-small";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Relative names of everything under `dir`, sorted.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> manifest_paths(const fs::path& dir) {
  const auto j = nlohmann::json::parse(slurp(dir / ".qspectra-manifest.json"));
  EXPECT_EQ(j["complete"], true);
  std::vector<std::string> out;
  for (const auto& f : j["files"]) out.push_back(f["path"]);
  std::sort(out.begin(), out.end());
  return out;
}

// Run `app` with the current directory `cwd`.
RunResult run_in(const fs::path& cwd, const std::string& app, const std::vector<std::string>& args) {
  std::string cmd = "cd " + shell_quote(cwd.string()) + " && " + shell_quote(app_path(app));
  for (const auto& a : args) cmd += " " + shell_quote(a);
  RunResult r;
  r.output = read_pipe(cmd + " 2>&1", &r.exit_code);
  return r;
}

TEST(OutputDirApps, RerunWithoutBaseRemovesTheCompareFilesAndKeepsTheUsersFiles) {
  test::TempDir tmp;
  const fs::path out = tmp.path() / "out";
  auto first = run_app("ww-analyze", {kSmall, "--base", kSmall, "--out-dir", out.string(), "--quiet"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(fs::exists(out / "ww_compare.json"));
  ASSERT_TRUE(fs::exists(out / "ww_compare.csv"));
  EXPECT_EQ(manifest_paths(out),
            (std::vector<std::string>{"ww_compare.csv", "ww_compare.json", "ww_layers.csv", "ww_summary.json"}));
  test::write_file(out / "notes.txt", std::string_view("my notes"));

  auto second = run_app("ww-analyze", {kSmall, "--out-dir", out.string()});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(listing(out), (std::vector<std::string>{".qspectra-lock", ".qspectra-manifest.json", "notes.txt",
                                                    "ww_layers.csv", "ww_summary.json"}));
  EXPECT_EQ(slurp(out / "notes.txt"), "my notes");
  EXPECT_EQ(manifest_paths(out), (std::vector<std::string>{"ww_layers.csv", "ww_summary.json"}));
  EXPECT_NE(second.output.find("removed " + (out / "ww_compare.json").string()), std::string::npos) << second.output;
}

TEST(OutputDirApps, ManifestListsEachFileWithItsSizeAndHash) {
  test::TempDir tmp;
  const fs::path out = tmp.path() / "out";
  auto r = run_app("ww-analyze", {kSmall, "--out-dir", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(slurp(out / ".qspectra-manifest.json"));
  EXPECT_EQ(j["tool"], "ww-analyze");
  EXPECT_EQ(j["manifest_version"], 1);
  ASSERT_EQ(j["files"].size(), 2u);
  for (const auto& f : j["files"]) {
    const std::string content = slurp(out / f["path"].get<std::string>());
    EXPECT_EQ(f["bytes"].get<std::size_t>(), content.size());
    EXPECT_EQ(f["sha256"].get<std::string>().size(), 64u);
  }
}

TEST(OutputDirApps, EveryAppWritesAManifestOfItsFiles) {
  test::TempDir tmp;
  auto sweep = run_app("precision-sweep", {kSmall, "--variants", "fp32,fp16", "--out-dir",
                                           (tmp.path() / "sweep").string(), "--quiet"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
  const auto sweep_files = manifest_paths(tmp.path() / "sweep");
  for (const char* f : {"sweep_long.csv", "precision_alpha_hill_results.csv", "precision_summary_statistics.csv",
                        "sweep_comparison.json"})
    EXPECT_NE(std::find(sweep_files.begin(), sweep_files.end(), f), sweep_files.end()) << f;
  auto rd = run_app("rate-distortion", {kSmall, "--bits", "2", "--methods", "uniform_sym", "--out-dir",
                                        (tmp.path() / "rd").string(), "--quiet"});
  ASSERT_EQ(rd.exit_code, 0) << rd.output;
  const auto rd_files = manifest_paths(tmp.path() / "rd");
  for (const char* f : {"rd_curves.csv", "rd_targets.csv", "rd_categories.csv", "rd_summary.json"})
    EXPECT_NE(std::find(rd_files.begin(), rd_files.end(), f), rd_files.end()) << f;
  // The same directory used by another app: it now holds that run's files only.
  auto ww = run_app("ww-analyze", {kSmall, "--out-dir", (tmp.path() / "rd").string(), "--quiet"});
  ASSERT_EQ(ww.exit_code, 0) << ww.output;
  EXPECT_EQ(listing(tmp.path() / "rd"), (std::vector<std::string>{".qspectra-lock", ".qspectra-manifest.json",
                                                                  "ww_layers.csv", "ww_summary.json"}));
}

TEST(OutputDirApps, DefaultOutDirUsesTheRealDirectoryName) {
  test::TempDir tmp;
  const fs::path model = tmp.path() / "my-model";
  fs::create_directories(model);
  fs::copy_file(kSmall + "/model.safetensors", model / "model.safetensors");
  // `cd model && ww-analyze .`: ./my-model.ww in the current directory, never ./.ww
  auto dot = run_in(model, "ww-analyze", {".", "--quiet"});
  ASSERT_EQ(dot.exit_code, 0) << dot.output;
  EXPECT_TRUE(fs::exists(model / "my-model.ww" / "ww_layers.csv"));
  EXPECT_FALSE(fs::exists(model / ".ww"));
  // "dir/", "dir/." and a symlink to it: the directory's real name.
  fs::create_directory_symlink(model, tmp.path() / "latest");
  fs::create_directories(tmp.path() / "cwd1");
  for (const std::string arg : {"../my-model/", "../my-model/.", "../latest"}) {
    SCOPED_TRACE(arg);
    fs::remove_all(tmp.path() / "cwd1");
    fs::create_directories(tmp.path() / "cwd1");
    auto r = run_in(tmp.path() / "cwd1", "ww-analyze", {arg, "--quiet", "--format", "csv"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(listing(tmp.path() / "cwd1"), (std::vector<std::string>{"my-model.ww", "my-model.ww/.qspectra-lock",
                                                                      "my-model.ww/.qspectra-manifest.json",
                                                                      "my-model.ww/ww_layers.csv"}));
  }
  // `cd model/sub && precision-sweep ..`
  fs::create_directories(model / "sub");
  auto up = run_in(model / "sub", "precision-sweep", {"..", "--variants", "fp32", "--quiet"});
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_TRUE(fs::exists(model / "sub" / "my-model.sweep" / "sweep_long.csv"));
}

TEST(OutputDirApps, UsageErrorsAndBadInputsLeaveNoDirectory) {
  test::TempDir tmp;
  const fs::path out = tmp.path() / "out";
  EXPECT_EQ(run_app("ww-analyze", {kSmall, "--quantize", "sym:1", "--out-dir", out.string()}).exit_code, 2);
  EXPECT_EQ(run_app("ww-analyze", {kSmall, "--layers", "(", "--out-dir", out.string()}).exit_code, 2);
  // A usage error found after the analysis (the baseline variant is checked against the results).
  EXPECT_EQ(run_app("precision-sweep", {kSmall, "--variants", "fp32", "--baseline", "bf16", "--out-dir",
                                        out.string()}).exit_code, 2);
  EXPECT_EQ(run_app("rate-distortion", {kSmall, "--methods", "magic", "--out-dir", out.string()}).exit_code, 2);
  EXPECT_EQ(run_app("ww-analyze", {"/nonexistent", "--out-dir", out.string()}).exit_code, 1);
  // Nothing analysable: a bad input found by the analysis.
  fs::create_directories(tmp.path() / "m");
  test::write_file(tmp.path() / "m" / "model.safetensors",
                   test::build_safetensors({test::zeros_f32("norm.weight", {16})}));
  EXPECT_EQ(run_app("ww-analyze", {(tmp.path() / "m").string(), "--out-dir", out.string()}).exit_code, 1);
  EXPECT_FALSE(fs::exists(out));
  // The same with the default out-dir: nothing appears in the current directory.
  fs::create_directories(tmp.path() / "cwd");
  EXPECT_EQ(run_in(tmp.path() / "cwd", "ww-analyze", {kSmall, "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(run_in(tmp.path() / "cwd", "ww-analyze", {kSmall, "--quantize", "bogus"}).exit_code, 2);
  EXPECT_TRUE(fs::is_empty(tmp.path() / "cwd"));
}

TEST(OutputDirApps, FormatTableWritesNoDirectory) {
  test::TempDir tmp;
  auto r = run_app("ww-analyze", {kSmall, "--format", "table", "--out-dir", (tmp.path() / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("layers analysed"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(tmp.path() / "out"));
  fs::create_directories(tmp.path() / "cwd");
  auto d = run_in(tmp.path() / "cwd", "ww-analyze", {kSmall, "--format", "table"});
  ASSERT_EQ(d.exit_code, 0) << d.output;
  EXPECT_TRUE(fs::is_empty(tmp.path() / "cwd"));
}

TEST(OutputDirApps, ASecondRunWaitsForTheOneCommittingToTheSameDirectory) {
  test::TempDir tmp;
  const fs::path out = tmp.path() / "out";
  fs::create_directories(out);
  const int held = ::open((out / ".qspectra-lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);  // as a run in its commit holds it
  ChildProcess child({app_path("ww-analyze"), kSmall, "--out-dir", out.string(), "--quiet"});
  ASSERT_TRUE(child.wait_for_line("waiting for it to finish")) << child.stderr_text();
  EXPECT_FALSE(fs::exists(out / "ww_layers.csv"));
  ::flock(held, LOCK_UN);
  ::close(held);
  EXPECT_EQ(child.wait(), 0) << child.stderr_text();
  EXPECT_TRUE(fs::exists(out / "ww_layers.csv"));
  EXPECT_EQ(manifest_paths(out), (std::vector<std::string>{"ww_layers.csv", "ww_summary.json"}));
}

TEST(OutputDirApps, TwoConcurrentRunsLeaveOneRunsFiles) {
  // Runs with different file sets (with and without --base) started together on one out-dir: the
  // directory ends with exactly one run's files, all complete, as the manifest says.
  test::TempDir tmp;
  const fs::path out = tmp.path() / "out";
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ChildProcess with_base({app_path("ww-analyze"), kSmall, "--base", kSmall, "--out-dir", out.string(), "--quiet"}, 1 << 16);
    ChildProcess plain({app_path("ww-analyze"), kSmall, "--out-dir", out.string(), "--quiet", "--format", "csv"}, 1 << 16);
    ASSERT_EQ(with_base.wait(), 0) << with_base.stderr_text();
    ASSERT_EQ(plain.wait(), 0) << plain.stderr_text();
    const auto j = nlohmann::json::parse(slurp(out / ".qspectra-manifest.json"));
    ASSERT_EQ(j["complete"], true);
    std::vector<std::string> expected = {".qspectra-lock", ".qspectra-manifest.json"};
    for (const auto& f : j["files"]) {
      const std::string path = f["path"];
      expected.push_back(path);
      EXPECT_EQ(qspectra::sha256_hex(slurp(out / path)), f["sha256"].get<std::string>()) << path;
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(listing(out), expected);
    EXPECT_TRUE(j["files"].size() == 1u || j["files"].size() == 4u) << j.dump();
  }
}

TEST(OutputDirApps, CtrlCWhileWaitingForTheLockLeavesTheDirectoryAsItWas) {
  test::TempDir tmp;
  const fs::path out = tmp.path() / "out";
  fs::create_directories(out);
  test::write_file(out / "ww_layers.csv", std::string_view("earlier"));
  const int held = ::open((out / ".qspectra-lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  ChildProcess child({app_path("ww-analyze"), kSmall, "--out-dir", out.string(), "--quiet"});
  ASSERT_TRUE(child.wait_for_line("waiting for it to finish")) << child.stderr_text();
  child.signal(SIGINT);
  EXPECT_EQ(child.wait(), 130) << child.stderr_text();
  EXPECT_NE(child.stderr_text().find("interrupted; no output written"), std::string::npos) << child.stderr_text();
  ::close(held);
  EXPECT_EQ(listing(out), (std::vector<std::string>{".qspectra-lock", "ww_layers.csv"}));
  EXPECT_EQ(slurp(out / "ww_layers.csv"), "earlier");
}

TEST(OutputDirApps, SymlinksPlantedAtTheTempNamesAreNotFollowed) {
  // An attacker with write access to the out-dir plants ww_layers.csv.tmp.<pid> symlinks for the next
  // pids. The run's pid must fall in the planted range for the test to mean something: retried a few times.
  test::TempDir tmp;
  const fs::path out = tmp.path() / "out";
  fs::create_directories(out);
  test::write_file(tmp.path() / "victim.txt", std::string_view("precious"));
  bool hit = false;
  for (int attempt = 0; attempt < 5 && !hit; ++attempt) {
    const pid_t probe = ChildProcess({"/bin/true"}).pid();
    for (pid_t p = probe + 1; p <= probe + 400; ++p)
      for (const char* f : {"ww_layers.csv", "ww_summary.json", ".qspectra-manifest.json"}) {
        std::error_code ec;
        fs::create_symlink(tmp.path() / "victim.txt", out / (std::string(f) + ".tmp." + std::to_string(p)), ec);
      }
    ChildProcess child({app_path("ww-analyze"), kSmall, "--out-dir", out.string(), "--quiet"});
    hit = child.pid() > probe && child.pid() <= probe + 400;
    ASSERT_EQ(child.wait(), 0) << child.stderr_text();
    EXPECT_EQ(slurp(tmp.path() / "victim.txt"), "precious");
    EXPECT_FALSE(fs::is_symlink(out / "ww_layers.csv"));
    EXPECT_EQ(manifest_paths(out), (std::vector<std::string>{"ww_layers.csv", "ww_summary.json"}));
  }
  EXPECT_TRUE(hit) << "the run's pid never fell in the planted range";
}

}  // namespace
}  // namespace qspectra::testing
