#!/usr/bin/env bash
# GPU check (issue 15 item 8; docs/cuda.md, docs/benchmarks.md "GPU check"). On a machine with an
# NVIDIA GPU, in one go (target: under 8 minutes on a 16-core H100/H200 machine):
#   1. builds with CUDA (Release, -j all cores, only the targets needed, for this GPU's architecture);
#   2. runs the CUDA tests (qspectra_cuda_tests: none may fail, and on a GPU none may be SKIPPED);
#   3. generates the bench model (qwen2.5-0.5b preset) and 4 layers of the Llama-7B shape
#      (llama-7b-layer --layers 4: q/k/v/o 4096x4096, gate/up 11008x4096, down 4096x11008) with
#      qspectra-make-synthetic;
#   4. runs ww-analyze on both, CPU vs GPU, in fp64 and fp32;
#   5. checks parity against the CPU fp64 run: fp64 = the reference tolerances of the tests (1e-9
#      relative on the fitted columns, exact num_pl_spikes/num_evals/status); fp32 = the same
#      num_pl_spikes on >= 99% of layers and alpha within 1e-3 relative on those;
#   6. prints times, layers/s and an EXTRAPOLATED time for a 32-layer Llama-7B-shaped model.
#
#   scripts/gpu-check.sh [--no-gpu] [--smoke]
#     --no-gpu  run every step that works without a GPU (build, CUDA tests, models, CPU runs, the
#               "no device" checks) and skip the GPU runs, saying so; without it, no GPU = failure.
#     --smoke   tiny models instead (2 Qwen layers, 4 matrices of 1024x512): checks this script's own
#               logic in a minute on a small machine; its numbers mean nothing.
# The generated models are kept in $QSPECTRA_GPU_CHECK_DIR (regenerated only when the preset changes).
# Environment: QSPECTRA_GPU_CHECK_BUILD (build dir, default <repo>/build-gpu-check),
#              QSPECTRA_GPU_CHECK_DIR (models + outputs, default /tmp/qspectra-gpu-check),
#              QSPECTRA_GPU_CHECK_JOBS (default nproc), CMAKE_CUDA_ARCHITECTURES (default: this GPU's).
# Exit status: 0 all checks passed; 1 a check failed; 2 no GPU (without --no-gpu) or no CUDA toolkit.
set -euo pipefail

NO_GPU=0
SMOKE=0
for a in "$@"; do
  case "$a" in
    --no-gpu) NO_GPU=1 ;;
    --smoke) SMOKE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument '$a' (see --help)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QSPECTRA_GPU_CHECK_BUILD:-$ROOT/build-gpu-check}"
WORK="${QSPECTRA_GPU_CHECK_DIR:-/tmp/qspectra-gpu-check}"
JOBS="${QSPECTRA_GPU_CHECK_JOBS:-$(nproc)}"
OUT="$WORK/out"
REPORT="$WORK/report.txt"
mkdir -p "$WORK"
rm -rf "$OUT"
mkdir -p "$OUT"
: >"$REPORT"
T0=$(date +%s.%N)
failed=0

log() { printf '%s\n' "$*" | tee -a "$REPORT"; }
die() { log "gpu-check: FAIL: $1"; exit "${2:-1}"; }
check_fail() { log "gpu-check: CHECK FAILED: $*"; failed=1; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.4g\", $1 }"; }
elapsed() { calc "$(now) - $T0"; }

log "# qspectra GPU check ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2/1e6}' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 0. the GPU and the toolkit ------------------------------------------------------------------
GPU_NAME=""
GPU_ARCH=""
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && [ -n "$(nvidia-smi -L 2>/dev/null)" ]; then
  GPU_NAME="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -n1)"
  GPU_ARCH="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n1 | tr -d ' .')"
fi
if [ -z "$GPU_NAME" ]; then
  why="no NVIDIA GPU: $(command -v nvidia-smi >/dev/null 2>&1 && (nvidia-smi -L 2>&1 | head -n1) || echo 'nvidia-smi not found')"
  if [ "$NO_GPU" = 1 ]; then
    log "gpu-check: WARNING: $why; --no-gpu: the GPU steps are SKIPPED"
  else
    die "$why. This script needs a machine with an NVIDIA GPU and driver (use --no-gpu to run only the steps that work without one)." 2
  fi
else
  log "gpu: $GPU_NAME (sm_$GPU_ARCH)"
fi
for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
  [ -x "$d/nvcc" ] && ! command -v nvcc >/dev/null 2>&1 && PATH="$d:$PATH"
done
command -v nvcc >/dev/null 2>&1 || die "nvcc not found (install the CUDA toolkit or put it on PATH)" 2
log "nvcc: $(nvcc --version | tail -n1)"

# ---- 1. build ------------------------------------------------------------------------------------
ARCHS="${CMAKE_CUDA_ARCHITECTURES:-${GPU_ARCH:-80;90}}"
log "## 1. build ($BUILD, Release, -j$JOBS, CUDA architectures $ARCHS)"
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
LAUNCHER=()
command -v ccache >/dev/null 2>&1 && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if ! cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" "${LAUNCHER[@]}" -DCMAKE_BUILD_TYPE=Release -DQSPECTRA_WITH_CUDA=ON \
      -DQSPECTRA_WITH_TORCH=OFF -DQSPECTRA_BUILD_TESTS=ON -DQSPECTRA_BUILD_APPS=ON -DQSPECTRA_BUILD_BENCH=ON \
      "-DCMAKE_CUDA_ARCHITECTURES=$ARCHS" >"$WORK/configure.log" 2>&1; then
  tail -n 20 "$WORK/configure.log"
  die "cmake configure failed (log: $WORK/configure.log)"
fi
if ! cmake --build "$BUILD" -j "$JOBS" --target qspectra-make-synthetic >"$WORK/build.log" 2>&1; then
  tail -n 30 "$WORK/build.log"
  die "build of qspectra-make-synthetic failed (log: $WORK/build.log)"
fi
# ---- 3. models (generated in the background while the rest builds) --------------------------------
if [ "$SMOKE" = 1 ]; then
  BENCH="$WORK/smoke-qwen-2layers"
  LLAMA="$WORK/smoke-4x1024x512"
  GEN_BENCH=(--preset qwen2.5-0.5b --layers 2 --no-embed)
  GEN_LLAMA=(--preset single-layer --shape 1024x512 --layers 4)
else
  BENCH="$WORK/qwen2.5-0.5b"
  LLAMA="$WORK/llama-7b-4layers"
  GEN_BENCH=(--preset qwen2.5-0.5b)
  GEN_LLAMA=(--preset llama-7b-layer --layers 4)
fi
( "$BUILD/bench/qspectra-make-synthetic" "${GEN_BENCH[@]}" --out "$BENCH" --quiet &&
  "$BUILD/bench/qspectra-make-synthetic" "${GEN_LLAMA[@]}" --out "$LLAMA" --quiet ) >"$WORK/generate.log" 2>&1 &
GEN_PID=$!
if ! cmake --build "$BUILD" -j "$JOBS" --target qspectra_cuda ww-analyze qspectra_cuda_tests >>"$WORK/build.log" 2>&1; then
  tail -n 30 "$WORK/build.log"
  wait "$GEN_PID" || true
  die "build failed (log: $WORK/build.log)"
fi
log "built at $(elapsed) s"
APP="$BUILD/apps/ww-analyze"
[ -f "$BUILD/lib/libqspectra_cuda.so" ] || die "the plugin $BUILD/lib/libqspectra_cuda.so was not built"

# ---- 2. CUDA tests -------------------------------------------------------------------------------
log "## 2. CUDA tests"
set +e
"$BUILD/qspectra_cuda_tests" >"$WORK/cuda_tests.log" 2>&1
rc=$?
set -e
grep -E '^\[=+\] [0-9]+ tests? from|^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ tests?' "$WORK/cuda_tests.log" | tee -a "$REPORT" || true
[ "$rc" = 0 ] || check_fail "qspectra_cuda_tests failed (exit $rc; log: $WORK/cuda_tests.log)"
skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9][0-9]*\) tests\{0,1\},.*/\1/p' "$WORK/cuda_tests.log" | head -n1)
if [ -n "$GPU_NAME" ]; then
  # On a GPU only the "no device" checks may skip (two of them, plus the summary line).
  grep '^\[  SKIPPED \]' "$WORK/cuda_tests.log" | grep -v -E 'NoDevice|^\[  SKIPPED \] [0-9]+ test' >"$WORK/skips.txt" || true
  [ ! -s "$WORK/skips.txt" ] || check_fail "device tests SKIPPED on a GPU machine: $(tr '\n' ' ' <"$WORK/skips.txt")"
else
  log "(no GPU: ${skipped:-0} device tests SKIPPED, as expected)"
fi

log "## 3. models ($WORK)"
[ "$SMOKE" = 0 ] || log "--smoke: tiny stand-in models; the numbers below mean nothing"
wait "$GEN_PID" || { cat "$WORK/generate.log"; die "model generation failed (log: $WORK/generate.log)"; }
log "bench model $BENCH ($(du -sh "$BENCH" | cut -f1)); Llama-7B shape: $LLAMA ($(du -sh "$LLAMA" | cut -f1)); at $(elapsed) s"

# ---- 4. runs -------------------------------------------------------------------------------------
declare -A WALL LAYERS
# run_one TAG MODEL DEVICE PRECISION
run_one() {
  local tag="$1" model="$2" device="$3" prec="$4" dir="$OUT/$1" t1 t2 rc
  t1=$(now)
  set +e
  "$APP" "$model" --device "$device" --precision "$prec" --out-dir "$dir" --format csv,json --quiet \
    >"$dir.log" 2>&1
  rc=$?
  set -e
  t2=$(now)
  if [ "$rc" != 0 ]; then
    check_fail "ww-analyze $tag exited $rc: $(head -c 600 "$dir.log")"
    return 0
  fi
  WALL[$tag]=$(calc "$t2 - $t1")
  LAYERS[$tag]=$(($(wc -l <"$dir/ww_layers.csv") - 1))
  log "$(printf '| %-16s | %-7s | %-4s | %8.2f s | %5d layers | %8.1f layers/s |' "$tag" "$device" "$prec" \
    "${WALL[$tag]}" "${LAYERS[$tag]}" "$(calc "${LAYERS[$tag]} / ${WALL[$tag]}")")"
}

log "## 4. ww-analyze runs (wall time of the whole process)"
for m in bench llama4; do
  model=$BENCH; [ "$m" = llama4 ] && model=$LLAMA
  run_one "$m-cpu-fp64" "$model" cpu fp64
  # CPU fp32 only on the bench model (the GPU gates compare with CPU fp64; this keeps to 8 minutes).
  if [ "$m" = bench ]; then run_one "$m-cpu-fp32" "$model" cpu fp32; fi
  if [ -n "$GPU_NAME" ]; then
    run_one "$m-gpu-fp64" "$model" cuda fp64
    run_one "$m-gpu-fp32" "$model" cuda fp32
  else
    log "| $m-gpu-*          | SKIPPED (no GPU) |"
  fi
done
# Without a GPU, --device cuda must fail in one line and --device auto must fall back with a warning.
if [ -z "$GPU_NAME" ]; then
  set +e
  msg=$("$APP" "$ROOT/data/llama2c-stories260K-plctlab" --device cuda --out-dir "$OUT/nodev" --quiet 2>&1)
  rc=$?
  set -e
  if [ "$rc" = 0 ] || [ "$(printf '%s\n' "$msg" | wc -l)" != 1 ]; then
    check_fail "--device cuda without a GPU should fail with one line (exit $rc): $msg"
  else
    log "--device cuda without a GPU: exit $rc, one line: $msg"
  fi
fi

# ---- 5. parity -----------------------------------------------------------------------------------
# compare REF GOT MODE: per layer (joined on `name`), prints one summary line; returns 1 when the gate fails.
#   fp64: kRelColumns of tests/apps/ww_analyze_reference_test.cpp within 1e-9 relative (or 1e-14
#         absolute), num_pl_spikes, num_evals, status equal, on every layer;
#   fp32: num_pl_spikes equal on >= 99% of layers and alpha within 1e-3 relative on those.
compare() {
  awk -F, -v mode="$3" -v what="$4" '
    function rel_ok(a, b, tol) { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; return d <= tol * m || d <= 1e-14 }
    FNR == 1 { ++fi; for (i = 1; i <= NF; ++i) col[fi, $i] = i; nf[fi] = NF; next }
    {
      if (NF != nf[fi]) { printf "%s: %s line %d has %d fields, header %d (quoted commas?)\n", what, FILENAME, FNR, NF, nf[fi]; bad_csv = 1; exit 1 }
      key = $(col[fi, "name"])
      if (fi == 1) { ref[key] = $0; order[++n] = key; next }
      got[key] = $0
    }
    END {
      if (bad_csv) exit 1
      split("alpha D sigma xmin xmax lambda_max sv_max norm log_norm spectral_norm log_spectral_norm alpha_weighted log_alpha_norm stable_rank Q", rc, " ")
      split("num_pl_spikes num_evals status", ec, " ")
      total = 0; same = 0; ok = 0; worst = 0; missing = 0; fails = ""
      for (i = 1; i <= n; ++i) {
        k = order[i]; ++total
        if (!(k in got)) { ++missing; continue }
        split(ref[k], r, ","); split(got[k], g, ",")
        a = 1; b = 2
        if (mode == "fp64") {
          good = 1
          for (j in ec) if (r[col[a, ec[j]]] != g[col[b, ec[j]]]) { good = 0; f = ec[j] }
          for (j in rc) if ((a SUBSEP rc[j]) in col) {
            x = r[col[a, rc[j]]] + 0; y = g[col[b, rc[j]]] + 0
            if (!rel_ok(y, x, 1e-9)) { good = 0; f = rc[j] }
            if (rc[j] == "alpha" && x != 0) { e = (y - x) / x; if (e < 0) e = -e; if (e > worst) worst = e }
          }
          if (good) ++ok; else if (length(fails) < 300) fails = fails " " k "(" f ")"
        } else {
          if (r[col[a, "num_pl_spikes"]] == g[col[b, "num_pl_spikes"]]) {
            ++same
            x = r[col[a, "alpha"]] + 0; y = g[col[b, "alpha"]] + 0
            e = x != 0 ? (y - x) / x : y - x; if (e < 0) e = -e; if (e > worst) worst = e
            if (rel_ok(y, x, 1e-3)) ++ok; else if (length(fails) < 300) fails = fails " " k "(alpha)"
          } else if (length(fails) < 300) fails = fails " " k "(num_pl_spikes)"
        }
      }
      if (mode == "fp64") {
        pass = (missing == 0 && ok == total && total > 0)
        printf "%s: %d/%d layers within the reference tolerances, max alpha rel. diff %.3g, %d missing%s -> %s\n", what, ok, total, worst, missing, fails == "" ? "" : "; failing:" fails, pass ? "PASS" : "FAIL"
      } else {
        pass = (missing == 0 && total > 0 && same >= 0.99 * total && ok == same)
        printf "%s: same num_pl_spikes on %d/%d layers (%.2f%%, gate >= 99%%), alpha within 1e-3 on %d/%d of those, max alpha rel. diff %.3g, %d missing%s -> %s\n", what, same, total, total ? 100 * same / total : 0, ok, same, worst, missing, fails == "" ? "" : "; failing:" fails, pass ? "PASS" : "FAIL"
      }
      exit pass ? 0 : 1
    }' "$1" "$2"
}

gate() {  # gate REF_TAG GOT_TAG MODE
  local ref="$OUT/$1/ww_layers.csv" got="$OUT/$2/ww_layers.csv" line
  if [ ! -f "$ref" ] || [ ! -f "$got" ]; then
    check_fail "$2 vs $1: missing output"
    return 0
  fi
  if line=$(compare "$ref" "$got" "$3" "$2 vs $1 ($3 gate)"); then log "$line"; else log "$line"; check_fail "$2 vs $1"; fi
}

log "## 5. parity (reference: the CPU fp64 run)"
if [ -z "$GPU_NAME" ]; then  # nothing to compare: at least check the comparison itself on a run vs itself
  gate bench-cpu-fp64 bench-cpu-fp64 fp64
fi
for m in bench llama4; do
  if [ -n "${WALL[$m-cpu-fp32]:-}" ]; then gate "$m-cpu-fp64" "$m-cpu-fp32" fp32; fi
  if [ -n "$GPU_NAME" ]; then
    gate "$m-cpu-fp64" "$m-gpu-fp64" fp64
    gate "$m-cpu-fp64" "$m-gpu-fp32" fp32
  fi
done

# ---- 6. summary ----------------------------------------------------------------------------------
log "## 6. summary"
for tag in bench-gpu-fp64 bench-gpu-fp32 llama4-gpu-fp64 llama4-gpu-fp32; do
  cpu="${tag/gpu/cpu}"
  if [ -n "${WALL[$tag]:-}" ] && [ -n "${WALL[$cpu]:-}" ]; then
    log "$tag: ${WALL[$tag]} s vs CPU ${WALL[$cpu]} s (speed-up $(calc "${WALL[$cpu]} / ${WALL[$tag]}")x)"
  fi
done
if [ -n "${WALL[llama4-gpu-fp32]:-}" ] && [ "$SMOKE" = 0 ]; then
  # Per decoder layer from the 4-layer run (start-up included in it, so this over-estimates slightly).
  per=$(calc "${WALL[llama4-gpu-fp32]} / 4")
  est=$(calc "${WALL[llama4-gpu-fp32]} * 8")
  verdict=$(awk "BEGIN { print ($est < 60) ? \"within\" : \"NOT within\" }")
  log "EXTRAPOLATED (not measured): a 32-layer Llama-7B-shaped model in fp32 on this GPU ~ $est s" \
      "(8 x the 4-layer run, $per s per decoder layer; $verdict the 60 s goal)"
  if [ -n "${WALL[llama4-gpu-fp64]:-}" ]; then
    log "EXTRAPOLATED (not measured): the same in fp64 ~ $(calc "${WALL[llama4-gpu-fp64]} * 8") s"
  fi
fi
total=$(elapsed)
log "total $total s (goal: under 480 s); report: $REPORT"
if awk "BEGIN { exit !($total > 480) }"; then log "gpu-check: WARNING: over the 8-minute budget ($total s)"; fi
if [ "$failed" != 0 ]; then
  log "gpu-check: FAILED (see the CHECK FAILED lines above)"
  exit 1
fi
if [ -z "$GPU_NAME" ]; then
  log "gpu-check: the steps that run without a GPU passed; the GPU steps were SKIPPED (--no-gpu)"
else
  log "gpu-check: all checks passed"
fi
