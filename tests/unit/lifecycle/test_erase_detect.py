"""The detection script's output split into per-disk sections: the QEMU captures framed as the
script frames them, a marker without our nonce ignored, a name that is not a kernel disk name
ignored, and output cut before the end marker said so. Also the script itself run by the local
shell on this machine, which must reach its end marker."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lifecycle.erase_detect import parse_sections, script
from lifecycle.erase_parse import parse_hdparm, parse_nvme_id_ctrl
from schemas.lifecycle_retire import EraseDevice

QEMU = Path(__file__).parents[2] / "fixtures" / "erase" / "qemu"
M = "@@0123456789abcdef"


def test_sections_from_the_qemu_captures() -> None:
    nvme = (QEMU / "nvme-id-ctrl.json").read_text()
    sata = (QEMU / "hdparm-I-sda.txt").read_text()
    text = (
        f"{M} nvme nvme0\n{nvme}"
        f"{M} nvme-sysfs nvme1\n{M}.file model\nQEMU NVMe Ctrl   \n{M}.file serial\nS2\n"
        f"{M} sata sda\n{sata}"
        f"{M} sata-none sdb\n{M} other vda\n"
        f"@@ffff other sdz\n{M} other ../etc\n{M} end\n"
    )
    devices, problem = parse_sections(text, M)
    assert problem == ""
    assert [d.device for d in devices] == ["nvme0", "nvme1", "sda", "sdb", "vda"]
    assert devices[0] == parse_nvme_id_ctrl("nvme0", nvme)
    assert (devices[1].model, devices[1].serial, devices[1].source) == (
        "QEMU NVMe Ctrl", "S2", "sysfs"
    )  # fmt: skip
    assert devices[2] == parse_hdparm("sda", sata)
    assert devices[3] == EraseDevice(
        device="sdb", transport="sata",
        unknown=["hdparm is not installed: ATA Security and Sanitize support cannot be read"],
    )  # fmt: skip
    assert devices[4] == EraseDevice(
        device="vda", transport="unknown",
        unknown=["not an NVMe or ATA disk (SAS, USB, virtio, Xen): diagctl cannot read its "
                 "erase support"],
    )  # fmt: skip


def test_output_cut_before_the_end_marker() -> None:
    devices, problem = parse_sections(f"{M} other vda\n", M)
    assert ([d.device for d in devices], problem) == (
        ["vda"], "the detection script did not finish (output cut?)"
    )  # fmt: skip


def test_the_script_runs_to_its_end_here() -> None:
    res = subprocess.run(["sh", "-c", script(M)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0 and res.stdout.endswith(f"{M} end\n"), res.stderr
    assert parse_sections(res.stdout, M)[1] == ""
