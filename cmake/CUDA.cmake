# Optional CUDA spectrum backend (issue 7): library qspectra_spectral_cuda + test suite qspectra_cuda_tests.
# Included from the top-level CMakeLists.txt after add_subdirectory(src) (and before tests/, whose
# helpers it reuses). Self-contained: the option, language detection, architectures, targets.
#
#   -DQSPECTRA_WITH_CUDA=AUTO (default)  build it when a CUDA compiler (nvcc) is found
#   -DQSPECTRA_WITH_CUDA=ON              require it (configure error without nvcc)
#   -DQSPECTRA_WITH_CUDA=OFF             never build it
#
# Only the CUDA runtime API is used (cudart_static + cuBLAS + cuSOLVER): nothing links libcuda, which
# exists only where a driver/GPU is, so the binaries build and start on GPU-less CI machines.
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

file(GLOB _qs_cuda_srcs CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/src/spectral/cuda/*.cu
  ${PROJECT_SOURCE_DIR}/src/spectral/cuda/*.cpp)
add_library(qspectra_spectral_cuda STATIC ${_qs_cuda_srcs})
target_include_directories(qspectra_spectral_cuda PUBLIC ${PROJECT_SOURCE_DIR}/include)
set_target_properties(qspectra_spectral_cuda PROPERTIES
  CUDA_STANDARD 17   # CMake 3.25 knows no CUDA20 flag for nvcc (it would inherit CXX_STANDARD 20)
  CUDA_RUNTIME_LIBRARY Static
  POSITION_INDEPENDENT_CODE ON)
target_compile_options(qspectra_spectral_cuda PRIVATE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
target_compile_definitions(qspectra_spectral_cuda PUBLIC QSPECTRA_HAVE_CUDA=1)
target_link_libraries(qspectra_spectral_cuda
  PUBLIC qspectra_spectral qspectra_core
  PRIVATE CUDA::cudart_static CUDA::cublas CUDA::cusolver)

# The pipeline picks the backend from --device (src/pipeline/device.cpp, #ifdef QSPECTRA_HAVE_CUDA).
if(TARGET qspectra_pipeline)
  get_target_property(_qs_pipeline_type qspectra_pipeline TYPE)
  if(_qs_pipeline_type STREQUAL "INTERFACE_LIBRARY")
    target_link_libraries(qspectra_pipeline INTERFACE qspectra_spectral_cuda)
  else()
    target_link_libraries(qspectra_pipeline PUBLIC qspectra_spectral_cuda)
  endif()
endif()

if(QSPECTRA_BUILD_TESTS)
  include(GoogleTest)
  qspectra_add_test_suite(cuda LIBS qspectra_spectral_cuda qspectra_spectral qspectra_metrics qspectra_io)
endif()
