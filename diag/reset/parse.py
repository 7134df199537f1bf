"""Parsers for what the reset collector captured: text in, plain data out (no I/O, no clock).

Times are seconds since the epoch, UTC: the collector runs every command with TZ=UTC.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from schemas.record import record

if TYPE_CHECKING:  # validated with pydantic only when a host has intent records
    from schemas.reset import RebootIntent


@record(frozen=True)
class Boot:
    index: int
    boot_id: str
    first_s: int
    last_s: int


@record(frozen=True)
class Line:
    """One journal line: when, who (syslog identifier with pid), what."""

    at_s: int | None
    ident: str
    msg: str


@record(frozen=True)
class Record:
    """A dated record from a non-journal source (pstore file, SEL entry, wtmp line...)."""

    at_s: int | None
    text: str


def iso(at_s: int | None) -> str:
    if at_s is None:
        return ""
    return datetime.fromtimestamp(at_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(text: str, fmt: str) -> int | None:
    try:
        return int(datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        return None


# `journalctl --list-boots`, two shapes:
#   systemd 252 (a header, then):
#     ` -1 8a7c3b1e2f4d4e5f9a0b1c2d3e4f5a6b Mon 2024-05-06 10:00:00 UTC Tue 2024-05-07 11:00:30 UTC`
#   older (an em dash between first and last entry):
#     ` -1 8a7c3b1e2f4d4e5f9a0b1c2d3e4f5a6b Mon 2024-05-06 10:00:00 UTC—Tue 2024-05-07 11:00:30 UTC`
_BOOT = re.compile(r"^\s*(-?\d+)\s+([0-9a-f]{32})\s+(.*)$")
_BOOT_STAMP = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


def parse_boots(text: str) -> list[Boot]:
    boots = []
    for line in text.splitlines():
        m = _BOOT.match(line)
        stamps = _BOOT_STAMP.findall(m.group(3)) if m else []
        if not m or len(stamps) < 2:
            continue
        first = _epoch(stamps[0], "%Y-%m-%d %H:%M:%S")
        last = _epoch(stamps[-1], "%Y-%m-%d %H:%M:%S")
        if first is not None and last is not None:
            boots.append(Boot(int(m.group(1)), m.group(2), first, last))
    return sorted(boots, key=lambda b: b.index)


# `journalctl -o short-iso`: `2024-05-07T10:59:58+0000 gpu-node-1 systemd[1]: Reached target
# Reboot.`; systemd 250 and later print the offset as `+00:00`. Lines starting `--` are
# journalctl's own notes (`-- Boot 3b2a... --`, `-- No entries --`).
_SHORT_ISO = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?([+-]\d\d:?\d\d|Z)\s+\S+\s+([^:\s]+):\s?(.*)$"
)


def _iso_epoch(stamp: str, offset: str) -> int | None:
    base = _epoch(stamp, "%Y-%m-%dT%H:%M:%S")
    if base is None or offset == "Z":
        return base
    sign = 1 if offset[0] == "+" else -1
    digits = offset[1:].replace(":", "")
    return base - sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)


def parse_journal(text: str) -> list[Line]:
    lines = []
    for raw in text.splitlines():
        if not raw.strip() or raw.startswith("--"):
            continue
        m = _SHORT_ISO.match(raw)
        if m:
            lines.append(Line(_iso_epoch(m.group(1), m.group(2)), m.group(3), m.group(4)))
        else:  # a continuation line or an unexpected shape: kept, undated
            lines.append(Line(None, "", raw.strip()))
    return lines


# `last -x --time-format iso` (util-linux):
#   `shutdown system down  6.1.0-18 2024-05-07T11:00:30+00:00 - 2024-05-07T11:02:00+00:00 (00:01)`
#   `runlevel (to lvl 6)   6.1.0-18 2024-05-07T11:00:29+00:00 - 2024-05-07T11:00:30+00:00 (00:00)`
#   `root     pts/0        10.0.0.1 2024-05-07T09:00:00+00:00 - crash                     (02:00)`
_WTMP_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)([+-]\d\d:?\d\d)")


def parse_wtmp(text: str) -> list[Record]:
    """shutdown and runlevel records (a clean stop), and sessions cut by a `crash`."""
    out = []
    for raw in text.splitlines():
        word = raw.split(" ", 1)[0]
        if word not in ("shutdown", "runlevel") and " crash" not in raw:
            continue
        stamps = _WTMP_STAMP.findall(raw)
        if not stamps:
            continue
        at = _iso_epoch(*stamps[0])
        out.append(Record(at, " ".join(raw.split())))
    return out


def parse_listing(text: str) -> list[dict[str, Any]]:
    """The collector's JSON file listing (pstore, kdump): entries with path, mtime_s, size."""
    doc = json.loads(text) if text.strip() else []
    if not isinstance(doc, list):
        raise ValueError("listing is not a JSON list")
    return [d for d in doc if isinstance(d, dict) and isinstance(d.get("path"), str)]


def parse_watchdog(text: str) -> dict[str, int]:
    """{device: bootstatus bits} for devices whose bootstatus reads as an integer."""
    doc = json.loads(text) if text.strip() else {}
    out = {}
    for name, dev in (doc if isinstance(doc, dict) else {}).items():
        value = dev.get("bootstatus") if isinstance(dev, dict) else None
        if isinstance(value, str) and re.fullmatch(r"(0x)?[0-9a-fA-F]+", value.strip()):
            out[str(name)] = int(value, 0) if value.startswith("0x") else int(value)
    return out


# `ipmitool sel elist`:
#   `   1a | 05/07/2024 | 11:00:02 | Power Unit #0x01 | AC lost | Asserted`
#   `   1b | Pre-Init   |0000000012| System Event #0x01 | Timestamp Clock Sync | Asserted` (undated)
_SEL = re.compile(r"^\s*\w+\s*\|\s*(\d\d/\d\d/\d{4})\s*\|\s*(\d\d:\d\d:\d\d)\s*\|(.*)$")


def parse_sel(text: str) -> list[Record]:
    out = []
    for raw in text.splitlines():
        m = _SEL.match(raw)
        if m:
            at = _epoch(f"{m.group(1)} {m.group(2)}", "%m/%d/%Y %H:%M:%S")
            out.append(Record(at, " ".join(m.group(3).split())))
    return out


def parse_efi(text: str) -> list[Record]:
    """Capsule result variables (UEFI spec 8.5.6): after efivarfs's 4 attribute bytes,
    EFI_CAPSULE_RESULT_VARIABLE_HEADER = u32 size, u32 reserved, GUID (16 bytes),
    EFI_TIME processed (u16 year, u8 month, day, hour, minute, second, ...), u64 status.
    A staged `CapsuleUpdateData` variable is undated: the update is pending."""
    doc = json.loads(text) if text.strip() else {}
    out = []
    for path, value in (doc if isinstance(doc, dict) else {}).items():
        name = str(path).rsplit("/", 1)[-1]
        if not isinstance(value, str) or value.startswith("error"):
            continue
        data = bytes.fromhex(value)
        if re.match(r"Capsule\d{4}-", name) and len(data) >= 52:
            year = int.from_bytes(data[28:30], "little")
            day = f"{year:04d}-{data[30]:02d}-{data[31]:02d}"
            stamp = f"{day}T{data[32]:02d}:{data[33]:02d}:{data[34]:02d}"
            status = int.from_bytes(data[44:52], "little")
            at = _epoch(stamp, "%Y-%m-%dT%H:%M:%S")
            out.append(Record(at, f"{name.split('-')[0]} processed {stamp}Z status {status:#x}"))
        elif name.startswith("CapsuleUpdateData"):
            out.append(Record(None, f"{name.split('-')[0]}: a capsule update is staged"))
    return out


def parse_intents(text: str) -> tuple[list[RebootIntent], list[str]]:
    """The intent records, and one problem per line that is not one (never silently skipped)."""
    intents: list[RebootIntent] = []
    problems: list[str] = []
    if not text.strip():
        return intents, problems
    from pydantic import ValidationError

    from schemas.reset import RebootIntent

    for no, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            intents.append(RebootIntent.model_validate_json(raw))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "line"
            problems.append(f"line {no}: {where}: {err['msg']}")
    return intents, problems
