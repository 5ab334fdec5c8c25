#!/usr/bin/env bash
# Real-Slurm test of `mobench slurm` and `mobench merge` (issue 7).
#
# On a Debian machine, as root: installs slurm-wlm and munge with apt-get if missing, starts a single-node Slurm
# cluster on this host (configuration, state, logs and pid files in a temporary folder, non-default ports, so an
# existing /etc/slurm is neither read nor changed), runs a tiny suite once unsharded, then submits it with
# `mobench slurm --shards 3 --submit`, waits for the merge job and checks that the merged summary.json equals the
# unsharded one apart from wall-clock fields (and the figures byte for byte). Then it deletes one finished run of
# shard 1, resubmits only that array task (`submit.sh 1`) and checks that the task re-ran that run alone and that
# the new merge gives the same summary again. The daemons it started are stopped (by pid) on exit.
#
# Where Slurm cannot be started (not Linux, not root, no apt-get, daemons fail) it prints "SKIPPED: <reason>" and
# exits 0; with MOBENCH_REQUIRE_SLURM=1 such a skip exits 1 instead. The work folder is kept after a failure (its path
# is printed) or with MOBENCH_SLURM_KEEP=1.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
T0=$(date +%s)
export DEBIAN_FRONTEND=noninteractive

say() { echo "slurm-test: $*"; }
skip() {
    echo "SKIPPED: $*"
    if [ "${MOBENCH_REQUIRE_SLURM:-0}" = 1 ]; then echo "slurm-test: MOBENCH_REQUIRE_SLURM=1, so a skip fails" >&2; exit 1; fi
    exit 0
}

[ "$(uname -s)" = Linux ] || skip "Slurm test needs Linux (found $(uname -s))"
[ "$(id -u)" = 0 ] || skip "Slurm test needs root to install and start slurmctld/slurmd/munged (running as uid $(id -u))"

# ---- packages -------------------------------------------------------------------------------------------------
need_install=()
for tool in slurmctld slurmd sbatch squeue scontrol sinfo; do command -v "$tool" >/dev/null 2>&1 || need_install+=(slurm-wlm); done
for tool in munged munge unmunge; do command -v "$tool" >/dev/null 2>&1 || need_install+=(munge); done
command -v python3 >/dev/null 2>&1 || need_install+=(python3)
if [ ${#need_install[@]} -gt 0 ]; then
    packages=$(printf '%s\n' "${need_install[@]}" | sort -u | tr '\n' ' ')
    command -v apt-get >/dev/null 2>&1 || skip "needs $packages and there is no apt-get to install them"
    say "installing $packages with apt-get"
    if ! apt-get install -y -qq $packages >/tmp/mobench-slurm-apt.log 2>&1; then
        apt-get update -qq >>/tmp/mobench-slurm-apt.log 2>&1
        apt-get install -y -qq $packages >>/tmp/mobench-slurm-apt.log 2>&1 \
            || skip "apt-get install $packages failed (log: /tmp/mobench-slurm-apt.log)"
    fi
fi
T_INSTALLED=$(date +%s)

# ---- mobench --------------------------------------------------------------------------------------------------
say "building mobench"
swift build --product mobench >/tmp/mobench-slurm-build.log 2>&1 || { tail -20 /tmp/mobench-slurm-build.log; echo "FAILED: swift build" >&2; exit 1; }
MOBENCH="$(swift build --show-bin-path)/mobench"
[ -x "$MOBENCH" ] || { echo "FAILED: no mobench binary at $MOBENCH" >&2; exit 1; }

# ---- cluster --------------------------------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/mobench-slurm.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/etc" "$WORK/state" "$WORK/spool" "$WORK/log" "$WORK/run"
export SLURM_CONF="$WORK/etc/slurm.conf"
MUNGED_PID="" CTLD_PID="" SLURMD_PID="" JOBS=() FAILED=0

stop_pid() {   # stop_pid NAME PID: SIGTERM, wait up to 10 s, then SIGKILL
    local name=$1 pid=$2
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    echo "slurm-test: $name (pid $pid) did not stop on SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null
}
cleanup() {
    if [ ${#JOBS[@]} -gt 0 ] && [ -n "$CTLD_PID" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
        scancel "${JOBS[@]}" >/dev/null 2>&1
        for _ in $(seq 25); do [ -z "$(squeue -h -j "$(IFS=,; echo "${JOBS[*]}")" 2>/dev/null)" ] && break; sleep 0.2; done
    fi
    stop_pid slurmd "$SLURMD_PID"
    stop_pid slurmctld "$CTLD_PID"
    stop_pid munged "$MUNGED_PID"
    if [ "$FAILED" = 1 ] || [ "${MOBENCH_SLURM_KEEP:-0}" = 1 ]; then echo "slurm-test: work folder kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_logs() {
    for f in "$WORK"/log/*.log "$WORK"/log/*.stdout "$WORK"/sharded/slurm/logs/*.out; do
        [ -s "$f" ] || continue
        echo "---- $f (last 15 lines)" >&2; tail -15 "$f" >&2
    done
}
fail() { FAILED=1; echo "FAILED: $*" >&2; show_logs; exit 1; }
skip_with_logs() { show_logs; skip "$*"; }

# munge: reuse a running munged, else start one as the munge user (munged refuses root-owned folders).
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "using the munged already running"
else
    mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
    if [ ! -s /etc/munge/munge.key ]; then
        mungekey --create --keyfile=/etc/munge/munge.key >/dev/null 2>&1 \
            || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown -R munge:munge /var/log/munge /var/lib/munge /etc/munge /run/munge
    chmod 700 /etc/munge /var/log/munge; chmod 400 /etc/munge/munge.key; chmod 755 /run/munge
    setpriv --reuid=munge --regid=munge --init-groups munged --foreground >"$WORK/log/munged.stdout" 2>&1 &
    MUNGED_PID=$!
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || skip_with_logs "munged did not start (munge -n | unmunge fails)"
fi

HN=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
cat >"$SLURM_CONF" <<CONF
ClusterName=mobench-test
SlurmctldHost=$HN
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmUser=root
SlurmctldPidFile=$WORK/run/slurmctld.pid
SlurmdPidFile=$WORK/run/slurmd.pid
SlurmdSpoolDir=$WORK/spool
StateSaveLocation=$WORK/state
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
NodeName=$HN CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HN Default=YES MaxTime=INFINITE State=UP
CONF
# Slurm 22.05 has no "disabled" cgroup plugin; autodetect works with the cgroup v1 mounts seen on Debian 12 hosts.
printf 'CgroupPlugin=autodetect\nIgnoreSystemd=yes\n' >"$WORK/etc/cgroup.conf"

slurmctld -D -f "$SLURM_CONF" >"$WORK/log/slurmctld.stdout" 2>&1 &
CTLD_PID=$!
slurmd -D -f "$SLURM_CONF" >"$WORK/log/slurmd.stdout" 2>&1 &
SLURMD_PID=$!
say "started slurmctld (pid $CTLD_PID) and slurmd (pid $SLURMD_PID) for node $HN ($CPUS CPUs); waiting for the node"
state=""
for _ in $(seq 120); do   # at most 60 s
    kill -0 "$CTLD_PID" 2>/dev/null || skip_with_logs "slurmctld exited at start (log above)"
    kill -0 "$SLURMD_PID" 2>/dev/null || skip_with_logs "slurmd exited at start (log above)"
    state=$(sinfo -h -n "$HN" -o %t 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || skip_with_logs "node $HN not idle after 60 s (state '${state:-none}')"
T_CLUSTER=$(date +%s)
say "node $HN is idle after $((T_CLUSTER - T_INSTALLED)) s (build included)"

# ---- the suite ------------------------------------------------------------------------------------------------
# 6 runs: a two-point fixed-α grid and MetaOptimize, 2 seeds. test_samples is overridden with --set (as a sweep on
# a cluster might), so the overrides travel to every shard and to the merge job.
cat >"$WORK/tiny.json" <<'SUITE'
// Tiny suite for the Slurm test.
{
  "name": "slurm-tiny",
  "seeds": [0, 1],
  "settings": {"data": "fashion-mnist", "tasks": 2, "task_length": 300, "model": "mlp:32", "log_every": 50,
               "test_samples": 200},
  "groups": [
    {"name": "input-permuted", "settings": {"stream": "input-permuted"},
     "methods": [
       {"label": "AdamW fixed", "settings": {"base": "adamw", "meta": "fixed"}, "grid": {"alpha0": [1e-3, 1e-2]}},
       {"label": "AdamW + MetaOptimize", "settings": {"base": "adamw", "meta": "adam", "alpha0": 1e-4}}
     ]}
  ]
}
SUITE
SET=(--set test_samples=100)

say "unsharded reference run"
"$MOBENCH" suite "$WORK/tiny.json" --out "$WORK/single" --jobs "$CPUS" "${SET[@]}" >"$WORK/log/single.stdout" 2>&1 \
    || fail "unsharded mobench suite failed: $(tail -1 "$WORK/log/single.stdout")"

compare() {   # compare A B: summary.json equal apart from wall-clock values; figures identical
    python3 - "$1/summary.json" "$2/summary.json" <<'PY' || return 1
import difflib, re, sys
def mask(path):
    text = open(path, encoding="utf-8").read()
    text, a = re.subn(r'("steps_per_second" : \{\s*"mean" : )[^,\n]+(,\s*"n" : [0-9]+,\s*"standard_error" : )[^\n,}]+',
                      r'\1<wall-clock>\2<wall-clock>', text)
    text, b = re.subn(r'("wall_seconds_total" : )[^,\n}]+', r'\1<wall-clock>', text)
    return text, a + b
(a, na), (b, nb) = mask(sys.argv[1]), mask(sys.argv[2])
if na == 0 or na != nb:
    sys.exit(f"wall-clock fields: {na} in {sys.argv[1]}, {nb} in {sys.argv[2]}")
if a != b:
    sys.stderr.writelines(list(difflib.unified_diff(a.splitlines(True), b.splitlines(True), sys.argv[1], sys.argv[2]))[:40])
    sys.exit("summaries differ beyond wall-clock fields")
print(f"summary.json identical apart from {na} wall-clock fields ({len(a)} bytes compared)")
PY
    diff -r "$1/figures" "$2/figures" >/dev/null || { echo "figures differ" >&2; return 1; }
    echo "figures identical ($(ls "$1/figures" | wc -l) files)"
}

job_state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }
job_reason() { scontrol show job "$1" 2>/dev/null | grep -o 'Reason=[^ ]*' | head -1 | cut -d= -f2; }
wait_merge() {   # wait_merge JOB: up to 10 minutes
    local job=$1 state="" reason=""
    for _ in $(seq 300); do
        state=$(job_state "$job"); reason=$(job_reason "$job")
        case "$state" in
            COMPLETED) return 0 ;;
            FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) fail "merge job $job ended $state" ;;
        esac
        [ "$reason" = DependencyNeverSatisfied ] && fail "merge job $job can never run: an array task failed"
        kill -0 "$CTLD_PID" 2>/dev/null || fail "slurmctld died"
        kill -0 "$SLURMD_PID" 2>/dev/null || fail "slurmd died"
        sleep 2
    done
    fail "merge job $job not done after 10 minutes (state ${state:-unknown}, reason ${reason:-none})"
}
submitted_ids() {   # parse "array job: N" / "merge job: M"
    ARRAY_JOB=$(awk '/^array job:/ { print $3 }' "$1"); MERGE_JOB=$(awk '/^merge job:/ { print $3 }' "$1")
    [[ "$ARRAY_JOB" =~ ^[0-9]+$ && "$MERGE_JOB" =~ ^[0-9]+$ ]] || fail "no job ids in: $(cat "$1")"
    JOBS+=("$ARRAY_JOB" "$MERGE_JOB")
}

say "mobench slurm --shards 3 --submit"
T_SUBMIT=$(date +%s)
"$MOBENCH" slurm "$WORK/tiny.json" --out "$WORK/sharded" --shards 3 --partition debug --time 00:10:00 \
    --cpus-per-task 1 --mem 500M "${SET[@]}" --submit >"$WORK/log/submit.stdout" 2>&1 \
    || fail "mobench slurm --submit failed: $(tail -1 "$WORK/log/submit.stdout")"
submitted_ids "$WORK/log/submit.stdout"
grep -qx '#SBATCH --array=0-2' "$WORK/sharded/slurm/array.sbatch" || fail "array.sbatch has no '#SBATCH --array=0-2'"
say "array job $ARRAY_JOB, merge job $MERGE_JOB (afterok); waiting"
wait_merge "$MERGE_JOB"
T_MERGED=$(date +%s)
for i in 0 1 2; do
    grep -q '^suite: ' "$WORK/sharded/slurm/logs/shard-$i.out" || fail "no suite output in shard-$i.out"
done
grep -q '^merge: 6 runs' "$WORK/sharded/slurm/logs/merge.out" || fail "merge.out does not report 6 runs"
say "merged in $((T_MERGED - T_SUBMIT)) s; comparing with the unsharded run"
compare "$WORK/single" "$WORK/sharded" || fail "merged summary differs from the unsharded one"

# ---- a lost run, resubmitted --------------------------------------------------------------------------------
# Shard 1's first run loses its result (as if the task had been pre-empted during it); resubmitting array task 1
# alone must re-run that run only, and the new merge must give the same summary.
LOST=$("$MOBENCH" suite "$WORK/tiny.json" --out "$WORK/sharded" --shard 1/3 "${SET[@]}" --dry-run | awk -F'\t' 'NR == 1 { print $3 }')
SHARD1_RUNS=$("$MOBENCH" suite "$WORK/tiny.json" --out "$WORK/sharded" --shard 1/3 "${SET[@]}" --dry-run | tail -1 | awk '{ print $1 }')
[ -n "$LOST" ] && [ -f "$WORK/sharded/$LOST/result.json" ] || fail "cannot find shard 1's first run ($LOST)"
rm -f "$WORK/sharded/$LOST/result.json" "$WORK/sharded/summary.json"
say "removed $LOST/result.json; resubmitting array task 1 (submit.sh 1)"
"$WORK/sharded/slurm/submit.sh" 1 >"$WORK/log/resubmit.stdout" 2>&1 || fail "submit.sh 1 failed: $(tail -1 "$WORK/log/resubmit.stdout")"
submitted_ids "$WORK/log/resubmit.stdout"
wait_merge "$MERGE_JOB"
T_RESUBMITTED=$(date +%s)
expected="suite: $SHARD1_RUNS runs, 1 to run, $((SHARD1_RUNS - 1)) already done (skipped)"
grep -qxF "$expected" "$WORK/sharded/slurm/logs/shard-1.out" \
    || fail "resubmitted task 1 did not re-run only the lost run (expected '$expected' in shard-1.out)"
say "resubmitted task re-ran 1 of its $SHARD1_RUNS runs; merged again in $((T_RESUBMITTED - T_MERGED)) s"
compare "$WORK/single" "$WORK/sharded" || fail "merged summary after the resubmission differs from the unsharded one"

T_END=$(date +%s)
say "PASSED in $((T_END - T0)) s (packages $((T_INSTALLED - T0)) s, build + cluster start $((T_CLUSTER - T_INSTALLED)) s, suite + Slurm jobs $((T_END - T_CLUSTER)) s)"
