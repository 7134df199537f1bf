"""What sanitisation a disk's own controller says it supports, from read-only identify output.
Pure: text in, `EraseDevice` out; a field the source lacks is an `unknown` reason, never a
silent "unsupported".

NVMe (`nvme id-ctrl DEV -o json`, the Identify Controller data structure, NVMe Base Spec 2.0):
- `oacs` (Optional Admin Command Support) bit 1: the Format NVM command is supported.
- `fna` (Format NVM Attributes) bit 2: a cryptographic erase is supported as part of a
  Format NVM secure erase (`nvme format --ses=2`).
- `sanicap` (Sanitize Capabilities) bit 0 crypto erase, bit 1 block erase, bit 2 overwrite
  (the Sanitize command; `nvme sanitize --sanact=4|2|3`).
nvme-cli prints these as plain integers and pads `sn`/`mn` with spaces to their field width;
warnings it writes to stderr may precede or follow the JSON object.

sysfs (`/sys/class/nvme/nvmeN/{model,serial,firmware_rev,transport}`) names the controller but
carries none of those three fields: a host without nvme-cli gets the model and serial, and the
methods stay unknown.

SATA (`hdparm -I /dev/sdX`, hdparm's identify.c): a `Security:` section appears only for a drive
with the ATA Security feature set; under it each state is a line `\\t\\tNAME` (true) or
`\\tnot\\tNAME` (false) for `supported`, `enabled`, `locked`, `frozen`, `expired: security
count` and `supported: enhanced erase`. A frozen drive refuses SECURITY ERASE UNIT until it is
power-cycled (many BIOSes freeze drives at boot). The ATA Sanitize feature set shows as command
lines in "Commands/features": CRYPTO_SCRAMBLE_EXT, BLOCK_ERASE_EXT, OVERWRITE_EXT.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from schemas.lifecycle_retire import EraseDevice, Method

# (field, bit, method): the NVMe capability bits this module reads.
NVME_BITS: tuple[tuple[str, int, Method], ...] = (
    ("oacs", 1, "nvme-format"),
    ("fna", 2, "crypto-erase"),
    ("sanicap", 0, "crypto-erase"),
    ("sanicap", 1, "block-erase"),
    ("sanicap", 2, "overwrite"),
)
ORDER: tuple[Method, ...] = (
    "crypto-erase", "block-erase", "overwrite", "nvme-format", "ata-secure-erase", "destroyed"
)  # fmt: skip
SECURITY_STATES = (
    "supported",
    "enabled",
    "locked",
    "frozen",
    "expired: security count",
    "supported: enhanced erase",
)
ATA_SANITIZE: tuple[tuple[str, Method], ...] = (
    ("CRYPTO_SCRAMBLE_EXT", "crypto-erase"),
    ("BLOCK_ERASE_EXT", "block-erase"),
    ("OVERWRITE_EXT", "overwrite"),
)
_STATE = re.compile(r"^\s*(not\s+)?(" + "|".join(re.escape(s) for s in SECURITY_STATES) + r")\s*$")


def ordered(methods: set[Method]) -> list[Method]:
    return [m for m in ORDER if m in methods]


def nvme_methods(fields: Mapping[str, int]) -> list[Method]:
    """The methods the capability fields' bits say are supported."""
    return ordered({m for name, bit, m in NVME_BITS if fields.get(name, 0) >> bit & 1})


def _text(v: object) -> str:
    return "".join(ch for ch in str(v) if ch.isprintable()).strip()[:80]


def parse_nvme_id_ctrl(device: str, stdout: str) -> EraseDevice:
    """`nvme id-ctrl /dev/DEVICE -o json` → the device's methods; unknown when unreadable."""
    dev = EraseDevice(device=device, transport="nvme", source="nvme id-ctrl")
    start = stdout.find("{")  # nvme-cli's stderr warnings may come first
    try:
        doc, _end = json.JSONDecoder().raw_decode(stdout[start:] if start >= 0 else stdout)
    except ValueError:
        first = _text(stdout.strip().splitlines()[0] if stdout.strip() else "no output")
        dev.unknown.append(f"nvme id-ctrl printed no JSON: {first}")
        return dev
    if not isinstance(doc, dict):
        dev.unknown.append("nvme id-ctrl JSON is not an object")
        return dev
    dev.model, dev.serial = _text(doc.get("mn", "")), _text(doc.get("sn", ""))
    fields: dict[str, int] = {}
    for name in ("oacs", "fna", "sanicap"):
        value = doc.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            fields[name] = value
        else:
            dev.unknown.append(f"{name}: missing or not a number in nvme id-ctrl output")
    dev.methods_supported = nvme_methods(fields)
    return dev


def parse_nvme_sysfs(device: str, files: Mapping[str, str]) -> EraseDevice:
    """/sys/class/nvme/DEVICE/* (nvme-cli absent): identity only."""
    return EraseDevice(
        device=device,
        transport="nvme",
        model=_text(files.get("model", "")),
        serial=_text(files.get("serial", "")),
        source="sysfs",
        unknown=[
            "nvme-cli is not installed: sysfs gives the model and serial but not the Identify "
            "Controller fields (OACS, FNA, SANICAP) that say which erase methods work"
        ],
    )


def _security(lines: list[str]) -> dict[str, bool]:
    """The `Security:` section's states, {} when the section is absent."""
    states: dict[str, bool] = {}
    inside = False
    for line in lines:
        if line.startswith("Security:"):
            inside = True
            continue
        if inside and line and not line[0].isspace():
            break
        m = _STATE.match(line) if inside else None
        if m:
            states[m.group(2)] = m.group(1) is None
    return states


def parse_hdparm(device: str, stdout: str) -> EraseDevice:
    """`hdparm -I /dev/DEVICE` → ATA security / sanitize methods, frozen and locked."""
    dev = EraseDevice(device=device, transport="sata", source="hdparm -I")
    lines = stdout.splitlines()
    for line in lines:
        key, _, value = line.strip().partition(":")
        if key == "Model Number":
            dev.model = _text(value)
        elif key == "Serial Number":
            dev.serial = _text(value)
    if not dev.model and not dev.serial:
        first = _text(next((x for x in lines if x.strip()), "no output"))
        dev.unknown.append(f"hdparm -I printed no identify data: {first}")
        return dev
    methods: set[Method] = {m for cmd, m in ATA_SANITIZE if any(cmd in x for x in lines)}
    sec = _security(lines)
    if sec.get("supported"):
        methods.add("ata-secure-erase")
        dev.frozen, dev.locked = sec.get("frozen"), sec.get("locked")
        for state in ("frozen", "locked"):
            if state not in sec:
                dev.unknown.append(f"hdparm -I Security section has no {state!r} line")
    dev.methods_supported = ordered(methods)
    return dev
