#!/usr/bin/env bash
# sio's cluster against Node's (issue #13): two sio nodes (sio::redis_adapter) and two Node nodes
# (socket.io 4.8 + @socket.io/redis-adapter 8.3 createAdapter on node-redis 5), each cluster on a
# real redis-server of its own, a cross-node broadcast driven by the project's load generator.
# Writes bench/CLUSTER.md.
#
#   bench/cluster.sh             full run (Release build in build-bench/, 3 repetitions, ~3 min)
#   bench/cluster.sh --smoke     a few seconds, tiny counts: checks that everything still works
#
# Options:
#   --reps N            repetitions (default 3; each figure is the median, each ratio the median of
#                       the per-repetition ratios)
#   --clients LIST      comma list of client counts (default 1000,200)
#   --build-dir DIR     build tree (default build-bench, or build-bench-smoke with --smoke)
#   --no-build          use the programs already in the build tree
#   --node-prefix DIR   an npm prefix whose node_modules holds @socket.io/redis-adapter and redis,
#                       when tests/node_modules does not (default: $SIO_BENCH_NODE_PREFIX)
#   --out FILE          the table (default bench/CLUSTER.md; with --smoke: <build-dir>/cluster-smoke.md)
#
# The scenario: clients split evenly over the two nodes (round-robin, the broadcasting client on
# node A); it emits "bcast", node A does io.to("bench").emit(...), every client on both nodes must
# receive every broadcast in order, byte for byte (the generator fails the run otherwise). What
# node B's clients receive crossed Redis. Placement on the 2 cores (taskset): both nodes on core 0,
# the generator and redis-server on core 1, as bench/run.sh gives the server core 0.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
smoke=0
reps=3
client_counts="1000,200"
build_dir=""
do_build=1
node_prefix=${SIO_BENCH_NODE_PREFIX:-}
out=""

while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --reps) reps=$2; shift ;;
    --clients) client_counts=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --no-build) do_build=0 ;;
    --node-prefix) node_prefix=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$smoke" = 1 ]; then
  reps=1
  client_counts=20
  gen_times="--warmup 0.2 --duration 0.5"
  build_dir=${build_dir:-build-bench-smoke}
else
  gen_times="--warmup 1 --duration 5"
  build_dir=${build_dir:-build-bench}
fi
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
bin="$build_dir/bench"
if [ -z "$out" ]; then
  if [ "$smoke" = 1 ]; then out="$build_dir/cluster-smoke.md"; else out="$root/bench/CLUSTER.md"; fi
fi

# ---- prerequisites -------------------------------------------------------------------------
command -v redis-server >/dev/null || { echo "cluster.sh: redis-server is required (scripts/setup.sh)" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "cluster.sh: redis-cli is required (redis-tools)" >&2; exit 1; }
command -v node >/dev/null || { echo "cluster.sh: node is required (the Node nodes)" >&2; exit 1; }
[ -d "$root/tests/node_modules/socket.io" ] || { echo "cluster.sh: tests/node_modules is missing: cd tests && npm ci" >&2; exit 1; }
if [ -d "$root/tests/node_modules/@socket.io/redis-adapter" ]; then
  node_modules="$root/tests/node_modules"
elif [ -n "$node_prefix" ] && [ -d "$node_prefix/node_modules/@socket.io/redis-adapter" ] && [ -d "$node_prefix/node_modules/redis" ]; then
  node_modules="$node_prefix/node_modules"
  export SIO_BENCH_NODE_PREFIX=$node_prefix
else
  echo "cluster.sh: @socket.io/redis-adapter is not in tests/node_modules; install it elsewhere and name it:" >&2
  echo "  npm install --prefix DIR @socket.io/redis-adapter@8.3.0 redis@5.10.0 socket.io-adapter@2.5.8" >&2
  echo "  bench/cluster.sh --node-prefix DIR" >&2
  exit 1
fi

bench_build cluster.sh "$build_dir" "$do_build" sio_bench_server sio_bench_loadgen

# ---- limits, cores -------------------------------------------------------------------------
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ncpu=$(nproc)
if [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null; then
  pin_nodes=(taskset -c 0)
  pin_gen=(taskset -c 1)
  pinning="both nodes on core 0; generator and redis-server on core 1 (taskset)"
else
  pin_nodes=()
  pin_gen=()
  pinning="not pinned (fewer than 2 cores or no taskset)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sio-cluster.XXXXXX")
results="$work/results.jsonl"
: >"$results"
pids=()  # what this script started and has not stopped yet

cleanup() {  # the nodes first, then Redis (so that no node sees Redis go away)
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}"; done
  pids=()
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

free_port() {
  local port tries=0
  while :; do
    port=$((20000 + RANDOM % 12000))  # below the ephemeral range (32768+)
    port_in_use "$port" || { echo "$port"; return 0; }
    tries=$((tries + 1)); [ "$tries" -lt 20 ] || { echo "cluster.sh: no free port" >&2; return 1; }
  done
}

# Waits for "listening" in a log; $1 = log, $2 = pid, $3 = what.
wait_listening() {
  for _ in $(seq 1 200); do
    grep -q '^listening' "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "cluster.sh: $3 died at start:" >&2; cat "$1" >&2; return 1; }
    sleep 0.05
  done
  echo "cluster.sh: $3 did not start" >&2
  return 1
}

start_redis() {  # sets redis_pid, redis_port
  redis_port=$(free_port)
  "${pin_gen[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --logfile "$work/redis.log" &
  redis_pid=$!
  pids+=("$redis_pid")
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$redis_pid" 2>/dev/null || { echo "cluster.sh: redis-server died at start:" >&2; cat "$work/redis.log" >&2; return 1; }
    sleep 0.05
  done
  echo "cluster.sh: redis-server did not answer" >&2
  return 1
}

start_node() {  # $1 = sio|node, $2 = a|b; sets node_pid, node_port
  local kind=$1 name=$2 log="$work/$1-$2.log"
  node_port=$(free_port)
  : >"$log"
  case "$kind" in
    sio) "${pin_nodes[@]}" "$bin/sio_bench_server" "$node_port" --redis "redis://127.0.0.1:$redis_port" --key bench >"$log" 2>&1 & ;;
    node) "${pin_nodes[@]}" node "$root/bench/peers/node_server.mjs" "$node_port" --redis "redis://127.0.0.1:$redis_port" --key bench >"$log" 2>&1 & ;;
  esac
  node_pid=$!
  pids+=("$node_pid")
  wait_listening "$log" "$node_pid" "$kind node $name"
}

# Both nodes subscribed (each counts the other by the request channel, as Node's adapter does):
# only then does a broadcast from A reach B's clients.
wait_cluster() {
  for _ in $(seq 1 200); do
    n=$(redis-cli -p "$redis_port" pubsub numsub 'bench-request#/#' 2>/dev/null | sed -n 2p)
    [ "${n:-0}" -ge 2 ] && return 0
    sleep 0.05
  done
  echo "cluster.sh: the two nodes did not both subscribe to Redis" >&2
  return 1
}

check_logs() {  # $1 = kind: a sanitizer report or a Redis error in a node's log ends the run
  local kind=$1
  for name in a b; do
    if grep -q 'Sanitizer\|^redis' "$work/$kind-$name.log"; then
      echo "cluster.sh: the $kind node $name reported an error:" >&2
      cat "$work/$kind-$name.log" >&2
      return 1
    fi
  done
}


loads=()
echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $ncpu cores; $pinning"
start_load=$(cat /proc/loadavg)
busy_at_start=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 {printf "%s%s (%s%%)", sep, $2, $1; sep=", "}')
compilers_at_start=$(pgrep -c -f cc1plus || true)
echo "== load before: $start_load; cc1plus processes: $compilers_at_start"

IFS=, read -r -a counts <<<"$client_counts"
for rep in $(seq 1 "$reps"); do
  # Alternate which cluster runs first.
  if [ $((rep % 2)) = 1 ]; then order=(sio node); else order=(node sio); fi
  for clients in "${counts[@]}"; do
    for kind in "${order[@]}"; do
      start_redis
      start_node "$kind" a
      pid_a=$node_pid port_a=$node_port
      start_node "$kind" b
      pid_b=$node_pid port_b=$node_port
      wait_cluster
      loads+=("$(cut -d' ' -f1 /proc/loadavg)")
      read -r steal0 total0 < <(cpu_steal_counters)
      set +e
      # shellcheck disable=SC2086
      json=$(timeout 300 "${pin_gen[@]}" "$bin/sio_bench_loadgen" --scenario bcast --clients "$clients" --window 2 $gen_times \
        --ports "$port_a,$port_b" --pid "$pid_a" --pids "$pid_a,$pid_b,$redis_pid" 2>"$work/gen.err")
      rc=$?
      set -e
      printf '[rep %s] %5s clients %-4s %s\n' "$rep" "$clients" "$kind" "$(tail -n1 "$work/gen.err")"
      if [ "$rc" -ne 0 ]; then
        echo "cluster.sh: generator failed (exit $rc) with $clients clients on the $kind cluster:" >&2
        cat "$work/gen.err" >&2
        for name in a b; do echo "--- $kind node $name:" >&2; tail -n 20 "$work/$kind-$name.log" >&2; done
        exit 1
      fi
      read -r steal1 total1 < <(cpu_steal_counters)
      steal=$(awk -v s=$((steal1 - steal0)) -v t=$((total1 - total0)) 'BEGIN { printf "%.1f", (t > 0 ? 100 * s / t : 0) }')
      for name in a b; do kill -0 "$([ $name = a ] && echo "$pid_a" || echo "$pid_b")" 2>/dev/null ||
        { echo "cluster.sh: the $kind node $name died during the run:" >&2; cat "$work/$kind-$name.log" >&2; exit 1; }; done
      redis_cmds=$(redis-cli -p "$redis_port" info stats | awk -F: '/^total_commands_processed/ { print $2+0 }')
      cleanup
      check_logs "$kind"
      printf '{"rep":%s,"clients":%s,"server":"%s","load":%s,"steal":%s,"redis_commands":%s,"r":%s}\n' \
        "$rep" "$clients" "$kind" "${loads[-1]}" "$steal" "${redis_cmds:-0}" "$json" >>"$results"
    done
  done
done
end_load=$(cat /proc/loadavg)

# ---- report --------------------------------------------------------------------------------
cat >"$work/machine.json" <<EOF
{"cpu":"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')","ncpu":$ncpu,
 "mem":"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')","kernel":"$(uname -r)",
 "virt":"$(lscpu 2>/dev/null | awk -F: '/Hypervisor vendor/ {gsub(/^ +/, "", $2); print $2}')",
 "compiler":"$(${CXX:-c++} --version | head -n1)","node":"$(node --version)",
 "redis":"$(redis-server --version | sed 's/^Redis server //; s/ sha=.*//')",
 "socketio":"$(node -p "require('$root/tests/node_modules/socket.io/package.json').version")",
 "redis_adapter":"$(node -p "require('$node_modules/@socket.io/redis-adapter/package.json').version")",
 "node_redis":"$(node -p "require('$node_modules/redis/package.json').version")",
 "node_modules":"$node_modules",
 "pinning":"$pinning","reps":$reps,"smoke":$smoke,"generator_times":"$gen_times","date":"$(date -u +%Y-%m-%dT%H:%MZ)",
 "load_start":"$start_load","load_end":"$end_load","load_runs":"${loads[*]}",
 "busy_at_start":"$busy_at_start","compilers_at_start":$compilers_at_start}
EOF
node "$root/bench/cluster_report.mjs" "$results" "$work/machine.json" "$(basename "${out%.md}")" >"$out"
cp "$results" "${out%.md}.jsonl"
cp "$work/machine.json" "${out%.md}.machine.json"  # node bench/cluster_report.mjs X.jsonl X.machine.json regenerates X.md
echo "== wrote $out"
if [ "$smoke" = 1 ]; then
  cat "$out"
fi
