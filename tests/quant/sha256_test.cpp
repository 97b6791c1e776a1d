#include "qspectra/core/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

#include "qspectra/core/error.hpp"

using qspectra::Sha256;
using qspectra::sha256_hex;

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAInUnevenPieces) {
  Sha256 h;
  const std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left) {
    size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  EXPECT_EQ(h.finish_hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FileMatchesManifest) {
  EXPECT_EQ(qspectra::sha256_file_hex(QSPECTRA_TEST_DATA_DIR "/fixtures/synthetic-small/model.safetensors"),
            "0e54f73d3924a120b3d76157485d35945a7babf53716ba8360bc77476b35efe3");
  EXPECT_THROW(qspectra::sha256_file_hex("/nonexistent/file"), qspectra::InputError);
}
