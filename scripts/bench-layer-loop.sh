#!/usr/bin/env bash
# The shared layer loop (src/pipeline/layer_loop.cpp): its schedule and precision-sweep's cost per variant
# (docs/benchmarks.md, "Layer loop").
#
#   bash scripts/bench-layer-loop.sh [MODEL_DIR]
#
# Without an argument it generates (once) qwen2.5-0.5b --layers 4 (28 layers of 896 / 4864 x 896 plus the
# 151936x896 embedding, which WW's rules skip (N > max_N) and part 1 also analyses with --all-matrices --max-N 200000).
# 1. Schedule: ww-analyze, all cores, warm page cache, with QSPECTRA_SCHEDULE=layers (the loop before:
#    min(cores, layers) workers in natural order, cores / workers BLAS threads each), workers (what auto
#    picks for the spectrum: the same workers, 1 BLAS thread each, largest first), phased (layers above a
#    worker's fair share first, one at a time with every core to BLAS, then the rest on workers) and blas
#    (one layer at a time, every core to BLAS); interleaved in every repeat, on the model's default
#    selection and with the 151936x896 embedding (--all-matrices --max-N 200000). auto's per-layer values must equal --threads 1's to the last digit
#    (ww_layers.csv without elapsed_ms); the others are reported (more than one BLAS thread changes dsyevd's
#    last bits).
# 2. precision-sweep, one thread: 1 variant at a time for each of bf16, fp16, sym:8, sym:4:g128, then the
#    four at once. The read time R is ww-analyze's (same reader, --threads 1, meta time split); a variant's
#    compute C_v = (sum of sweep_long.csv elapsed_ms of its 1-variant run) - R. Check:
#    sum of elapsed_ms of the 4-variant run <= 1.05 x sum_v C_v + R (k variants cost at most 1.05 x k
#    variants' compute plus one read), and its wall against the same bound plus the 1-variant runs' fixed part.
#    The check is made on CPU seconds (user + sys of the process, one thread), which a loaded machine
#    disturbs far less than wall seconds: cpu(4) <= 1.05 x sum_v (cpu(1, v) - F_v) + mean F_v, F_v being a
#    1-variant run's fixed part (wall - C_v: read, start, plan, writing) in CPU seconds (x cpu / wall, the
#    share of a core the run got); the wall ratios are reported too.
# LOOP_PARTS="1 2" (default) runs both parts; "2" only the precision-sweep part.
# Report: $QSPECTRA_BENCH_DIR/out/layer-loop/report.txt (also on stdout). Exit status 1 if a check fails.
# shellcheck source=scripts/bench-lib.sh disable=SC2086
source "$(dirname "$0")/bench-lib.sh"

MODEL="${1:-$WORK/qwen2.5-0.5b-4l}"
bench_build ww-analyze precision-sweep qspectra-make-synthetic qspectra-timeit qspectra-json-get
[ $# -ge 1 ] || gen_model "$MODEL" --preset qwen2.5-0.5b --layers 4 --quiet

OUT="$WORK/out/layer-loop"
rm -rf "$OUT"
mkdir -p "$OUT"
REPORT="$OUT/report.txt"
: >"$REPORT"
failed=0

# csv_sum FILE COLUMN: sum of a column of a CSV file (by header name).
csv_sum() {
  awk -F, -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next } { s += $c } END { printf "%.3f", s }' "$1"
}
# csv_without FILE COLUMN: the CSV without that column (to compare per-layer values).
csv_without() {
  awk -F, -v col="$2" 'BEGIN { OFS = "," } NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
    { $c = ""; print }' "$1"
}

log "# layer loop: schedule and precision-sweep cost"
log "machine: $(machine_note)"
log "model: $MODEL; REPEAT=$REPEAT"
log ""
PARTS="${LOOP_PARTS:-1 2}"
if [[ " $PARTS " == *" 1 "* ]]; then
log "## 1. schedule (ww-analyze, all cores, warm cache)"
"$APPS/ww-analyze" "$MODEL" --out-dir "$OUT/warm" --quiet --all-matrices --max-N 200000 >/dev/null  # warm the page cache
for sel in default embedding; do
  extra=""
  [ "$sel" = embedding ] && extra="--all-matrices --max-N 200000"
  declare -A walls=()
  for ((r = 1; r <= REPEAT; r++)); do
    for mode in layers workers phased blas; do
      dir="$OUT/sched-$sel-$mode-r$r"
      QSPECTRA_SCHEDULE=$mode timed "$dir.time" "$APPS/ww-analyze" "$MODEL" $extra --out-dir "$dir" --quiet \
        || { log "ww-analyze failed ($mode): $(cat "$dir.time")"; exit 1; }
      walls[$mode]+="$(env_get "$dir.time" wall_s) "
    done
  done
  QSPECTRA_SCHEDULE=auto "$APPS/ww-analyze" "$MODEL" $extra --threads 1 --out-dir "$OUT/sched-$sel-one" --quiet
  QSPECTRA_SCHEDULE=auto "$APPS/ww-analyze" "$MODEL" $extra --out-dir "$OUT/sched-$sel-auto" --quiet
  line="  $sel:"
  if ! cmp -s <(csv_without "$OUT/sched-$sel-one/ww_layers.csv" elapsed_ms) \
              <(csv_without "$OUT/sched-$sel-auto/ww_layers.csv" elapsed_ms); then
    line+=" auto VALUES DIFFER from --threads 1;"; failed=1
  fi
  for mode in layers workers phased blas; do
    read -r mn md < <(stats ${walls[$mode]})
    line+="$(printf ' %s min %.2f / median %.2f s (workers %s);' "$mode" "$mn" "$md" \
      "$(jget "$OUT/sched-$sel-$mode-r1/ww_summary.json" meta.threads)")"
    cmp -s <(csv_without "$OUT/sched-$sel-one/ww_layers.csv" elapsed_ms) \
           <(csv_without "$OUT/sched-$sel-$mode-r1/ww_layers.csv" elapsed_ms) || line+=" (last bits differ from --threads 1)"
  done
  log "$line"
  unset walls
done
log "(walls: $REPEAT runs each, the schedules interleaved; auto = workers here, its values equal --threads 1's: $([ $failed = 0 ] && echo yes || echo NO))"

fi
log ""
log "## 2. precision-sweep: k variants against 1 (one thread, warm cache)"
"$APPS/ww-analyze" "$MODEL" --threads 1 --out-dir "$OUT/read" --quiet >/dev/null
read_ms=$(jget "$OUT/read/ww_summary.json" meta.time_ms_summed_over_layers.read)
log "read (ww-analyze --threads 1, summed over layers): $(calc "$read_ms / 1000") s"
sum_c=0
sum_fixed=0
sum_cpu=0
sum_fixed_cpu=0
for v in bf16 fp16 sym:8 sym:4:g128; do
  dir="$OUT/sweep1-${v//:/_}"
  timed "$dir.time" "$APPS/precision-sweep" "$MODEL" --variants "$v" --threads 1 --out-dir "$dir" --quiet \
    || { log "precision-sweep failed ($v)"; exit 1; }
  e=$(csv_sum "$dir/sweep_long.csv" elapsed_ms)
  wall=$(env_get "$dir.time" wall_s)
  c=$(calc "($e - $read_ms) / 1000")
  fixed=$(calc "$wall - $c")
  sum_c=$(calc "$sum_c + $c")
  sum_fixed=$(calc "$sum_fixed + $fixed")
  cpu=$(calc "$(env_get "$dir.time" user_s) + $(env_get "$dir.time" sys_s)")
  fixed_cpu=$(calc "$fixed * $cpu / $wall")  # the fixed part in CPU seconds: the share of a core the run got
  sum_cpu=$(calc "$sum_cpu + $cpu - $fixed_cpu")
  sum_fixed_cpu=$(calc "$sum_fixed_cpu + $fixed_cpu")
  log "$(printf '  1 variant  %-11s wall %6.2f s, cpu %6.2f s, compute C_v %6.2f s, fixed F_v (read + start + write) %5.2f s' "$v" "$wall" "$cpu" "$c" "$fixed")"
done
dir="$OUT/sweep4"
timed "$dir.time" "$APPS/precision-sweep" "$MODEL" --variants bf16,fp16,sym:8,sym:4:g128 --threads 1 --out-dir "$dir" --quiet \
  || { log "precision-sweep failed (4 variants)"; exit 1; }
e4=$(calc "$(csv_sum "$dir/sweep_long.csv" elapsed_ms) / 1000")
w4=$(env_get "$dir.time" wall_s)
bound=$(calc "1.05 * $sum_c + $read_ms / 1000")
wall_bound=$(calc "1.05 * $sum_c + $sum_fixed / 4")
cpu4=$(calc "$(env_get "$dir.time" user_s) + $(env_get "$dir.time" sys_s)")
cpu_bound=$(calc "1.05 * $sum_cpu + $sum_fixed_cpu / 4")
ok=PASS
[ "$(calc "$cpu4 <= $cpu_bound")" = 1 ] || { ok=FAIL; failed=1; }
log "$(printf '  4 variants: cpu %.2f s; bound 1.05 x sum_v (cpu_v - F_v) + mean F_v = %.2f s (ratio %.3f): %s' \
  "$cpu4" "$cpu_bound" "$(calc "($cpu4 - $sum_fixed_cpu / 4) / $sum_cpu")" "$ok")"
log "$(printf '  4 variants: wall %.2f s; layer time %.2f s; 1.05 x sum C_v + R = %.2f s (ratio %.3f, wall: noisy)' \
  "$w4" "$e4" "$bound" "$(calc "($e4 - $read_ms / 1000) / $sum_c")")"
log "$(printf '  wall against 1.05 x sum C_v + one fixed part = %.2f s: ratio %.3f' "$wall_bound" "$(calc "$w4 / $wall_bound")")"
log ""
log "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "report: $REPORT"
exit "$failed"
