"""The payload ships only the kernel log's Xid/SXid lines (Source.grep), after the same tail cap
as before: the real collector runs in a subprocess over a real file through `cat`, once with the
filter and once without, and gpu.xid must judge both the same, with the same truncation count.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

import pytest

from diag.checks import Context
from diag.checks.base import Source
from diag.checks.gpu import sources, xid
from diag.hostcheck import parse_payload
from diag.payload import build_python
from diag.policy import Policy
from diag.transport.base import Target
from diag.transport.local import LocalTransport
from schemas.payload import Capture, CaptureFilter

PY = (sys.executable, "-I", "-")
CAP = 1 << 20
XID = (
    "2026-11-22T10:{m:02d}:01+0000 gpu-7 kernel: NVRM: Xid (PCI:0000:3b:00): 79, pid=1, "
    "GPU has fallen off the bus.\n"
)
SXID = "2026-11-22T10:00:02+0000 gpu-7 kernel: nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 20034, Fatal, Link 29 LTSSM Fault Up\n"  # noqa: E501
NOISE = "2026-11-22T10:00:00+0000 gpu-7 kernel: eth0: link up {i} \x1b[31m\xe9\u2028tail\n"


def _collect(src: Source) -> Capture:
    payload = build_python([src], 20.0)
    res = asyncio.run(LocalTransport().run(Target(name="t"), PY, payload, 30.0))
    assert res.error is None, res.message
    doc, _line = parse_payload(res.stdout)
    return doc.captures[src.name]


def _both(log: Path) -> tuple[Capture, Capture]:
    plain = dataclasses.replace(sources.JOURNAL, argv=("cat", str(log)), grep="")
    return _collect(plain), _collect(dataclasses.replace(plain, grep=sources.XID_MARK))


def _findings(cap: Capture) -> list[dict[str, object]]:
    rules = Policy.load().check("gpu.xid")[1]
    found = xid.evaluate({"kernel_log": cap}, rules, Context())
    return [f.model_dump(mode="json") for f in found]


def test_huge_kernel_log_ships_only_xid_lines_and_judges_the_same(tmp_path: Path) -> None:
    log = tmp_path / "kern.log"
    with log.open("w", encoding="utf-8") as fh:
        fh.write(XID.format(m=0))  # falls outside the 1 MiB tail: dropped by the cap, both ways
        for i in range(15_000):
            fh.write(NOISE.format(i=i))
            if i % 5_000 == 4_999:
                fh.write(XID.format(m=i // 5_000 + 1))
        fh.write(SXID)
    size = log.stat().st_size
    plain, filtered = _both(log)
    assert filtered.truncated_bytes == plain.truncated_bytes == size - CAP
    kept = [ln for ln in plain.stdout.splitlines() if "Xid (" in ln]
    assert filtered.stdout == "".join(ln + "\n" for ln in kept)
    assert len(kept) == 4  # Xids 2-4 (the first was cut by the cap) and the SXid
    assert filtered.filtered == CaptureFilter(
        match="Xid (", bytes=CAP, lines=len(plain.stdout.splitlines()), kept=4
    )
    assert len(filtered.stdout) < 1000 and len(plain.stdout.encode()) == CAP
    assert _findings(filtered) == _findings(plain)
    assert [f["message"] for f in _findings(filtered)] == [
        "XID 79 x3 → reboot (GPU has fallen off the bus)",
        "SXID 20034 x1 → reset",
    ]


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "cannot judge: kernel log unreadable: journalctl -k returned nothing; dmesg not "
         "collected (run as root, or add the user to systemd-journal/adm)"),
        (" \n\n\t\n", "cannot judge: kernel log unreadable: journalctl -k returned nothing; dmesg "
         "not collected (run as root, or add the user to systemd-journal/adm)"),
        ("kernel: eth0 up\n", "no Xid/SXid in journalctl -k (this boot and previous, since -72h)"),
    ],
)  # fmt: skip
def test_a_log_without_xid_lines_is_not_mistaken_for_an_empty_one(
    tmp_path: Path, text: str, message: str
) -> None:
    log = tmp_path / "kern.log"
    log.write_text(text)
    plain, filtered = _both(log)
    assert filtered.stdout == ""
    assert _findings(filtered) == _findings(plain)
    assert [f["message"] for f in _findings(filtered)] == [message]
