#!/usr/bin/env bash
# What connection state recovery costs when nothing is dropped (issue #14): echo, broadcast and
# connect against sio and Node socket.io 4.8, each with recovery off and on, in one run, driven by
# the project's load generator. Writes bench/RECOVERY.md.
#
#   bench/recovery.sh            full run (Release build in build-bench/, 3 repetitions, ~5 min)
#   bench/recovery.sh --smoke    a few seconds, tiny counts: checks that everything still works
#
# Options:
#   --reps N            repetitions (default 3; each figure is the median, each cost the median of
#                       the per-repetition differences between on and off)
#   --build-dir DIR     build tree (default build-bench, or build-bench-smoke with --smoke)
#   --no-build          use the programs already in the build tree
#   --out FILE          the table (default bench/RECOVERY.md; with --smoke: <build-dir>/recovery-smoke.md)
#
# The cases: sio_bench_server PORT [--recovery] (opts.connection_state_recovery.emplace(), default
# bounds) and node peers/node_server.mjs PORT [--recovery] (connectionStateRecovery: {}). With
# recovery on, every broadcast carries an offset as its last argument; the generator accepts it,
# counts it ("offsets" in the JSON) and checks everything else byte for byte, so a case that claims
# recovery is on but sends no offsets is visible in the table. Within a repetition the four cases of
# a scenario run back to back (the order turns each repetition), server on core 0, generator on
# core 1, like bench/run.sh.
#
# "sessions" runs the generator twice against one server: N clients connect and go away (the
# generator ends them with a TCP reset: "transport error", a recoverable reason, so with recovery
# on the server keeps N sessions), then N new clients connect. With recovery off the second batch
# reuses what the first one freed; with recovery on the kept sessions still hold theirs, so the
# growth of RSS from the first batch to the second, per client, is what a kept session costs.
# "kept" is the broadcast with 10 clients: many more broadcasts a second than with 1000, so that the
# packets recovery keeps (all of them for Node, younger than 2 min; the newest max_packets, 10,000,
# for sio) show in the server's RSS.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
smoke=0
reps=3
build_dir=""
do_build=1
out=""

while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --reps) reps=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --no-build) do_build=0 ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "recovery.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# name | generator arguments
if [ "$smoke" = 1 ]; then
  reps=1
  build_dir=${build_dir:-build-bench-smoke}
  scenarios=(
    "connect|--scenario connect --clients 40 --warmup-conns 10 --settle 0.1"
    "sessions|--scenario connect --clients 40 --settle 0.1"
    "echo|--scenario echo --clients 5 --window 2 --warmup 0.2 --duration 0.5"
    "bcast|--scenario bcast --clients 20 --window 2 --warmup 0.2 --duration 0.5"
    "kept|--scenario bcast --clients 2 --window 2 --warmup 0.2 --duration 0.5"
  )
else
  build_dir=${build_dir:-build-bench}
  scenarios=(
    "connect|--scenario connect --clients 1000 --warmup-conns 200 --settle 0.5"
    "sessions|--scenario connect --clients 1000 --settle 0.5"
    "echo|--scenario echo --clients 100 --warmup 1 --duration 5"
    "bcast|--scenario bcast --clients 1000 --window 2 --warmup 1 --duration 5"
    "kept|--scenario bcast --clients 10 --window 2 --warmup 1 --duration 5"
  )
fi
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
bin="$build_dir/bench"
if [ -z "$out" ]; then
  if [ "$smoke" = 1 ]; then out="$build_dir/recovery-smoke.md"; else out="$root/bench/RECOVERY.md"; fi
fi

command -v node >/dev/null || { echo "recovery.sh: node is required (the Node peer)" >&2; exit 1; }
[ -d "$root/tests/node_modules/socket.io" ] || { echo "recovery.sh: tests/node_modules is missing: cd tests && npm ci" >&2; exit 1; }

bench_build recovery.sh "$build_dir" "$do_build" sio_bench_server sio_bench_loadgen

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ncpu=$(nproc)
if [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null; then
  pin_server=(taskset -c 0)
  pin_gen=(taskset -c 1)
  pinning="server on core 0, generator on core 1 (taskset)"
else
  pin_server=()
  pin_gen=()
  pinning="not pinned (fewer than 2 cores or no taskset)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sio-recovery.XXXXXX")
results="$work/results.jsonl"
: >"$results"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ]; then stop_pid "$server_pid"; server_pid=""; fi
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM


start_server() {  # $1 = sio|node, $2 = off|on; sets server_pid, server_port
  local kind=$1 recovery=() tries=0 log="$work/server.log"
  [ "$2" = on ] && recovery=(--recovery)
  while :; do
    server_port=$((20000 + RANDOM % 12000))  # below the ephemeral range (32768+)
    port_in_use "$server_port" || break
    tries=$((tries + 1)); [ "$tries" -lt 20 ] || { echo "recovery.sh: no free port" >&2; return 1; }
  done
  : >"$log"
  case "$kind" in
    sio) "${pin_server[@]}" "$bin/sio_bench_server" "$server_port" "${recovery[@]}" >"$log" 2>&1 & ;;
    node) "${pin_server[@]}" node "$root/bench/peers/node_server.mjs" "$server_port" "${recovery[@]}" >"$log" 2>&1 & ;;
  esac
  server_pid=$!
  for _ in $(seq 1 200); do
    grep -q '^listening' "$log" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || { echo "recovery.sh: $kind server (recovery $2) died at start:" >&2; cat "$log" >&2; return 1; }
    sleep 0.05
  done
  echo "recovery.sh: $kind server did not start" >&2
  return 1
}

stop_server() {  # $1 = what, for the messages
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "recovery.sh: the $1 server died during the run:" >&2
    cat "$work/server.log" >&2
    server_pid=""
    return 1
  fi
  stop_pid "$server_pid"
  server_pid=""
  if grep -q 'Sanitizer' "$work/server.log"; then
    echo "recovery.sh: the $1 server reported a sanitizer error:" >&2
    cat "$work/server.log" >&2
    return 1
  fi
}


loads=()
echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $ncpu cores; $pinning"
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
busy_at_start=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 {printf "%s%s (%s%%)", sep, $2, $1; sep=", "}')
compilers_at_start=$(pgrep -c -f cc1plus || true)
echo "== load before: $start_load; cc1plus processes: $compilers_at_start"

cases=(sio:off sio:on node:off node:on)
for rep in $(seq 1 "$reps"); do
  # Turn the order each repetition so that no case always runs first.
  shift_by=$(( (rep - 1) % ${#cases[@]} ))
  order=("${cases[@]:$shift_by}" "${cases[@]:0:$shift_by}")
  for entry in "${scenarios[@]}"; do
    IFS='|' read -r name args <<<"$entry"
    for c in "${order[@]}"; do
      kind=${c%%:*} recovery=${c##*:}
      start_server "$kind" "$recovery"
      loads+=("$(cut -d' ' -f1 /proc/loadavg)")
      read -r steal0 total0 < <(cpu_steal_counters)
      first=""
      if [ "$name" = sessions ]; then
        # shellcheck disable=SC2086
        first=$(timeout 300 "${pin_gen[@]}" "$bin/sio_bench_loadgen" --port "$server_port" --pid "$server_pid" $args 2>"$work/gen.err") || {
          echo "recovery.sh: generator failed on the first batch of $name against $kind (recovery $recovery):" >&2
          cat "$work/gen.err" >&2; exit 1; }
        first=",\"first\":$first"
        sleep 1  # the server reads the resets and closes (and keeps) the first batch's sessions
      fi
      set +e
      # shellcheck disable=SC2086
      json=$(timeout 300 "${pin_gen[@]}" "$bin/sio_bench_loadgen" --port "$server_port" --pid "$server_pid" $args 2>"$work/gen.err")
      rc=$?
      set -e
      printf '[rep %s] %-7s %-4s recovery %-3s %s\n' "$rep" "$name" "$kind" "$recovery" "$(tail -n1 "$work/gen.err")"
      if [ "$rc" -ne 0 ]; then
        echo "recovery.sh: generator failed (exit $rc) on $name against $kind (recovery $recovery):" >&2
        cat "$work/gen.err" >&2
        echo "--- server log:" >&2
        tail -n 20 "$work/server.log" >&2
        exit 1
      fi
      read -r steal1 total1 < <(cpu_steal_counters)
      steal=$(awk -v s=$((steal1 - steal0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.1f", (t > 0 ? 100 * s / t : 0) }')
      stop_server "$kind (recovery $recovery)"
      printf '{"rep":%s,"name":"%s","server":"%s","recovery":"%s","load":%s,"steal":%s,"r":%s%s}\n' \
        "$rep" "$name" "$kind" "$recovery" "${loads[-1]}" "$steal" "$json" "$first" >>"$results"
    done
  done
done
end_load=$(cut -d' ' -f1-3 /proc/loadavg)

cat >"$work/machine.json" <<EOF
{"cpu":"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')","ncpu":$ncpu,
 "mem":"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')","kernel":"$(uname -r)",
 "virt":"$(lscpu 2>/dev/null | awk -F: '/Hypervisor vendor/ {gsub(/^ +/, "", $2); print $2}')",
 "compiler":"$(${CXX:-c++} --version | head -n1)","node":"$(node --version)",
 "socketio":"$(node -p "require('$root/tests/node_modules/socket.io/package.json').version")",
 "sio_commit":"$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)",
 "pinning":"$pinning","reps":$reps,"smoke":$smoke,"date":"$(date -u +%Y-%m-%dT%H:%MZ)",
 "load_start":"$start_load","load_end":"$end_load","load_runs":"${loads[*]}",
 "busy_at_start":"$busy_at_start","compilers_at_start":$compilers_at_start}
EOF
node "$root/bench/recovery_report.mjs" "$results" "$work/machine.json" "$(basename "${out%.md}")" >"$out"
cp "$results" "${out%.md}.jsonl"
cp "$work/machine.json" "${out%.md}.machine.json"  # node bench/recovery_report.mjs X.jsonl X.machine.json regenerates X.md
echo "== wrote $out"
if [ "$smoke" = 1 ]; then
  cat "$out"
fi
