"""`diagctl config show`, and the click default_map built from the config layers."""

from __future__ import annotations

import json
from typing import Any

import click

from diag.cli.options import examples, guarded

CONFIG_KEY = "diagctl.config"  # click context meta: the diag.config.Effective of this run

# Config key → (command path prefix it is limited to, click parameter name). A key applies to
# every command under that prefix with a parameter of that name, so a new tool that takes the
# fleet options gets the configured defaults without a line here.
OPTION_OF: dict[str, tuple[tuple[str, ...], str]] = {
    "inventory": ((), "inventory"),
    "known_hosts": ((), "known_hosts"),
    "identity": ((), "identity"),
    "user": ((), "user"),
    "policy": ((), "policy"),
    "host_class": ((), "host_class"),
    "forks": ((), "forks"),
    "transport": ((), "transport"),
    "connect_timeout": ((), "connect_timeout"),
    "probe_state": (("probe",), "state"),
    "probe_audit": (("probe",), "audit"),
    "registry": (("lifecycle",), "registry"),
}


def default_map(
    group: click.Group,
    values: dict[str, Any],
    path: tuple[str, ...] = (),
    only: str | None = None,
) -> dict[str, Any]:
    """click's nested default_map for every command under `group` (or only the one named
    `only`, so that the root does not import every tool): flags still win over it."""
    out: dict[str, Any] = {}
    names = [only] if only is not None else list(group.commands)
    for name in names:
        cmd = group.commands.get(name)
        if cmd is None:
            continue
        where = (*path, name)
        if isinstance(cmd, click.Group):
            sub = default_map(cmd, values, where)
        else:
            params = {p.name for p in cmd.params}
            sub = {
                param: values[key]
                for key, (prefix, param) in OPTION_OF.items()
                if key in values and param in params and where[: len(prefix)] == prefix
            }
        if sub:
            out[name] = sub
    return out


@click.group(epilog=examples("diagctl config show", "diagctl --config site.yaml config show"))
def config() -> None:
    """Defaults from /etc/diagctl/config.yaml, ~/.config/diagctl/config.yaml and DIAGCTL_*."""


@config.command(
    "show",
    epilog=examples("diagctl config show", "diagctl config show --json"),
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: key → value, source.")
@guarded
def config_show(as_json: bool) -> None:
    """Every setting's effective value and where it came from (file, variable or default).
    A flag on the command line still wins over what this shows."""
    eff = click.get_current_context().find_root().meta[CONFIG_KEY]
    if as_json:
        doc = {
            "settings": {
                k: {"value": s.value, "source": s.source} for k, s in eff.settings.items()
            },
            "files": [{"path": str(p), "read": read} for p, read in eff.files],
        }
        click.echo(json.dumps(doc, sort_keys=True))
        return
    shown = {k: "-" if s.value is None else str(s.value) for k, s in eff.settings.items()}
    kw, vw = max(map(len, shown)), max(map(len, shown.values()))
    for key, value in shown.items():
        click.echo(f"{key:<{kw}}  {value:<{vw}}  {eff.settings[key].source}".rstrip())
    for path, read in eff.files:
        click.echo(f"# {path}: {'read' if read else 'absent'}")
