#!/usr/bin/env bash
# CI stage "mingw": sio keeps building for Windows. Debian's MinGW-w64 cross compiler
# (x86_64-w64-mingw32-g++-posix, from scripts/setup.sh) compiles programs that use sio, syntax only
# (-fsyntax-only: parsed and every template instantiated, no object code, so nothing to link), in
# C++17 with sio's warnings as errors (-Wall -Wextra -Wpedantic -Werror) and _WIN32_WINNT for
# Windows 10. Nothing is run: there is no Windows here.
#
# The dependencies' headers are Debian's (Asio, RapidJSON, OpenSSL 3.0), taken as system headers
# (-isystem, as CMake takes an imported target's), through a directory that holds only them: the
# host's /usr/include is never on the path, so no Linux header can stand in for a Windows one. OpenSSL
# is configured per platform in one header, openssl/configuration.h; the host's is used with the
# bignum word size OpenSSL's mingw64 target has (SIXTY_FOUR_BIT: long is 32 bits on Windows).
# Without the cross compiler the stage fails when CI=true, and otherwise says loudly that it skipped.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
cxx=${SIO_MINGW_CXX:-x86_64-w64-mingw32-g++-posix}
programs=(examples/sio_echo/main.cpp examples/chat/main.cpp)
started=$SECONDS

if ! command -v "$cxx" >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "FAIL  mingw: $cxx is missing; install g++-mingw-w64-x86-64-posix (scripts/setup.sh)"
    echo "mingw: 0 passed, 1 failed"
    exit 1
  fi
  echo "SKIP  mingw: $cxx is missing (g++-mingw-w64-x86-64-posix); with CI=true this stage fails"
  exit 0
fi

work=$(mktemp -d /tmp/sio-mingw.XXXXXX)
trap 'rm -rf "$work"' EXIT
deps=$work/include
mkdir -p "$deps/openssl"
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
for h in /usr/include/asio /usr/include/asio.hpp /usr/include/rapidjson; do
  [ -e "$h" ] || { echo "FAIL  mingw: $h is missing (libasio-dev, rapidjson-dev)"; exit 1; }
  ln -s "$h" "$deps/"
done
[ -f "/usr/include/$multiarch/openssl/configuration.h" ] ||
  { echo "FAIL  mingw: no /usr/include/$multiarch/openssl/configuration.h (libssl-dev)"; exit 1; }
for h in /usr/include/openssl/*.h; do ln -s "$h" "$deps/openssl/"; done
ln -s "/usr/include/$multiarch/openssl/opensslconf.h" "$deps/openssl/"
sed -e 's/^\(# *\)define SIXTY_FOUR_BIT_LONG$/\1undef SIXTY_FOUR_BIT_LONG/' \
  -e 's/^\(# *\)undef SIXTY_FOUR_BIT$/\1define SIXTY_FOUR_BIT/' \
  "/usr/include/$multiarch/openssl/configuration.h" >"$deps/openssl/configuration.h"
grep -q '^# *define SIXTY_FOUR_BIT$' "$deps/openssl/configuration.h" &&
  ! grep -q '^# *define SIXTY_FOUR_BIT_LONG$' "$deps/openssl/configuration.h" ||
  { echo "FAIL  mingw: could not set OpenSSL's word size in configuration.h"; exit 1; }

passed=0 failed=0
compile() {  # program: syntax only; the dependency file shows Windows headers were used
  local src=$1 name log
  name=$(basename "$(dirname "$src")")
  log=$work/$name.log
  "$cxx" -std=c++17 -fsyntax-only -Wall -Wextra -Wpedantic -Werror \
    -DASIO_STANDALONE -DRAPIDJSON_HAS_STDSTRING=1 -D_WIN32_WINNT=0x0A00 \
    -DSIO_CHAT_PUBLIC_DIR='"public"' -DSIO_CHAT_CLIENT_DIR='"client"' \
    -Iinclude -isystem "$deps" -MD -MF "$work/$name.d" "$src" >"$log" 2>&1 || return 1
  grep -qi 'winsock2\.h' "$work/$name.d" || { echo "no winsock2.h among the headers opened" >>"$log"; return 1; }
  if grep -o -E '(^| )/usr/include/[^ ]*' "$work/$name.d" | sed 's/^ //' |
    grep -v -E '^/usr/include/(asio|rapidjson|openssl)/|^/usr/include/asio\.hpp$' |
    sort -u | head -5 | grep . >>"$log"; then
    echo "host headers outside Asio, RapidJSON and OpenSSL were opened (above)" >>"$log"
    return 1
  fi
}
pids=()
for src in "${programs[@]}"; do
  compile "$src" &
  pids+=($!)
done
for i in "${!programs[@]}"; do
  src=${programs[$i]}
  name=$(basename "$(dirname "$src")")
  if wait "${pids[$i]}"; then
    echo "ok    $src for Windows ($cxx $("$cxx" -dumpversion), C++17, syntax only)"
    passed=$((passed + 1))
  else
    echo "FAIL  $src for Windows:"
    sed 's/^/    | /' "$work/$name.log" | head -n 40
    failed=$((failed + 1))
  fi
done
echo "mingw stage took $((SECONDS - started)) s"
echo "mingw: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
