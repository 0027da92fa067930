#!/usr/bin/env bash
# CI stage "fuzz" (issue 11): builds the libFuzzer targets (tests/fuzz/*_fuzz.cpp, clang++ with
# -fsanitize=fuzzer,address,undefined) in build-test-fuzz, replays every input that once crashed
# (tests/fuzz/regressions/<name>/), then fuzzes each target from its seed corpus
# (tests/fuzz/corpus/<name>/, and <name>.dict if there is one) for a bounded time. Fails on any crash,
# sanitizer report, leak, timeout or broken invariant, and on a target without seeds. Without clang++
# it fails when CI=true, and otherwise says loudly that it skipped.
# A target that does not build fails alone; the others still run.
# Environment: SIO_FUZZ_SECONDS (per target, default 30; all targets together get at most
# SIO_FUZZ_BUDGET seconds, default 140), SIO_JOBS (2).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
jobs=${SIO_JOBS:-2}
build=build-test-fuzz

if ! command -v clang++ >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "FAIL  fuzz: clang++ is missing (libFuzzer needs it); install clang (scripts/setup.sh)"
    exit 1
  fi
  echo "SKIP  fuzz: clang++ is missing; with CI=true this stage fails"
  exit 0
fi

started=$SECONDS
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O2 -g" \
  -DSIO_BUILD_FUZZ=ON -DSIO_BUILD_TESTS=OFF -DSIO_BUILD_EXAMPLES=OFF -DSIO_BUILD_BENCH=OFF -DSIO_INSTALL=OFF >/dev/null || exit 1
# Keep going past a target that does not compile (-k: the Makefile generator, CMake's default here);
# old binaries go first, so that a target that no longer builds is not run stale.
rm -f "$build"/tests/fuzz/sio_fuzz_*
cmake --build "$build" --target sio_fuzz -j"$jobs" -- -k >"$build/fuzz-build.log" 2>&1
echo "built in $((SECONDS - started))s"

names=()
for source in tests/fuzz/*_fuzz.cpp; do
  name=${source##*/}
  names+=("${name%_fuzz.cpp}")
done
if [ "${#names[@]}" -eq 0 ]; then
  echo "FAIL  fuzz: no target in tests/fuzz"
  exit 1
fi
seconds=${SIO_FUZZ_SECONDS:-30}
budget=${SIO_FUZZ_BUDGET:-140}
cap=$((budget / ${#names[@]}))
[ "$seconds" -gt "$cap" ] && seconds=$cap
[ "$seconds" -lt 5 ] && seconds=5

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logs=$build/fuzz-logs
rm -rf "$logs" "$build/fuzz-work"
mkdir -p "$logs" "$build/fuzz-artifacts"
failed=()
for name in "${names[@]}"; do
  bin=$build/tests/fuzz/sio_fuzz_$name
  if [ ! -x "$bin" ]; then
    echo "FAIL  $name: does not build (log: $build/fuzz-build.log)"
    grep -E "error" "$build/fuzz-build.log" | grep -F "${name}_fuzz" | head -n 5 | sed 's/^/    | /'
    failed+=("$name")
    continue
  fi
  seeds=tests/fuzz/corpus/$name
  if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
    echo "FAIL  $name: no seed corpus in $seeds"
    failed+=("$name")
    continue
  fi
  # Inputs that crashed once: each must pass now.
  regressions=(tests/fuzz/regressions/"$name"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$bin" -runs=1 "${regressions[@]}" >"$logs/$name.regressions.log" 2>&1; then
      echo "FAIL  $name: a regression input fails again (log: $logs/$name.regressions.log)"
      tail -n 30 "$logs/$name.regressions.log" | sed 's/^/    | /'
      failed+=("$name")
      continue
    fi
    echo "ok    $name: ${#regressions[@]} regression input(s)"
  fi
  # New inputs go to a scratch directory: the committed corpus stays as it is.
  work=$build/fuzz-work/$name
  mkdir -p "$work"
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$name-" "${dict[@]}" "$work" "$seeds" >"$logs/$name.log" 2>&1; then
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$logs/$name.log" | tail -n 1)
    runs=$(grep -E '^stat::number_of_executed_units:' "$logs/$name.log" | awk '{print $2}')
    echo "ok    $name: ${runs:-?} runs in ${seconds}s; ${done_line#*DONE }"
  else
    echo "FAIL  $name: crash or broken invariant (log: $logs/$name.log; input saved under $build/fuzz-artifacts/)"
    grep -E 'invariant failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|Test unit written' "$logs/$name.log" | head -n 10 | sed 's/^/    | /'
    failed+=("$name")
  fi
done
echo "fuzz: ${#names[@]} targets, $((${#names[@]} - ${#failed[@]})) passed, ${#failed[@]} failed ($((SECONDS - started))s)"
[ "${#failed[@]}" -eq 0 ]
