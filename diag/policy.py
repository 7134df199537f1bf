"""Load, validate and resolve the policy: shipped defaults, a user file, host-class overrides."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from diag.checks.base import Rules
from diag.yamlfile import load_yaml
from schemas.policy import CheckPolicy, PolicyFile


class PolicyError(ValueError):
    """The policy file is unreadable or invalid; the message is one line for the user."""


@cache
def default_policy() -> PolicyFile:
    text = resources.files("diag").joinpath("policies/default.yaml").read_text()
    return PolicyFile.model_validate(load_yaml(text))


def _merge(base: CheckPolicy, over: CheckPolicy, where: str) -> CheckPolicy:
    unknown = set(over.thresholds) - set(base.thresholds)
    if unknown:
        raise PolicyError(
            f"{where}: unknown threshold(s) {sorted(unknown)}; known: {sorted(base.thresholds)}"
        )
    for key, value in over.thresholds.items():
        if type(value) is not type(base.thresholds[key]) and not (
            isinstance(value, int | float)
            and isinstance(base.thresholds[key], int | float)
            and not isinstance(value, bool)
        ):
            raise PolicyError(
                f"{where}.{key}: expected {type(base.thresholds[key]).__name__}, got {value!r}"
            )
    return CheckPolicy(
        enabled=over.enabled if "enabled" in over.model_fields_set else base.enabled,
        thresholds={**base.thresholds, **over.thresholds},
        source=over.source or base.source,
    )


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
            raw: Any = load_yaml(path.read_text())
            user = PolicyFile.model_validate(raw if raw is not None else {})
        except OSError as exc:
            raise PolicyError(f"cannot read policy {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise PolicyError(
                f"policy {path} is not valid YAML: {str(exc).splitlines()[0]}"
            ) from exc
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            raise PolicyError(f"policy {path}: {loc}: {err['msg']}") from exc
        checks = dict(base.checks)
        for cid, over in user.checks.items():
            if cid not in checks:
                raise PolicyError(f"policy {path}: unknown check {cid!r}")
            checks[cid] = _merge(checks[cid], over, f"checks.{cid}")
        for cname, cls_pol in user.classes.items():
            for cid, over in cls_pol.checks.items():
                if cid not in checks:
                    raise PolicyError(f"policy {path}: classes.{cname}: unknown check {cid!r}")
                _merge(checks[cid], over, f"classes.{cname}.checks.{cid}")  # validate early
        return cls(
            PolicyFile(
                version=user.version, checks=checks, classes={**base.classes, **user.classes}
            )
        )

    def check(self, check_id: str, host_class: str = "") -> tuple[bool, Rules]:
        """(enabled, rules) for one check on a host of `host_class`."""
        pol = self.doc.checks.get(check_id, CheckPolicy())
        cls_pol = self.doc.classes.get(host_class)
        if cls_pol and check_id in cls_pol.checks:
            pol = _merge(pol, cls_pol.checks[check_id], f"classes.{host_class}")
        return pol.enabled, Rules(pol.thresholds, pol.source)
