"""reset-reason scenario cases: tests/fixtures/reset/<case>/.

A case directory holds what the reset collector would print on a host, one file per capture:
  <capture>.txt   the capture's stdout, byte for byte (`tail:-1` is stored as `tail@-1.txt`);
                  bytes that are not UTF-8 are replaced as the payload itself would;
  case.json       the rest of each capture (source, rc, stderr, error, detail, truncated_bytes);
  expected.json   the WHOLE `data` and `findings` of the envelope (`pytest --regen` rewrites it).
`payload_doc` turns a case into the payload's JSON document, which the tests lay out as a
recorded `--out` tree and judge through the replay transport.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reset"


def cases() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.glob("*/case.json"))


def _file(name: str) -> str:
    return name.replace(":", "@") + ".txt"


def payload_doc(case: Path) -> dict[str, Any]:
    meta = json.loads((case / "case.json").read_text(encoding="utf-8"))
    caps = {}
    for name, cap in meta.items():
        txt = case / _file(name)
        out = txt.read_bytes().decode("utf-8", "replace") if txt.exists() else ""
        caps[name] = {"source": name, "rc": 0, "stderr": "", "error": None, "detail": "",
                      "duration_ms": 1, "truncated_bytes": 0, **cap, "stdout": out}  # fmt: skip
    return {"payload_version": 1, "mode": "python", "duration_ms": 42, "captures": caps}


def write_case(case: Path, captures: dict[str, dict[str, Any]]) -> None:
    """captures: name -> {"stdout": str|bytes, other Capture fields}."""
    case.mkdir(parents=True, exist_ok=True)
    meta = {}
    for name, cap in sorted(captures.items()):
        cap = dict(cap)
        out = cap.pop("stdout", "")
        if out:
            data = out if isinstance(out, bytes) else out.encode()
            (case / _file(name)).write_bytes(data)
        meta[name] = cap
    (case / "case.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


def write_expected(case: Path, value: dict[str, Any]) -> None:
    text = json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    (case / "expected.json").write_text(text, encoding="utf-8")
