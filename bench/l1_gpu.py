"""L1 GPU collection cost on a GPU host: NVML (ctypes, as the payload does it) vs nvidia-smi.

Prints the median wall time of: one NVML full snapshot with the library already initialised,
one cold NVML capture (load + init + snapshot + shutdown, what a payload run pays), one
`nvidia-smi -q -x`, one `nvidia-smi --query-gpu` CSV query, and the whole L1 payload with
every registered check's captures. `--save DIR` also keeps one output of each for fixtures.

    python3 bench/l1_gpu.py --runs 20 --save /tmp/cap
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diag.checks import REGISTRY, sources_for  # noqa: E402
from diag.checks.base import Source  # noqa: E402
from diag.checks.gpu import sources as gpu_sources  # noqa: E402
from diag.checks.gpu.sources import SMI_CSV, SMI_XML  # noqa: E402
from diag.checks.host import sources as host_sources  # noqa: E402
from diag.payload import build_python  # noqa: E402


def collector() -> object:
    spec = importlib.util.spec_from_file_location("collector", ROOT / "diag/payload/collector.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, last = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        last = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), last


def all_sources() -> list[Source]:
    """Every registered check's captures, plus the GPU-node ones (registered or not)."""
    srcs = sources_for(list(REGISTRY.values()))
    extra = (*gpu_sources.GPU, *gpu_sources.KERNEL_LOG)
    extra += (host_sources.SYSTEMD_FAILED, host_sources.FABRIC_MANAGER)
    extra += (host_sources.NET, host_sources.IB)
    names = {s.name for s in srcs}
    return srcs + [s for s in extra if s.name not in names]


def run(argv: tuple[str, ...], stdin: bytes = b"") -> bytes:
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=60, check=False).stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--save", type=Path)
    args = ap.parse_args()
    col = collector()
    figures: dict[str, float] = {}
    lib = ctypes.CDLL("libnvidia-ml.so.1")
    assert lib.nvmlInit_v2() == 0, "nvmlInit_v2 failed"
    figures["nvml_snapshot_warm_ms"], snap = median_ms(lambda: col.nvml_snapshot(lib), args.runs)  # type: ignore[attr-defined]
    lib.nvmlShutdown()
    figures["nvml_capture_cold_ms"], cold = median_ms(lambda: col.cap_nvml({}), args.runs)  # type: ignore[attr-defined]
    figures["smi_xml_ms"], xml = median_ms(lambda: run(SMI_XML.argv), args.runs)
    figures["smi_csv_ms"], csv = median_ms(lambda: run(SMI_CSV.argv), args.runs)
    payload = build_python(all_sources(), deadline_s=20.0)
    py = (sys.executable, "-I", "-")
    figures["l1_payload_ms"], doc = median_ms(lambda: run(py, payload), max(3, args.runs // 4))
    gpus = len(snap["gpus"])  # type: ignore[index]
    print(f"GPUs: {gpus}  driver: {snap.get('driver_version')}  runs: {args.runs}")  # type: ignore[union-attr]
    for key, value in figures.items():
        print(f"{key:<24} median {value:9.2f} ms")
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        (args.save / "nvml.json").write_text(cold["stdout"])  # type: ignore[index]
        (args.save / "smi.xml").write_bytes(xml)  # type: ignore[arg-type]
        (args.save / "smi.csv").write_bytes(csv)  # type: ignore[arg-type]
        (args.save / "payload.json").write_bytes(doc)  # type: ignore[arg-type]
        (args.save / "bench.json").write_text(json.dumps({"gpus": gpus, **figures}, indent=1))


if __name__ == "__main__":
    main()
