"""cloud-init user-data for one node class, from a values file (schemas.airgap.CloudInitValues)
and `templates/user-data.yaml.j2`.

Every value reaches the YAML through the `q` filter (a JSON string, which YAML reads as a
double-quoted scalar), and every shell word through `shlex.quote`: a value cannot add keys or
commands. cloud-init runs `bootcmd` on every boot before `write_files`, and `runcmd` once, at
the end of the first boot (after `packages`), without stopping at a failed command: the bundle
download, its check, the install and the registration are therefore one `set -e` chain.
"""

from __future__ import annotations

import json
import shlex
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from airgap import mirrors as m
from diag.errors import UsageError
from diag.files import load_yaml_file
from schemas.airgap import CloudInitValues

BUNDLE_DIR = "/var/lib/diagctl/bundle"
ARCHIVE = "/var/lib/diagctl/bundle.tar.gz"


def load_values(path: Path) -> CloudInitValues:
    """The values file, strictly: an unknown key or a bad field names the file and the field."""
    raw = load_yaml_file(path, "values file")
    try:
        return CloudInitValues.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise UsageError(f"values file {path}: {where}: {err['msg']}") from None


def _q(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def _dump(doc: dict[str, object] | None) -> str | None:
    return None if doc is None else yaml.safe_dump(doc, sort_keys=False)


def context(values: CloudInitValues, name: str) -> dict[str, Any]:
    node = values.classes.get(name)
    if node is None:
        known = ", ".join(sorted(values.classes))
        raise UsageError(f"--class {name!r}: not in the values file (classes: {known})")
    b = values.bundle
    q = shlex.quote
    steps = [
        "set -e",
        f"mkdir -p {BUNDLE_DIR}",
        f"curl -fsS --retry 5 -o {ARCHIVE} {q(b.url)}",
        f"echo {q(b.sha256 + '  ' + ARCHIVE)} | sha256sum -c -",
        f"tar -xzf {ARCHIVE} -C {BUNDLE_DIR}",
        f"{BUNDLE_DIR}/diagctl-*-airgap/install.sh --expect-sha256 {b.sums_sha256} "
        "--prefix /opt/diagctl --bin-dir /usr/local/bin",
        " ".join(q(w) for w in ["env", f"DIAGCTL_NODE_CLASS={name}", *node.register_hook]),
    ]
    return {
        "name": name,
        "node": node,
        "mirrors": values.mirrors,
        "bundle": b,
        "disable_public": m.disable_public_script(),
        "sources_path": m.SOURCES_PATH,
        "sources": m.apt_sources(values.mirrors.apt),
        "pip_conf_path": m.PIP_CONF_PATH,
        "pip_conf": m.pip_conf(values.mirrors.pip),
        "fwupd_path": m.FWUPD_REMOTE_PATH,
        "fwupd": m.fwupd_remote(values.mirrors.fwupd),
        "policy": _dump(node.policy),
        "config": _dump(node.config),
        "install": "; ".join(steps),
    }


def template_text() -> str:
    return (files("airgap") / "templates" / "user-data.yaml.j2").read_text(encoding="utf-8")


def render(values: CloudInitValues, name: str, source: str | None = None) -> str:
    """The user-data text (from `source`, a template text, else the shipped template); it is
    parsed back as YAML before it is returned."""
    import jinja2

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = _q
    text = env.from_string(source or template_text()).render(context(values, name))
    yaml.safe_load(text)  # a template bug fails here, not on a node at first boot
    return text
