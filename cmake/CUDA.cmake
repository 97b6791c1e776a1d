# Optional CUDA spectrum backend (issue 7): plugin libqspectra_cuda.so + test suite qspectra_cuda_tests.
# Included from the top-level CMakeLists.txt after add_subdirectory(src) (and before tests/, whose
# helpers it reuses). Self-contained: the option, language detection, architectures, targets.
#
#   -DQSPECTRA_WITH_CUDA=AUTO (default)  build it when a CUDA compiler (nvcc) is found
#   -DQSPECTRA_WITH_CUDA=ON              require it (configure error without nvcc)
#   -DQSPECTRA_WITH_CUDA=OFF             never build it
#
# Only the CUDA runtime API is used (cudart_static + cuBLAS + cuSOLVER), and only by the plugin, which
# the apps dlopen when --device cuda|cuda:N|auto asks for it (issue 15): CPU runs load no CUDA library.
# Nothing links libcuda (present only where a driver is), so the plugin loads on GPU-less machines too.
set(QSPECTRA_WITH_CUDA AUTO CACHE STRING "Build the CUDA spectrum backend: AUTO, ON or OFF")
set_property(CACHE QSPECTRA_WITH_CUDA PROPERTY STRINGS AUTO ON OFF)

set(QSPECTRA_HAVE_CUDA OFF)
string(TOUPPER "${QSPECTRA_WITH_CUDA}" _qs_cuda_mode)
if(_qs_cuda_mode STREQUAL "AUTO" OR QSPECTRA_WITH_CUDA)
  include(CheckLanguage)
  check_language(CUDA)   # sets CMAKE_CUDA_COMPILER (path or NOTFOUND); honours a preset value
  if(CMAKE_CUDA_COMPILER)
    # Explicit: "native" fails without a GPU, and CMake 3.25 does not know CUDA 13's default.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
      set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures for qspectra" FORCE)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(QSPECTRA_HAVE_CUDA ON)
  elseif(NOT _qs_cuda_mode STREQUAL "AUTO")
    message(FATAL_ERROR "QSPECTRA_WITH_CUDA=${QSPECTRA_WITH_CUDA} but no CUDA compiler was found "
                        "(put nvcc on PATH or set CMAKE_CUDA_COMPILER, or use -DQSPECTRA_WITH_CUDA=OFF)")
  endif()
endif()

if(NOT QSPECTRA_HAVE_CUDA)
  message(STATUS "qspectra: CUDA backend disabled (QSPECTRA_WITH_CUDA=${QSPECTRA_WITH_CUDA})")
  return()
endif()
message(STATUS "qspectra: CUDA backend enabled (CUDA ${CUDAToolkit_VERSION}, "
               "architectures ${CMAKE_CUDA_ARCHITECTURES})")

# The plugin libqspectra_cuda.so (lib/ of the build tree; installed to lib/): the CUDA engine and its
# C entry point, the only code that links cudart/cuBLAS/cuSOLVER. -z defs: everything else must come
# from those and the C++ runtime (the qspectra error classes it throws are header-only).
add_library(qspectra_cuda MODULE
  ${PROJECT_SOURCE_DIR}/src/spectral/cuda/engine.cu
  ${PROJECT_SOURCE_DIR}/src/spectral/cuda/plugin.cpp)
target_include_directories(qspectra_cuda PRIVATE ${PROJECT_SOURCE_DIR}/include)
set_target_properties(qspectra_cuda PROPERTIES
  CUDA_STANDARD 17   # CMake 3.25 knows no CUDA20 flag for nvcc (it would inherit CXX_STANDARD 20)
  CUDA_RUNTIME_LIBRARY Static
  LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
target_compile_options(qspectra_cuda PRIVATE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
target_link_libraries(qspectra_cuda PRIVATE CUDA::cudart_static CUDA::cublas CUDA::cusolver)
target_link_options(qspectra_cuda PRIVATE -Wl,-z,defs)
install(TARGETS qspectra_cuda LIBRARY DESTINATION lib)  # found by the apps as <bin>/../lib/

# qspectra_spectral gets the Eigen-side adapter and the loader (dlopen on first use; no CUDA library).
# QSPECTRA_HAVE_CUDA (PUBLIC) lets src/pipeline/device.cpp offer --device cuda[:N]|auto.
target_sources(qspectra_spectral PRIVATE
  ${PROJECT_SOURCE_DIR}/src/spectral/cuda/backend.cpp
  ${PROJECT_SOURCE_DIR}/src/spectral/cuda/loader.cpp)
target_compile_definitions(qspectra_spectral
  PUBLIC QSPECTRA_HAVE_CUDA=1
  PRIVATE "QSPECTRA_CUDA_PLUGIN=\"$<TARGET_FILE:qspectra_cuda>\"")
target_link_libraries(qspectra_spectral PUBLIC ${CMAKE_DL_LIBS})
add_dependencies(qspectra_spectral qspectra_cuda)  # everything that can ask for a GPU has the plugin built

if(QSPECTRA_BUILD_TESTS)
  include(GoogleTest)
  qspectra_add_test_suite(cuda LIBS qspectra qspectra_spectral qspectra_metrics qspectra_io)
  if(TARGET qspectra_cuda_tests AND QSPECTRA_BUILD_APPS)
    # The plugin tests also run the built ww-analyze (--help loads no CUDA; missing plugin; no device).
    target_compile_definitions(qspectra_cuda_tests PRIVATE QSPECTRA_BIN_DIR="${PROJECT_BINARY_DIR}/apps"
      "QSPECTRA_CUDA_PLUGIN_FILE=\"$<TARGET_FILE:qspectra_cuda>\"")
    add_dependencies(qspectra_cuda_tests ww-analyze)
  endif()
endif()
