"""The policy file: per-check thresholds with their sources, overridable per host class."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from schemas.envelope import Strict


class CheckPolicy(Strict):
    enabled: bool = True
    thresholds: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(default="", description="URL or document the thresholds come from.")


class ClassPolicy(Strict):
    description: str = ""
    checks: dict[str, CheckPolicy] = Field(default_factory=dict)


class PolicyFile(Strict):
    version: int = 1
    checks: dict[str, CheckPolicy] = Field(default_factory=dict)
    classes: dict[str, ClassPolicy] = Field(default_factory=dict)
