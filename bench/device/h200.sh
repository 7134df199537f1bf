#!/usr/bin/env bash
# One batched run on the `device` machine (H200, 1 or 2 GPUs; not part of CI, which has no GPU):
# GPU checks on real hardware, captures for the recorded-fixture tests, the local-run timings,
# a full bundle and reset-reason, and a Model-Unit calibration against a real GPU token server.
# Everything lands in $OUT/h200.tar.gz. Usage (from the repo root there):
#   bash bench/device/h200.sh            # $OUT set by the device tool; .whl carried
set -uo pipefail
OUT=${OUT:-/tmp/h200-out}; W=/tmp/h200; rm -rf "$W"; mkdir -p "$W" "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 PYDANTIC_DISABLE_PLUGINS=1
# The image's python3 is itself a venv (torch, numpy, pandas, click...): a venv made from it
# would not see those, so `diagctl` is a two-line launcher over it, like the console script.
mkdir -p /tmp/v/bin
printf '#!%s
from diag.cli import main
main()
' "$(command -v python3)" > /tmp/v/bin/diagctl
chmod +x /tmp/v/bin/diagctl
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
D=/tmp/v/bin/diagctl
NG=$(nvidia-smi -L | grep -c '^GPU ')
step() { echo "== $*"; }
case "${ONLY:-}" in ""|gpu) true ;; *) false ;; esac && {
  step machine; nvidia-smi -L; nproc; uname -a; python3 --version
  nvidia-smi -q > "$W/nvidia-smi-q.txt" 2>&1
  nvidia-smi -q -x > "$W/nvidia-smi-q.xml" 2>&1
  nvidia-smi topo -m > "$W/topo.txt" 2>&1
  nvidia-smi nvlink -s > "$W/nvlink-s.txt" 2>&1
  nvidia-smi nvlink -e > "$W/nvlink-e.txt" 2>&1
  lspci -nn > "$W/lspci-nn.txt" 2>&1
  systemctl is-active nvidia-fabricmanager > "$W/fabricmanager.txt" 2>&1
  step health; $D health --local --expect-gpus "$NG" --json --out "$W/health" > "$W/health.jsonl"
  echo "exit $?"; $D health --local --expect-gpus "$NG" --human
} > "$W/log.txt" 2>&1
bash bench/device/extra.sh "$W" "$NG" >> "$W/log.txt" 2>&1
tar -C /tmp -czf "$OUT/h200.tar.gz" h200
cat "$W/log.txt" | tail -150
