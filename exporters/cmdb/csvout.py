"""Asset records → CSV: one row per GPU (a host without GPUs is one row with the GPU columns
empty), for spreadsheets and CMDB bulk importers.

A cell that starts with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`: a host
name is host-controlled text, and spreadsheets run such cells as formulas (OWASP CSV injection).
Control characters are made visible (diag.textsafe): the CSV often lands on a terminal.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from diag.textsafe import safe_text
from schemas.cmdb import AssetRecord

HOST_COLUMNS = (
    "name",
    "hostname",
    "address",
    "host_id",
    "host_id_source",
    "system_vendor",
    "product_name",
    "serial",
    "board_serial",
    "bios_version",
    "os",
    "kernel",
    "driver_version",
    "cuda_version",
    "health_status",
    "lifecycle_phase",
    "mu_capacity",
    "collected_at",
)
GPU_COLUMNS = (
    "gpu_count",
    "gpu_index",
    "gpu_name",
    "gpu_serial",
    "gpu_uuid",
    "gpu_vbios",
    "gpu_bdf",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    text = "" if value is None else safe_text(str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def rows(rec: AssetRecord) -> list[list[str]]:
    host = [cell(getattr(rec, c)) for c in HOST_COLUMNS]
    if not rec.gpus:
        return [[*host, "0", "", "", "", "", "", ""]]
    count = str(len(rec.gpus))
    return [
        [*host, count, *(cell(v) for v in (g.index, g.name, g.serial, g.uuid, g.vbios, g.bdf))]
        for g in rec.gpus
    ]


def render(records: Iterable[AssetRecord]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*HOST_COLUMNS, *GPU_COLUMNS])
    for rec in records:
        writer.writerows(rows(rec))
    return buf.getvalue()
