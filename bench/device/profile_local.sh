#!/bin/bash
# Where `health --local` and `reset-reason --local` spend their time on this machine, installed
# as a user installs diagctl (a venv of the base interpreter, the wheel from .whl): per-module
# import time (median of 5, self ms). Runs from /tmp, so that `python -m` finds the installed
# package, not this checkout (uncompiled, it would time the compiler).
# Usage: bash bench/device/profile_local.sh   (after bench/device/speed_installed.sh made /tmp/dv)
set -u
cd /tmp
PY=/tmp/dv/bin/python
[ -x $PY ] || { echo "no /tmp/dv: run bench/device/speed_installed.sh first"; exit 2; }
for cmd in "health --local --json" "reset-reason --local --json"; do
    echo "== import time, self ms (median of 5): $cmd"
    for i in 1 2 3 4 5; do $PY -X importtime -m diag.cli $cmd 2>/tmp/imp$i.txt >/dev/null; done
    $PY - <<'PYEOF'
import re, statistics
runs = []
for i in range(1, 6):
    d = {}
    for line in open(f"/tmp/imp{i}.txt"):
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if m:
            d[m.group(3)] = int(m.group(1))
    runs.append(d)
med = {k: statistics.median(r.get(k, 0) for r in runs) for k in runs[0]}
ours = [k for k in med if k.split(".")[0] in ("diag", "schemas")]
print(f"modules {len(med)}  all {sum(med.values()) / 1000:.1f} ms  ours ({len(ours)}) "
      f"{sum(med[k] for k in ours) / 1000:.1f} ms")
for k, v in sorted(med.items(), key=lambda kv: -kv[1])[:20]:
    print(f"{v / 1000:6.2f} {k}")
PYEOF
done
