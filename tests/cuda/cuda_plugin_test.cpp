// The CUDA plugin libqspectra_cuda.so and its loader (issue 15 item 6): CPU runs load no CUDA library;
// a missing or foreign plugin and a machine without a GPU give one-line errors (--device cuda) or a
// warning and the CPU (--device auto). Everything here runs without a GPU; the two checks that need
// "no device" say SKIPPED when a GPU is present.
#include <dlfcn.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/spectral/cuda.hpp"

#ifdef QSPECTRA_BIN_DIR
#include "../apps/app_runner.hpp"
#endif

namespace qs = qspectra;
namespace sp = qspectra::spectral;

namespace {

bool one_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return !t.empty() && t.find('\n') == std::string::npos;
}

TEST(CudaPlugin, MissingFileIsReportedInOneLine) {
  const auto st = sp::probe_cuda_plugin("/nonexistent/dir/libqspectra_cuda.so");
  EXPECT_FALSE(st.loaded);
  EXPECT_TRUE(one_line(st.message)) << st.message;
  EXPECT_EQ(st.message.rfind("cannot load the CUDA backend: ", 0), 0u) << st.message;
  EXPECT_NE(st.message.find("/nonexistent/dir/libqspectra_cuda.so"), std::string::npos) << st.message;
}

TEST(CudaPlugin, ALibraryThatIsNotThePluginIsRefused) {
  Dl_info info{};
  ASSERT_NE(::dladdr(reinterpret_cast<void*>(&::dlopen), &info), 0);  // libc (or libdl): loads, no entry point
  ASSERT_NE(info.dli_fname, nullptr);
  const auto st = sp::probe_cuda_plugin(info.dli_fname);
  EXPECT_FALSE(st.loaded) << info.dli_fname;
  EXPECT_TRUE(one_line(st.message)) << st.message;
  EXPECT_NE(st.message.find("not a matching qspectra CUDA plugin"), std::string::npos) << st.message;
}

TEST(CudaPlugin, TheBuiltPluginLoadsWithoutAGpu) {
#ifndef QSPECTRA_CUDA_PLUGIN_FILE
  GTEST_SKIP() << "needs the apps build (QSPECTRA_CUDA_PLUGIN_FILE is set with QSPECTRA_BUILD_APPS=ON)";
#else
  const auto st = sp::probe_cuda_plugin(QSPECTRA_CUDA_PLUGIN_FILE);
  EXPECT_TRUE(st.loaded) << st.message;
  EXPECT_TRUE(one_line(st.message)) << st.message;
#endif
}

// Through the pipeline's backend choice: without a usable device --device cuda throws one line and
// --device auto warns and uses the CPU.
TEST(CudaPlugin, NoDeviceCudaFailsAndAutoFallsBack) {
  const auto status = sp::cuda_device_status();
  if (status.available) GTEST_SKIP() << "a CUDA device is present (" << status.message << ")";
  qs::pipeline::AnalyzeOptions o;
  o.device = "cuda";
  try {
    (void)qs::pipeline::make_layer_backend(o, nullptr);
    FAIL() << "expected an error without a device";
  } catch (const qs::Error& e) {
    EXPECT_TRUE(one_line(e.what())) << e.what();
    EXPECT_NE(std::string(e.what()).find(status.message), std::string::npos) << e.what();
  }
  o.device = "auto";
  std::vector<std::string> warnings;
  std::string used;
  const auto backend = qs::pipeline::make_layer_backend(o, &warnings, &used);
  EXPECT_EQ(used, "cpu");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("using the CPU"), std::string::npos) << warnings[0];
}

#ifdef QSPECTRA_BIN_DIR
using qs::testing::app_path;
using qs::testing::read_pipe;
using qs::testing::shell_quote;

const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";

// `cmd` with stdout+stderr; *code its exit status.
std::string run(const std::string& cmd, int* code) { return read_pipe(cmd + " 2>&1", code); }

// A CPU run must not load the CUDA plugin nor any CUDA library: the dynamic loader's own trace.
TEST(CudaPluginApp, CpuRunsLoadNoCudaLibrary) {
  const auto out_dir = std::filesystem::temp_directory_path() / ("qs-cuda-plugin-" + std::to_string(::getpid()));
  for (const std::string args : {std::string("--help"),
                                 shell_quote(kModel) + " --quiet --out-dir " + shell_quote((out_dir / "cpu").string())}) {
    int code = -1;
    const std::string trace = run("LD_DEBUG=files " + shell_quote(app_path("ww-analyze")) + " " + args, &code);
    EXPECT_EQ(code, 0) << args << "\n" << trace.substr(0, 2000);
    for (const char* lib : {"libqspectra_cuda", "libcublas", "libcusolver", "libcudart", "libcuda.so"})
      EXPECT_EQ(trace.find(lib), std::string::npos) << args << " loaded " << lib;
  }
  // ... and --device cuda does load the plugin (the check above can see a load).
  int code = -1;
  const std::string trace = run("LD_DEBUG=files " + shell_quote(app_path("ww-analyze")) + " " + shell_quote(kModel) +
                                    " --quiet --device cuda --out-dir " + shell_quote((out_dir / "gpu").string()),
                                &code);
  EXPECT_NE(trace.find("libqspectra_cuda"), std::string::npos) << trace.substr(0, 2000);
  std::filesystem::remove_all(out_dir);
}

TEST(CudaPluginApp, MissingPluginCudaIsOneLineErrorAutoWarns) {
  const auto out_dir = std::filesystem::temp_directory_path() / ("qs-cuda-missing-" + std::to_string(::getpid()));
  const std::string env = "QSPECTRA_CUDA_PLUGIN=/nonexistent/libqspectra_cuda.so ";
  int code = -1;
  std::string out = run(env + shell_quote(app_path("ww-analyze")) + " " + shell_quote(kModel) +
                            " --quiet --device cuda --out-dir " + shell_quote((out_dir / "c").string()),
                        &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_TRUE(one_line(out)) << out;
  EXPECT_NE(out.find("cannot load the CUDA backend"), std::string::npos) << out;
  EXPECT_NE(out.find("/nonexistent/libqspectra_cuda.so"), std::string::npos) << out;
  out = run(env + shell_quote(app_path("ww-analyze")) + " " + shell_quote(kModel) + " --device auto --out-dir " +
                shell_quote((out_dir / "a").string()),
            &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("cannot load the CUDA backend"), std::string::npos) << out;
  EXPECT_NE(out.find("using the CPU"), std::string::npos) << out;
  std::filesystem::remove_all(out_dir);
}

TEST(CudaPluginApp, NoDeviceCudaIsOneLineError) {
  const auto status = sp::cuda_device_status();
  if (status.available) GTEST_SKIP() << "a CUDA device is present (" << status.message << ")";
  const auto out_dir = std::filesystem::temp_directory_path() / ("qs-cuda-nodev-" + std::to_string(::getpid()));
  int code = -1;
  const std::string out = run(shell_quote(app_path("ww-analyze")) + " " + shell_quote(kModel) +
                                  " --quiet --device cuda:0 --out-dir " + shell_quote(out_dir.string()),
                              &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_TRUE(one_line(out)) << out;
  EXPECT_NE(out.find("no CUDA device"), std::string::npos) << out;
  std::filesystem::remove_all(out_dir);
}
#else
TEST(CudaPluginApp, BuiltBinary) { GTEST_SKIP() << "needs the apps (QSPECTRA_BUILD_APPS=ON)"; }
#endif

}  // namespace
