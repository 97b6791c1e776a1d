#!/usr/bin/env bash
# End-to-end ww-analyze benchmark (docs/benchmarks.md).
#
#   bash scripts/bench-ww-analyze.sh [QWEN_MODEL_DIR [LLAMA_LAYER_DIR]]
#
# Without arguments it generates (once) the synthetic Qwen2.5-0.5B-shaped model and the one-layer
# Llama-7B model under $QSPECTRA_BENCH_DIR (/tmp/qspectra-bench) with qspectra-make-synthetic. Then:
#   1. one cold run (page cache dropped first) of the default options (method auto, all cores);
#   2. REPEAT warm runs each of the default (auto) and of --method svd (the reference path), interleaved;
#      per run: wall seconds, layers/s, peak RSS, ww_summary.json's time split summed over layers
#      (read = read + widen + round to f32, spectrum, fit) and meta.proc_io.read_bytes;
#   3. min / median per method, the svd/auto ratio, and the check peak RSS < 1.5 GB;
#   4. the same (REPEAT runs each of auto and svd) on the Llama-7B layer (LLAMA_REPEAT to change).
# Report: $QSPECTRA_BENCH_DIR/out/ww-analyze/report.txt (also on stdout). Exit status 1 if a check fails.
# shellcheck source=scripts/bench-lib.sh disable=SC2086
source "$(dirname "$0")/bench-lib.sh"

QWEN="${1:-$WORK/qwen2.5-0.5b}"
LLAMA="${2:-$WORK/llama-7b-layer}"
LLAMA_REPEAT="${LLAMA_REPEAT:-$REPEAT}"
RSS_LIMIT_BYTES=1500000000   # 1.5 GB

bench_build ww-analyze qspectra-make-synthetic qspectra-timeit qspectra-json-get qspectra-drop-cache
[ $# -ge 1 ] || gen_model "$QWEN" --preset qwen2.5-0.5b
[ $# -ge 2 ] || gen_model "$LLAMA" --preset llama-7b-layer

OUT="$WORK/out/ww-analyze"
rm -rf "$OUT"
mkdir -p "$OUT"
REPORT="$OUT/report.txt"
: >"$REPORT"
failed=0

log "# ww-analyze end-to-end benchmark"
log "machine: $(machine_note)"
log "binary: $APPS/ww-analyze; REPEAT=$REPEAT"

# run_one MODEL TAG METHOD: one timed run; prints the row and appends "TAG METHOD wall layers rss read quant spec fit io"
# to $OUT/runs.tsv.
run_one() {
  local model="$1" tag="$2" method="$3" dir env
  dir="$OUT/$tag-$method-$(date +%s%N)"
  env="$dir.time"
  if ! timed "$env" "$APPS/ww-analyze" "$model" --method "$method" --out-dir "$dir" --quiet --format csv,json; then
    log "ww-analyze failed ($tag, --method $method): $(cat "$env")"
    exit 1
  fi
  local wall rss layers read quant spec fit io threads
  wall=$(env_get "$env" wall_s)
  rss=$(env_get "$env" max_rss_kb)
  read -r layers read quant spec fit io threads < <(jget "$dir/ww_summary.json" meta.layers_analysed \
    meta.time_ms_summed_over_layers.read meta.time_ms_summed_over_layers.quantize \
    meta.time_ms_summed_over_layers.spectrum meta.time_ms_summed_over_layers.fit meta.proc_io.read_bytes meta.threads)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tag" "$method" "$wall" "$layers" "$rss" "$read" "$quant" "$spec" \
    "$fit" "$io" >>"$OUT/runs.tsv"
  log "$(printf '| %-6s | %-5s | %7.2f | %4d | %7.2f | %7.1f | %6d | %8.0f | %8.0f | %8.0f | %8.1f |' "$tag" "$method" \
    "$wall" "$layers" "$(calc "$layers / $wall")" "$(calc "$rss / 1024")" "$threads" "$read" "$spec" "$fit" \
    "$(calc "$io / 1e6")")"
}

header() {
  log "| run    | method| wall s  | layers | layers/s | peak RSS MiB | workers | read ms | spectrum ms | fit ms | read_bytes MB |"
  log "|---|---|---|---|---|---|---|---|---|---|---|"
}

# summarize TAG: min/median per method, ratio, RSS.
summarize() {
  local tag="$1" m walls rss layers med_auto="" med_svd="" min_auto="" min_svd=""
  log ""
  log "$tag summary (warm runs; times are seconds, split = median ms summed over layers):"
  for m in auto svd; do
    walls=$(awk -F'\t' -v t="$tag" -v m="$m" '$1 == t && $2 == m {print $3}' "$OUT/runs.tsv")
    [ -n "$walls" ] || continue
    read -r mn md < <(stats $walls)
    rss=$(awk -F'\t' -v t="$tag" -v m="$m" '$1 == t && $2 == m && $5 > x {x = $5} END {print x}' "$OUT/runs.tsv")
    layers=$(awk -F'\t' -v t="$tag" -v m="$m" '$1 == t && $2 == m {print $4; exit}' "$OUT/runs.tsv")
    local split=""
    for col in 6 8 9; do
      # shellcheck disable=SC2046  # one value per line, split on purpose
      split+="$(stats $(awk -F'\t' -v t="$tag" -v m="$m" -v c=$col '$1 == t && $2 == m {print $c}' "$OUT/runs.tsv") | cut -d' ' -f2) "
    done
    read -r s_read s_spec s_fit <<<"$split"
    local tot
    tot=$(calc "$s_read + $s_spec + $s_fit")
    log "$(printf '  %s: wall min %.2f s, median %.2f s; %.3g layers/s (median); peak RSS %.0f MiB; split read %.0f ms (%.1f%%), spectrum %.0f ms (%.1f%%), fit %.0f ms (%.1f%%)' \
      "$m" "$mn" "$md" "$(calc "$layers / $md")" "$(calc "$rss / 1024")" "$s_read" "$(calc "100 * $s_read / $tot")" \
      "$s_spec" "$(calc "100 * $s_spec / $tot")" "$s_fit" "$(calc "100 * $s_fit / $tot")")"
    if [ "$m" = auto ]; then med_auto=$md; min_auto=$mn; else med_svd=$md; min_svd=$mn; fi
    if [ "$tag" = qwen ]; then
      if [ "$(calc "$rss * 1024 < $RSS_LIMIT_BYTES")" = 1 ]; then
        log "  check peak RSS < 1.5 GB ($m): PASS ($(calc "$rss * 1024 / 1e9") GB)"
      else
        log "  check peak RSS < 1.5 GB ($m): FAIL ($(calc "$rss * 1024 / 1e9") GB)"
        failed=1
      fi
    fi
  done
  if [ -n "$med_auto" ] && [ -n "$med_svd" ]; then
    log "$(printf '  svd / auto: %.2fx (medians), %.2fx (mins)' "$(calc "$med_svd / $med_auto")" "$(calc "$min_svd / $min_auto")")"
  fi
}

: >"$OUT/runs.tsv"
log ""
log "## Qwen2.5-0.5B-shaped model: $QWEN ($(calc "$(file_bytes "$QWEN") / 1e6") MB)"
header
"$TOOLS/qspectra-drop-cache" "$QWEN" >/dev/null || log "(warning: the page cache could not be fully dropped)"
run_one "$QWEN" cold auto
for ((r = 1; r <= REPEAT; r++)); do
  run_one "$QWEN" qwen auto
  run_one "$QWEN" qwen svd
done
summarize qwen

log ""
log "## One Llama-7B layer: $LLAMA ($(calc "$(file_bytes "$LLAMA") / 1e6") MB)"
header
for ((r = 1; r <= LLAMA_REPEAT; r++)); do
  run_one "$LLAMA" llama auto
  run_one "$LLAMA" llama svd
done
summarize llama
log ""
log "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "report: $REPORT"
exit "$failed"
