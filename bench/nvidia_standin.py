#!/usr/bin/env python3
"""STAND-IN for NVIDIA's `spark_diagctl.py health` (that script is not in this repository).

Used only as the anchor of bench/health_local.py. It does what that script's `health` command
does, as far as its output shows: start python3, run `nvidia-smi -q -x` when it is on PATH (a
parse of the XML into a flat dict per GPU), read the host facts from /proc and /sys (load, memory,
uptime, kernel, disk) and print one JSON document. It judges nothing: no thresholds, no policy,
no verdicts, no kernel log. Stdlib only, like the original.

Usage: python3 bench/nvidia_standin.py health
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(65536)
    except OSError:
        return ""


def meminfo() -> dict[str, int]:
    out = {}
    for line in _read("/proc/meminfo").splitlines():
        key, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            out[key] = int(fields[0])
    return out


def host_facts() -> dict[str, object]:
    load = _read("/proc/loadavg").split()
    st = os.statvfs("/")
    return {
        "hostname": socket.gethostname(),
        "kernel": os.uname().release,
        "uptime_s": float((_read("/proc/uptime").split() or ["0"])[0]),
        "loadavg": [float(x) for x in load[:3]],
        "cpu_count": os.cpu_count(),
        "mem_total_kib": meminfo().get("MemTotal", 0),
        "mem_available_kib": meminfo().get("MemAvailable", 0),
        "root_free_bytes": st.f_bavail * st.f_frsize,
        "os_release": _read("/etc/os-release").splitlines()[:2],
    }


def _flat(elem: object, prefix: str, out: dict[str, str]) -> None:
    for child in list(elem):  # type: ignore[call-overload]
        key = f"{prefix}.{child.tag}" if prefix else child.tag
        if len(child):
            _flat(child, key, out)
        elif child.text and child.text.strip():
            out[key] = child.text.strip()


def gpus() -> dict[str, object]:
    """`nvidia-smi -q -x` parsed into one flat dict per GPU, or why there is none."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {"error": "nvidia-smi not found", "gpus": []}
    try:
        res = subprocess.run([exe, "-q", "-x"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": str(exc), "gpus": []}
    if res.returncode != 0:
        return {"error": res.stderr.decode(errors="replace")[-300:], "gpus": []}
    import xml.etree.ElementTree as ET

    root = ET.fromstring(res.stdout)
    out = []
    for gpu in root.findall("gpu"):
        flat: dict[str, str] = {"pci_bus_id": gpu.get("id", "")}
        _flat(gpu, "", flat)
        out.append(flat)
    return {"driver_version": root.findtext("driver_version", ""), "gpus": out}


def main() -> None:
    if sys.argv[1:] != ["health"]:
        raise SystemExit("usage: nvidia_standin.py health")
    t0 = time.monotonic()
    doc = {"host": host_facts(), "gpu": gpus()}
    doc["duration_ms"] = int((time.monotonic() - t0) * 1000)
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
