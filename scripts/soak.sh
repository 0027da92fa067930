#!/usr/bin/env bash
# The soak of issue 11: about 2,000 clients of mixed transports (polling only, WebSocket only,
# polling then upgrade) against a Release build of the sio fixture, with reconnect storms, abrupt
# disconnects and slow readers (tests/soak/soak.mjs says what is asserted: no acked message lost,
# descriptors, sockets and RSS back to the baseline after everyone left, a clean exit).
#
# Usage: scripts/soak.sh [SECONDS (default 180)] [CLIENTS (default 2000)]
#   SIO_BUILD_DIR  a Release build tree holding examples/sio_fixture/sio_fixture
#                  (default build-soak/, configured and built here if needed)
#   SIO_SOAK_NO_BUILD=1  use SIO_BUILD_DIR as it is
# The short form that CI runs is tests/hostile/soak_short.test.mjs (200 clients, 20 s).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-180}
clients=${2:-2000}
build=${SIO_BUILD_DIR:-$root/build-soak}
case "$build" in /*) ;; *) build="$root/$build" ;; esac

if [ -z "${SIO_SOAK_NO_BUILD:-}" ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ -DSIO_BUILD_BENCH=OFF >/dev/null
  fi
  cmake --build "$build" --target sio_fixture -j"${SIO_JOBS:-2}"
fi

# Every client holds one or two connections, and so does the server for it.
need=$((clients * 2 + 1000))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
  echo "soak: $clients clients need about $need descriptors, the hard limit is $hard" >&2
  exit 2
fi
ulimit -n "$hard"

cd tests
SIO_BUILD_DIR="$build" exec node soak/soak.mjs --duration "$seconds" --clients "$clients" --workers 2
