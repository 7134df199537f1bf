#!/usr/bin/env bash
# Quick start, step 2: the whole test suite on a fresh Debian/Ubuntu machine. Installs what the
# tests need (Debian packages for the real servers they start, the dev extras into ./.venv),
# then runs ruff, mypy and pytest. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc/libc6-dev: the NVML stub library (tests/unit/gpu); g++/cmake: llama-cpp-python; slurm*: the real Slurm cluster of the
# probe tests; prometheus: promtool lints the probe textfile; sudo: the --become tests.
# cloud-init: `cloud-init schema` validates the airgap user-data; util-linux: unshare, flock,
# runuser for the offline install tests.
APT_PACKAGES=(openssh-server openssh-client iproute2 gcc g++ cmake libc6-dev
              slurmctld slurmd slurm-client munge prometheus sudo
              rsyslog  # rsyslog: the receiver of `export siem --format syslog` tests
              rsyslog-gnutls openssl  # syslog over TLS (imtcp gtls); openssl makes the test CA
              # export prometheus: node_exporter's textfile collector and a real Pushgateway
              prometheus-node-exporter prometheus-pushgateway
              chromium  # chromium: `diagctl report --html` is screenshotted headless in tests
              cloud-init util-linux  # airgap: `cloud-init schema`; `unshare -n` for offline installs
              postgresql)  # postgresql: initdb/pg_ctl for the lifecycle registry's PostgreSQL tests
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Probe tests: llama-cpp-python builds from its sdist (~4.5 min on 2 cores, pip caches the wheel).
export CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF"
export CMAKE_BUILD_PARALLEL_LEVEL=2
DIAGCTL_NO_RUN=1 DIAGCTL_EXTRAS=dev,probes-test bash scripts/install.sh
PY=.venv/bin/python

"$PY" -m ruff check .
"$PY" -m ruff format --check .
"$PY" -m mypy
"$PY" -m pytest "$@"
