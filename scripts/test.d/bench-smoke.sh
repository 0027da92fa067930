#!/usr/bin/env bash
# Benchmark harness smoke (issue #6): every scenario against every server (sio, Node socket.io,
# raw websocketpp) with tiny counts, then the cluster benchmark (issue #13) and the recovery
# benchmark (issue #14: sio and Node, recovery off and on) likewise, a few seconds
# in all, so that the harness cannot rot. It fails only when something breaks or a reply is wrong
# (the generator checks every reply); never on timing. Uses the sanitizer build from scripts/test.sh when it holds the bench programs (memory
# errors under load then abort the server and fail the stage), else builds a Release tree.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
if [ -x build-test-asan/bench/sio_bench_server ] && [ -x build-test-asan/bench/sio_bench_loadgen ] &&
   [ -x build-test-asan/bench/sio_bench_wspp_server ]; then
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  bash bench/run.sh --smoke --build-dir build-test-asan --no-build --out build-test-asan/bench-smoke.md
  bash bench/cluster.sh --smoke --build-dir build-test-asan --no-build
  exec bash bench/recovery.sh --smoke --build-dir build-test-asan --no-build --out build-test-asan/recovery-smoke.md
fi
bash bench/run.sh --smoke
bash bench/cluster.sh --smoke
exec bash bench/recovery.sh --smoke
