#!/usr/bin/env bash
# rate-distortion timings (docs/benchmarks.md).
#
#   bash scripts/bench-rate-distortion.sh MODEL_DIR
#
# MODEL_DIR is a real model to time (the numbers in docs/benchmarks.md use mediapipe-blazepose-heavy, a
# TF.js export with no '*.weight' keys, hence --all-matrices). Also timed: one synthetic 4864x896 BF16
# layer (Qwen2.5-0.5B's gate_proj shape; qspectra-make-synthetic --preset single-layer, generated once).
# Bits 1-8, all cores, in this order:
#   single layer, every method (the default list), --sample 100000 (codebooks of lloyd_max / vq / pq trained
#     on a subsample; the assignment still covers every weight)                      REPEAT runs (default 3)
#   single layer, every method, full data                                           RD_FULL_REPEAT runs (default 1)
#   MODEL_DIR --all-matrices, the scalar methods (all but vq_* / pq_*), full data   REPEAT runs
#   MODEL_DIR --all-matrices, the vector methods (vq_* / pq_*), --sample 100000     RD_FULL_REPEAT runs
#   MODEL_DIR --all-matrices, every method, full data                               RD_FULL_REPEAT runs
# (k-means VQ/PQ dominates: ~4-5 s per method per million weights at bits 1-8 on full data.) A run is capped at RD_TIMEOUT seconds (default
# 600): a capped run is reported as "> cap" and not repeated.
# RD_PER_METHOD=1 also times each method alone on the synthetic layer (one run each, full data) to show
# where the time goes.
# Report: $QSPECTRA_BENCH_DIR/out/rate-distortion/report.txt (also on stdout).
# shellcheck source=scripts/bench-lib.sh disable=SC2086
source "$(dirname "$0")/bench-lib.sh"

if [ $# -lt 1 ]; then
  echo "usage: bash scripts/bench-rate-distortion.sh MODEL_DIR   (e.g. /work/shared/models/mediapipe-blazepose-heavy)" >&2
  exit 2
fi
MODEL="$1"
SINGLE="$WORK/single-4864x896"
RD_TIMEOUT="${RD_TIMEOUT:-600}"
RD_PER_METHOD="${RD_PER_METHOD:-0}"
RD_FULL_REPEAT="${RD_FULL_REPEAT:-1}"
bench_build rate-distortion qspectra-make-synthetic qspectra-timeit qspectra-json-get
gen_model "$SINGLE" --preset single-layer --shape 4864x896

OUT="$WORK/out/rate-distortion"
rm -rf "$OUT"
mkdir -p "$OUT"
REPORT="$OUT/report.txt"
: >"$REPORT"

log "# rate-distortion timings"
log "machine: $(machine_note)"
log "runs: $RD_FULL_REPEAT on full data, $REPEAT with --sample 100000; cap ${RD_TIMEOUT}s per run"
log ""
log "| model | options | run | wall s | layers | points computed | peak RSS MiB |"
log "|---|---|---|---|---|---|---|"

# bench N LABEL MODEL ARGS...: N capped runs; prints rows and a min/median line.
bench() {
  local n="$1" label="$2" model="$3"; shift 3
  local walls="" r dir rc opts="$*"
  opts="${opts//"$SCALAR"/(scalar methods)}"
  opts="${opts//"$VECTOR"/(vector methods)}"
  for ((r = 1; r <= n; r++)); do
    dir="$OUT/$label-$(date +%s%N)"
    rc=0
    timed "$dir.time" timeout "$RD_TIMEOUT" "$APPS/rate-distortion" "$model" --bits 1-8 --out-dir "$dir" --quiet "$@" || rc=$?
    if [ "$rc" = 124 ]; then
      log "| $label | ${opts:-(all methods)} | $r | > $RD_TIMEOUT (capped, killed) | | | |"
      return 0
    elif [ "$rc" != 0 ]; then
      log "| $label | ${opts:-(all methods)} | $r | failed (exit $rc) | | | |"
      return 0
    fi
    local wall layers points
    wall=$(env_get "$dir.time" wall_s)
    layers=$(jget "$dir/rd_summary.json" layers#len)
    points=$(awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "skipped") c = i; next}
                      tolower($c) == "false" || $c == "0" {n++} END {print n + 0}' "$dir/rd_curves.csv")
    walls+="$wall "
    log "$(printf '| %s | %s | %d | %.2f | %s | %s | %.1f |' "$label" "${opts:-(all methods)}" "$r" "$wall" "$layers" "$points" \
      "$(calc "$(env_get "$dir.time" max_rss_kb) / 1024")")"
  done
  read -r mn md < <(stats $walls)
  [ "$n" -lt 2 ] || log "| $label | ${opts:-(all methods)} | min / median | $mn / $md | | | |"
}

MODEL_NAME="$(basename "$MODEL")"
ALL_METHODS=$("$APPS/rate-distortion" --help | awk '/^ *--methods/ {on = 1; next} on && /^  +[a-z_0-9]+ / {print $1} on && /^ *--/ {exit}')
SCALAR=$(printf '%s\n' $ALL_METHODS | grep -v -E '^(vq|pq)_' | paste -sd, -)
VECTOR=$(printf '%s\n' $ALL_METHODS | grep -E '^(vq|pq)_' | paste -sd, -)
bench "$REPEAT" single-4864x896 "$SINGLE" --sample 100000
bench "$RD_FULL_REPEAT" single-4864x896 "$SINGLE"
bench "$REPEAT" "$MODEL_NAME" "$MODEL" --all-matrices --methods "$SCALAR"
bench "$RD_FULL_REPEAT" "$MODEL_NAME" "$MODEL" --all-matrices --methods "$VECTOR" --sample 100000
bench "$RD_FULL_REPEAT" "$MODEL_NAME" "$MODEL" --all-matrices

if [ "$RD_PER_METHOD" = 1 ]; then
  log ""
  log "Per method, single-4864x896, bits 1-8, one run each (seconds):"
  for m in $ALL_METHODS; do
    dir="$OUT/method-$m"
    rc=0
    timed "$dir.time" timeout "$RD_TIMEOUT" "$APPS/rate-distortion" "$SINGLE" --bits 1-8 --methods "$m" --out-dir "$dir" --quiet || rc=$?
    log "  $m: $(env_get "$dir.time" wall_s)$([ "$rc" = 0 ] || echo " (exit $rc)")"
  done
fi
log ""
log "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "report: $REPORT"
