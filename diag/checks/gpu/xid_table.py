"""The XID policy table (diag/policies/xid.yaml, or a user's copy) and its per-policy overrides."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from diag.files import load_yaml
from schemas.envelope import Action, Status, Strict

XidClass = Literal["info", "app", "monitor", "triage", "reset", "reboot", "isolate"]
CLASS_ORDER: list[str] = ["info", "app", "monitor", "triage", "reset", "reboot", "isolate"]
VERDICT: dict[str, tuple[Status, Action]] = {
    "info": (Status.PASS, Action.NONE),
    "app": (Status.PASS, Action.NONE),
    "monitor": (Status.WARN, Action.MONITOR),
    "triage": (Status.WARN, Action.MONITOR),
    "reset": (Status.FAIL, Action.RESET),
    "reboot": (Status.FAIL, Action.REBOOT),
    "isolate": (Status.FAIL, Action.ISOLATE),
}


class Repeat(Strict):
    count: int = Field(ge=2)
    window_h: float = Field(gt=0)
    cls: XidClass = Field(alias="class")


class XidRule(Strict):
    cls: XidClass = Field(alias="class")
    name: str = ""
    repeat: Repeat | None = None


class SxidRules(Strict):
    fatal_class: XidClass = "reset"
    nonfatal_class: XidClass = "monitor"
    codes: dict[int, XidRule] = Field(default_factory=dict)


class XidTable(Strict):
    version: int = 1
    default_class: XidClass = "triage"
    xid: dict[int, XidRule] = Field(default_factory=dict)
    sxid: SxidRules = Field(default_factory=SxidRules)


@dataclass(frozen=True)
class XidPolicy:
    table: XidTable
    overrides: dict[int, XidRule]

    def rule(self, code: int) -> XidRule:
        base = self.table.xid.get(code)
        over = self.overrides.get(code)
        if over is not None:
            return (
                over if over.name or base is None else over.model_copy(update={"name": base.name})
            )
        return base or XidRule.model_validate({"class": self.table.default_class})


@cache
def load_table(path: str = "") -> XidTable:
    """The shipped table, or the YAML file at `path`; ValueError with one line when invalid."""
    try:
        text = (
            Path(path).read_text()
            if path
            else resources.files("diag").joinpath("policies/xid.yaml").read_text()
        )
        return XidTable.model_validate(load_yaml(text))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"XID table {path or 'xid.yaml'}: {str(exc).splitlines()[0]}") from exc


def xid_policy(thresholds: Any) -> XidPolicy:
    """Overrides map a code to a class (`"13": reset`) or to a whole rule with its own
    count-and-window (`"13": {class: app, repeat: {count: 5, window_h: 1, class: reset}}`)."""
    over: dict[int, XidRule] = {}
    for code, value in dict(thresholds.get("overrides") or {}).items():
        raw = value if isinstance(value, dict) else {"class": value}
        try:
            over[int(code)] = XidRule.model_validate(raw)
        except (ValidationError, ValueError) as exc:
            msg = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise ValueError(
                f"gpu.xid overrides[{code!r}]: {msg}; classes: {', '.join(CLASS_ORDER)}"
            ) from exc
    return XidPolicy(load_table(str(thresholds.get("table") or "")), over)
