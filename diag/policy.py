"""Load, validate and resolve the policy: shipped defaults, a user file, host-class overrides."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from diag.checks.base import Rules
from diag.errors import PolicyError
from diag.files import YamlFileError, load_yaml, load_yaml_file
from schemas.policy import CheckPolicy, PolicyFile


@cache
def default_policy() -> PolicyFile:
    text = resources.files("diag").joinpath("policies/default.yaml").read_text()
    return PolicyFile.model_validate(load_yaml(text))


def one_line(exc: ValidationError) -> str:
    """The first error as `a.b.field: what is wrong` (our validators' messages carry the field)."""
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "value_error":
        return f"{loc}.{msg}" if loc else msg
    shown = repr(err.get("input"))
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{loc}: {msg}, got {shown}"


def _merge(base: CheckPolicy, over: CheckPolicy, where: str) -> CheckPolicy:
    unknown = set(over.thresholds) - set(base.thresholds)
    if unknown:
        raise PolicyError(
            f"{where}.thresholds: unknown threshold(s) {sorted(unknown)}; "
            f"known: {sorted(base.thresholds)}"
        )
    for key, value in over.thresholds.items():
        if type(value) is not type(base.thresholds[key]) and not (
            isinstance(value, int | float)
            and isinstance(base.thresholds[key], int | float)
            and not isinstance(value, bool)
        ):
            raise PolicyError(
                f"{where}.thresholds.{key}: "
                f"expected {type(base.thresholds[key]).__name__}, got {value!r}"
            )
    try:  # a warn_X set here may now be beyond the fail_X it inherits
        return CheckPolicy(
            enabled=over.enabled if "enabled" in over.model_fields_set else base.enabled,
            thresholds={**base.thresholds, **over.thresholds},
            source=over.source or base.source,
        )
    except ValidationError as exc:
        raise PolicyError(f"{where}.{one_line(exc)}") from None


class Policy:
    """The effective policy: defaults merged with one optional user file."""

    def __init__(self, doc: PolicyFile) -> None:
        self.doc = doc

    @classmethod
    def load(cls, path: Path | None = None) -> Policy:
        base = default_policy()
        if path is None:
            return cls(base)
        try:
            raw: Any = load_yaml_file(path, "policy")
            if not isinstance(raw, dict | None):
                raise PolicyError(f"policy {path}: expected a mapping, got {type(raw).__name__}")
            user = PolicyFile.model_validate(raw if raw is not None else {})
        except YamlFileError as exc:
            raise PolicyError(str(exc)) from None
        except ValidationError as exc:
            raise PolicyError(f"policy {path}: {one_line(exc)}") from None
        checks = dict(base.checks)
        for cid, over in user.checks.items():
            if cid not in checks:
                raise PolicyError(f"policy {path}: unknown check {cid!r}")
            checks[cid] = _merge(checks[cid], over, f"policy {path}: checks.{cid}")
        for cname, cls_pol in user.classes.items():
            for cid, over in cls_pol.checks.items():
                if cid not in checks:
                    raise PolicyError(f"policy {path}: classes.{cname}: unknown check {cid!r}")
                where = f"policy {path}: classes.{cname}.checks.{cid}"
                _merge(checks[cid], over, where)  # validate early
        return cls(
            PolicyFile(
                version=user.version, checks=checks, classes={**base.classes, **user.classes}
            )
        )

    def require_class(self, host_class: str, where: str) -> None:
        """An unknown class is a usage error: its overrides (expected GPUs, ...) would otherwise
        silently not apply, and a check such as "8 GPUs expected" would pass on a host with none.
        """
        if not host_class or host_class in self.doc.classes:
            return
        known = sorted(self.doc.classes)
        close = difflib.get_close_matches(host_class, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        listed = ", ".join(known) if known else "none (the policy has no `classes:`)"
        raise PolicyError(f"{where}: unknown host class {host_class!r}; {hint}known: {listed}")

    def require_classes(self, hosts: Iterable[tuple[str, str]], source: str) -> None:
        """Every (host name, host class) pair an inventory gave must name a class of the policy."""
        for name, host_class in hosts:
            self.require_class(host_class, f"{source}: host {name!r}: host_class")

    def check(self, check_id: str, host_class: str = "") -> tuple[bool, Rules]:
        """(enabled, rules) for one check on a host of `host_class`."""
        pol = self.doc.checks.get(check_id)
        if pol is None:  # not built as .get's default: a model is validated on every build
            pol = CheckPolicy()
        cls_pol = self.doc.classes.get(host_class)
        if cls_pol and check_id in cls_pol.checks:
            pol = _merge(pol, cls_pol.checks[check_id], f"classes.{host_class}")
        return pol.enabled, Rules(pol.thresholds, pol.source)
