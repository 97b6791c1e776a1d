#pragma once
// Shared by the model-directory tests (io, torch): opening `path` must fail with an InputError whose
// message contains `part`.
#include <gtest/gtest.h>

#include <string>

#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"

namespace qspectra::test {

inline void expect_open_error(const std::string& path, const std::string& part) {
  try {
    io::ModelDir::open(path);
    ADD_FAILURE() << "no error; expected " << part;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

}  // namespace qspectra::test
