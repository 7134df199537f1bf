#!/usr/bin/env bash
# Quick start, step 1: install diagctl into ./.venv and run its main job on this machine.
#   bash scripts/install.sh            -> installs, then `diagctl health --local`
#   DIAGCTL_NO_RUN=1 bash scripts/install.sh   -> installs only (used by scripts/test-all.sh)
#   DIAGCTL_EXTRAS=dev ...             -> also installs the extras named (comma-separated)
# A venv, because Debian's system Python refuses `pip install` (PEP 668).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "diagctl needs Python >= 3.10 (found $("$PY" --version 2>&1))" >&2; exit 2; }
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
spec="."
[ -n "${DIAGCTL_EXTRAS:-}" ] && spec=".[${DIAGCTL_EXTRAS}]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec"
if [ -z "${DIAGCTL_NO_RUN:-}" ]; then
  echo "diagctl installed in $(pwd)/.venv (add .venv/bin to PATH); running: diagctl health --local" >&2
  exec .venv/bin/diagctl health --local
fi
