#!/usr/bin/env python3
"""Record what a real host tells about its disks' erase capabilities, read-only.

Run on the device machine (not in CI): writes, under the directory given, the NVMe Identify
Controller data of every /dev/nvme<N> (4096 bytes through the NVMe admin pass-through ioctl,
opcode 0x06, CNS 1 — the same command `nvme id-ctrl` sends; read-only), with the serial number
and the NVMe qualified name blanked, plus `nvme id-ctrl -o json` and `hdparm -I` output when
those tools exist, `lsblk` and the sysfs attributes. These are fixtures for the retire phase's
capability parsers (tests/fixtures/erase/).

Usage: python3 bench/device/storage_capture.py OUTDIR
"""

from __future__ import annotations

import ctypes
import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


class _AdminCmd(ctypes.Structure):
    # struct nvme_admin_cmd / nvme_passthru_cmd from <linux/nvme_ioctl.h>
    _fields_ = [
        ("opcode", ctypes.c_uint8),
        ("flags", ctypes.c_uint8),
        ("rsvd1", ctypes.c_uint16),
        ("nsid", ctypes.c_uint32),
        ("cdw2", ctypes.c_uint32),
        ("cdw3", ctypes.c_uint32),
        ("metadata", ctypes.c_uint64),
        ("addr", ctypes.c_uint64),
        ("metadata_len", ctypes.c_uint32),
        ("data_len", ctypes.c_uint32),
        ("cdw10", ctypes.c_uint32),
        ("cdw11", ctypes.c_uint32),
        ("cdw12", ctypes.c_uint32),
        ("cdw13", ctypes.c_uint32),
        ("cdw14", ctypes.c_uint32),
        ("cdw15", ctypes.c_uint32),
        ("timeout_ms", ctypes.c_uint32),
        ("result", ctypes.c_uint32),
    ]


def _iowr(kind: str, nr: int, size: int) -> int:
    return (3 << 30) | (size << 16) | (ord(kind) << 8) | nr


NVME_IOCTL_ADMIN_CMD = _iowr("N", 0x41, ctypes.sizeof(_AdminCmd))


def identify_controller(dev: str) -> bytes:
    buf = ctypes.create_string_buffer(4096)
    cmd = _AdminCmd(opcode=0x06, addr=ctypes.addressof(buf), data_len=4096, cdw10=1)
    fd = os.open(dev, os.O_RDONLY)
    try:
        fcntl.ioctl(fd, NVME_IOCTL_ADMIN_CMD, cmd)
    finally:
        os.close(fd)
    data = bytearray(buf.raw)
    data[4:24] = b" " * 20  # SN
    data[768:1024] = b"\0" * 256  # SUBNQN (often embeds the serial)
    return bytes(data)


def _run(argv: list[str]) -> dict[str, object]:
    if not shutil.which(argv[0]):
        return {"argv": argv, "error": "missing"}
    res = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    return {"argv": argv, "rc": res.returncode, "stdout": res.stdout, "stderr": res.stderr[-2000:]}


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    doc: dict[str, object] = {
        "os_release": Path("/etc/os-release").read_text(errors="replace"),
        "uname": os.uname().release,
        "lsblk": _run(["lsblk", "-J", "-o", "NAME,TYPE,TRAN,MODEL,SIZE,ROTA,RO"]),
        "nvme_cli": shutil.which("nvme") or "",
        "hdparm": shutil.which("hdparm") or "",
        "sysfs": {},
        "identify": {},
    }
    for ctrl in sorted(glob.glob("/sys/class/nvme/nvme*")):
        attrs = {}
        for name in ("model", "firmware_rev", "transport", "state", "cntrltype"):
            try:
                attrs[name] = Path(ctrl, name).read_text().strip()
            except OSError as exc:
                attrs[name] = f"<{exc.strerror}>"
        doc["sysfs"][os.path.basename(ctrl)] = attrs  # type: ignore[index]
        dev = "/dev/" + os.path.basename(ctrl)
        try:
            raw = identify_controller(dev)
            (out / f"{os.path.basename(ctrl)}-id-ctrl.bin").write_bytes(raw)
            doc["identify"][dev] = "ok"  # type: ignore[index]
        except OSError as exc:
            doc["identify"][dev] = f"error: {exc}"  # type: ignore[index]
        doc[f"nvme_id_ctrl_{os.path.basename(ctrl)}"] = _run(["nvme", "id-ctrl", dev, "-o", "json"])
    for disk in sorted(glob.glob("/dev/sd[a-z]")):
        doc[f"hdparm_{os.path.basename(disk)}"] = _run(["hdparm", "-I", disk])
    (out / "storage.json").write_text(json.dumps(doc, indent=1))
    print(json.dumps({k: v for k, v in doc.items() if k != "os_release"}, indent=1)[:4000])


if __name__ == "__main__":
    main()
