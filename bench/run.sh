#!/usr/bin/env bash
# sio benchmark: sio's bench server, the Node socket.io 4.8 server and a raw websocketpp server,
# side by side in one run, driven by the project's own load generator. Writes bench/RESULTS.md.
#
#   bench/run.sh                 full run (Release build in build-bench/, 3 repetitions, ~10 min)
#   bench/run.sh --smoke         a few seconds, tiny counts (and one back-pressure case): checks that
#                                everything still works
#
# Options:
#   --reps N           repetitions (default 3; each figure is the median, each ratio the median of
#                      the per-repetition ratios)
#   --build-dir DIR    build tree (default build-bench, or build-bench-smoke with --smoke)
#   --no-build         use the programs already in the build tree
#   --servers LIST     comma list among sio,node,wspp (default all three), and sio-metrics: sio
#                      with its metrics on (e.g. --servers sio,sio-metrics --only echo,bcast-1k,bcast-10k
#                      measures their overhead; the report adds a "sio-metrics ÷ sio" table)
#   --only LIST        comma list of scenarios (connect-1k,connect-5k,connect-10k,echo,bcast-1k,
#                      bcast-10k,poll-echo,idle)
#   --out FILE         results table (default bench/RESULTS.md; with --smoke: <build-dir>/bench-smoke.md)
#   --idle N           idle WebSocket connections to hold (default 100000, capped by RLIMIT_NOFILE)
#
# Each server runs pinned (taskset) to one core and the generator to the other, a fresh server
# process for every scenario. The generator exits non-zero when a reply is missing or wrong; the
# script then stops. Timing never fails a run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
smoke=0
reps=3
build_dir=""
do_build=1
servers="sio,node,wspp"
only=""
out=""
idle_target=100000

while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --reps) reps=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --no-build) do_build=0 ;;
    --servers) servers=$2; shift ;;
    --only) only=$2; shift ;;
    --out) out=$2; shift ;;
    --idle) idle_target=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$smoke" = 1 ]; then
  reps=1
  build_dir=${build_dir:-build-bench-smoke}
else
  build_dir=${build_dir:-build-bench}
fi
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
bin="$build_dir/bench"
if [ -z "$out" ]; then
  if [ "$smoke" = 1 ]; then out="$build_dir/bench-smoke.md"; else out="$root/bench/RESULTS.md"; fi
fi

# ---- build ---------------------------------------------------------------------------------
bench_build run.sh "$build_dir" "$do_build" sio_bench_server sio_bench_wspp_server sio_bench_loadgen
command -v node >/dev/null || { echo "run.sh: node is required (the Node peer)" >&2; exit 1; }
[ -d "$root/tests/node_modules/socket.io" ] || { echo "run.sh: tests/node_modules is missing: cd tests && npm ci" >&2; exit 1; }

# ---- limits, cores -------------------------------------------------------------------------
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)
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
idle=$idle_target
idle_cap=$((fd_limit - 300))
idle_capped=0
if [ "$idle" -gt "$idle_cap" ]; then idle=$idle_cap; idle_capped=1; fi

# ---- scenarios -----------------------------------------------------------------------------
# name | servers | generator arguments
if [ "$smoke" = 1 ]; then
  [ "$idle" -gt 200 ] && idle=200
  idle_capped=0
  scenarios=(
    "connect-1k|sio,node,wspp|--scenario connect --clients 40 --warmup-conns 10 --settle 0.1"
    "echo|sio,node,wspp|--scenario echo --clients 5 --window 2 --warmup 0.2 --duration 0.5"
    "echo-big|sio,node,wspp|--scenario echo --clients 4 --window 16 --payload 30000 --warmup 0.2 --duration 0.5"
    "bcast-1k|sio,node,wspp|--scenario bcast --clients 20 --window 2 --warmup 0.2 --duration 0.5"
    "poll-echo|sio,node|--scenario poll-echo --clients 5 --warmup 0.2 --duration 0.5"
    "idle|sio,node,wspp|--scenario connect --clients $idle --settle 0.2"
  )
else
  scenarios=(
    "connect-1k|sio,node,wspp|--scenario connect --clients 1000 --warmup-conns 200 --settle 0.5"
    "connect-5k|sio,node,wspp|--scenario connect --clients 5000 --warmup-conns 200 --settle 0.5"
    "connect-10k|sio,node,wspp|--scenario connect --clients 10000 --warmup-conns 200 --settle 0.5"
    "echo|sio,node,wspp|--scenario echo --clients 100 --warmup 1 --duration 5"
    "bcast-1k|sio,node,wspp|--scenario bcast --clients 1000 --window 2 --warmup 1 --duration 5"
    "bcast-10k|sio,node,wspp|--scenario bcast --clients 10000 --window 2 --warmup 1 --duration 5"
    "poll-echo|sio,node|--scenario poll-echo --clients 100 --warmup 1 --duration 5"
    "idle|sio,node,wspp|--scenario connect --clients $idle --inflight 500 --settle 3"
  )
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sio-bench.XXXXXX")
results="$work/results.jsonl"
: >"$results"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


start_server() {  # $1 = sio|node|wspp; sets server_pid, server_port
  local kind=$1 tries=0
  while :; do
    server_port=$((20000 + RANDOM % 12000))  # below the ephemeral range (32768+)
    port_in_use "$server_port" || break
    tries=$((tries + 1)); [ "$tries" -lt 20 ] || { echo "run.sh: no free port" >&2; return 1; }
  done
  local log="$work/server-$kind.log"
  : >"$log"  # truncated here, not in the background job: no stale "listening" line
  case "$kind" in
    sio)  "${pin_server[@]}" "$bin/sio_bench_server" "$server_port" >"$log" 2>&1 & ;;
    sio-metrics) "${pin_server[@]}" "$bin/sio_bench_server" "$server_port" --metrics >"$log" 2>&1 & ;;
    node) "${pin_server[@]}" node "$root/bench/peers/node_server.mjs" "$server_port" >"$log" 2>&1 & ;;
    wspp) "${pin_server[@]}" "$bin/sio_bench_wspp_server" "$server_port" >"$log" 2>&1 & ;;
  esac
  server_pid=$!
  for _ in $(seq 1 200); do
    grep -q '^listening' "$log" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: $kind server died at start:" >&2; cat "$log" >&2; return 1; }
    sleep 0.05
  done
  echo "run.sh: $kind server did not start" >&2
  return 1
}

stop_server() {
  local kind=$1
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the $kind server died during the run:" >&2
    cat "$work/server-$kind.log" >&2
    server_pid=""
    return 1
  fi
  kill "$server_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if grep -q 'Sanitizer' "$work/server-$kind.log"; then
    echo "run.sh: the $kind server reported a sanitizer error:" >&2
    cat "$work/server-$kind.log" >&2
    return 1
  fi
}

want() {  # $1 = item, $2 = comma list (empty: all)
  [ -z "$2" ] && return 0
  case ",$2," in *",$1,"*) return 0 ;; esac
  return 1
}

loads=()
echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $ncpu cores; $pinning"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg); fd limit $fd_limit; idle target $idle"
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
busy_at_start=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 {printf "%s%s (%s%%)", sep, $2, $1; sep=", "}')

# Time the hypervisor gave to other guests (the "steal" column of /proc/stat, all CPUs) and the
# total, in clock ticks: the share of it during a run says how much the machine was disturbed.

for rep in $(seq 1 "$reps"); do
  # Rotate the server order each repetition so that none always runs first.
  IFS=, read -r -a order <<<"$servers"
  shift_by=$(( (rep - 1) % ${#order[@]} ))
  order=("${order[@]:$shift_by}" "${order[@]:0:$shift_by}")
  for entry in "${scenarios[@]}"; do
    IFS='|' read -r name allowed args <<<"$entry"
    want "$name" "$only" || continue
    for kind in "${order[@]}"; do
      want "${kind%-metrics}" "$allowed" || continue  # sio-metrics runs where sio does
      mode=sio; [ "$kind" = wspp ] && mode=raw
      start_server "$kind"
      load=$(cut -d' ' -f1 /proc/loadavg)
      loads+=("$load")
      read -r steal0 total0 < <(cpu_steal_counters)
      set +e
      # shellcheck disable=SC2086
      json=$(timeout 600 "${pin_gen[@]}" "$bin/sio_bench_loadgen" --mode "$mode" --port "$server_port" --pid "$server_pid" $args 2>"$work/gen.err")
      rc=$?
      set -e
      printf '[rep %s] %-11s %-4s %s\n' "$rep" "$name" "$kind" "$(tail -n1 "$work/gen.err")"
      if [ "$rc" -ne 0 ]; then
        echo "run.sh: generator failed (exit $rc) on $name against $kind:" >&2
        cat "$work/gen.err" >&2
        echo "--- $kind server log:" >&2
        tail -n 20 "$work/server-$kind.log" >&2
        exit 1
      fi
      read -r steal1 total1 < <(cpu_steal_counters)
      steal=$(awk -v s=$((steal1 - steal0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.1f", (t > 0 ? 100 * s / t : 0) }')
      stop_server "$kind"
      printf '{"rep":%s,"name":"%s","server":"%s","load":%s,"steal":%s,"r":%s}\n' "$rep" "$name" "$kind" "$load" "$steal" "$json" >>"$results"
    done
  done
done
end_load=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report --------------------------------------------------------------------------------
cat >"$work/machine.json" <<EOF
{"cpu":"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')","ncpu":$ncpu,
 "mem":"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')","kernel":"$(uname -r)",
 "virt":"$(lscpu 2>/dev/null | awk -F: '/Hypervisor vendor/ {gsub(/^ +/, "", $2); print $2}')",
 "compiler":"$(${CXX:-c++} --version | head -n1)","node":"$(node --version)",
 "socketio":"$(node -p "require('$root/tests/node_modules/socket.io/package.json').version")",
 "pinning":"$pinning","fd_limit":$fd_limit,"idle_target":$idle_target,"idle":$idle,"idle_capped":$idle_capped,
 "reps":$reps,"smoke":$smoke,"date":"$(date -u +%Y-%m-%dT%H:%MZ)",
 "load_start":"$start_load","load_end":"$end_load","load_runs":"${loads[*]}",
 "busy_at_start":"$busy_at_start"}
EOF
node "$root/bench/report.mjs" "$results" "$work/machine.json" >"$out"
cp "$results" "${out%.md}.jsonl"
cp "$work/machine.json" "${out%.md}.machine.json"  # node bench/report.mjs X.jsonl X.machine.json regenerates X.md
echo "== wrote $out"
if [ "$smoke" = 1 ]; then
  cat "$out"
fi
rm -rf "$work"
