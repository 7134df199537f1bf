"""Option defaults from config files and `DIAGCTL_*` variables, like `ansible.cfg`.

Layers, last wins: `/etc/diagctl/config.yaml`, then `$XDG_CONFIG_HOME/diagctl/config.yaml`
(`~/.config/...` when unset), then `DIAGCTL_<KEY>` variables; a flag on the command line wins
over all of them (the CLI hands these values to click as defaults). `--config FILE` or
`DIAGCTL_CONFIG` names one file that replaces the two standard ones. A standard file that does
not exist is skipped; a named one that does not exist is an error. A relative path in a file is
relative to that file's directory, so `inventory: hosts.yaml` next to it works from anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diag.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import ValidationError

SYSTEM_FILE = Path("/etc/diagctl/config.yaml")
ENV_FILE = "DIAGCTL_CONFIG"
ENV_PREFIX = "DIAGCTL_"
# schemas.config.ConfigFile's fields (a test pins them equal); pydantic and the schema are
# imported only when a file or variable is there to validate: most runs have neither.
KEYS: tuple[str, ...] = (
    "inventory",
    "known_hosts",
    "identity",
    "user",
    "policy",
    "host_class",
    "forks",
    "transport",
    "connect_timeout",
    "probe_state",
    "probe_audit",
    "registry",
)
PATH_KEYS = frozenset(
    {"inventory", "known_hosts", "identity", "policy", "probe_state", "probe_audit"}
)


@dataclass(frozen=True)
class Setting:
    """One effective value and where it came from: a file, `env DIAGCTL_X`, or `default`."""

    value: Any
    source: str


@dataclass(frozen=True)
class Effective:
    settings: dict[str, Setting]
    files: list[tuple[Path, bool]]  # every file considered, and whether it was read

    def layered(self) -> dict[str, Any]:
        """Values set by a file or a variable (not the built-in defaults)."""
        return {k: s.value for k, s in self.settings.items() if s.source != "default"}


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where probe state and audit live by default (XDG_STATE_HOME honoured)."""
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "diagctl"


def builtin_defaults(env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """What applies when nothing sets a key; None: the option is simply absent. A test pins
    these equal to the click options' defaults."""
    return {
        **dict.fromkeys(KEYS),
        "known_hosts": "~/.ssh/known_hosts",
        "forks": 64,
        "transport": "asyncssh",
        "connect_timeout": 10.0,
        "probe_state": str(state_dir(env) / "probe-state.json"),
        "probe_audit": str(state_dir(env) / "probe-audit.jsonl"),
        "registry": str(state_dir(env) / "registry.db"),
    }


def user_file(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "diagctl" / "config.yaml"


def _problem(exc: ValidationError) -> str:
    """`forks: Input should be a valid integer` for the first error; never the value."""
    err = exc.errors()[0]
    key = ".".join(str(x) for x in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"{key}: unknown key (known: {', '.join(KEYS)})"
    return f"{key}: {err['msg']}"


def _resolve(values: dict[str, Any], base: Path | None) -> dict[str, Any]:
    """Expand `~` in path keys; a relative path in a file is relative to that file."""
    out = dict(values)
    for key in PATH_KEYS & out.keys():
        path = Path(out[key]).expanduser()
        out[key] = str(base / path if base is not None and not path.is_absolute() else path)
    return out


def read_file(path: Path) -> dict[str, Any]:
    """One config file's keys; any problem is a ConfigError naming the file and the key."""
    from pydantic import ValidationError

    from diag.files import load_yaml_file
    from schemas.config import ConfigFile

    raw = load_yaml_file(path, "config")
    if raw is None:
        return {}  # an empty file (or only comments) sets nothing
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path}: expected a mapping of settings (key: value)")
    try:
        cfg = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"config {path}: {_problem(exc)}") from None
    return _resolve(cfg.model_dump(exclude_none=True), path.parent)


def read_env(env: Mapping[str, str]) -> dict[str, Any]:
    """`DIAGCTL_FORKS=128` and the like; text, so read with strict=False (`nan` is still an
    error). An empty variable sets nothing."""
    raw = {k: env[ENV_PREFIX + k.upper()] for k in KEYS if env.get(ENV_PREFIX + k.upper())}
    if not raw:
        return {}
    from pydantic import ValidationError

    from schemas.config import ConfigFile

    try:
        cfg = ConfigFile.model_validate(raw, strict=False)
    except ValidationError as exc:
        key = str(exc.errors()[0]["loc"][0])
        raise ConfigError(
            f"environment {ENV_PREFIX}{key.upper()}: {_problem(exc).split(': ', 1)[1]}"
        ) from None
    return _resolve(cfg.model_dump(exclude_none=True), None)


def candidates(explicit: Path | None, env: Mapping[str, str]) -> list[tuple[Path, bool]]:
    """The files to read in order, each with whether it must exist."""
    named = explicit or (Path(env[ENV_FILE]) if env.get(ENV_FILE) else None)
    if named is not None:
        return [(named.expanduser().absolute(), True)]
    return [(SYSTEM_FILE, False), (user_file(env), False)]


def effective(explicit: Path | None = None, env: Mapping[str, str] = os.environ) -> Effective:
    """Every key's value and source after files and variables (flags are click's business)."""
    settings = {k: Setting(v, "default") for k, v in builtin_defaults(env).items()}
    files: list[tuple[Path, bool]] = []
    for path, required in candidates(explicit, env):
        if not required and not path.exists():
            files.append((path, False))
            continue
        if required and not path.is_file():
            raise ConfigError(f"config {path}: no such file")
        for key, value in read_file(path).items():
            settings[key] = Setting(value, str(path))
        files.append((path, True))
    for key, value in read_env(env).items():
        settings[key] = Setting(value, f"env {ENV_PREFIX}{key.upper()}")
    return Effective(settings, files)
