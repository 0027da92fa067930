#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, test and run sio.
# Idempotent: it only calls apt/npm when something is missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# libwebsocketpp-dev: the integration tests' WebSocket client and the bench's raw peer (not sio's).
# clang-format: the style check (scripts/test.d/format.sh).
# g++-mingw-w64-x86-64-posix: the Windows cross-compile (scripts/test.d/mingw.sh); posix threads,
# which std::mutex and std::thread need in g++ 12's MinGW.
# xz-utils, gpgv, debian-archive-keyring: the newest Asio's .deb (scripts/test.d/asio-newest.sh).
# python3-socketio, python3-engineio and the transports of their synchronous clients
# (python3-requests: polling, python3-websocket: WebSocket): the Python interop tests
# (tests/interop/python), run with Debian's /usr/bin/python3.
# libboost-dev: Boost.Beast, for examples/beast_mount (sio mounted on a Beast server) and its tests.
# libhiredis-dev: the RESP reader and command formatter of sio's Redis client (include/sio/redis/,
# the sio::redis target); redis-server: the real server its tests (tests/redis) start on loopback.
# libmsgpack-cxx-dev: msgpack (notepack.io-compatible) for include/sio/redis_adapter.hpp's broadcasts.
# haproxy: the load balancer in front of the chat cluster (examples/chat/haproxy.cfg) and its test.
# libcrypt-dev: libxcrypt's bcrypt (crypt_rn, crypt_checksalt) for sio::admin_ui's logins
# (include/sio/admin/password_check.hpp); the chat example links it for --admin-ui.
# prometheus: its promtool checks sio's /metrics text (tests/metrics; a parser that is not ours).
apt_packages=(build-essential cmake pkg-config clang clang-format libasio-dev libwebsocketpp-dev rapidjson-dev
              libssl-dev openssl curl chromium g++-mingw-w64-x86-64-posix xz-utils gpgv
              debian-archive-keyring python3-socketio python3-engineio python3-requests
              python3-websocket libboost-dev libhiredis-dev redis-server libmsgpack-cxx-dev haproxy
              libcrypt-dev prometheus)
missing=()
# Node may come from another source (e.g. NodeSource, which bundles npm): only ask apt when absent.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Catch2 v3 lives in bookworm-backports on Debian 12.
catch2_ok=0
if dpkg-query -W -f='${Version}' libcatch2-dev 2>/dev/null | grep -q '^3'; then catch2_ok=1; fi

if [ ${#missing[@]} -gt 0 ] || [ $catch2_ok -eq 0 ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  if [ $catch2_ok -eq 0 ] && [ "$codename" = "bookworm" ]; then
    # From the mirror the machine's apt sources already name (scripts/lib/apt_sources.sh).
    # shellcheck source=lib/apt_sources.sh
    . "$here/scripts/lib/apt_sources.sh"
    apt_add_backports "$codename"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if [ $catch2_ok -eq 0 ]; then
    if [ "$codename" = "bookworm" ]; then
      $SUDO apt-get install -y -qq -t bookworm-backports libcatch2-dev
    else
      $SUDO apt-get install -y -qq libcatch2-dev
    fi
  fi
fi

# npm packages for the interop and browser tests (versions pinned by the lockfile).
if [ -f "$here/tests/package.json" ]; then
  if [ ! -d "$here/tests/node_modules" ] ||
     [ "$here/tests/package-lock.json" -nt "$here/tests/node_modules/.package-lock.json" ]; then
    (cd "$here/tests" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
