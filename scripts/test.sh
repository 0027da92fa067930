#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, then
#   1. g++ (C++17, -Werror) with AddressSanitizer + UBSan: unit, protocol and interop tests;
#   2. clang++ in C++20: unit and integration tests again (and every example compiles);
#   3. g++ with ThreadSanitizer: the integration tests (server on several threads), then the
#      Socket.IO fixture on 4 threads through the Node Socket.IO suites.
# Usage: scripts/test.sh            (from anywhere; build trees go to build-test-*/)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
# Parallel builds: one job per core, as far as memory allows (an ASan test translation unit takes
# up to ~4 GiB). Exported: the stages of scripts/test.d read SIO_JOBS too.
if [ -z "${SIO_JOBS:-}" ]; then
  cores=$(nproc 2>/dev/null || echo 2)
  mem_gib=$(awk '/MemAvailable/ {print int($2 / 1048576)}' /proc/meminfo 2>/dev/null || echo 8)
  by_memory=$((mem_gib / 4))
  [ "$by_memory" -ge 1 ] || by_memory=1
  SIO_JOBS=$((cores < by_memory ? cores : by_memory))
fi
export SIO_JOBS
jobs=$SIO_JOBS
# Each stage's heading says how far into the run it starts (CI time goal: under 30 minutes).
stage() { echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }

# In CI (CI=true, as CI services set it) a missing test prerequisite fails the run instead of
# dropping suites: checked here before anything is built, and by CMake (tests/CMakeLists.txt).
# CI is passed on only when the caller set it.
if [ "${CI:-}" = true ]; then
  export CI
  missing=()
  command -v node >/dev/null || missing+=(node)
  command -v chromium >/dev/null || missing+=(chromium)
  for module in engine.io engine.io-client socket.io socket.io-client ws playwright-core @socket.io/admin-ui; do
    [ -f "tests/node_modules/$module/package.json" ] || missing+=("tests/node_modules/$module")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "CI=true and test prerequisites are missing: ${missing[*]}" >&2
    exit 1
  fi
fi

# g++ 12 with sanitizers at -O1 warns "may be used uninitialized" inside libstdc++'s <regex>
# (std::function in _State) and shared_ptr's release in a destroyed std::optional; false positives
# of the compiler, not of sio's code, under ASan and TSan alike.
gcc_sanitizer_quirks="-Wno-maybe-uninitialized"

stage "g++ C++17, ASan+UBSan: all tests"
cmake -S . -B build-test-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_CXX_FLAGS="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined $gcc_sanitizer_quirks" >/dev/null
cmake --build build-test-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-test-asan --output-on-failure --timeout 300

stage "clang++ C++20: unit and in-process integration tests (use_awaitable included), the examples"
cmake -S . -B build-test-clang20 -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_STANDARD=20 -DSIO_BUILD_BENCH=OFF >/dev/null
# Only what this stage runs, and every example (they must compile in C++20 with clang too); the
# optional targets (Admin UI, Beast) where their dependencies were found.
clang_targets=$(cmake --build build-test-clang20 --target help | grep -oE '\b(sio_unit_tests|sio_integration_tests|sio_admin_ui_tests|sio_echo|sio_engine_echo|sio_fixture|sio_chat|sio_beast_mount)\b' | sort -u | tr '\n' ' ')
cmake --build build-test-clang20 -j"$jobs" --target $clang_targets
ctest --test-dir build-test-clang20 --output-on-failure -R '^(unit|integration): '

stage "g++ ThreadSanitizer: in-process integration tests (emits from many threads)"
cmake -S . -B build-test-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++ -DSIO_BUILD_EXAMPLES=ON -DSIO_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-O1 -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan $gcc_sanitizer_quirks" >/dev/null
cmake --build build-test-tsan -j"$jobs" --target sio_integration_tests sio_fixture
TSAN_OPTIONS="halt_on_error=1 suppressions=$root/tests/tsan.supp" ./build-test-tsan/tests/sio_integration_tests
# The Admin UI's namespace (a login thread, stats timer and hooks from every strand).
cmake --build build-test-tsan -j"$jobs" --target sio_admin_ui_tests
TSAN_OPTIONS="halt_on_error=1 suppressions=$root/tests/tsan.supp" ./build-test-tsan/tests/sio_admin_ui_tests

# The Redis client and the Redis adapter and emitter (tests/redis: sio servers on threads of their
# own, real redis-servers on loopback) under ThreadSanitizer too.
stage "g++ ThreadSanitizer: the Redis client, adapter and emitter against real redis-servers"
redis_targets=$(cmake --build build-test-tsan --target help | grep -oE 'sio_redis[a-z_]*_tests' | sort -u | tr '\n' ' ')
if [ -z "$redis_targets" ]; then
  echo "no Redis test targets: hiredis, msgpack-cxx or redis-server is missing (scripts/setup.sh installs them)" >&2
  exit 1
fi
cmake --build build-test-tsan -j"$jobs" --target $redis_targets
for t in $redis_targets; do
  TSAN_OPTIONS="halt_on_error=1 suppressions=$root/tests/tsan.supp" "./build-test-tsan/tests/$t"
done

# The fixture's io_context on 4 threads, under the socket.io-client suites (WebSocket, polling and
# upgrade; rooms and broadcasts) and the raw Socket.IO ones. A ThreadSanitizer report fails the
# test during which it was printed, and the fixture's exit (status 66).
stage "g++ ThreadSanitizer: the Socket.IO fixture on 4 threads through the Node Socket.IO suites"
(cd tests && SIO_BUILD_DIR="$root/build-test-tsan" SIO_THREADS=4 TSAN_OPTIONS="suppressions=$root/tests/tsan.supp" \
  node --test --test-reporter=spec interop/sio_*.test.mjs protocol/sio_*.test.mjs)

# Further stages, each a script of its own (packaging consumer builds, benchmark smoke, ...).
for script in scripts/test.d/*.sh; do
  [ -e "$script" ] || continue
  stage "$(basename "$script" .sh)"
  bash "$script"
done
stage "all stages passed"
