#!/usr/bin/env bash
# CI stage "asio-newest": sio builds with the newest Asio Debian has, with ASIO_NO_DEPRECATED. Debian
# 12 ships Asio 1.22 (what every other stage builds with); this one takes libasio-dev from a newer
# Debian suite (unstable by default), unpacks it with dpkg-deb -x into the build directory (nothing is
# installed), configures sio's own CMake build against it and builds every example. First, the other
# end of the range: every example against Debian 12's Asio 1.22 with ASIO_NO_DEPRECATED (syntax only;
# the other stages build and run 1.22 without it).
#
#   - The .deb comes from the mirror this machine's apt sources name (scripts/lib/apt_sources.sh),
#     through apt's proxy if it has one; no mirror host is written here.
#   - It is verified as apt would: the suite's InRelease against Debian's archive keyring (gpgv),
#     Packages.xz against the Release file's SHA-256, the .deb against the Packages entry's SHA-256.
#   - The proof that the new Asio was used: CMake reports its version, and the compiler's dependency
#     files (-MD) list Asio headers from the unpacked tree only, none from /usr/include/asio.
#   - websocketpp is made unfindable for the configure (CMAKE_DISABLE_FIND_PACKAGE_websocketpp):
#     websocketpp 0.8.2 does not build with Asio >= 1.33, and sio does not need it.
#
# A download that fails is a failure when CI=true, and a loud skip otherwise; a verification or build
# failure always fails. Environment: SIO_ASIO_SUITE (default unstable), SIO_JOBS (2), SIO_ASIO_WORK
# (scratch directory, default a new /tmp dir, removed on success).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=../lib/apt_sources.sh
. scripts/lib/apt_sources.sh
suite=${SIO_ASIO_SUITE:-unstable}
jobs=${SIO_JOBS:-2}
work=${SIO_ASIO_WORK:-$(mktemp -d /tmp/sio-asio-newest.XXXXXX)}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
started=$SECONDS
mkdir -p "$work"

passed=0
fail() {
  echo "FAIL  asio-newest: $*"
  echo "asio-newest: $passed passed, 1 failed (scratch kept in $work)"
  exit 1
}
unreachable() {  # a download that did not happen
  if [ "${CI:-}" = true ]; then
    fail "$*"
  fi
  echo "SKIP  asio-newest: $* (with CI=true this stage fails)"
  echo "asio-newest: $passed passed, 0 failed, 1 skipped"
  exit 0
}

# 0. Asio 1.22 (Debian 12's, /usr/include) with ASIO_NO_DEPRECATED, two examples at a time.
oldest_version=$(sed -n 's|^#define ASIO_VERSION \([0-9]*\).*|\1|p' /usr/include/asio/version.hpp 2>/dev/null)
[ -n "$oldest_version" ] || fail "no /usr/include/asio/version.hpp (libasio-dev)"
oldest="$((oldest_version / 100000)).$((oldest_version / 100 % 1000)).$((oldest_version % 100))"
examples=()
for src in examples/*/main.cpp; do
  grep -q '#include <boost/' "$src" || examples+=("$src")  # Boost's examples take Boost.Asio
done
syntax_oldest() {
  g++ -std=c++17 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -DASIO_STANDALONE -DASIO_NO_DEPRECATED \
    -DRAPIDJSON_HAS_STDSTRING=1 -DSIO_CHAT_PUBLIC_DIR='"public"' -DSIO_CHAT_CLIENT_DIR='"client"' \
    -Iinclude "$1" >"$work/oldest-$(basename "$(dirname "$1")").log" 2>&1
}
t0=$SECONDS
pids=()
for src in "${examples[@]}"; do
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    wait "${pids[0]}" || { cat "$work"/oldest-*.log | head -n 40; fail "an example against Asio $oldest with ASIO_NO_DEPRECATED"; }
    pids=("${pids[@]:1}")
  fi
  syntax_oldest "$src" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid" || { cat "$work"/oldest-*.log | head -n 40; fail "an example against Asio $oldest with ASIO_NO_DEPRECATED"; }
done
echo "ok    asio-newest: ${#examples[@]} examples against Asio $oldest (Debian 12) with ASIO_NO_DEPRECATED," \
  "syntax only; $((SECONDS - t0)) s"
passed=$((passed + 1))

t0=$SECONDS
mirror=$(debian_mirror) || unreachable "no Debian mirror in this machine's apt sources"
echo "mirror $mirror (from the apt sources), suite $suite, scratch $work"

# 1. The suite's signed index, then Packages for architecture "all" (libasio-dev is header-only).
apt_fetch "$mirror/dists/$suite/InRelease" "$work/InRelease" || unreachable "cannot fetch $mirror/dists/$suite/InRelease"
gpgv --keyring "$keyring" --output "$work/Release" "$work/InRelease" 2>"$work/gpgv.log" ||
  { cat "$work/gpgv.log"; fail "$suite's InRelease does not verify against $keyring"; }
packages_sha=$(awk '/^SHA256:/ { in256 = 1; next } /^[^ ]/ { in256 = 0 }
  in256 && $3 == "main/binary-all/Packages.xz" { print $1; exit }' "$work/Release")
[ -n "$packages_sha" ] || fail "$suite's Release lists no main/binary-all/Packages.xz"
apt_fetch "$mirror/dists/$suite/main/binary-all/Packages.xz" "$work/Packages.xz" ||
  unreachable "cannot fetch $suite's Packages.xz"
echo "$packages_sha  $work/Packages.xz" | sha256sum -c --quiet - || fail "Packages.xz does not match its Release SHA-256"

# 2. libasio-dev's entry, the .deb, its hash, and the headers unpacked.
read -r version filename deb_sha < <(xz -dc "$work/Packages.xz" | awk '
  /^Package: / { p = ($2 == "libasio-dev") }
  p && /^Version: / { v = $2 } p && /^Filename: / { f = $2 } p && /^SHA256: / { s = $2 }
  /^$/ && p && f != "" { print v, f, s; exit }
  END { if (p && f != "") print v, f, s }')
[ -n "${filename:-}" ] && [ -n "${deb_sha:-}" ] || fail "no libasio-dev in $suite's main/binary-all"
deb=$work/${filename##*/}
apt_fetch "$mirror/$filename" "$deb" || unreachable "cannot fetch $mirror/$filename"
echo "$deb_sha  $deb" | sha256sum -c --quiet - || fail "${deb##*/} does not match its Packages SHA-256"
rm -rf "$work/asio"
dpkg-deb -x "$deb" "$work/asio" || fail "dpkg-deb -x ${deb##*/}"
asio_include=$work/asio/usr/include
asio_version=$(sed -n 's|^#define ASIO_VERSION \([0-9]*\).*|\1|p' "$asio_include/asio/version.hpp")
[ -n "$asio_version" ] || fail "no ASIO_VERSION in the unpacked headers"
asio_dotted="$((asio_version / 100000)).$((asio_version / 100 % 1000)).$((asio_version % 100))"
echo "libasio-dev $version from $suite: Asio $asio_dotted (download and checks took $((SECONDS - t0)) s)"

# 3. sio's build against it: every example, ASIO_NO_DEPRECATED, sio's warnings as errors.
build=$work/build
rm -rf "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS="-DASIO_NO_DEPRECATED" \
  -Dasio_INCLUDE_DIR="$asio_include" -DCMAKE_DISABLE_FIND_PACKAGE_websocketpp=ON \
  -DSIO_BUILD_EXAMPLES=ON -DSIO_BUILD_TESTS=OFF -DSIO_BUILD_BENCH=OFF -DSIO_INSTALL=OFF \
  >"$work/configure.log" 2>&1 || { tail -n 30 "$work/configure.log"; fail "configure"; }
grep -q "Found asio: $asio_include (found version \"$asio_dotted\")" "$work/configure.log" ||
  { grep -i asio "$work/configure.log"; fail "CMake did not take Asio $asio_dotted from $asio_include"; }
t0=$SECONDS
cmake --build "$build" -j"$jobs" >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; fail "build"; }
echo "built $(find "$build/examples" -maxdepth 2 -type f -perm -u+x | wc -l) examples in $((SECONDS - t0)) s"

# 4. Which Asio the compiler opened.
deps=$(find "$build/examples" -type f -name '*.o.d')
[ -n "$deps" ] || fail "no dependency files under $build/examples"
# shellcheck disable=SC2086  # one path per line, no spaces in the scratch directory
if grep -h -o -E '(^| )/usr/include/asio[^ ]*' $deps | sort -u | grep -m5 .; then
  fail "Debian 12's Asio 1.22 headers were opened (above)"
fi
# shellcheck disable=SC2086
grep -q "$asio_include/asio/version.hpp" $deps || fail "the dependency files do not list $asio_include/asio/version.hpp"
passed=$((passed + 1))
echo "ok    asio-newest: every example built against Asio $asio_dotted (Debian $suite's libasio-dev $version)" \
  "with ASIO_NO_DEPRECATED; $(echo "$deps" | wc -l) translation units opened no other Asio; $((SECONDS - started)) s"
[ -n "${SIO_ASIO_WORK:-}" ] || rm -rf "$work"
echo "asio-newest: $passed passed, 0 failed"
