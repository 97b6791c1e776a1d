# One static library per layer of the tree (io, layers, quant, spectral, metrics, rd, report, pipeline, plot),
# so each can be built and tested on its own. Sources are the .cpp files of src/<module>/.
function(qspectra_add_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(NOT _srcs)  # a module whose sources are not written yet
    add_library(qspectra_${name} INTERFACE)
    target_include_directories(qspectra_${name} INTERFACE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(qspectra_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(qspectra_${name} STATIC ${_srcs})
  target_include_directories(qspectra_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  # GCC 12 reports false maybe-uninitialized warnings inside std::variant copies (report::Cell).
  target_compile_options(qspectra_${name} PRIVATE -Wall -Wextra $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  target_link_libraries(qspectra_${name} PUBLIC ${ARG_DEPS})
endfunction()

# One GoogleTest executable per test folder tests/<name>/, linked against the given libraries.
function(qspectra_add_test_suite name)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${name}/*_test.cpp)
  if(NOT _srcs)
    return()
  endif()
  add_executable(qspectra_${name}_tests ${_srcs})
  target_link_libraries(qspectra_${name}_tests PRIVATE ${ARG_LIBS} GTest::gtest_main)
  target_compile_definitions(qspectra_${name}_tests PRIVATE
    QSPECTRA_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    QSPECTRA_DATA_DIR="${PROJECT_SOURCE_DIR}/data"
    QSPECTRA_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  gtest_discover_tests(qspectra_${name}_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${name})
endfunction()
