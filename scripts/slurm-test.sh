#!/usr/bin/env bash
# A real Slurm run of a sharded analysis (docs/scale-out.md): installs Debian's slurm-wlm and munge
# (as root), starts a one-node cluster on localhost from a generated slurm.conf in a temp dir
# (munged, slurmctld, slurmd), submits ww-analyze as a 3-task job array (--shard $SLURM_ARRAY_TASK_ID/3)
# of the bundled model and a qspectra-merge job that depends on it (afterok), waits, and checks the
# merged out-dir equals one unsharded run (timing columns and meta aside). Every daemon it started is
# stopped on exit (trap). Apps: ${QSPECTRA_BUILD_DIR:-build}/apps, built when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${QSPECTRA_BUILD_DIR:-build}
BIN=$ROOT/$BUILD/apps
[[ $BUILD = /* ]] && BIN=$BUILD/apps
MODEL=$ROOT/data/llama2c-stories260K-plctlab
SHARDS=3
T0=$(date +%s.%N)

log() { echo "slurm-test: $*"; }
die() { echo "slurm-test: FAILED: $*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

if [[ ! -x $BIN/ww-analyze || ! -x $BIN/qspectra-merge ]]; then
  log "building ww-analyze and qspectra-merge in $BUILD"
  [[ -f $BUILD/build.ninja || -f $BUILD/Makefile ]] || cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD" -j"$(nproc)" --target ww-analyze qspectra-merge
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  [[ $(id -u) -eq 0 ]] || die "slurm-wlm and munge are not installed and this is not root (apt-get needs root)"
  log "installing slurm-wlm and munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi
[[ $(id -u) -eq 0 ]] || die "the one-node cluster runs its daemons as root: run as root"

T=$(mktemp -d /tmp/qspectra-slurm.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    for f in "$T"/*.log; do [[ -f $f ]] && { echo "--- $f"; tail -n 30 "$f"; }; done
  fi
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT INT TERM

# munge: its own key, socket and state in the temp dir (--force: it runs as root here).
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/out"
chmod 700 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged --foreground --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" \
  --pid-file="$T/munge/munged.pid" --log-file="$T/munged.log" --seed-file="$T/munge/seed" >>"$T/munged.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -S $T/munge/munge.sock ]] && break; sleep 0.1; done
[[ -S $T/munge/munge.sock ]] || die "munged did not start"

# Free ports (a system slurm may hold 6817/6818).
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
         echo $((20000 + RANDOM % 20000)); }
CTLD_PORT=$(port)
SLURMD_PORT=$(port)
HOST=$(hostname -s)
CPUS=$(nproc)
export SLURM_CONF=$T/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=qspectra-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -D -i -f "$SLURM_CONF" >>"$T/slurmctld.log" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >>"$T/slurmd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 150); do
  sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
  sleep 0.2
done
sinfo -h -o '%T' | grep -qE '^(idle|mixed|allocated)' || die "the node did not come up: $(sinfo 2>&1)"
log "cluster up: $(sinfo -h -o '%N %T %c CPUs')"

# The array (one shard per task) and the dependent merge, as docs/scale-out.md shows them.
cat > "$T/shard.sbatch" <<JOB
#!/usr/bin/env bash
#SBATCH --job-name=qs-shard
#SBATCH --array=0-$((SHARDS - 1))
#SBATCH --cpus-per-task=1
#SBATCH --output=$T/out/shard-%a.log
set -euo pipefail
"$BIN/ww-analyze" "$MODEL" --shard "\$SLURM_ARRAY_TASK_ID/$SHARDS" --threads 1 --quiet \\
  --out-dir "$T/shards/\$SLURM_ARRAY_TASK_ID"
JOB
T_SUBMIT=$(date +%s.%N)
ARRAY=$(sbatch --parsable "$T/shard.sbatch")
MERGE=$(sbatch --parsable --job-name=qs-merge --dependency=afterok:"$ARRAY" --output="$T/out/merge.log" \
  --wrap "\"$BIN/qspectra-merge\" --out-dir \"$T/merged\" $(for i in $(seq 0 $((SHARDS - 1))); do printf '"%s" ' "$T/shards/$i"; done)")
log "submitted array job $ARRAY (shards 0-$((SHARDS - 1))) and merge job $MERGE (afterok:$ARRAY)"

for _ in $(seq 600); do
  [[ -z $(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null) ]] && break
  sleep 0.5
done
[[ -z $(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null) ]] && WAIT_S=$(since "$T_SUBMIT") || die "jobs still queued after 300 s: $(squeue)"
state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' '; }
for i in $(seq 0 $((SHARDS - 1))); do
  [[ $(state "${ARRAY}_$i") == "JobState=COMPLETED " ]] || die "shard task $i: $(state "${ARRAY}_$i") $(cat "$T/out/shard-$i.log" 2>/dev/null)"
done
[[ $(state "$MERGE") == "JobState=COMPLETED " ]] || die "merge job: $(state "$MERGE") $(cat "$T/out/merge.log" 2>/dev/null)"
log "array and merge jobs COMPLETED in $WAIT_S s (submit to last job done)"

# One unsharded run, then the comparison: ww_layers.csv without its timing column, ww_summary.json
# without its meta block (the last key), byte for byte.
"$BIN/ww-analyze" "$MODEL" --threads 1 --quiet --out-dir "$T/single"
no_timing() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "elapsed_ms") c = i }
                        { out = ""; for (i = 1; i <= NF; i++) if (i != c) out = out (out == "" ? "" : ",") $i; print out }' "$1"; }
no_meta() { sed '/^  "meta": {/,$d' "$1"; }
cmp <(no_timing "$T/single/ww_layers.csv") <(no_timing "$T/merged/ww_layers.csv") || die "ww_layers.csv differs from one run"
cmp <(no_meta "$T/single/ww_summary.json") <(no_meta "$T/merged/ww_summary.json") || die "ww_summary.json differs from one run"
rows=$(($(wc -l < "$T/merged/ww_layers.csv") - 1))
log "OK: merged ww_layers.csv ($rows layers) and ww_summary.json equal one run; total $(since "$T0") s"
