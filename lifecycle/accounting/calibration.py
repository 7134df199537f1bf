"""The calibration file: load (YAML or JSON, strict) and save (atomic). Every failure is one
line naming the file, the pair and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from diag.errors import FileError
from diag.files import atomic_write, load_yaml_file
from schemas.mu import CalibrationFile, Pair


class CalibrationError(FileError):
    """A calibration file that cannot be read or is invalid."""


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    """`pairs[1] (llama-8b × h100): a_in` from a pydantic location."""
    if len(loc) >= 2 and loc[0] == "pairs" and isinstance(loc[1], int):
        pair = ""
        pairs = raw.get("pairs") if isinstance(raw, dict) else None
        if isinstance(pairs, list) and loc[1] < len(pairs) and isinstance(pairs[loc[1]], dict):
            p = pairs[loc[1]]
            pair = f" ({p.get('model', '?')} × {p.get('hardware', '?')})"
        field = ".".join(str(x) for x in loc[2:]) or "entry"
        return f"pairs[{loc[1]}]{pair}: {field}"
    return ".".join(str(x) for x in loc) or "document"


def problem(raw: Any, exc: ValidationError) -> str:
    """The first error of `exc` as `WHERE: what (got VALUE)`."""
    err = exc.errors()[0]
    where = _where(raw, tuple(err["loc"]))
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    got = err.get("input")
    shown = f" (got {got!r})" if isinstance(got, (int, float, str)) and got != "" else ""
    return f"{where}: {err['msg']}{shown}"


def parse(raw: Any, name: str) -> CalibrationFile:
    if not isinstance(raw, dict):
        raise CalibrationError(f"calibration {name}: expected a mapping with reference and pairs")
    try:
        return CalibrationFile.model_validate(raw)
    except ValidationError as exc:
        raise CalibrationError(f"calibration {name}: {problem(raw, exc)}") from None


def load(path: Path) -> CalibrationFile:
    """YAML or JSON (JSON is YAML); duplicate keys, unknown keys, negative coefficients refused."""
    raw = load_yaml_file(path, "calibration")
    return parse(raw, str(path))


def save(path: Path, cal: CalibrationFile) -> None:
    """JSON when the name ends in .json, else YAML; written atomically."""
    doc = cal.model_dump(mode="json", exclude_none=True)
    if path.suffix.lower() == ".json":
        data = json.dumps(doc, indent=2) + "\n"
    else:
        import yaml

        data = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    atomic_write(path, data.encode())


def pair_index(cal: CalibrationFile) -> dict[tuple[str, str], Pair]:
    return {(p.model, p.hardware): p for p in cal.pairs}


def merged(old: CalibrationFile | None, new: CalibrationFile) -> CalibrationFile:
    """`new`'s pairs replace the same model × hardware of `old`; the others are kept."""
    if old is None:
        return new
    keep = [p for p in old.pairs if (p.model, p.hardware) not in pair_index(new)]
    return CalibrationFile(reference=new.reference, pairs=[*keep, *new.pairs])
