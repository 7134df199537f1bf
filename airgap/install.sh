#!/usr/bin/env bash
# diagctl offline installer, shipped at the top of every `diagctl airgap build` bundle.
#
#   ./install.sh [--expect-sha256 HEX] [--prefix DIR] [--bin-dir DIR] [--python PYTHON]
#   ./install.sh --rollback  [--prefix DIR]
#   ./install.sh --uninstall [--prefix DIR] [--bin-dir DIR]
#
# Order: verify the bundle (SHA256SUMS, and its own digest against --expect-sha256), check this
# machine's CPU, Python and glibc against manifest.json, check the target can be written, take
# a lock; only then change anything. The venv goes to PREFIX/<version> (default
# /opt/diagctl/<version>), PREFIX/current points at it, PREFIX/previous at the version before,
# BIN_DIR/diagctl (default /usr/local/bin) at PREFIX/current/bin/diagctl. pip runs with no
# index, no configuration file and no PIP_* variable of this machine: only the bundle's wheels.
#
# Exit status: 0 done (or already installed), 2 refused (nothing changed), 1 failed.
set -euo pipefail
umask 022

PREFIX=/opt/diagctl
BIN_DIR=/usr/local/bin
PYTHON=""
EXPECT=""
MODE=install
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { printf 'install.sh: %s\n' "$*" >&2; }
refuse() { say "refused: $*"; exit 2; }
fail() { say "failed: $*"; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || refuse "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
    --bin-dir) [ $# -ge 2 ] || refuse "--bin-dir needs a directory"; BIN_DIR=$2; shift 2 ;;
    --python) [ $# -ge 2 ] || refuse "--python needs an interpreter"; PYTHON=$2; shift 2 ;;
    --expect-sha256) [ $# -ge 2 ] || refuse "--expect-sha256 needs a digest"; EXPECT=$2; shift 2 ;;
    --uninstall) MODE=uninstall; shift ;;
    --rollback) MODE=rollback; shift ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) refuse "unknown option: $1 (see --help)" ;;
  esac
done
case "$PREFIX" in /*) ;; *) PREFIX="$(pwd)/$PREFIX" ;; esac
case "$BIN_DIR" in /*) ;; *) BIN_DIR="$(pwd)/$BIN_DIR" ;; esac

verify_bundle() {
  cd "$HERE"
  [ -f SHA256SUMS ] || refuse "$HERE/SHA256SUMS is missing: not a complete bundle"
  local actual
  actual=$(sha256sum SHA256SUMS | cut -d' ' -f1)
  if [ -n "$EXPECT" ]; then
    [ "$actual" = "$EXPECT" ] || refuse "SHA256SUMS has sha256 $actual, not the expected $EXPECT: the bundle was edited or is another build"
  else
    say "warning: SHA256SUMS (sha256 $actual) is not anchored; pass --expect-sha256 with the digest the build printed to detect an edited bundle"
  fi
  if grep -qvE '^[0-9a-f]{64}  [A-Za-z0-9._+-][A-Za-z0-9._+/-]*$' SHA256SUMS || grep -qE '(^|/)\.\.(/|$)' SHA256SUMS; then
    refuse "SHA256SUMS has a malformed line: $(grep -vE '^[0-9a-f]{64}  [A-Za-z0-9._+/-]+$' SHA256SUMS | head -1 | cut -c1-120)"
  fi
  local bad
  if ! bad=$(sha256sum --check --strict --quiet SHA256SUMS 2>&1); then
    refuse "checksum mismatch: $(printf '%s\n' "$bad" | head -1) (a corrupted, tampered or half-copied bundle)"
  fi
  local extra
  extra=$(find . -mindepth 1 ! -type d ! -name SHA256SUMS | sed 's|^\./||' | sort | comm -13 <(cut -c67- SHA256SUMS | sort) -)
  [ -z "$extra" ] || refuse "file not listed in SHA256SUMS: $(printf '%s\n' "$extra" | head -1)"
}

runs() { "$1" -c 'import sys; sys.exit(sys.version_info < (3,))' >/dev/null 2>&1; }

pick_python() {  # --python, else the first python3.X on PATH that runs and the bundle fits
  if [ -n "$PYTHON" ]; then
    command -v "$PYTHON" >/dev/null 2>&1 || refuse "--python $PYTHON: not found"
    return
  fi
  local c first="" arch
  arch=$(uname -m); [ "$arch" = arm64 ] && arch=aarch64
  for c in python3.12 python3.11 python3.10 python3; do
    command -v "$c" >/dev/null 2>&1 && runs "$c" || continue
    [ -n "$first" ] || first=$(command -v "$c")
    if "$c" -c 'import json,sys; m=json.load(open(sys.argv[1])); v="%d.%d" % sys.version_info[:2]; sys.exit(not any(p["arch"] == sys.argv[2] and p["python"] == v for p in m["platforms"]))' "$HERE/manifest.json" "$arch" 2>/dev/null; then
      PYTHON=$(command -v "$c"); return
    fi
  done
  [ -n "$first" ] || refuse "no python3 found on PATH (diagctl needs CPython 3.10-3.12; use --python)"
  PYTHON=$first
}

check_platform() {
  local arch pyinfo pyver impl glibc platforms
  arch=$(uname -m)
  [ "$arch" = arm64 ] && arch=aarch64
  pyinfo=$("$PYTHON" -c 'import platform,sys; print("%d.%d %s %s" % (sys.version_info[0], sys.version_info[1], platform.python_implementation(), platform.libc_ver()[1] or "none"))') \
    || refuse "--python $PYTHON does not run"
  read -r pyver impl glibc <<<"$pyinfo"
  [ "$impl" = CPython ] || refuse "$PYTHON is $impl; the bundle's wheels are for CPython"
  platforms=$("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(" ".join(p["arch"]+"-"+p["python"] for p in m["platforms"]))' "$HERE/manifest.json")
  VERSION=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["diagctl_version"])' "$HERE/manifest.json")
  REQUIREMENT=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["requirement"])' "$HERE/manifest.json")
  case " $platforms " in
    *" $arch-$pyver "*) ;;
    *) refuse "this bundle has no wheels for $arch with CPython $pyver ($PYTHON); it was built for: $platforms" ;;
  esac
  local need
  need=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["glibc_min"])' "$HERE/manifest.json")
  if [ "$glibc" = none ] || ! "$PYTHON" -c 'import sys; a,b=sys.argv[1:]; sys.exit(tuple(map(int,a.split(".")))<tuple(map(int,b.split("."))))' "$glibc" "$need"; then
    refuse "this machine's C library is glibc $glibc; the bundle's manylinux wheels need glibc >= $need"
  fi
  "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || refuse "$PYTHON has no venv/ensurepip module (Debian/Ubuntu: the python3-venv package)"
}

writable() {  # the directory, or its nearest existing parent, can be written by us
  local d=$1 probe
  while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  [ -d "$d" ] || refuse "$1: $d is not a directory"
  probe="$d/.diagctl-write-test.$$"
  if ! ( : >"$probe" ) 2>/dev/null; then refuse "$1: $d is not writable by $(id -un)"; fi
  rm -f "$probe"
}

check_bin_link() {
  local link="$BIN_DIR/diagctl"
  if [ -e "$link" ] || [ -L "$link" ]; then
    [ -L "$link" ] && [ "$(readlink "$link")" = "$PREFIX/current/bin/diagctl" ] \
      || refuse "$link exists and is not this installer's link to $PREFIX/current/bin/diagctl; move it away first"
  fi
}

take_lock() {
  mkdir -p "$PREFIX"
  exec 9>"$PREFIX/.install.lock"
  flock -n 9 || refuse "another install.sh is running on $PREFIX (it holds $PREFIX/.install.lock)"
}

swap_link() {  # atomically point $2 at $1
  ln -sfn "$1" "$2.tmp.$$"
  mv -Tf "$2.tmp.$$" "$2"
}

make_venv() {
  local dest=$1
  "$PYTHON" -m venv "$dest" || fail "$PYTHON -m venv $dest"
  env -i PATH=/usr/bin:/bin HOME="$dest" LC_ALL=C.UTF-8 PIP_CONFIG_FILE=/dev/null PYTHONNOUSERSITE=1 \
    "$dest/bin/python" -m pip install --isolated --no-index --find-links "$HERE/wheels" \
    --only-binary=:all: --no-cache-dir --disable-pip-version-check --quiet "$REQUIREMENT" \
    || fail "pip install $REQUIREMENT from $HERE/wheels"
  "$dest/bin/diagctl" version >/dev/null || fail "$dest/bin/diagctl version does not run"
}

install_version() {
  local dest="$PREFIX/$VERSION" digest old=""
  digest=$(sha256sum "$HERE/SHA256SUMS" | cut -d' ' -f1)
  if [ -f "$dest/.diagctl-bundle" ] && [ "$(cat "$dest/.diagctl-bundle")" = "$digest" ]; then
    say "diagctl $VERSION from this bundle is already in $dest"
  else
    if [ -e "$dest" ]; then old="$PREFIX/.replaced-$VERSION.$$"; mv -T "$dest" "$old"; fi
    trap 'rm -rf "$dest"; [ -z "$old" ] || mv -T "$old" "$dest"' EXIT
    make_venv "$dest"
    printf '%s\n' "$digest" >"$dest/.diagctl-bundle"
    trap - EXIT
    [ -z "$old" ] || rm -rf "$old"
  fi
  local cur
  cur=$(readlink "$PREFIX/current" 2>/dev/null || true)
  if [ -n "$cur" ] && [ "$cur" != "$VERSION" ]; then swap_link "$cur" "$PREFIX/previous"; fi
  swap_link "$VERSION" "$PREFIX/current"
  mkdir -p "$BIN_DIR"
  swap_link "$PREFIX/current/bin/diagctl" "$BIN_DIR/diagctl"
  prune
  say "installed diagctl $VERSION in $dest; $BIN_DIR/diagctl -> $PREFIX/current/bin/diagctl"
}

prune() {  # keep current and previous; other versions this installer made go
  local keep_c keep_p d
  keep_c=$(readlink "$PREFIX/current" 2>/dev/null || true)
  keep_p=$(readlink "$PREFIX/previous" 2>/dev/null || true)
  for d in "$PREFIX"/*/; do
    d=${d%/}
    [ -f "$d/.diagctl-bundle" ] && [ ! -L "$d" ] || continue
    case "$(basename "$d")" in "$keep_c"|"$keep_p") ;; *) rm -rf "$d" ;; esac
  done
}

rollback() {
  local cur prev
  prev=$(readlink "$PREFIX/previous" 2>/dev/null || true)
  [ -n "$prev" ] && [ -f "$PREFIX/$prev/.diagctl-bundle" ] || refuse "no previous version in $PREFIX to roll back to"
  cur=$(readlink "$PREFIX/current")
  swap_link "$prev" "$PREFIX/current"
  swap_link "$cur" "$PREFIX/previous"
  say "rolled back: $PREFIX/current -> $prev (previous -> $cur)"
}

uninstall() {
  local link="$BIN_DIR/diagctl" d
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$PREFIX/current/bin/diagctl" ]; then rm -f "$link"; fi
  for d in "$PREFIX"/*/; do
    d=${d%/}
    if [ -f "$d/.diagctl-bundle" ] && [ ! -L "$d" ]; then rm -rf "$d"; fi
  done
  rm -f "$PREFIX/current" "$PREFIX/previous" "$PREFIX/.install.lock"
  rmdir "$PREFIX" 2>/dev/null || say "left $PREFIX: it holds files this installer did not make"
  say "uninstalled diagctl from $PREFIX"
}

case "$MODE" in
  install)
    verify_bundle
    pick_python
    check_platform
    writable "$PREFIX"
    writable "$BIN_DIR"
    check_bin_link
    take_lock
    install_version
    ;;
  rollback)
    [ -d "$PREFIX" ] || refuse "$PREFIX: nothing installed"
    writable "$PREFIX"
    take_lock
    rollback
    ;;
  uninstall)
    [ -d "$PREFIX" ] || refuse "$PREFIX: nothing installed"
    writable "$PREFIX"
    take_lock
    uninstall
    ;;
esac
