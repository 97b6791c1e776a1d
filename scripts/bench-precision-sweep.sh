#!/usr/bin/env bash
# precision-sweep reads the model once, whatever the number of variants (docs/benchmarks.md).
#
#   bash scripts/bench-precision-sweep.sh [MODEL_DIR]
#
# Without an argument it generates (once) a 4-layer Qwen2.5-0.5B-shaped model (qspectra-make-synthetic
# --preset qwen2.5-0.5b --layers 4: 28 analysed layers plus the 151936x896 embedding, which WW's rules skip).
# For 1, 4 and 8 variants, REPEAT times each: the model's files are evicted from the page cache
# (qspectra-drop-cache: posix_fadvise DONTNEED), precision-sweep runs, and sweep_comparison.json's
# meta.proc_io.read_bytes (/proc/self/io: bytes this process caused to be read from the disk) is compared
# with meta.tensor_bytes_read (the bytes of the tensors analysed) and with the size of the model's files.
# Check: read_bytes <= 1.05 x tensor_bytes_read for every run. Also reported: wait4's block input
# (inblock) as a second witness, wall seconds and peak RSS.
# Report: $QSPECTRA_BENCH_DIR/out/precision-sweep/report.txt (also on stdout). Exit status 1 if a check fails.
# shellcheck source=scripts/bench-lib.sh disable=SC2086
source "$(dirname "$0")/bench-lib.sh"

MODEL="${1:-$WORK/qwen2.5-0.5b-4l}"
bench_build precision-sweep qspectra-make-synthetic qspectra-timeit qspectra-json-get qspectra-drop-cache
[ $# -ge 1 ] || gen_model "$MODEL" --preset qwen2.5-0.5b --layers 4

OUT="$WORK/out/precision-sweep"
rm -rf "$OUT"
mkdir -p "$OUT"
REPORT="$OUT/report.txt"
: >"$REPORT"
failed=0

declare -A VARIANTS=(
  [1]="bf16"
  [4]="bf16,fp16,sym:8,sym:4:g128"
  [8]="fp32,fp16,bf16,sym:8,sym:6,sym:5,sym:4,sym:2"
)
size=$(file_bytes "$MODEL")
log "# precision-sweep: one read for any number of variants"
log "machine: $(machine_note)"
log "model: $MODEL, files $(calc "$size / 1e6") MB; REPEAT=$REPEAT"
log ""
log "| variants | run | wall s | peak RSS MiB | tensor_bytes_read MB | read_bytes MB | read / tensor bytes | read / file size | inblock MB | check |"
log "|---|---|---|---|---|---|---|---|---|---|"
summary=()
for n in 1 4 8; do
  walls=""
  for ((r = 1; r <= REPEAT; r++)); do
    dir="$OUT/v$n-r$r"
    if ! "$TOOLS/qspectra-drop-cache" "$MODEL" >"$dir.drop" 2>&1; then
      log "(warning: the page cache could not be fully dropped: $(tr '\n' ' ' <"$dir.drop"))"
    fi
    if ! timed "$dir.time" "$APPS/precision-sweep" "$MODEL" --variants "${VARIANTS[$n]}" --out-dir "$dir" --quiet; then
      log "precision-sweep failed ($n variants): $(cat "$dir.time")"
      exit 1
    fi
    read -r tensor_bytes io nvar < <(jget "$dir/sweep_comparison.json" meta.tensor_bytes_read meta.proc_io.read_bytes \
      meta.variants#len)
    wall=$(env_get "$dir.time" wall_s)
    walls+="$wall "
    ok=PASS
    if [ "$(calc "$io <= 1.05 * $tensor_bytes")" != 1 ]; then ok=FAIL; failed=1; fi
    [ "$nvar" = "$n" ] || { ok="FAIL (ran $nvar variants)"; failed=1; }
    log "$(printf '| %d | %d | %.2f | %.1f | %.1f | %.1f | %.3f | %.3f | %.1f | %s |' "$n" "$r" "$wall" \
      "$(calc "$(env_get "$dir.time" max_rss_kb) / 1024")" "$(calc "$tensor_bytes / 1e6")" "$(calc "$io / 1e6")" \
      "$(calc "$io / $tensor_bytes")" "$(calc "$io / $size")" "$(calc "$(env_get "$dir.time" inblock_bytes) / 1e6")" "$ok")"
  done
  read -r mn md < <(stats $walls)
  summary+=("$(printf '  %d variant(s) (%s): wall min %.2f s, median %.2f s' "$n" "${VARIANTS[$n]}" "$mn" "$md")")
done
log ""
printf '%s\n' "${summary[@]}" | tee -a "$REPORT"
log "check: read_bytes <= 1.05 x tensor_bytes_read in every run: $([ $failed = 0 ] && echo PASS || echo FAIL)"
log "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "report: $REPORT"
exit "$failed"
