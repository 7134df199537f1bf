"""The erase-capability parsers against the captures recorded from QEMU's emulated NVMe and
SATA disks (tests/fixtures/erase/README.md says how), the bit decoding as a boundary table,
and the hdparm Security section on text composed from hdparm's own printf format (identify.c:
`\\tnot\\t` or `\\t\\t` before each state) because QEMU's disk does not emulate ATA Security."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.erase_parse import (
    nvme_methods,
    parse_hdparm,
    parse_nvme_id_ctrl,
    parse_nvme_sysfs,
)
from schemas.lifecycle_retire import EraseDevice

QEMU = Path(__file__).parents[2] / "fixtures" / "erase" / "qemu"


def test_qemu_nvme_id_ctrl_capture() -> None:
    dev = parse_nvme_id_ctrl("nvme0", (QEMU / "nvme-id-ctrl.json").read_text())
    assert dev == EraseDevice(
        device="nvme0", transport="nvme", model="QEMU NVMe Ctrl", serial="DIAGNVME0001",
        methods_supported=["nvme-format"], source="nvme id-ctrl",
    )  # fmt: skip


def test_qemu_nvme_sysfs_capture() -> None:
    files = {f: (QEMU / f"sysfs-nvme0-{f}").read_text() for f in ("model", "serial")}
    assert parse_nvme_sysfs("nvme0", files) == EraseDevice(
        device="nvme0", transport="nvme", model="QEMU NVMe Ctrl", serial="DIAGNVME0001",
        source="sysfs",
        unknown=["nvme-cli is not installed: sysfs gives the model and serial but not the "
                 "Identify Controller fields (OACS, FNA, SANICAP) that say which erase methods "
                 "work"],
    )  # fmt: skip


def test_qemu_sata_capture_has_no_security_feature_set() -> None:
    dev = parse_hdparm("sda", (QEMU / "hdparm-I-sda.txt").read_text())
    assert dev == EraseDevice(
        device="sda", transport="sata", model="QEMU-SATA-DISK", serial="DIAGSATA0001",
        source="hdparm -I",
    )  # fmt: skip


@pytest.mark.parametrize(
    "oacs,fna,sanicap,methods",
    [
        (0, 0, 0, []),
        (0x1, 0, 0, []),  # bit 0 is Security Send/Receive, not Format
        (0x2, 0, 0, ["nvme-format"]),
        (0x10A, 0, 0, ["nvme-format"]),  # the QEMU controller
        (0xFFFD, 0, 0, []),  # every bit but 1
        (0, 0x3, 0, []),  # FNA bits 0-1 are scope, not crypto erase
        (0, 0x4, 0, ["crypto-erase"]),
        (0, 0xB, 0, []),
        (0, 0, 0x1, ["crypto-erase"]),
        (0, 0, 0x2, ["block-erase"]),
        (0, 0, 0x4, ["overwrite"]),
        (0, 0, 0x8, []),  # bit 3 is not a sanitize action
        (0, 0, 0x60000000, []),  # NDI / NODMMAS bits only
        (0x2, 0x4, 0x7, ["crypto-erase", "block-erase", "overwrite", "nvme-format"]),
    ],
)
def test_nvme_bit_decoding(oacs: int, fna: int, sanicap: int, methods: list[str]) -> None:
    assert nvme_methods({"oacs": oacs, "fna": fna, "sanicap": sanicap}) == methods


def test_nvme_missing_fields_are_unknown_not_unsupported() -> None:
    dev = parse_nvme_id_ctrl("nvme1", '{"sn": "S1 ", "mn": "M", "oacs": 2, "fna": "x"}')
    assert (dev.methods_supported, dev.unknown) == (
        ["nvme-format"],
        ["fna: missing or not a number in nvme id-ctrl output",
         "sanicap: missing or not a number in nvme id-ctrl output"],
    )  # fmt: skip


@pytest.mark.parametrize(
    "out,why",
    [
        ("", "nvme id-ctrl printed no JSON: no output"),
        ("open: Permission denied\n", "nvme id-ctrl printed no JSON: open: Permission denied"),
        ("[1, 2]", "nvme id-ctrl JSON is not an object"),
        ("\x1b[31mboom\x1b[0m", "nvme id-ctrl printed no JSON: [31mboom[0m"),
    ],
)
def test_nvme_garbage(out: str, why: str) -> None:
    assert parse_nvme_id_ctrl("nvme0", out).unknown == [why]


SECURITY = (
    "/dev/sdb:\n\nATA device, with non-removable media\n"
    "\tModel Number:       Samsung SSD 870 EVO 1TB                 \n"
    "\tSerial Number:      S6PUNX0R123456A     \n"
    "Commands/features:\n\tEnabled\tSupported:\n"
    "\t   *\tSANITIZE feature set\n\t   *\tCRYPTO_SCRAMBLE_EXT command\n"
    "\t   *\tBLOCK_ERASE_EXT command\n"
    "Security: \n\tMaster password revision code = 65534\n"
    "\t\tsupported\n\tnot\tenabled\n\tnot\tlocked\n{frozen}\n"
    "\tnot\texpired: security count\n\t\tsupported: enhanced erase\n"
    "\t2min for SECURITY ERASE UNIT. 2min for ENHANCED SECURITY ERASE UNIT.\n"
    "Logical Unit WWN Device Identifier: 5002538f4212a9b1\n"
)


@pytest.mark.parametrize("line,frozen", [("\t\tfrozen", True), ("\tnot\tfrozen", False)])
def test_hdparm_security_section(line: str, frozen: bool) -> None:
    dev = parse_hdparm("sdb", SECURITY.format(frozen=line))
    assert dev == EraseDevice(
        device="sdb", transport="sata", model="Samsung SSD 870 EVO 1TB",
        serial="S6PUNX0R123456A", methods_supported=["crypto-erase", "block-erase",
        "ata-secure-erase"], frozen=frozen, locked=False, source="hdparm -I",
    )  # fmt: skip


def test_hdparm_security_not_supported_and_spaces_instead_of_tabs() -> None:
    text = SECURITY.format(frozen="    not    frozen")
    text = text.replace("\t\tsupported\n", "\tnot\tsupported\n")
    dev = parse_hdparm("sdb", text.replace("\t", "    "))
    assert (dev.methods_supported, dev.frozen, dev.locked) == (
        ["crypto-erase", "block-erase"], None, None
    )  # fmt: skip


def test_hdparm_security_without_frozen_line_says_so() -> None:
    dev = parse_hdparm("sdb", SECURITY.format(frozen=""))
    assert (dev.frozen, dev.unknown) == (None, ["hdparm -I Security section has no 'frozen' line"])


@pytest.mark.parametrize(
    "out,why",
    [
        ("", "hdparm -I printed no identify data: no output"),
        (" HDIO_DRIVE_CMD(identify) failed: Permission denied\n",
         "hdparm -I printed no identify data: HDIO_DRIVE_CMD(identify) failed: Permission denied"),
    ],
)  # fmt: skip
def test_hdparm_garbage(out: str, why: str) -> None:
    dev = parse_hdparm("sda", out)
    assert (dev.methods_supported, dev.unknown) == ([], [why])
