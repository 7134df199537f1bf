# diagctl sh fallback payload: runs ON THE TARGET HOST when it has no python3 (>= 3.8).
#
# POSIX sh plus cat/head/tail/wc/awk/tr/stat or df/uname/id. Prints the same one-line JSON
# document as collector.py with "mode":"sh". It takes file, statvfs and facts captures;
# cmd and adjtimex captures are reported as "unsupported". Writes nothing on the host.
# Every argument below was quoted with shlex.quote by the jump host.

diag_json() {
  # stdin -> one JSON string literal. NULs are dropped (sh variables cannot hold them);
  # bytes >= 0x80 pass through and the jump host decodes them as UTF-8 with replacement.
  tr -d '\000' | LC_ALL=C awk '
    function esc(s,   r, c) {
      r = ""
      while (match(s, /[\\"\001-\037]/)) {
        c = substr(s, RSTART, 1)
        r = r substr(s, 1, RSTART - 1) ((c in rep) ? rep[c] : sprintf("\\u%04x", ord[c]))
        s = substr(s, RSTART + 1)
      }
      return r s
    }
    BEGIN {
      for (i = 1; i < 32; i++) ord[sprintf("%c", i)] = i
      rep["\\"] = "\\\\"; rep["\""] = "\\\""; rep["\t"] = "\\t"; rep["\r"] = "\\r"
      out = ""
    }
    { out = out (NR > 1 ? "\\n" : "") esc($0) }
    END { printf "\"%s\"", out }'
}

diag_ms() {
  # Milliseconds since the epoch where date has %N (GNU, busybox); else seconds * 1000.
  t=$(date +%s%N 2>/dev/null)
  case "$t" in
    *N|"") echo $(( $(date +%s) * 1000 )) ;;
    *) echo $(( t / 1000000 )) ;;
  esac
}

DIAG_SEP=""
diag_emit() {
  # name source rc stdout_json dropped error detail
  if [ -n "$6" ]; then diag_err="\"$6\""; else diag_err=null; fi
  printf '%s"%s":{"source":%s,"rc":%s,"stdout":%s,"stderr":"","duration_ms":0,"truncated_bytes":%s,"error":%s,"detail":%s}' \
    "$DIAG_SEP" "$1" "$(printf '%s' "$2" | diag_json)" "$3" "$4" "$5" "$diag_err" \
    "$(printf '%s' "$7" | diag_json)"
  DIAG_SEP=","
}

diag_file() {
  # name path cap tail(0|1)
  if [ ! -e "$2" ]; then diag_emit "$1" "$2" null '""' 0 missing "no such file"; return; fi
  if [ ! -r "$2" ]; then diag_emit "$1" "$2" null '""' 0 permission "not readable"; return; fi
  if [ "$4" = 1 ]; then reader="tail"; else reader="head"; fi
  total=$(wc -c < "$2" 2>/dev/null || echo 0)
  dropped=$(( total > $3 ? total - $3 : 0 ))
  diag_emit "$1" "$2" 0 "$($reader -c "$3" "$2" | diag_json)" "$dropped" "" ""
}

# statfs on a hung NFS/Lustre mount blocks in the kernel: bound it when timeout(1) exists.
# (Without it, the jump host's per-host deadline still ends the session.)
DIAG_TO=""
if command -v timeout >/dev/null 2>&1; then DIAG_TO="timeout -s KILL 5"; fi

diag_statvfs() {
  # name path... -> lines: path frsize blocks bfree bavail files ffree favail ro
  name=$1; shift
  lines=""
  for p in "$@"; do
    row=$($DIAG_TO stat -f -c '%S %b %f %a %c %d' "$p" 2>/dev/null) || row=""
    if [ -z "$row" ]; then
      # df -P -k: 1024-byte blocks; inode counts unknown (0).
      row=$($DIAG_TO df -P -k "$p" 2>/dev/null | awk 'NR == 2 { print 1024, $2, $4, $4, 0, 0 }')
    fi
    [ -n "$row" ] || continue
    ro=$(awk -v p="$p" '$2 == p { ro = ($4 ~ /(^|,)ro(,|$)/) ? 1 : 0 } END { print ro + 0 }' /proc/self/mounts 2>/dev/null)
    set -- $row
    lines="$lines$p	$1	$2	$3	$4	$5	$6	$6	${ro:-0}
"
  done
  diag_emit "$name" statvfs 0 "$(printf '%s' "$lines" | diag_json)" 0 "" ""
}

diag_read() {
  head -c 4096 "$1" 2>/dev/null
}

diag_facts() {
  up=$(diag_read /proc/uptime); up=${up%% *}
  cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)
  facts=$(printf '{"hostname":%s,"kernel":%s,"arch":%s,"python":"","cpu_count":%s,"boot_id":%s,"uptime_s":%s,"os_release":%s,"euid":%s,"product_serial":%s,"product_uuid":%s,"machine_id":%s}' \
    "$(uname -n | diag_json)" "$(uname -r | diag_json)" "$(uname -m | diag_json)" \
    "${cpus:-0}" "$(diag_read /proc/sys/kernel/random/boot_id | tr -d '\n' | diag_json)" \
    "$(printf '%s' "${up:-0}" | diag_json)" "$(head -c 1024 /etc/os-release 2>/dev/null | diag_json)" \
    "$(id -u)" "$(diag_read /sys/class/dmi/id/product_serial | tr -d '\n' | diag_json)" \
    "$(diag_read /sys/class/dmi/id/product_uuid | tr -d '\n' | diag_json)" \
    "$(diag_read /etc/machine-id | tr -d '\n' | diag_json)")
  diag_emit "$1" facts 0 "$(printf '%s' "$facts" | diag_json)" 0 "" ""
}

diag_unsupported() {
  diag_emit "$1" "$2" null '""' 0 unsupported "the sh fallback payload cannot take this capture"
}
