#!/usr/bin/env bash
# Build the library, apps and tests with AddressSanitizer + UndefinedBehaviorSanitizer in ./build-asan
# (CMake preset "asan": CUDA, LibTorch and benchmarks off) and run the test suites under it. Any
# sanitizer report fails the test that triggered it (-fno-sanitize-recover, ASan aborts).
#   bash scripts/sanitize.sh                  # all suites
#   bash scripts/sanitize.sh -L 'io|hardening'   # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)"
ctest --preset asan -j "$(nproc)" "$@"
