"""Timed requests from files: `vllm bench serve --save-result --save-detailed` JSON, or a CSV
with the columns prompt_tokens, output_tokens, ttft_ms, e2e_ms."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from diag.errors import FileError
from diag.files import read_text
from lifecycle.accounting.fit import Point

CSV_COLUMNS = ("prompt_tokens", "output_tokens", "ttft_ms", "e2e_ms")
VLLM_KEYS = ("input_lens", "output_lens", "ttfts", "itls")


def vllm_bench(path: Path) -> tuple[list[Point], dict[str, Any]]:
    """Per-request lists of a vllm bench result: ttfts in seconds, itls a list per request."""
    try:
        doc = json.loads(read_text(path, "vllm bench result"))
    except ValueError as exc:
        raise FileError(f"vllm bench result {path}: not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise FileError(f"vllm bench result {path}: expected a JSON object")
    missing = [k for k in VLLM_KEYS if not isinstance(doc.get(k), list)]
    if missing:
        raise FileError(
            f"vllm bench result {path}: no {', '.join(missing)} lists "
            "(run vllm bench serve with --save-result --save-detailed)"
        )
    n = len(doc["input_lens"])
    if any(len(doc[k]) != n for k in VLLM_KEYS):
        raise FileError(
            f"vllm bench result {path}: input_lens, output_lens, ttfts, itls differ in length"
        )
    errs = doc.get("errors")
    errors: list[Any] = errs if isinstance(errs, list) else [""] * n
    points = []
    for i in range(n):
        if errors[i] if i < len(errors) else "":
            continue  # a failed request has no timing
        try:
            ttft = float(doc["ttfts"][i])
            points.append(
                Point(
                    int(doc["input_lens"][i]),
                    int(doc["output_lens"][i]),
                    ttft,
                    ttft + sum(float(x) for x in doc["itls"][i]),
                )
            )
        except (TypeError, ValueError):
            raise FileError(f"vllm bench result {path}: request {i}: non-numeric timing") from None
    meta = {"engine": str(doc.get("backend", "vllm")), "model": str(doc.get("model_id", ""))}
    return points, meta


def measurements_csv(path: Path) -> list[Point]:
    text = read_text(path, "measurements")
    reader = csv.DictReader(text.splitlines())
    cols = tuple(reader.fieldnames or ())
    unknown = [c for c in cols if c not in CSV_COLUMNS]
    missing = [c for c in CSV_COLUMNS if c not in cols]
    if unknown or missing:
        raise FileError(
            f"measurements {path}: columns must be {','.join(CSV_COLUMNS)}"
            + (f"; unknown {','.join(unknown)}" if unknown else "")
            + (f"; missing {','.join(missing)}" if missing else "")
        )
    points = []
    for line, row in enumerate(reader, start=2):
        try:
            p, o = int(row["prompt_tokens"]), int(row["output_tokens"])
            ttft, e2e = float(row["ttft_ms"]) / 1000, float(row["e2e_ms"]) / 1000
        except (TypeError, ValueError):
            raise FileError(f"measurements {path}: line {line}: not a number") from None
        if min(p, o) < 0 or min(ttft, e2e) < 0:
            raise FileError(f"measurements {path}: line {line}: negative value")
        points.append(Point(p, o, ttft, e2e))
    return points
