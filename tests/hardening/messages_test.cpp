// Error messages echo untrusted data (tensor names): one line, control bytes escaped, bounded length,
// exit 1 - a 50 MB tensor name once became one 50 MB stderr line.
#include <gtest/gtest.h>

#ifndef QSPECTRA_BIN_DIR
TEST(Messages, NeedsTheApps) { GTEST_SKIP() << "needs the apps (QSPECTRA_BUILD_APPS=ON)"; }
#else

#include <algorithm>
#include <filesystem>

#include "../apps/app_runner.hpp"
#include "../io/safetensors_builder.hpp"

namespace qspectra::testing {
namespace {

namespace fs = std::filesystem;

TEST(Messages, AHugeNameWithControlCharactersIsOneBoundedLine) {
  test::TempDir tmp;
  fs::create_directories(tmp.path() / "model");
  // A 5 MB name with a newline and a NUL, whose entry breaks a rule (16 bytes declared for 2x2 F32 is
  // right; 12 is not): the error names the tensor.
  const std::string name = std::string(5'000'000, 'x') + "\\n\\u0000=evil";
  const std::string header = "{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}";
  test::write_file(tmp.path() / "model" / "model.safetensors", test::raw_safetensors(header, std::vector<std::byte>(12)));
  const auto r = run_app("ww-analyze", {(tmp.path() / "model").string(), "--out-dir", (tmp.path() / "out").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line";
  EXPECT_LT(r.output.size(), 2300u);
  EXPECT_NE(r.output.find("model.safetensors: "), std::string::npos) << r.output.substr(0, 300);
  EXPECT_NE(r.output.find("more bytes)"), std::string::npos);
  EXPECT_EQ(r.output.find('\0'), std::string::npos);
}

}  // namespace
}  // namespace qspectra::testing

#endif  // QSPECTRA_BIN_DIR
