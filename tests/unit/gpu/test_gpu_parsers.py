"""GPU parsers on the real H100 capture and on garbage; kernel-log Xid forms; the XID table."""

from __future__ import annotations

import importlib.util
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from diag.checks.gpu.nvml import norm_bdf, parse_nvml
from diag.checks.gpu.smi import parse_csv, parse_xml
from diag.checks.gpu.xid_log import parse_kernel_log, repeated
from diag.checks.gpu.xid_table import load_table, xid_policy

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "gpu" / "h100_real"
ROOT = Path(__file__).resolve().parents[3]


def test_three_backends_agree_on_the_real_h100() -> None:
    nv = parse_nvml((REAL / "nvml.json").read_text())
    xml = parse_xml((REAL / "smi.xml").read_text())
    csv = parse_csv((REAL / "smi.csv").read_text())
    for snap in (nv, xml, csv):
        (g,) = snap.gpus
        assert (g.bdf, g.name, g.pcie_gen_max, g.pcie_width_max) == (
            "0000:00:06.0",
            "NVIDIA H100 80GB HBM3",
            5,
            16,
        )
        assert g.uuid == nv.gpus[0].uuid and snap.driver_version == "580.159.04"
        assert g.ecc_volatile_uncorrected == 0 and g.ecc_enabled is True
    g = nv.gpus[0]
    # H100 uses row remapping: NVML says page retirement is not supported → None, never 0.
    assert g.retired_pages_dbe is None and g.unsupported["retired_pages_dbe"] == "not_supported"
    assert (g.temp_slowdown_c, g.temp_shutdown_c) == (89, 95) and g.remap_pending is False
    assert xml.gpus[0].remap_pending is False and csv.gpus[0].remap_pending is None
    assert nv.cuda_version == xml.cuda_version == "13.0"


@pytest.mark.parametrize(
    ("parser", "text", "exc"),
    [
        (parse_nvml, '{"backend": "nvml", "gpus": [{"ind', ValueError),
        (parse_nvml, "[]", ValueError),
        (parse_xml, "<nvidia_smi_log><gpu id=", ET.ParseError),
        (parse_xml, "<html/>", ValueError),
        (parse_csv, "0, GPU-x, short row\n", ValueError),
        (parse_csv, "", ValueError),
    ],
)
def test_garbage_raises(parser: object, text: str, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        parser(text)  # type: ignore[operator]


def test_csv_na_is_none_not_zero() -> None:
    row = (REAL / "smi.csv").read_text().replace(", 0, 0, 0, 0,", ", [N/A], [N/A], 0, 0,", 1)
    g = parse_csv(row).gpus[0]
    assert g.ecc_volatile_corrected is None and g.ecc_volatile_uncorrected is None


@pytest.mark.parametrize(
    ("line", "code", "bdf", "at"),
    [
        (
            "2026-11-22T10:00:01+0000 h kernel: NVRM: Xid (PCI:0000:3b:00): 79, pid=1, GPU has "
            "fallen off the bus.",
            79,
            "0000:3b:00.0",
            "2026-11-22T10:00:01",
        ),
        (
            "[ 966.5] NVRM: Xid (0000:01:00): 31, Ch 0000000b, engmask 00000120",
            31,
            "0000:01:00.0",
            "",
        ),
        ("NVRM: Xid (PCI:0000:c7:00 GPU-I:05): 43, pid=1234, name=python", 43, "0000:c7:00.0", ""),
        (
            "NVRM: Xid (PCI:0008:01:00): 145, RLW_REMAP Nonfatal XC0 i0 Link 07",
            145,
            "0008:01:00.0",
            "",
        ),
    ],
)
def test_xid_line_forms(line: str, code: int, bdf: str, at: str) -> None:
    (ev,) = parse_kernel_log(line + "\n" + line + "\nunrelated NVRM: line\n")
    assert (ev.kind, ev.code, ev.bdf, ev.at) == ("xid", code, bdf, at)


def test_sxid_line() -> None:
    (ev,) = parse_kernel_log("nvidia-nvswitch3: SXid (PCI:0000:86:00.0): 20034, Fatal, Link 29\n")
    assert (ev.kind, ev.code, ev.bdf) == ("sxid", 20034, "0000:86:00.0")


def test_repeat_counts_incidents_not_lines() -> None:
    evs = parse_kernel_log(
        "2026-11-22T10:00:01,1+00:00 NVRM: Xid (PCI:0000:01:00): 13, a\n"
        "2026-11-22T10:00:30,1+00:00 NVRM: Xid (PCI:0000:01:00): 13, b\n"
    )
    assert len(evs) == 2 and not repeated(evs, 2, 24)  # same minute: one incident
    assert norm_bdf("00000000:3B:00.0") == "0000:3b:00.0"


def test_shipped_xid_table_seeds() -> None:
    table = load_table()
    classes = {c: table.xid[c].cls for c in (79, 48, 95, 119, 120, 140, 64, 13, 31, 43)}
    assert classes == {
        79: "reboot",
        48: "reset",
        95: "reset",
        119: "reset",
        120: "reset",
        140: "reset",
        64: "isolate",
        13: "app",
        31: "app",
        43: "app",
    }
    assert all(table.xid[c].repeat for c in (13, 31, 43))
    pol = xid_policy({"table": "", "overrides": {"79": "isolate"}})
    assert pol.rule(79).cls == "isolate" and pol.rule(99999).cls == "triage"
    with pytest.raises(ValueError, match="overrides"):
        xid_policy({"overrides": {"13": "explode"}})
    rule = {"class": "app", "repeat": {"count": 5, "window_h": 1, "class": "isolate"}}
    pol = xid_policy({"overrides": {"13": rule}})
    assert pol.rule(13).repeat and pol.rule(13).repeat.cls == "isolate"
    assert pol.rule(13).name == "Graphics engine exception"  # kept from the table


def test_payload_nvml_falls_back_to_smi_when_library_missing() -> None:
    """Runs the real payload function: on a host without libnvidia-ml (this CI VM, or a bogus
    library name on a GPU host) the fallback captures run and come back as their own slots."""
    spec = importlib.util.spec_from_file_location("collector", ROOT / "diag/payload/collector.py")
    assert spec and spec.loader
    col = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(col)
    fb = {"name": "smi_csv", "type": "cmd", "argv": [sys.executable, "-c", "print('fallback')"]}
    res = col._guarded(
        {"name": "nvml", "type": "nvml", "library": "libnvidia-ml-absent.so.9", "fallback": [fb]}
    )
    also = res.pop("also")
    assert res["error"] == "missing" and "libnvidia-ml-absent" in res["detail"]
    assert also["smi_csv"]["stdout"] == "fallback\n" and also["smi_csv"]["rc"] == 0
    out = col._guarded({"name": "pci", "type": "globs", "paths": ["/proc/sys/kernel/osrelease"]})
    assert json.loads(out["stdout"])["/proc/sys/kernel/osrelease"]
