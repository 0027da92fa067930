# Shared by bench/run.sh, bench/cluster.sh and bench/recovery.sh (sourced, not run).

# bench_build SCRIPT BUILD_DIR DO_BUILD TARGET...: configures and builds the bench programs in
# Release when DO_BUILD is 1, then checks that each TARGET is there.
bench_build() {
  local script=$1 dir=$2 do_build=$3 p
  shift 3
  if [ "$do_build" = 1 ]; then
    echo "== build (Release) in $dir"
    cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DSIO_BUILD_TESTS=OFF -DSIO_BUILD_EXAMPLES=OFF \
      -DSIO_INSTALL=OFF >/dev/null
    cmake --build "$dir" -j"${SIO_JOBS:-1}" --target "$@"
  fi
  for p in "$@"; do
    [ -x "$dir/bench/$p" ] || { echo "$script: $dir/bench/$p is missing (build first or drop --no-build)" >&2; exit 1; }
  done
}

stop_pid() {  # SIGTERM, then SIGKILL after 5 s
  local pid=$1
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# steal and total jiffies of all CPUs, from /proc/stat
cpu_steal_counters() { awk '/^cpu / { print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
