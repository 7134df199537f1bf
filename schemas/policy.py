"""The policy file: per-check thresholds with their sources, overridable per host class.

Thresholds are checked where they are read, not where a check happens to compare them: a NaN
compares false with everything (a `.nan` limit would switch its check off: it always passes),
so every number must be finite; counts, rates and percentages are never negative (the `-1`
"no expectation" sentinels excepted) and percentages are at most 100; and a `warn_X` beyond
its `fail_X` (above it where higher is worse, below it where lower is worse) is refused.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictStr, model_validator

from schemas.envelope import Strict

# `warn_<stem>` / `fail_<stem>` pairs where a *lower* value is worse (the rest: higher is worse).
LOWER_IS_WORSE = frozenset({"available_pct"})
# Thresholds whose `-1` means "no expectation"; every other number is >= 0.
SENTINEL_MINUS_ONE = frozenset({"expected_gpus", "expected_active_links"})


def _number_problem(key: str, value: float) -> str:
    if not math.isfinite(value):
        return f"must be a finite number, got {value}"
    low = -1 if key in SENTINEL_MINUS_ONE else 0
    if value < low:
        return f"must be >= {low}, got {value}"
    if key.endswith("_pct") and value > 100:
        return f"is a percentage: must be <= 100, got {value}"
    return ""


def threshold_problems(key: str, value: Any) -> list[str]:
    """`field: what is wrong` for a threshold value and anything nested in it."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, int | float):
        problem = _number_problem(key, value)
        return [f"{key}: {problem}"] if problem else []
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in threshold_problems(f"{key}[{i}]", v)]
    if isinstance(value, dict):
        # The limits inside a mapping (per counter, per PCIe gen) follow the mapping's name.
        return [
            p.replace(key, f"{key}.{k}", 1)
            for k, v in value.items()
            for p in threshold_problems(key, v)
        ]
    return [f"{key}: unsupported value of type {type(value).__name__}"]


def ordering_problems(thresholds: dict[str, Any]) -> list[str]:
    """`warn_X` beyond `fail_X` in the direction that is worse."""
    out = []
    for key, warn in thresholds.items():
        stem = key.removeprefix("warn_")
        fail = thresholds.get(f"fail_{stem}")
        if stem == key or not _is_number(warn) or not _is_number(fail):
            continue
        if stem in LOWER_IS_WORSE and warn < fail:
            out.append(f"{key}: {warn} is below fail_{stem} {fail} (lower is worse here)")
        elif stem not in LOWER_IS_WORSE and warn > fail:
            out.append(f"{key}: {warn} is above fail_{stem} {fail} (higher is worse here)")
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class CheckPolicy(Strict):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    enabled: StrictBool = True
    thresholds: dict[str, Any] = Field(default_factory=dict)
    source: StrictStr = Field(default="", description="URL or document the thresholds come from.")

    @model_validator(mode="after")
    def _sane_thresholds(self) -> CheckPolicy:
        problems = [p for k, v in self.thresholds.items() for p in threshold_problems(k, v)]
        problems += ordering_problems(self.thresholds)
        if problems:
            raise ValueError(f"thresholds.{problems[0]}")
        return self


class ClassPolicy(Strict):
    description: StrictStr = ""
    checks: dict[str, CheckPolicy] = Field(default_factory=dict)


class PolicyFile(Strict):
    version: Literal[1] = 1
    checks: dict[str, CheckPolicy] = Field(default_factory=dict)
    classes: dict[str, ClassPolicy] = Field(default_factory=dict)
