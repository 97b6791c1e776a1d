# Optional PyTorch checkpoint reader (issue 8): library qspectra_io_torch + test suite qspectra_torch_tests.
# Included from the top-level CMakeLists.txt after add_subdirectory(src) (and before tests/, whose
# helpers it reuses). Self-contained: the option, LibTorch detection, targets. See docs/torch.md.
#
#   -DQSPECTRA_WITH_TORCH=AUTO (default)  build it when LibTorch is found (Debian: libtorch-dev)
#   -DQSPECTRA_WITH_TORCH=ON              require it (configure error without LibTorch)
#   -DQSPECTRA_WITH_TORCH=OFF             never build it
#
# Always compiled into qspectra_io (no LibTorch needed): the restricted unpickler
# (io::torch::parse_state_dict_pickle, fuzzable on a byte buffer). Without LibTorch, qspectra_io also
# gets a stub io::torch::open_checkpoint that refuses .bin/.pt/.pth with "need the LibTorch build".
# With it, qspectra_io gets loader.cpp, which dlopens the plugin qspectra_io_torch
# (lib/libqspectra_io_torch.so: zip reading + storage -> tensor through LibTorch) the first time a
# PyTorch file is opened: binaries that never read one do not load LibTorch (~280 shared libraries,
# ~1 s and ~160 MB RSS at start-up) and run where LibTorch is not installed.
set(QSPECTRA_WITH_TORCH AUTO CACHE STRING "Read PyTorch checkpoints through LibTorch: AUTO, ON or OFF")
set_property(CACHE QSPECTRA_WITH_TORCH PROPERTY STRINGS AUTO ON OFF)

target_sources(qspectra_io PRIVATE ${PROJECT_SOURCE_DIR}/src/io/torch/state_dict_pickle.cpp)

set(QSPECTRA_HAVE_TORCH OFF)
string(TOUPPER "${QSPECTRA_WITH_TORCH}" _qs_torch_mode)
if(_qs_torch_mode STREQUAL "AUTO" OR QSPECTRA_WITH_TORCH)
  # Debian's TorchConfig.cmake is found on the default prefix; Torch_DIR / CMAKE_PREFIX_PATH select another.
  find_package(Torch QUIET CONFIG)
  if(TORCH_FOUND OR Torch_FOUND)
    set(QSPECTRA_HAVE_TORCH ON)
  elseif(NOT _qs_torch_mode STREQUAL "AUTO")
    message(FATAL_ERROR "QSPECTRA_WITH_TORCH=${QSPECTRA_WITH_TORCH} but LibTorch was not found "
                        "(Debian: apt-get install libtorch-dev; or set Torch_DIR), or use -DQSPECTRA_WITH_TORCH=OFF")
  endif()
endif()

if(NOT QSPECTRA_HAVE_TORCH)
  message(STATUS "qspectra: PyTorch checkpoint reader disabled (QSPECTRA_WITH_TORCH=${QSPECTRA_WITH_TORCH})")
  target_sources(qspectra_io PRIVATE ${PROJECT_SOURCE_DIR}/src/io/torch/unavailable.cpp)
  return()
endif()
message(STATUS "qspectra: PyTorch checkpoint reader enabled (LibTorch ${Torch_VERSION})")

# The plugin holds its own copies of the pickle parser, the dtype widening (with the element-type table
# it reads from), the file mapping and the zip directory check (no -fPIC static libs to link); -z defs:
# everything else must come from LibTorch and the C++ runtime.
file(GLOB _qspectra_type_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/types/*.cpp)
add_library(qspectra_io_torch MODULE
  ${_qspectra_type_srcs}
  ${PROJECT_SOURCE_DIR}/src/io/torch/checkpoint.cpp
  ${PROJECT_SOURCE_DIR}/src/io/torch/state_dict_pickle.cpp
  ${PROJECT_SOURCE_DIR}/src/io/dtype.cpp
  ${PROJECT_SOURCE_DIR}/src/io/mapped_file.cpp
  ${PROJECT_SOURCE_DIR}/src/io/zip_directory.cpp
  ${PROJECT_SOURCE_DIR}/src/core/printable.cpp)
target_include_directories(qspectra_io_torch PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_compile_options(qspectra_io_torch PRIVATE -Wall -Wextra -ffp-contract=off)  # as src/types is built
target_link_libraries(qspectra_io_torch PRIVATE torch)
target_link_options(qspectra_io_torch PRIVATE -Wl,-z,defs)
set_target_properties(qspectra_io_torch PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
install(TARGETS qspectra_io_torch LIBRARY DESTINATION lib)  # found by the apps as <bin>/../lib/

target_sources(qspectra_io PRIVATE ${PROJECT_SOURCE_DIR}/src/io/torch/loader.cpp)
target_compile_definitions(qspectra_io PRIVATE "QSPECTRA_TORCH_PLUGIN=\"$<TARGET_FILE:qspectra_io_torch>\"")
target_link_libraries(qspectra_io PUBLIC ${CMAKE_DL_LIBS})
add_dependencies(qspectra_io qspectra_io_torch)  # everything that can open a checkpoint has the plugin built

if(QSPECTRA_BUILD_TESTS)
  include(GoogleTest)
  qspectra_add_test_suite(torch LIBS qspectra torch)
  if(TARGET qspectra_torch_tests AND QSPECTRA_BUILD_APPS)
    # The round-trip test also runs the built ww-analyze on both formats.
    target_compile_definitions(qspectra_torch_tests PRIVATE QSPECTRA_BIN_DIR="${PROJECT_BINARY_DIR}/apps")
    add_dependencies(qspectra_torch_tests ww-analyze)
  endif()
endif()
