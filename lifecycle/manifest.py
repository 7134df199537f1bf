"""The expected manifest of a delivery (from the purchase order): CSV or YAML.

    serial,name,host_class,gpu_count,gpu_model,driver,vbios          (CSV: a header row, then
    SN123,gpu-a-01,h100,8,NVIDIA H100 80GB HBM3,550.54.15,96.00.99.00.01   one row per machine)

    serial,name,gpu_serials                                          (GPU board serials: one
    SN123,gpu-a-01,1654024197991;1654024077065                        cell, ';' between them)

    purchase_order: PO-2024-117                                      (YAML)
    assets:
      - {serial: SN123, name: gpu-a-01, host_class: h100, gpu_count: 8}

Every problem is one ManifestError naming the file, the row (or entry) and the field: unknown
columns, a missing serial, a duplicate serial, a GPU serial listed twice (in one machine or
across machines), a value of the wrong type.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from diag.errors import FileError
from diag.files import load_yaml_file, read_text
from schemas.lifecycle import Manifest, ManifestEntry

COLUMNS = tuple(ManifestEntry.model_fields)
GPU_SEP = ";"


class ManifestError(FileError):
    """A manifest that cannot be used: exit 2 before any host is touched."""


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def _csv_rows(text: str, path: Path) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        raise ManifestError(f"manifest {path}: empty; expected a header row ({','.join(COLUMNS)})")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ManifestError(
            f"manifest {path}: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(COLUMNS)}"
        )
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:  # more cells than the header has columns
            raise ManifestError(f"manifest {path} line {reader.line_num}: more cells than columns")
        cells: dict[str, Any] = {k: (v or "").strip() for k, v in row.items()}
        if cells.get("gpu_serials"):  # one cell, the GPUs' serials separated by ';'
            cells["gpu_serials"] = [s.strip() for s in cells["gpu_serials"].split(GPU_SEP)]
        rows.append({k: v for k, v in cells.items() if v != "" or k == "serial"})
    return rows


def _entries(rows: list[dict[str, Any]], path: Path, what: str) -> list[ManifestEntry]:
    out: list[ManifestEntry] = []
    seen: dict[str, int] = {}
    gpu_seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        try:
            entry = ManifestEntry.model_validate(row, strict=False)
        except ValidationError as exc:
            raise ManifestError(f"manifest {path} {what} {n}: {_problem(exc)}") from None
        if entry.serial in seen:
            raise ManifestError(
                f"manifest {path} {what} {n}: duplicate serial {entry.serial!r} "
                f"(first at {what} {seen[entry.serial]})"
            )
        seen[entry.serial] = n
        for gpu in entry.gpu_serials:
            if gpu in gpu_seen:
                raise ManifestError(
                    f"manifest {path} {what} {n}: gpu_serials: duplicate GPU serial {gpu!r} "
                    f"(first at {what} {gpu_seen[gpu]})"
                )
            gpu_seen[gpu] = n
        out.append(entry)
    return out


def load_manifest(path: Path) -> Manifest:
    """CSV when the name ends in .csv, YAML otherwise."""
    if path.suffix.lower() == ".csv":
        text = read_text(path, "manifest")
        return Manifest(assets=_entries(_csv_rows(text, path), path, "row"))
    doc = load_yaml_file(path, "manifest")
    if not isinstance(doc, dict):
        raise ManifestError(f"manifest {path}: expected a mapping with an `assets` list")
    rows = doc.get("assets")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ManifestError(f"manifest {path}: `assets` must be a list of mappings")
    try:
        top = Manifest.model_validate({**doc, "assets": []})
    except ValidationError as exc:
        raise ManifestError(f"manifest {path}: {_problem(exc)}") from None
    return top.model_copy(update={"assets": _entries(rows, path, "entry")})
