#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, then
#   1. g++ (C++17, -Werror) with AddressSanitizer + UBSan: unit, protocol and interop tests;
#   2. clang++ in C++20: the unit tests again (and every example compiles).
# Usage: scripts/test.sh            (from anywhere; build trees go to build-test-*/)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
jobs=${SIO_JOBS:-2}

echo "== g++ C++17, ASan+UBSan: all tests"
cmake -S . -B build-test-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_CXX_FLAGS="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" >/dev/null
cmake --build build-test-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-test-asan --output-on-failure --timeout 300

echo "== clang++ C++20: unit tests"
cmake -S . -B build-test-clang20 -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_STANDARD=20 >/dev/null
cmake --build build-test-clang20 -j"$jobs"
ctest --test-dir build-test-clang20 --output-on-failure -R '^unit: '

# Further stages, each a script of its own (packaging consumer builds, benchmark smoke, ...).
for stage in scripts/test.d/*.sh; do
  [ -e "$stage" ] || continue
  echo "== $(basename "$stage" .sh)"
  bash "$stage"
done
