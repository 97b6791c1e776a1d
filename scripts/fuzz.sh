#!/usr/bin/env bash
# Build the libFuzzer harnesses (fuzz/, clang + ASan/UBSan) in ./build-fuzz and run each for SECONDS
# (default 60) on its seed corpus fuzz/corpus/<target>/. New inputs go to build-fuzz/corpus/<target>/
# (the committed seeds are never modified); a crash leaves build-fuzz/<target>-crash-* and exits 1.
#   bash scripts/fuzz.sh              # every harness, 60 s each
#   bash scripts/fuzz.sh 600 safetensors   # one harness, 10 minutes
# Needs clang and libclang-rt-14-dev (bash scripts/install-deps.sh clang libclang-rt-14-dev).
# Reproduce a finding: build-fuzz/fuzz_<target> build-fuzz/<target>-crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
shift || true
bash scripts/install-deps.sh clang libclang-rt-14-dev
CXX_FUZZ="${CXX_FUZZ:-$(command -v clang++ || command -v clang++-14 || true)}"
[ -n "$CXX_FUZZ" ] || { echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER="$CXX_FUZZ" >/dev/null
cmake --build build-fuzz -j "${FUZZ_JOBS:-$(nproc)}"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "fuzz.sh: fuzz_$t for ${SECONDS_PER_TARGET} s"
  # -rss_limit_mb / -malloc_limit_mb: an input that makes the parser allocate more than 512 MB
  # (inputs are at most 64 KB) is a finding, e.g. an allocation sized by a declared shape.
  dict="fuzz/$t.dict"; [ -f "$dict" ] || dict=fuzz/json.dict   # JSON tokens by default
  rc=0
  "build-fuzz/fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=512 -dict="$dict" -print_final_stats=1 \
    -artifact_prefix="build-fuzz/$t-" "build-fuzz/corpus/$t" "fuzz/corpus/$t" 2>"build-fuzz/$t.log" || rc=$?
  grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed|==[0-9]+==|SUMMARY|invariant|Test unit written)' \
    "build-fuzz/$t.log" >&2 || true
  if [ $rc -ne 0 ]; then
    echo "fuzz.sh: fuzz_$t found a problem (exit $rc); see build-fuzz/$t.log" >&2
    status=1
  fi
done
exit $status
