# shellcheck shell=bash disable=SC2034
# Shared helpers of scripts/bench-*.sh (sourced, not run). See docs/benchmarks.md.
#
# Environment (all optional):
#   QSPECTRA_BENCH_BUILD  build directory            (default: <repo>/build-bench)
#   QSPECTRA_BENCH_DIR    generated models, outputs  (default: /tmp/qspectra-bench; never inside the repo)
#   QSPECTRA_BENCH_JOBS   build parallelism          (default: nproc)
#   REPEAT                timed runs per measurement (default: 3; min and median are reported)
#   QSPECTRA_BENCH_NO_BUILD=1  use the binaries already in QSPECTRA_BENCH_BUILD
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QSPECTRA_BENCH_BUILD:-$ROOT/build-bench}"
WORK="${QSPECTRA_BENCH_DIR:-/tmp/qspectra-bench}"
JOBS="${QSPECTRA_BENCH_JOBS:-$(nproc)}"
REPEAT="${REPEAT:-3}"
APPS="$BUILD/apps"
TOOLS="$BUILD/bench"
mkdir -p "$WORK"

# bench_build TARGET...: configure (Release, benchmarks and apps on, tests off) if needed, build the targets.
bench_build() {
  if [ "${QSPECTRA_BENCH_NO_BUILD:-0}" = 1 ]; then return 0; fi
  if [ ! -f "$BUILD/build.ninja" ] || ! grep -q '^QSPECTRA_BUILD_BENCH:BOOL=ON' "$BUILD/CMakeCache.txt" \
     || ! grep -q '^QSPECTRA_BUILD_APPS:BOOL=ON' "$BUILD/CMakeCache.txt"; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQSPECTRA_BUILD_BENCH=ON \
      -DQSPECTRA_BUILD_APPS=ON -DQSPECTRA_BUILD_TESTS=OFF >/dev/null
  fi
  cmake --build "$BUILD" -j "$JOBS" --target "$@" >/dev/null
}

# machine_note: one line describing the machine and its load right now.
machine_note() {
  local cpu
  cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores (${cpu:-unknown cpu}), $(awk '{printf "%.1f GB", $2/1e6}' \
    <(grep MemTotal /proc/meminfo)) RAM; load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# timed OUT_ENV CMD...: run CMD under qspectra-timeit; OUT_ENV gets wall_s= user_s= ... max_rss_kb= rc=.
# Fails (returns the command's status) when the command fails.
timed() {
  local env="$1"; shift
  "$TOOLS/qspectra-timeit" -o "$env" -- "$@"
}

# env_get FILE KEY: a value from a qspectra-timeit line.
env_get() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }

# jget FILE PATH...: values from a JSON file (tab-separated).
jget() { "$TOOLS/qspectra-json-get" "$@"; }

# stats V1 V2 ...: "min median" (numeric).
stats() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
    if (NR == 0) { print "NA NA"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s %s\n", v[1], m }'
}

# calc EXPR: floating-point arithmetic through awk.
calc() { awk "BEGIN { printf \"%.4g\", $1 }"; }

# file_bytes DIR: total size of the *.safetensors files of a model directory.
file_bytes() { find "$1" -maxdepth 1 -name '*.safetensors' -printf '%s\n' | awk '{s += $1} END {printf "%d", s}'; }

# gen_model DIR ARGS...: generate a synthetic model (a no-op when DIR already holds it).
gen_model() {
  local dir="$1"; shift
  "$TOOLS/qspectra-make-synthetic" --out "$dir" "$@"
}

# log LINE...: print and append to $REPORT.
log() { printf '%s\n' "$*" | tee -a "$REPORT"; }
