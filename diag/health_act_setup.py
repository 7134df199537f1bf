"""Setting up `health --act`: the act-config file with its command-line overrides, and the
default state and audit paths. Errors are one line naming the file and field (exit 2)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diag.errors import UsageError

if TYPE_CHECKING:  # `health --local` builds an ActRequest on every run: keep this module light
    from diag.health_act import ActArgs
    from schemas.health_act import ActConfig


@dataclass(frozen=True)
class ActRequest:
    """What the command line asked of `health --act` (diag.cli.act builds it)."""

    act: bool = False
    config: Path | None = None
    act_on: str | None = None
    backend: str | None = None
    state: Path | None = None
    audit: Path | None = None
    slurm_hcp: bool = False

    @property
    def wanted(self) -> bool:
        """Planning is on when anything about acting was given (the plan is reported even
        without --act); --act alone acts with the file-less defaults (backend none)."""
        return bool(self.act or self.config or self.backend or self.slurm_hcp or self.act_on)


def load_config(req: ActRequest) -> ActConfig:
    """The --act-config file with the command line's overrides, validated."""
    from pydantic import ValidationError

    from diag.files import load_yaml_file
    from schemas.health_act import ActConfig

    raw: Any = {}
    if req.config is not None:
        raw = load_yaml_file(req.config, "--act-config") or {}
        if not isinstance(raw, dict):
            raise UsageError(f"--act-config {req.config}: expected a mapping of settings")
    where = f"--act-config {req.config}" if req.config else "health --act"
    overrides = {"act_on": req.act_on, "backend": "slurm" if req.slurm_hcp else req.backend}
    merged = {**raw, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return ActConfig.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise UsageError(f"{where}: {field}: {msg}" if field else f"{where}: {msg}") from None


def act_args(req: ActRequest, env: Mapping[str, str] = os.environ) -> ActArgs:
    """The library's arguments; --slurm-hcp always acts (it is slurmd's health check)."""
    from diag.config import state_dir
    from diag.health_act import ActArgs

    base = state_dir(env)
    config = load_config(req)
    if req.act and config.backend.value == "none":
        raise UsageError("--act needs a backend: --backend slurm|kubernetes|command, or "
                         "backend: in --act-config")  # fmt: skip
    return ActArgs(
        config=config,
        state_path=req.state or base / "health-act-state.json",
        audit_path=req.audit or base / "health-act-audit.jsonl",
        act=req.act or req.slurm_hcp,
    )
