#!/usr/bin/env bash
# End-to-end ww-analyze benchmark against the bare-LAPACK floor (docs/benchmarks.md).
#
#   bash scripts/bench-ww-analyze.sh [MODEL_DIR]
#
# Without an argument it generates (once) the synthetic Qwen2.5-0.5B-shaped bf16 model under
# $QSPECTRA_BENCH_DIR (/tmp/qspectra-bench) with qspectra-make-synthetic; BENCH_LAYERS=N (default 24,
# the full 168-layer model) generates only N decoder blocks (7 layers each) to fit a short session.
# (--no-embed: the 151936x896 embedding is never analysed, N > max_N.)
# Then:
#   1. one cold run (page cache dropped first) of the default options (exact: method auto, fp64);
#   2. REPEAT rounds, each run side by side: ww-analyze exact, ww-analyze --precision fp32, and
#      qspectra-lapack-floor fp64 and fp32 on the layers that run analysed (bare dsyrk + dsyevd JOBZ='N',
#      resp. ssyrk + ssyevd, all cores, loading excluded). Per ww-analyze run: wall seconds, layers/s,
#      peak RSS, ww_summary.json's time split summed over layers (read = map + widen; spectrum; fit);
#   3. medians and the ratios exact / floor, fp32 / exact, fp32 / floor32, and the checks of issue 15:
#      exact <= 1.1x floor, fp32 <= 0.6x exact, peak RSS <= 0.5 GB, read <= 5% of the summed work.
# The machine may be shared: the ratios are what to read (each round runs everything back to back),
# and the report records the load. Report: $QSPECTRA_BENCH_DIR/out/ww-analyze/report.txt (and stdout).
# Exit status 1 if a check fails.
# shellcheck source=scripts/bench-lib.sh disable=SC2086
source "$(dirname "$0")/bench-lib.sh"

BENCH_LAYERS="${BENCH_LAYERS:-24}"
if [ "$BENCH_LAYERS" = 24 ]; then QWEN_DEFAULT="$WORK/qwen2.5-0.5b"; else QWEN_DEFAULT="$WORK/qwen2.5-0.5b-${BENCH_LAYERS}l"; fi
MODEL="${1:-$QWEN_DEFAULT}"
RSS_LIMIT_BYTES=500000000   # 0.5 GB

bench_build ww-analyze qspectra-make-synthetic qspectra-timeit qspectra-json-get qspectra-drop-cache qspectra-lapack-floor
[ $# -ge 1 ] || gen_model "$MODEL" --preset qwen2.5-0.5b --layers "$BENCH_LAYERS" --no-embed

OUT="$WORK/out/ww-analyze"
rm -rf "$OUT"
mkdir -p "$OUT"
REPORT="$OUT/report.txt"
: >"$REPORT"
failed=0

log "# ww-analyze end-to-end benchmark (against the bare-LAPACK floor)"
log "machine: $(machine_note)"
log "binary: $APPS/ww-analyze; REPEAT=$REPEAT"
log "model: $MODEL ($(calc "$(file_bytes "$MODEL") / 1e6") MB)"

# run_one TAG MODE: one timed ww-analyze run (MODE exact | fp32); prints the row and appends
# "TAG MODE wall layers rss read quant spec fit io dir" to $OUT/runs.tsv.
run_one() {
  local tag="$1" mode="$2" dir env extra=()
  dir="$OUT/$tag-$mode-$(date +%s%N)"
  env="$dir.time"
  [ "$mode" = fp32 ] && extra=(--precision fp32)
  if ! timed "$env" "$APPS/ww-analyze" "$MODEL" "${extra[@]}" --out-dir "$dir" --quiet --format csv,json; then
    log "ww-analyze failed ($tag, $mode): $(cat "$env")"
    exit 1
  fi
  local wall rss layers read quant spec fit io threads cpu
  wall=$(env_get "$env" wall_s)
  cpu=$(calc "$(env_get "$env" user_s) + $(env_get "$env" sys_s)")
  rss=$(env_get "$env" max_rss_kb)
  read -r layers read quant spec fit io threads < <(jget "$dir/ww_summary.json" meta.layers_analysed \
    meta.time_ms_summed_over_layers.read meta.time_ms_summed_over_layers.quantize \
    meta.time_ms_summed_over_layers.spectrum meta.time_ms_summed_over_layers.fit meta.proc_io.read_bytes meta.threads)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tag" "$mode" "$wall" "$layers" "$rss" "$read" "$quant" "$spec" \
    "$fit" "$io" "$dir" "$cpu" >>"$OUT/runs.tsv"
  log "$(printf '| %-5s | %-5s | %7.2f | %6.2f | %4d | %7.2f | %7.1f | %3d | %8.0f | %8.0f | %7.0f |' "$tag" "$mode" \
    "$wall" "$cpu" "$layers" "$(calc "$layers / $wall")" "$(calc "$rss / 1024")" "$threads" "$read" "$spec" "$fit")"
}

# floor_one TAG PRECISION LAYERS_CSV: the bare-LAPACK floor on the layers of a run.
floor_one() {
  local tag="$1" p="$2" csv="$3" line s c
  line=$("$TOOLS/qspectra-lapack-floor" "$MODEL" "$csv" "$p" ${4:-})
  s=$(sed -n 's/.*floor_s=\([^ ]*\).*/\1/p' <<<"$line")
  c=$(sed -n 's/.*cpu_s=\([^ ]*\).*/\1/p' <<<"$line")
  printf '%s\tfloor-%s%s\t%s\t%s\n' "$tag" "$p" "${4:+-t$4}" "$s" "$c" >>"$OUT/floor.tsv"
  log "$(printf '| %-5s | floor-%s%s | %7.2f | %6.2f | (%s) |' "$tag" "$p" "${4:+-t$4}" "$s" "$c" "$line")"
}

median_of() {  # median_of FILE COLUMN MODE
  # shellcheck disable=SC2046  # one value per line, split on purpose
  stats $(awk -F'\t' -v m="$2" -v c="$3" '$2 == m {print $c}' "$1") | cut -d' ' -f2
}

: >"$OUT/runs.tsv"
: >"$OUT/floor.tsv"
log ""
log "| round | run   | wall s  | CPU s | layers | layers/s | peak RSS MiB | workers | read ms | spectrum ms | fit ms |"
log "|---|---|---|---|---|---|---|---|---|---|---|"
"$TOOLS/qspectra-drop-cache" "$MODEL" >/dev/null || log "(warning: the page cache could not be fully dropped)"
run_one cold exact
for ((r = 1; r <= REPEAT; r++)); do
  run_one "$r" exact
  csv="$(awk -F'\t' -v t="$r" '$1 == t && $2 == "exact" {print $11}' "$OUT/runs.tsv")/ww_layers.csv"
  run_one "$r" fp32
  floor_one "$r" fp64 "$csv"
  floor_one "$r" fp32 "$csv"
  floor_one "$r" fp64 "$csv" 1   # single-thread CPU cost: the comparison a loaded machine does not distort
done

# Summary over the warm rounds (the cold run is left out).
awk -F'\t' '$1 != "cold"' "$OUT/runs.tsv" >"$OUT/warm.tsv"
exact=$(median_of "$OUT/warm.tsv" exact 3)
fp32=$(median_of "$OUT/warm.tsv" fp32 3)
floor64=$(median_of "$OUT/floor.tsv" floor-fp64 3)
floor32=$(median_of "$OUT/floor.tsv" floor-fp32 3)
exact_cpu=$(median_of "$OUT/warm.tsv" exact 12)
fp32_cpu=$(median_of "$OUT/warm.tsv" fp32 12)
floor64_cpu=$(median_of "$OUT/floor.tsv" floor-fp64 4)
floor32_cpu=$(median_of "$OUT/floor.tsv" floor-fp32 4)
floor64_t1_cpu=$(median_of "$OUT/floor.tsv" floor-fp64-t1 4)
rss=$(awk -F'\t' '$5 > x {x = $5} END {print x}' "$OUT/runs.tsv")
log ""
log "summary (medians of $REPEAT warm rounds; load at the end: $(cut -d' ' -f1-3 /proc/loadavg)):"
for mode in exact fp32; do
  s_read=$(median_of "$OUT/warm.tsv" "$mode" 6)
  s_spec=$(median_of "$OUT/warm.tsv" "$mode" 8)
  s_fit=$(median_of "$OUT/warm.tsv" "$mode" 9)
  tot=$(calc "$s_read + $s_spec + $s_fit")
  log "$(printf '  %-5s: wall %.2f s; split read %.0f ms (%.1f%%), spectrum %.0f ms (%.1f%%), fit %.0f ms (%.1f%%)' \
    "$mode" "$(median_of "$OUT/warm.tsv" "$mode" 3)" "$s_read" "$(calc "100 * $s_read / $tot")" "$s_spec" \
    "$(calc "100 * $s_spec / $tot")" "$s_fit" "$(calc "100 * $s_fit / $tot")")"
  if [ "$mode" = exact ]; then read_share=$(calc "100 * $s_read / $tot"); fi
done
log "$(printf '  floor fp64 %.2f s, floor fp32 %.2f s (LAPACK time only, all cores)' "$floor64" "$floor32")"
log "$(printf '  CPU seconds (whole ww-analyze process vs the floor solves; OpenBLAS spin-waits count in the floor): exact %.2f / floor %.2f = %.2fx, fp32 / exact %.2fx, fp32 / floor32 %.2fx' \
  "$exact_cpu" "$floor64_cpu" "$(calc "$exact_cpu / $floor64_cpu")" "$(calc "$fp32_cpu / $exact_cpu")" "$(calc "$fp32_cpu / $floor32_cpu")")"
log "$(printf '  single-thread floor fp64: %.2f CPU s; exact CPU / that = %.2fx (the work ww-analyze adds to bare LAPACK, whatever the load)' \
  "$floor64_t1_cpu" "$(calc "$exact_cpu / $floor64_t1_cpu")")"
log "$(printf '  | exact / floor | fp32 / exact | fp32 / floor32 | floor32 / floor64 | peak RSS GB | read %% (exact) |')"
log "$(printf '  | %.2fx | %.2fx | %.2fx | %.2fx | %.3f | %.1f |' "$(calc "$exact / $floor64")" "$(calc "$fp32 / $exact")" \
  "$(calc "$fp32 / $floor32")" "$(calc "$floor32 / $floor64")" "$(calc "$rss * 1024 / 1e9")" "$read_share")"

check() {  # check NAME CONDITION_EXPR
  if [ "$(calc "$2")" = 1 ]; then log "  check $1: PASS"; else log "  check $1: FAIL"; failed=1; fi
}
check "exact <= 1.1x floor" "$exact <= 1.1 * $floor64"
check "fp32 <= 0.6x exact" "$fp32 <= 0.6 * $exact"
check "peak RSS <= 0.5 GB" "$rss * 1024 <= $RSS_LIMIT_BYTES"
check "read <= 5% of the work (exact)" "$read_share <= 5"
log "report: $REPORT"
exit "$failed"
