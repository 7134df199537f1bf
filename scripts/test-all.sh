#!/usr/bin/env bash
# Quick start, step 2: the whole test suite on a fresh Debian/Ubuntu machine. Installs what the
# tests need (Debian packages for the real servers they start, the dev extras into ./.venv),
# then runs ruff, mypy and pytest. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(openssh-server openssh-client iproute2 gcc libc6-dev)  # gcc: the NVML stub library (tests/unit/gpu)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

DIAGCTL_NO_RUN=1 DIAGCTL_EXTRAS=dev bash scripts/install.sh
PY=.venv/bin/python

"$PY" -m ruff check .
"$PY" -m mypy
"$PY" -m pytest "$@"
