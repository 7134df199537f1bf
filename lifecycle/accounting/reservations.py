"""The reservations file: `tenants: [{tenant, reserved_mu_per_s}]` (YAML or JSON, strict)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from diag.errors import FileError
from diag.files import load_yaml_file
from schemas.mu import ReservationsFile


def load_reservations(path: Path) -> ReservationsFile:
    raw = load_yaml_file(path, "reservations")
    try:
        res = ReservationsFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "document"
        what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise FileError(f"reservations {path}: {where}: {what}") from None
    seen: set[str] = set()
    for i, r in enumerate(res.tenants):
        if r.tenant in seen:
            raise FileError(f"reservations {path}: tenants.{i}.tenant: {r.tenant!r} repeated")
        seen.add(r.tenant)
    return res
