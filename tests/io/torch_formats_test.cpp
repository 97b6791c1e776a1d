// How ModelDir treats PyTorch checkpoints in every build: without LibTorch a clear "need the LibTorch
// build" error naming the file; with it, the file is opened (tests/torch has the real reading tests).
// Directories that also hold safetensors read those, whatever the build.
#include <gtest/gtest.h>

#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/io/torch_checkpoint.hpp"
#include "safetensors_builder.hpp"

namespace qspectra::io {
namespace {

using test::TempDir;
using test::write_file;

std::string open_error(const std::string& path) {
  try {
    ModelDir::open(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TorchFormats, PytorchBinNeedsTheLibTorchBuild) {
  TempDir dir;
  const auto bin = dir.path() / "pytorch_model.bin";
  write_file(bin, std::string_view{"not a zip"});
  write_file(dir.path() / "config.json", std::string_view{"{}"});
  const std::string err = open_error(dir.str());
  if (!torch::checkpoints_supported()) {
    EXPECT_EQ(err, bin.string() + ": PyTorch checkpoints need the LibTorch build "
                                  "(configure with -DQSPECTRA_WITH_TORCH=ON; Debian: libtorch-dev)");
    EXPECT_EQ(open_error(bin.string()), err);  // the file given directly
  } else {
    EXPECT_NE(err.find(bin.string() + ": not a PyTorch checkpoint"), std::string::npos) << err;
  }
}

TEST(TorchFormats, PtAndPthFilesAndAdaptersAreCheckpointsToo) {
  for (const char* name : {"adapter_model.bin", "weights.pt", "weights.pth", "pytorch_model-00001-of-00002.bin"}) {
    TempDir dir;
    write_file(dir.path() / name, std::string_view{"x"});
    const std::string err = open_error(dir.str());
    EXPECT_NE(err.find(name), std::string::npos) << err;
    EXPECT_NE(err.find(torch::checkpoints_supported() ? "not a PyTorch checkpoint" : "need the LibTorch build"),
              std::string::npos) << err;
  }
}

TEST(TorchFormats, SafetensorsPreferredInEveryBuild) {
  TempDir dir;
  write_file(dir.path() / "model.safetensors", test::build_safetensors({test::zeros_f32("a.weight", {4, 4})}));
  write_file(dir.path() / "pytorch_model.bin", std::string_view{"never opened"});
  const auto m = ModelDir::open(dir.str());
  ASSERT_EQ(m.tensors().size(), 1u);
  EXPECT_EQ(m.tensors()[0].info.name, "a.weight");
  ASSERT_FALSE(m.notes().empty());
  EXPECT_EQ(m.notes()[0], "both safetensors and PyTorch checkpoints: reading the safetensors (preferred), ignoring pytorch_model.bin");
  EXPECT_NO_THROW(m.file(0));
}

TEST(TorchFormats, OtherBinFilesAreNotWeights) {
  TempDir dir;  // a Trainer's training_args.bin is a pickled Python object, never a model
  write_file(dir.path() / "training_args.bin", std::string_view{"x"});
  EXPECT_NE(open_error(dir.str()).find("no *.safetensors file in the directory (nor a PyTorch checkpoint"), std::string::npos);
}

TEST(TorchFormats, UnpicklerIsInEveryBuild) {
  static constexpr char raw[] = "\x80\x02}X\x01\x00\x00\x00xcos\nsystem\ns.";  // {"x": os.system}
  const std::string pickle(raw, sizeof raw - 1);
  try {
    torch::parse_state_dict_pickle({reinterpret_cast<const std::byte*>(pickle.data()), pickle.size()}, "f.bin");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("f.bin: data.pkl: refusing the pickle global os.system"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qspectra::io
