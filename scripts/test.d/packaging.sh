#!/usr/bin/env bash
# CI stage "packaging": proves each way of taking sio with a consumer that builds, runs a server on
# 127.0.0.1 (ephemeral port) and answers a real client. Run by scripts/test.sh, or alone:
#   bash scripts/test.d/packaging.sh
#
#   install            cmake --install into a temporary prefix; layout; find_package version rules
#   find_package       tests/cmake/find_package     (find_package(sio CONFIG) + sio::sio, nothing else)
#   find_package_redis tests/cmake/find_package_redis (COMPONENTS redis + sio::redis: the Redis adapter
#                      and emitter; made, closed and run without a Redis)
#   find_package_admin_ui tests/cmake/find_package_admin_ui (COMPONENTS admin_ui + sio::admin_ui:
#                      instrument, close, a bcrypt check through libxcrypt)
#   add_subdirectory   tests/cmake/add_subdirectory (sio's tests/examples must stay off)
#   FetchContent       tests/cmake/fetchcontent     (from an archive of this working tree)
#   pkg-config         g++ $(pkg-config --cflags --libs sio), no CMake
#   conan              the recipe run offline against a stand-in for Conan's API (Conan cannot be
#                      installed here); test_package built with plain CMake against the install and run
#   vcpkg              every vcpkg JSON validated with ajv against vcpkg's schemas; sio's portfile run by
#                      a stand-in for vcpkg's helpers (vcpkg cannot be downloaded here); the manifest
#                      example built against the result and run
# websocketpp is no dependency of sio::sio. Every consumer is configured with find_package(websocketpp)
# disabled and compiled with a poisoned websocketpp/ include directory ahead of all others (each of
# websocketpp's header names, each an #error), and its compiler's dependency file must list no
# websocketpp header; the installed package files must not name websocketpp.
# The consumers (one translation unit each, Release) compile two at a time; then each runs against
# socket.io-client (tests/node_modules), bounded by timeouts. Ends with "packaging: N passed, N failed";
# exits non-zero on any failure. Environment: SIO_JOBS (2), SIO_PKG_WORK (scratch directory, default a
# new /tmp dir, removed on success), SIO_VCPKG_SCHEMAS (default ../shared/vcpkg-schemas).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
jobs=${SIO_JOBS:-2}
work=${SIO_PKG_WORK:-$(mktemp -d /tmp/sio-packaging.XXXXXX)}
schemas=${SIO_VCPKG_SCHEMAS:-$root/../shared/vcpkg-schemas}
mkdir -p "$work/logs" "$work/status"
prefix=$work/prefix
version=$(sed -n 's/^#define SIO_VERSION_STRING "\(.*\)"$/\1/p' include/sio/version.hpp)
started=$SECONDS
passed=0 failed=0 skipped=0
failures=()
servers=()
trap 'for p in "${servers[@]}"; do kill "$p" 2>/dev/null; done' EXIT

note_result() {  # name rc seconds
  if [ "$2" -eq 0 ]; then
    printf 'ok    %-30s %4ss\n' "$1" "$3"
    passed=$((passed + 1))
  else
    printf 'FAIL  %-30s %4ss  log: %s\n' "$1" "$3" "$work/logs/$1.log"
    tail -n 25 "$work/logs/$1.log" | sed 's/^/    | /'
    failed=$((failed + 1))
    failures+=("$1")
  fi
}
step() {  # name command... : runs now, output to logs/<name>.log
  local name=$1 t0=$SECONDS
  shift
  "$@" >"$work/logs/$name.log" 2>&1
  note_result "$name" $? $((SECONDS - t0))
}

# A consumer must build with no websocketpp on its include path. /usr/include cannot be taken off a
# compiler's search list, so websocketpp is hidden instead: a directory searched before every other
# holds each of its header names as an #error, and find_package(websocketpp) is disabled.
poison=$work/no-websocketpp
make_poison() {
  mkdir -p "$poison/websocketpp"
  local h wspp_dir=${SIO_WEBSOCKETPP_DIR:-/usr/include/websocketpp}
  [ -d "$wspp_dir" ] && (cd "$wspp_dir" && find . -name '*.hpp') | while IFS= read -r h; do
    mkdir -p "$poison/websocketpp/$(dirname "$h")"
    echo '#error "a sio consumer reached a websocketpp header: websocketpp is no dependency of sio"' \
      >"$poison/websocketpp/$h"
  done
  echo '#error "a sio consumer reached a websocketpp header"' >"$poison/websocketpp/version.hpp"
}
make_poison
no_wspp_cxxflags="-I$poison"
poison_has_teeth() {  # the hiding works: a translation unit that includes websocketpp fails
  if echo '#include <websocketpp/sha1/sha1.hpp>' | ${CXX:-c++} -std=c++17 -fsyntax-only $no_wspp_cxxflags -x c++ -; then
    echo "a websocketpp include compiled despite $poison"; return 1
  fi
  echo "hidden: websocketpp/sha1/sha1.hpp hits the #error"
}
cmake_release() {
  cmake -DCMAKE_BUILD_TYPE=Release -DCMAKE_DISABLE_FIND_PACKAGE_websocketpp=ON \
    -DCMAKE_CXX_FLAGS="$no_wspp_cxxflags" "$@"
}
# no_websocketpp_opened <build dir>: the compiler's dependency files (-MD, every header opened,
# system ones included) of the consumer name sio's headers and no websocketpp header.
no_websocketpp_opened() {
  local deps
  deps=$(find "$1" -type f -name '*.d' -newer "$poison/websocketpp/version.hpp" | grep -v '/CMakeFiles/[0-9.]*/' || true)
  [ -n "$deps" ] || { echo "no dependency file under $1"; return 1; }
  # shellcheck disable=SC2086  # one path per line, no spaces in the scratch directory
  grep -q 'sio/server\.hpp' $deps || { echo "the dependency files do not list sio/server.hpp: $deps"; return 1; }
  if grep -h -o '[^ ]*websocketpp[^ ]*' $deps | sort -u | grep .; then
    echo "websocketpp headers were opened (above)"; return 1
  fi
  echo "no websocketpp header opened: $(echo "$deps" | wc -l) dependency file(s) checked"
}

# --- prerequisites -----------------------------------------------------------------------------------
if [ ! -d tests/node_modules/socket.io-client ] || [ ! -d tests/node_modules/ajv ]; then
  bash scripts/setup.sh
fi
echo "sio $version, scratch $work, -j$jobs"

# --- 1. install + quick checks (sequential, seconds) ------------------------------------------------
install_sio() {
  cmake_release -S . -B "$work/sio-build" -DSIO_BUILD_TESTS=OFF -DSIO_BUILD_EXAMPLES=OFF \
    -DSIO_BUILD_BENCH=OFF -DSIO_INSTALL=ON -DCMAKE_INSTALL_PREFIX="$prefix" &&
    cmake --install "$work/sio-build" || return 1
  local f missing=0
  for f in include/sio/server.hpp include/sio/version.hpp share/cmake/sio/sioConfig.cmake \
    share/cmake/sio/sioConfigVersion.cmake share/cmake/sio/sioTargets.cmake \
    share/cmake/sio/sioDependencies.cmake share/cmake/sio/sioRedisDependencies.cmake share/cmake/sio/sioAdminUiDependencies.cmake share/cmake/sio/Findasio.cmake \
    share/pkgconfig/sio.pc \
    share/doc/sio/LICENSE; do
    [ -f "$prefix/$f" ] || { echo "missing $prefix/$f"; missing=1; }
  done
  [ -z "$(ls -A "$prefix/lib" 2>/dev/null)" ] || { echo "a header-only install wrote lib/"; missing=1; }
  grep -q "PACKAGE_VERSION \"$version\"" "$prefix/share/cmake/sio/sioConfigVersion.cmake" ||
    { echo "sioConfigVersion.cmake does not say $version"; missing=1; }
  # (Comments may still say why sio does without websocketpp.)
  if grep -rnE '^\s*#\s*include\s*[<"]websocketpp' "$prefix/include" ||
    grep -rnE 'websocketpp(::|_DIR|_INCLUDE)|find_(dependency|package)\(websocketpp' "$prefix/share/cmake" ||
    grep -rni websocketpp "$prefix/share/pkgconfig"; then
    echo "the installed package includes, finds or links websocketpp (above)"; missing=1
  fi
  return $missing
}
step install install_sio
step websocketpp_hidden poison_has_teeth

step find_package_version cmake -S tests/cmake/find_package_version -B "$work/find_package_version" \
  -DCMAKE_PREFIX_PATH="$prefix" -DSIO_EXPECTED_VERSION="$version"

pkg_config_info() {
  export PKG_CONFIG_PATH=$prefix/share/pkgconfig
  pkg-config --validate sio || return 1
  local v cflags
  v=$(pkg-config --modversion sio) && cflags=$(pkg-config --cflags sio) || return 1
  echo "modversion $v; cflags $cflags; libs $(pkg-config --libs sio)"
  [ "$v" = "$version" ] || { echo "sio.pc says $v, version.hpp $version"; return 1; }
  local d
  for d in -DASIO_STANDALONE -DRAPIDJSON_HAS_STDSTRING=1; do
    case " $cflags " in *" $d "*) ;; *) echo "sio.pc's Cflags lack $d"; return 1 ;; esac
  done
}
step pkg-config_metadata pkg_config_info

step conan_recipe python3 tests/cmake/conan/check_recipe.py "$root" "$work/conan"

if [ -f "$schemas/vcpkg.schema.json" ]; then
  step vcpkg_json node tests/cmake/vcpkg/validate_json.mjs "$root" "$schemas"
elif [ "${CI:-}" = "true" ]; then
  echo "missing vcpkg schemas" >"$work/logs/vcpkg_json.log"
  note_result vcpkg_json 1 0
else
  echo "skip  vcpkg_json: no schemas at $schemas (set SIO_VCPKG_SCHEMAS)"
  skipped=$((skipped + 1))
fi

# --- 2. consumer builds, two at a time --------------------------------------------------------------
build_find_package() {
  cmake_release -S tests/cmake/find_package -B "$work/find_package" -DCMAKE_PREFIX_PATH="$prefix" &&
    cmake --build "$work/find_package" -j"$jobs" && no_websocketpp_opened "$work/find_package"
}
build_find_package_redis() {
  cmake_release -S tests/cmake/find_package_redis -B "$work/find_package_redis" -DCMAKE_PREFIX_PATH="$prefix" &&
    cmake --build "$work/find_package_redis" -j"$jobs" && no_websocketpp_opened "$work/find_package_redis"
}
build_find_package_admin_ui() {
  cmake_release -S tests/cmake/find_package_admin_ui -B "$work/find_package_admin_ui" -DCMAKE_PREFIX_PATH="$prefix" &&
    cmake --build "$work/find_package_admin_ui" -j"$jobs" && no_websocketpp_opened "$work/find_package_admin_ui"
}
build_add_subdirectory() {
  cmake_release -S tests/cmake/add_subdirectory -B "$work/add_subdirectory" -DSIO_SOURCE_DIR="$root" &&
    cmake --build "$work/add_subdirectory" -j"$jobs" && no_websocketpp_opened "$work/add_subdirectory"
}
build_fetchcontent() {
  # An archive of the working tree as it is (tracked and new files, nothing ignored).
  local list=$work/fetch-files.txt
  if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$root" ls-files -co --exclude-standard | while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done >"$list"
  else
    find . -path ./tests/node_modules -prune -o -path './build*' -prune -o -type f -print | sed 's|^\./||' >"$list"
  fi
  tar -cz --transform 's,^,sio-src/,' -f "$work/sio-src.tar.gz" -T "$list" || return 1
  local sha
  sha=$(sha256sum "$work/sio-src.tar.gz" | cut -d' ' -f1)
  cmake_release -S tests/cmake/fetchcontent -B "$work/fetchcontent" \
    -DSIO_FETCH_URL="file://$work/sio-src.tar.gz" -DSIO_FETCH_SHA256="$sha" &&
    cmake --build "$work/fetchcontent" -j"$jobs" && no_websocketpp_opened "$work/fetchcontent"
}
build_pkg_config() {
  export PKG_CONFIG_PATH=$prefix/share/pkgconfig
  mkdir -p "$work/pkg-config"
  local cxx=${CXX:-c++}
  # shellcheck disable=SC2046  # word splitting of pkg-config's output is the point
  echo "$cxx -std=c++17 -O2 ... $(pkg-config --cflags sio) ... $(pkg-config --libs sio)"
  "$cxx" -std=c++17 -O2 -DNDEBUG $no_wspp_cxxflags $(pkg-config --cflags sio) \
    -DSIO_CONSUMER_ROUTE='"pkg-config"' -DSIO_CONSUMER_PACKAGE_VERSION="\"$(pkg-config --modversion sio)\"" \
    -MD -MF "$work/pkg-config/consumer.d" \
    -o "$work/pkg-config/consumer" tests/cmake/consumer/main.cpp $(pkg-config --libs sio) &&
    no_websocketpp_opened "$work/pkg-config"
}
build_conan_test_package() {
  cmake_release -S packaging/conan/test_package -B "$work/conan_test_package" -DCMAKE_PREFIX_PATH="$prefix" &&
    cmake --build "$work/conan_test_package" -j"$jobs" && no_websocketpp_opened "$work/conan_test_package"
}
build_vcpkg() {
  rm -rf "$work/vcpkg"
  cmake -DPORT_DIR="$root/packaging/vcpkg/ports/sio" -DINSTALLED_DIR="$work/vcpkg/installed" \
    -DWORK_DIR="$work/vcpkg" -P tests/cmake/vcpkg/run_portfile.cmake || return 1
  # What vcpkg's toolchain file gives a manifest project: the installed tree on CMAKE_PREFIX_PATH.
  cmake_release -S packaging/vcpkg/example -B "$work/vcpkg_example" -DCMAKE_PREFIX_PATH="$work/vcpkg/installed" &&
    cmake --build "$work/vcpkg_example" -j"$jobs" || return 1
  grep -E '^sio_DIR' "$work/vcpkg_example/CMakeCache.txt"
  grep -q "^sio_DIR:PATH=$work/vcpkg/installed/share/sio$" "$work/vcpkg_example/CMakeCache.txt" ||
    { echo "the example did not take sio from the port's installed tree"; return 1; }
  no_websocketpp_opened "$work/vcpkg_example"
}

builds=(find_package find_package_redis find_package_admin_ui add_subdirectory fetchcontent pkg_config conan_test_package vcpkg)
run_build() {  # runs in the background: records status and duration
  local name=$1 t0=$SECONDS rc
  "build_$name" >"$work/logs/build_$name.log" 2>&1
  rc=$?
  echo "$rc $((SECONDS - t0))" >"$work/status/build_$name"
}
running=0
for b in "${builds[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_build "$b" &
  running=$((running + 1))
done
wait
for b in "${builds[@]}"; do
  read -r rc secs <"$work/status/build_$b" 2>/dev/null || { rc=1 secs=0; }
  note_result "build_$b" "$rc" "$secs"
done

# --- 3. run each consumer against a client ----------------------------------------------------------
# run_with_client <exe> <expected substring> [args...]: starts the server, reads "port N", runs
# socket.io-client against it, then expects the server to exit 0 by itself (it stops when the
# client leaves).
run_with_client() {
  local exe=$1 expected=$2 out pid port="" i rc
  shift 2
  [ -x "$exe" ] || { echo "not built: $exe"; return 1; }
  out=$(mktemp "$work/server.XXXXXX")
  "$exe" "$@" >"$out" 2>&1 &
  pid=$!
  servers+=("$pid")
  for i in $(seq 100); do
    port=$(sed -n 's/^port \([0-9][0-9]*\)$/\1/p' "$out")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "server printed no port:"; cat "$out"; kill "$pid" 2>/dev/null; return 1
  fi
  timeout 30 node tests/cmake/client.mjs "$port" "$expected"
  rc=$?
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "server still running 10 s after the client left"; kill "$pid"; wait "$pid"; return 1
  fi
  wait "$pid" || { echo "server exited with $?:"; cat "$out"; return 1; }
  cat "$out"
  return $rc
}
run_test_package() {
  timeout 30 "$work/conan_test_package/test_package" | tee /dev/stderr | grep -q "^sio $version: Engine.IO handshake"
}
step run_find_package run_with_client "$work/find_package/consumer" "sio $version (package $version) via find_package greets client"
step run_add_subdirectory run_with_client "$work/add_subdirectory/consumer" "sio $version (package $version) via add_subdirectory greets client"
step run_fetchcontent run_with_client "$work/fetchcontent/consumer" "sio $version (package $version) via FetchContent greets client"
step run_pkg_config run_with_client "$work/pkg-config/consumer" "sio $version (package $version) via pkg-config greets client"
run_find_package_redis() {
  timeout 30 "$work/find_package_redis/consumer" | tee /dev/stderr | grep -q "^sio redis consumer ran$"
}
step run_find_package_redis run_find_package_redis
run_find_package_admin_ui() {
  timeout 30 "$work/find_package_admin_ui/consumer" | tee /dev/stderr | grep -q "^sio admin_ui consumer ran$"
}
step run_find_package_admin_ui run_find_package_admin_ui
step run_conan_test_package run_test_package
step run_vcpkg_example run_with_client "$work/vcpkg_example/sio_vcpkg_example" "this is sio $version (vcpkg example)" 0 --once

# --- summary ----------------------------------------------------------------------------------------
echo "packaging stage took $((SECONDS - started)) s; not exercised: the vcpkg and conan programs themselves" \
  "(neither can be installed offline; README \"## Install\" says what stands in for them)"
if [ "$failed" -gt 0 ]; then
  echo "failed: ${failures[*]} (logs and build trees kept in $work)"
elif [ -z "${SIO_PKG_WORK:-}" ]; then
  rm -rf "$work"
fi
if [ "$skipped" -gt 0 ]; then
  echo "packaging: $passed passed, $failed failed, $skipped skipped"
else
  echo "packaging: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
