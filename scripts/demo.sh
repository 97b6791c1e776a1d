#!/usr/bin/env bash
# Install, build, and run ww-analyze on the bundled real model (the README's first command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Only the app (and what it links): the test suites are built by scripts/test.sh, not here.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target ww-analyze
./build/apps/ww-analyze data/llama2c-stories260K-plctlab --out-dir out/llama2c-stories260K-plctlab.ww
