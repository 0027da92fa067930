#!/usr/bin/env bash
# CI stage "apt-sources": scripts/lib/apt_sources.sh, which scripts/setup.sh (bookworm-backports for
# Catch2 v3) and scripts/test.d/asio-newest.sh (the newest Asio's .deb) use to reuse the mirror the
# machine's apt sources already name, against sample /etc/apt trees: one-line and deb822 entries,
# options, comments, disabled stanzas, files apt ignores, a company mirror, mirror+ URIs; the
# backports entry written in the base entry's format, and a second run that changes nothing.
# Then the machine's own sources: the mirror they name. Seconds; no network, no root.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/apt_sources.sh
. "$root/scripts/lib/apt_sources.sh"
work=$(mktemp -d /tmp/sio-apt-sources.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {  # name expected actual
  if [ "$2" = "$3" ]; then
    echo "ok    $1"
    passed=$((passed + 1))
  else
    printf 'FAIL  %s\n      expected: %s\n      actual:   %s\n' "$1" "$2" "$3"
    failed=$((failed + 1))
  fi
}
tree() {  # a fresh sample /etc/apt
  APT_ETC=$work/$1
  export APT_ETC
  rm -rf "$APT_ETC"
  mkdir -p "$APT_ETC/sources.list.d"
}

# 1. Debian 12's default layout: deb822, the archive and security in one file; other files apt ignores.
tree deb822
cat >"$APT_ETC/sources.list.d/debian.sources" <<'X'
Types: deb
# a comment inside the stanza
URIs: http://debian.mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://debian.mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
X
echo "deb http://elsewhere.invalid/debian bookworm main" >"$APT_ETC/sources.list.d/old.list.disabled"
check "deb822: the archive's mirror" "http://debian.mirror.example/debian" "$(debian_mirror bookworm)"
check "deb822: every (URI, suite) listed, security included" 3 "$(apt_source_entries | wc -l)"
apt_add_backports bookworm >/dev/null
check "deb822: backports as a copy of the stanza" "Types: deb
URIs: http://debian.mirror.example/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" "$(cat "$APT_ETC/sources.list.d/sio-backports.sources" 2>&1)"
check "deb822: backports now among the entries" "http://debian.mirror.example/debian bookworm-backports main" \
  "$(apt_source_entries | awk -F'\t' '$5 == "bookworm-backports" { print $4, $5, $6 }')"
check "deb822: a second run writes nothing" "" "$(apt_add_backports bookworm)"

# 2. A company mirror in a one-line sources.list, with options, comments, deb-src, a proxy-style
#    host with a port, and a trailing slash; an inline-key deb822 stanza that is disabled.
tree company
cat >"$APT_ETC/sources.list" <<'X'
# company mirror
deb-src http://mirror.corp.example:3142/debian bookworm main
deb [arch=amd64 signed-by=/etc/apt/keyrings/corp.gpg] http://mirror.corp.example:3142/debian/ bookworm main contrib  # the archive
deb http://mirror.corp.example:3142/debian-security bookworm-security main
X
cat >"$APT_ETC/sources.list.d/extra.sources" <<'X'
Enabled: no
Types: deb
URIs: http://disabled.invalid/debian
Suites: bookworm
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw/NZJPR8lsD9K7qmYqP0h1kpU0MA
 -----END PGP PUBLIC KEY BLOCK-----
X
check "one-line: the company mirror, options skipped, slash trimmed" "http://mirror.corp.example:3142/debian" \
  "$(debian_mirror bookworm)"
apt_add_backports bookworm >/dev/null
check "one-line: backports with the same options" \
  "deb [arch=amd64 signed-by=/etc/apt/keyrings/corp.gpg] http://mirror.corp.example:3142/debian/ bookworm-backports main" \
  "$(cat "$APT_ETC/sources.list.d/sio-backports.list" 2>&1)"
check "one-line: a second run writes nothing" "" "$(apt_add_backports bookworm)"
# The mirror moves: ours follows it.
sed -i 's|mirror.corp.example:3142|mirror2.corp.example|' "$APT_ETC/sources.list"
apt_add_backports bookworm >/dev/null
check "one-line: a moved mirror rewrites ours" \
  "deb [arch=amd64 signed-by=/etc/apt/keyrings/corp.gpg] http://mirror2.corp.example/debian/ bookworm-backports main" \
  "$(cat "$APT_ETC/sources.list.d/sio-backports.list" 2>&1)"

# 3. deb822 with several URIs, an inline key kept verbatim, the first stanza disabled; backports
#    already configured by the user elsewhere.
tree inline
cat >"$APT_ETC/sources.list.d/debian.sources" <<'X'
Types: deb
URIs: http://disabled.invalid/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb deb-src
URIs: https://cache.corp.example/debian
 https://second.corp.example/debian
Suites: bookworm
Components: main non-free-firmware
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw/NZJPR8lsD9K7qmYqP0h1kpU0MA
 -----END PGP PUBLIC KEY BLOCK-----
X
check "deb822: disabled stanza skipped, first URI taken" "https://cache.corp.example/debian" "$(debian_mirror bookworm)"
apt_add_backports bookworm >/dev/null
check "deb822: the inline key is copied" "Types: deb deb-src
URIs: https://cache.corp.example/debian
Suites: bookworm-backports
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw/NZJPR8lsD9K7qmYqP0h1kpU0MA
 -----END PGP PUBLIC KEY BLOCK-----" "$(cat "$APT_ETC/sources.list.d/sio-backports.sources" 2>&1)"
tree user-backports
printf 'deb http://m.corp.example/debian bookworm main\ndeb http://m.corp.example/debian bookworm-backports main\n' \
  >"$APT_ETC/sources.list"
apt_add_backports bookworm >/dev/null
check "the user's own backports entry: nothing written" "" "$(ls "$APT_ETC/sources.list.d")"

# 4. What cannot be used is refused with a reason, not guessed around.
tree refused
echo "deb mirror+file:/etc/apt/mirrors.txt bookworm main" >"$APT_ETC/sources.list"
check "mirror+ URI refused" "1" "$(debian_mirror bookworm >/dev/null 2>&1; echo $?)"
tree empty
check "no sources: refused" "1" "$(debian_mirror bookworm >/dev/null 2>&1; echo $?)"
check "no sources: no backports written" "1" "$(apt_add_backports bookworm >/dev/null 2>&1; echo $?)"

# 5. The proxy apt would use for a URI (curl then goes through it too): global, per host, DIRECT.
if command -v apt-config >/dev/null 2>&1; then
  cat >"$work/apt.conf" <<'X'
Acquire::http::Proxy "http://proxy.corp.example:3128/";
Acquire::http::Proxy::direct.corp.example "DIRECT";
Acquire::https::Proxy::cache.corp.example "http://other-proxy.corp.example:8080/";
X
  check "apt proxy: global" "http://proxy.corp.example:3128/" \
    "$(APT_CONFIG=$work/apt.conf apt_proxy_for http://mirror.corp.example:3142/debian)"
  check "apt proxy: DIRECT for one host" "" "$(APT_CONFIG=$work/apt.conf apt_proxy_for http://direct.corp.example/debian)"
  check "apt proxy: per host, https" "http://other-proxy.corp.example:8080/" \
    "$(APT_CONFIG=$work/apt.conf apt_proxy_for https://user@cache.corp.example/debian)"
fi

# 6. This machine: the mirror its apt sources name (what setup.sh and asio-newest.sh use).
unset APT_ETC
if codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}") && mirror=$(debian_mirror "$codename"); then
  proxy=$(apt_proxy_for "$mirror")
  echo "ok    this machine: $codename main from $mirror${proxy:+ through the proxy apt uses, $proxy}"
  passed=$((passed + 1))
else
  echo "FAIL  this machine's apt sources name no usable mirror for its release"
  failed=$((failed + 1))
fi
echo "apt-sources: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
