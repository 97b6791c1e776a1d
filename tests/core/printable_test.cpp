#include "qspectra/core/printable.hpp"

#include <gtest/gtest.h>

namespace qspectra {
namespace {

TEST(Printable, EscapesControlBytesAndKeepsTheRest) {
  const std::string s = std::string("a\nb\0c\td\x01\x7f", 9) + "é\\";
  EXPECT_EQ(printable(s), "a\\nb\\0c\\td\\x01\\x7fé\\");
}

TEST(Printable, CapsTheLengthAndSaysHowMuchWasLeftOut) {
  const std::string big(50'000'000, 'x');
  const std::string p = printable(big, 100);
  EXPECT_EQ(p, std::string(100, 'x') + "... (49999900 more bytes)");
  EXPECT_LT(printable(big).size(), 2100u);  // the default cap
}

TEST(Printable, ShortTextUnchanged) { EXPECT_EQ(printable("model.layers.0.mlp.weight"), "model.layers.0.mlp.weight"); }

}  // namespace
}  // namespace qspectra
