#!/usr/bin/env bash
# Build the airgap bundle on a machine that has a network but no diagctl yet:
#   bash airgap/build.sh --out dist/airgap [--platform x86_64-3.11 ...]
# Makes a throw-away venv with diagctl (this checkout) and the SBOM generator, then runs
# `diagctl airgap build` with the same arguments. Needs python3 >= 3.10 with venv, and PyPI
# (or --index-url) reachable.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "build.sh: needs Python >= 3.10 (found $("$PY" --version 2>&1))" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/diagctl-airgap-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv "$tmp/venv"
env -u PIP_CONFIG_FILE PIP_CONFIG_FILE=/dev/null "$tmp/venv/bin/python" -m pip install --isolated \
  --quiet --disable-pip-version-check "$src[airgap,airgap-build]"
"$tmp/venv/bin/diagctl" airgap build --source "$src" "$@"
