// report::OutputDir: a run's files committed as one unit, with a manifest written last, the earlier
// run's files removed (only those), safe temp files and one commit at a time per directory.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "qspectra/core/error.hpp"
#include "qspectra/core/sha256.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/report/atomic_file.hpp"
#include "qspectra/report/output_dir.hpp"

namespace qspectra::report {
namespace {

namespace fs = std::filesystem;

class Scratch {
public:
  Scratch() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("qspectra-outdir-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void put(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

// Files under `dir` (recursive, relative, sorted), symlinks included.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (!e.is_directory() || e.is_symlink()) out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

CommitOptions opts(const std::string& tool = "ww-analyze") {
  CommitOptions o;
  o.tool = tool;
  o.tool_version = "1.2.3";
  return o;
}

CommitResult commit(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& files,
                    const CommitOptions& o = opts()) {
  OutputDir out(dir.string());
  for (const auto& [rel, content] : files) out.add(rel, content);
  return out.commit(o);
}

TEST(OutputDir, CommitWritesEveryFileAndTheManifestLast) {
  Scratch s;
  const fs::path dir = s.path() / "a" / "out.ww";
  const auto r = commit(dir, {{"ww_layers.csv", "x,y\n1,2\n"}, {"plots/layer_1.svg", "<svg/>"}});
  EXPECT_EQ(slurp(dir / "ww_layers.csv"), "x,y\n1,2\n");
  EXPECT_EQ(slurp(dir / "plots" / "layer_1.svg"), "<svg/>");
  EXPECT_EQ(r.written, (std::vector<std::string>{(dir / "ww_layers.csv").string(), (dir / "plots/layer_1.svg").string()}));
  EXPECT_TRUE(r.removed.empty());
  EXPECT_EQ(commit_phase(), CommitPhase::Committed);
  EXPECT_EQ(listing(dir), (std::vector<std::string>{".qspectra-lock", ".qspectra-manifest.json",
                                                    "plots/layer_1.svg", "ww_layers.csv"}))
      << "no temp file left";

  const auto j = nlohmann::json::parse(slurp(dir / kManifestFile));
  EXPECT_EQ(j["manifest_version"], 1);
  EXPECT_EQ(j["complete"], true);
  EXPECT_EQ(j["tool"], "ww-analyze");
  EXPECT_EQ(j["tool_version"], "1.2.3");
  EXPECT_EQ(j["written_utc"].get<std::string>().size(), 20u);
  EXPECT_FALSE(j.contains("stale"));
  ASSERT_EQ(j["files"].size(), 2u);
  EXPECT_EQ(j["files"][0]["path"], "ww_layers.csv");
  EXPECT_EQ(j["files"][0]["bytes"], 8);
  EXPECT_EQ(j["files"][0]["sha256"], sha256_hex(std::string_view("x,y\n1,2\n")));
  EXPECT_EQ(j["files"][1]["path"], "plots/layer_1.svg");

  const auto m = read_manifest(dir.string());
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->complete);
  ASSERT_EQ(m->files.size(), 2u);
  EXPECT_EQ(m->files[1].bytes, 6);
}

TEST(OutputDir, NothingToWriteCreatesNoDirectory) {
  Scratch s;
  const auto r = commit(s.path() / "out", {});
  EXPECT_TRUE(r.written.empty());
  EXPECT_FALSE(fs::exists(s.path() / "out"));
}

TEST(OutputDir, RerunRemovesTheEarlierRunsFilesItDidNotWriteAndNothingElse) {
  Scratch s;
  const fs::path dir = s.path() / "out";
  commit(dir, {{"ww_layers.csv", "1"}, {"ww_summary.json", "{}"}, {"ww_compare.json", "{}"},
               {"ww_compare.csv", "c"}, {"plots/layer_1.svg", "<svg/>"}, {"report.html", "<html/>"}});
  put(dir / "notes.txt", "mine");
  const auto r = commit(dir, {{"ww_layers.csv", "2"}, {"ww_summary.json", "{\"b\":1}"}});
  EXPECT_EQ(listing(dir), (std::vector<std::string>{".qspectra-lock", ".qspectra-manifest.json", "notes.txt",
                                                    "ww_layers.csv", "ww_summary.json"}))
      << "plots/ emptied by the removal is removed too";
  EXPECT_FALSE(fs::exists(dir / "plots"));
  EXPECT_EQ(r.removed.size(), 4u);
  EXPECT_EQ(slurp(dir / "notes.txt"), "mine");
  EXPECT_EQ(slurp(dir / "ww_layers.csv"), "2");
  const auto m = read_manifest(dir.string());
  ASSERT_TRUE(m);
  ASSERT_EQ(m->files.size(), 2u);
  EXPECT_TRUE(m->stale.empty());
}

TEST(OutputDir, ASubdirectoryHoldingAUserFileStays) {
  Scratch s;
  const fs::path dir = s.path() / "out";
  commit(dir, {{"a.csv", "1"}, {"plots/p.svg", "<svg/>"}});
  put(dir / "plots" / "keep.txt", "mine");
  commit(dir, {{"a.csv", "2"}});
  EXPECT_FALSE(fs::exists(dir / "plots" / "p.svg"));
  EXPECT_TRUE(fs::is_directory(dir / "plots"));
  EXPECT_EQ(slurp(dir / "plots" / "keep.txt"), "mine");
}

TEST(OutputDir, WithoutAManifestNothingIsRemoved) {
  Scratch s;
  const fs::path dir = s.path() / "out";
  put(dir / "ww_compare.json", "{} from an older version");
  commit(dir, {{"ww_layers.csv", "1"}});
  EXPECT_TRUE(fs::exists(dir / "ww_compare.json"));
}

TEST(OutputDir, AManifestNeverReachesOutsideTheDirectory) {
  Scratch s;
  const fs::path dir = s.path() / "out";
  put(s.path() / "victim.txt", "v");
  put(s.path() / "elsewhere" / "p.svg", "v");
  fs::create_directories(dir);
  fs::create_directory_symlink(s.path() / "elsewhere", dir / "plots");
  put(dir / kManifestFile,
      R"({"manifest_version": 1, "complete": true, "files": [{"path": "../victim.txt"}, {"path": ")" +
          (s.path() / "victim.txt").string() + R"("}, {"path": "sub/../../victim.txt"}, {"path": "plots/p.svg"},
          {"path": ".qspectra-lock"}]})");
  commit(dir, {{"ww_layers.csv", "1"}});
  EXPECT_TRUE(fs::exists(s.path() / "victim.txt"));
  EXPECT_TRUE(fs::exists(s.path() / "elsewhere" / "p.svg")) << "followed a symlinked directory";
  EXPECT_TRUE(fs::is_symlink(dir / "plots"));
}

TEST(OutputDir, AnIncompleteCommitsStaleFilesAreRemovedByTheNextRun) {
  // A commit killed while replacing leaves "complete": false with its files and the ones it was removing.
  Scratch s;
  const fs::path dir = s.path() / "out";
  put(dir / "a.csv", "new");
  put(dir / "old.csv", "old");
  put(dir / kManifestFile, R"({"manifest_version": 1, "complete": false, "files": [{"path": "a.csv"}],
                              "stale": ["old.csv"]})");
  const auto before = read_manifest(dir.string());
  ASSERT_TRUE(before);
  EXPECT_FALSE(before->complete);
  commit(dir, {{"b.csv", "b"}});
  EXPECT_FALSE(fs::exists(dir / "a.csv"));
  EXPECT_FALSE(fs::exists(dir / "old.csv"));
  EXPECT_TRUE(read_manifest(dir.string())->complete);
}

TEST(OutputDir, APlantedTempSymlinkIsNotFollowed) {
  // The first temp name is predictable (<target>.tmp.<pid>): a symlink planted there must not be
  // opened, so its target is not overwritten.
  Scratch s;
  const fs::path dir = s.path() / "out";
  fs::create_directories(dir);
  put(s.path() / "victim.txt", "precious");
  const std::string planted = (dir / "ww_layers.csv").string() + ".tmp." + std::to_string(::getpid());
  fs::create_symlink(s.path() / "victim.txt", planted);
  commit(dir, {{"ww_layers.csv", "layer data"}});
  EXPECT_EQ(slurp(s.path() / "victim.txt"), "precious");
  EXPECT_EQ(slurp(dir / "ww_layers.csv"), "layer data");
  EXPECT_FALSE(fs::is_symlink(dir / "ww_layers.csv"));
  EXPECT_TRUE(fs::is_symlink(planted)) << "not ours: left alone";

  // The same for a single temp file.
  const std::string planted2 = (dir / "x.csv").string() + ".tmp." + std::to_string(::getpid());
  fs::create_symlink(s.path() / "victim.txt", planted2);
  TempFile::write((dir / "x.csv").string(), "x").rename_into_place();
  EXPECT_EQ(slurp(s.path() / "victim.txt"), "precious");
  EXPECT_EQ(slurp(dir / "x.csv"), "x");
}

TEST(OutputDir, TempFileIsANewFileEvenWhenItsFirstNameIsTaken) {
  Scratch s;
  const std::string target = (s.path() / "t.csv").string();
  put(target + ".tmp." + std::to_string(::getpid()), "someone else's");
  auto t = TempFile::write(target, "ours");
  EXPECT_NE(t.temp_path(), target + ".tmp." + std::to_string(::getpid()));
  EXPECT_EQ(slurp(target + ".tmp." + std::to_string(::getpid())), "someone else's");
  t.rename_into_place();
  EXPECT_EQ(slurp(target), "ours");
}

TEST(OutputDir, OneCommitAtATime) {
  Scratch s;
  const fs::path dir = s.path() / "out";
  fs::create_directories(dir);
  // Another run holds the lock (flock locks belong to the open file: a second open conflicts).
  const int held = ::open((dir / kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  std::promise<std::string> waiting;
  auto o = opts();
  o.on_wait = [&](const std::string& m) { waiting.set_value(m); };
  auto done = std::async(std::launch::async, [&] { return commit(dir, {{"ww_layers.csv", "1"}}, o); });
  auto msg = waiting.get_future();
  ASSERT_EQ(msg.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_NE(msg.get().find("another run is writing to"), std::string::npos);
  EXPECT_EQ(done.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout) << "did not wait";
  EXPECT_FALSE(fs::exists(dir / "ww_layers.csv"));
  ::flock(held, LOCK_UN);
  ::close(held);
  const auto r = done.get();
  EXPECT_TRUE(r.waited_for_lock);
  EXPECT_EQ(slurp(dir / "ww_layers.csv"), "1");
}

TEST(OutputDir, CancelWhileWaitingLeavesTheDirectoryAsItWas) {
  Scratch s;
  const fs::path dir = s.path() / "out";
  put(dir / "ww_layers.csv", "old");
  const int held = ::open((dir / kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  std::atomic<bool> cancel{false};
  auto o = opts();
  o.cancel = &cancel;
  o.on_wait = [&](const std::string&) { cancel.store(true); };
  EXPECT_THROW(commit(dir, {{"ww_layers.csv", "new"}}, o), pipeline::Cancelled);
  ::close(held);
  EXPECT_EQ(listing(dir), (std::vector<std::string>{".qspectra-lock", "ww_layers.csv"}));
  EXPECT_EQ(slurp(dir / "ww_layers.csv"), "old");
}

TEST(OutputDir, CancelBeforeReplacingRemovesTheDirectoryItCreated) {
  Scratch s;
  std::atomic<bool> cancel{true};
  auto o = opts();
  o.cancel = &cancel;
  EXPECT_THROW(commit(s.path() / "new" / "out", {{"a.csv", "1"}, {"plots/p.svg", "2"}}, o), pipeline::Cancelled);
  EXPECT_FALSE(fs::exists(s.path() / "new")) << "left an empty directory";
}

TEST(OutputDir, AnOutDirThatIsAFileIsAnInputError) {
  Scratch s;
  put(s.path() / "plain", "x");
  EXPECT_THROW(commit(s.path() / "plain", {{"a.csv", "1"}}), InputError);
  EXPECT_THROW(commit(s.path() / "plain" / "sub", {{"a.csv", "1"}}), InputError);
  EXPECT_EQ(slurp(s.path() / "plain"), "x");
}

TEST(OutputDir, FileNamesArePlainRelativePaths) {
  OutputDir out("/tmp/somewhere/");
  EXPECT_EQ(out.path(), "/tmp/somewhere");
  EXPECT_THROW(out.add("../x.csv", ""), InternalError);
  EXPECT_THROW(out.add("/etc/x.csv", ""), InternalError);
  EXPECT_THROW(out.add("plots//x.svg", ""), InternalError);
  EXPECT_THROW(out.add(".qspectra-manifest.json", ""), InternalError);
  EXPECT_THROW(out.add_path("/elsewhere/x.csv", ""), InternalError);
  out.add_path("/tmp/somewhere/plots/x.svg", "");
  EXPECT_THROW(out.add("plots/x.svg", ""), InternalError) << "added twice";
  EXPECT_EQ(out.paths(), std::vector<std::string>{"/tmp/somewhere/plots/x.svg"});
}

}  // namespace
}  // namespace qspectra::report
