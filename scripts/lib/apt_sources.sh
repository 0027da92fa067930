# Reads the machine's apt sources, so that sio's scripts fetch from the Debian mirror this machine
# already uses (a company mirror, a local cache) instead of a host written into a script.
# Sourced by scripts/setup.sh and scripts/test.d/asio-newest.sh; tested by scripts/test.d/apt-sources.sh.
#
# Both formats apt reads: one-line entries in sources.list and sources.list.d/*.list, and deb822
# stanzas in sources.list.d/*.sources (apt ignores other file names, so does this). APT_ETC (default
# /etc/apt) points elsewhere for tests.

# apt_source_entries: one line per (URI, suite) of every enabled "deb" entry, tab-separated:
#   format  file  stanza  uri  suite  components  options
# format is "list" or "deb822"; stanza is the stanza's number in a .sources file (0 for one-line);
# options is the one-line entry's bracket contents ("" for deb822: apt_source_stanza copies those).
apt_source_entries() {
  local etc=${APT_ETC:-/etc/apt} f
  for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v file="$f" '
      { sub(/#.*/, "") }
      NF == 0 { next }
      $1 != "deb" { next }
      {
        line = $0; opts = ""
        sub(/^[ \t]*deb[ \t]+/, "", line)
        if (line ~ /^\[/) {               # [ option=value ... ] may hold spaces
          end = index(line, "]")
          if (end == 0) next
          opts = substr(line, 2, end - 2)
          gsub(/^[ \t]+|[ \t]+$/, "", opts)
          line = substr(line, end + 1)
        }
        n = split(line, w, /[ \t]+/)
        k = 0
        for (i = 1; i <= n; i++) if (w[i] != "") v[++k] = w[i]
        if (k < 2) next
        comps = ""
        for (i = 3; i <= k; i++) comps = comps (i > 3 ? " " : "") v[i]
        printf "list\t%s\t0\t%s\t%s\t%s\t%s\n", file, v[1], v[2], comps, opts
      }' "$f"
  done
  for f in "$etc"/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v file="$f" '
      function flush(   nu, ns, u, s, i, j, typ) {
        if (stanza_lines > 0 && tolower(enabled) != "no") {
          typ = " " types " "
          if (typ ~ /[ \t]deb[ \t]/) {
            nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
            for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
              if (u[i] != "" && s[j] != "")
                printf "deb822\t%s\t%d\t%s\t%s\t%s\t\n", file, stanza, u[i], s[j], comps
          }
        }
        types = uris = suites = comps = enabled = field = ""
        stanza_lines = 0
      }
      BEGIN { stanza = 0 }
      /^#/ { next }
      /^[ \t]*$/ { if (stanza_lines > 0) { flush(); stanza++ } next }
      /^[ \t]/ {                            # continuation of the field above
        stanza_lines++
        if (field == "uris") uris = uris " " $0
        else if (field == "suites") suites = suites " " $0
        else if (field == "components") comps = comps " " $0
        else if (field == "types") types = types " " $0
        next
      }
      {
        stanza_lines++
        colon = index($0, ":")
        field = tolower(substr($0, 1, colon - 1))
        value = substr($0, colon + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", value)
        if (field == "types") types = value
        else if (field == "uris") uris = value
        else if (field == "suites") suites = value
        else if (field == "components") comps = value
        else if (field == "enabled") enabled = value
      }
      END { flush() }' "$f" | awk -F'\t' -v OFS='\t' '{ gsub(/[ \t]+/, " ", $6); sub(/^ /, "", $6); print }'
  done
}

# apt_source_stanza FILE N: stanza N of a .sources file as it is written (comments dropped).
apt_source_stanza() {
  awk -v want="$2" '
    BEGIN { stanza = 0; lines = 0 }
    /^#/ { next }
    /^[ \t]*$/ { if (lines > 0) { stanza++; lines = 0 } next }
    { lines++; if (stanza == want) print }' "$1"
}

# debian_archive_entry [CODENAME]: the first entry serving Debian's main archive for CODENAME (the
# release's own suite, with component main), as apt_source_entries prints it. Fails if there is none
# or if its URI is not one curl can fetch (mirror+..., cdrom:).
debian_archive_entry() {
  local codename=${1:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")} entry
  entry=$(apt_source_entries | awk -F'\t' -v suite="$codename" \
    '$5 == suite && (" " $6 " ") ~ / main / { print; exit }')
  if [ -z "$entry" ]; then
    echo "no enabled 'deb' entry for $codename main in ${APT_ETC:-/etc/apt}/sources.list{,.d/}" >&2
    return 1
  fi
  case $(printf '%s' "$entry" | cut -f4) in
    http://* | https://* | ftp://*) ;;
    *)
      echo "the apt source for $codename main is not plain http(s)/ftp: $(printf '%s' "$entry" | cut -f4)" >&2
      return 1
      ;;
  esac
  printf '%s\n' "$entry"
}

# debian_mirror [CODENAME]: that entry's URI without a trailing slash, e.g. http://<mirror host>/debian.
debian_mirror() {
  local entry
  entry=$(debian_archive_entry "$@") || return 1
  printf '%s' "$entry" | cut -f4 | sed 's|/*$||'
}

# apt_proxy_for URI: the proxy apt itself would use for URI (Acquire::http(s)::Proxy, per host or
# global), or nothing. "DIRECT" and unset print nothing.
apt_proxy_for() {
  command -v apt-config >/dev/null 2>&1 || return 0
  local scheme=${1%%://*} rest host proxy=""
  rest=${1#*://}
  host=${rest%%/*}
  host=${host##*@}
  host=${host%%:*}
  case $scheme in http | https) ;; *) return 0 ;; esac
  eval "$(apt-config shell proxy "Acquire::$scheme::Proxy::$host")"
  if [ -z "$proxy" ]; then
    eval "$(apt-config shell proxy "Acquire::$scheme::Proxy")"
  fi
  [ "$proxy" = DIRECT ] && proxy=""
  printf '%s' "$proxy"
}

# apt_fetch URI OUT: downloads URI to OUT with curl, through apt's proxy when apt has one (curl's
# own *_proxy variables apply otherwise).
apt_fetch() {
  local proxy
  proxy=$(apt_proxy_for "$1")
  if [ -n "$proxy" ]; then
    curl -fsSL --retry 2 --connect-timeout 20 --max-time 300 --proxy "$proxy" -o "$2" "$1"
  else
    curl -fsSL --retry 2 --connect-timeout 20 --max-time 300 -o "$2" "$1"
  fi
}

# apt_add_backports CODENAME: adds CODENAME-backports from the mirror the apt sources already name
# for CODENAME main (a company mirror or cache included; apt's own proxy settings apply to it as to
# every other source): that entry with the suite changed, in its format, as
# sources.list.d/sio-backports.list or .sources. Writes nothing when an enabled backports entry exists
# elsewhere or ours is up to date (idempotent); replaces ours when the mirror changed. Writes through
# $SUDO when it is set.
apt_add_backports() {
  local codename=$1 suite="$1-backports" etc=${APT_ETC:-/etc/apt} ours entry format file stanza uri opts desired target
  ours="$etc/sources.list.d/sio-backports."
  if apt_source_entries | awk -F'\t' -v s="$suite" -v ours="$ours" \
       '$5 == s && index($2, ours) != 1 { found = 1 } END { exit !found }'; then
    return 0
  fi
  entry=$(debian_archive_entry "$codename") || {
    echo "cannot add $suite (for Catch2 v3): add it to your apt sources yourself" >&2
    return 1
  }
  IFS=$'\t' read -r format file stanza uri _ _ opts <<<"$entry"
  if [ "$format" = list ]; then
    desired="deb ${opts:+[$opts] }$uri $suite main"
    target=${ours}list
  else
    desired=$(apt_source_stanza "$file" "$stanza" | awk -v uri="$uri" -v suite="$suite" '
      /^[ \t]/ { if (!skip) print; next }
      { skip = 0; f = tolower($0) }
      f ~ /^uris:/ { print "URIs: " uri; skip = 1; next }
      f ~ /^suites:/ { print "Suites: " suite; skip = 1; next }
      f ~ /^components:/ { print "Components: main"; skip = 1; next }
      f ~ /^enabled:/ { skip = 1; next }
      { print }')
    target=${ours}sources
  fi
  if [ "$(cat "$target" 2>/dev/null)" != "$desired" ]; then
    echo "apt sources: $suite from $uri -> $target"
    printf '%s\n' "$desired" | ${SUDO:-} tee "$target" >/dev/null
  fi
  local other
  for other in "${ours}list" "${ours}sources"; do
    if [ "$other" != "$target" ] && [ -e "$other" ]; then ${SUDO:-} rm -f "$other"; fi
  done
}
