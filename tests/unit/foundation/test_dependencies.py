"""Declared dependencies match the code: every core dependency is imported by the shipped
packages, every third-party import is declared, and an optional engine that is missing is a
usage error naming the extra that brings it."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

import pytest
import tomllib
from click.testing import CliRunner

from diag.cli import cli
from diag.fleet.args import FABRIC_MISSING

ROOT = Path(__file__).parents[3]
PACKAGES = ("diag", "probes", "lifecycle", "schemas", "exporters", "airgap")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _dist(requirement: str) -> str:
    """`PyYAML>=6` -> `pyyaml` (the normalised distribution name)."""
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert name, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def _top_level_imports() -> set[str]:
    """Every top-level module the shipped packages import, lazy imports included (the payload
    runs on the target host with the stdlib only, and is left out)."""
    out: set[str] = set()
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            if "payload" in path.relative_to(ROOT).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    out.update(a.name.partition(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    out.add(node.module.partition(".")[0])
    return out


def _providers() -> dict[str, set[str]]:
    """Import name -> the installed distributions that provide it."""
    return {mod: {_dist(d) for d in dists} for mod, dists in packages_distributions().items()}


IMPORTS = _top_level_imports()
CORE = [_dist(r) for r in PROJECT["dependencies"]]
EXTRAS = {k: [_dist(r) for r in v] for k, v in PROJECT["optional-dependencies"].items()}


@pytest.mark.parametrize("dist", CORE)
def test_every_core_dependency_is_imported(dist: str) -> None:
    used = {mod for mod, dists in _providers().items() if dist in dists} & IMPORTS
    assert used, f"{dist} is a core dependency but no module of {PACKAGES} imports it"


def test_every_third_party_import_is_declared() -> None:
    """A direct dependency, an extra, or what one of them requires (paramiko comes with fabric)."""
    declared = set(CORE) | {d for dists in EXTRAS.values() for d in dists}
    brought = {_dist(r) for d in declared for r in requires(d) or ()}
    providers = _providers()
    ours = set(PACKAGES)
    third_party = IMPORTS - ours - set(sys.stdlib_module_names) - {"__future__"}
    undeclared = {
        mod: sorted(providers.get(mod, {"<not installed>"}))
        for mod in third_party
        if not providers.get(mod, set()) & (declared | brought)
    }
    assert undeclared == {}


def test_test_extras_install_every_optional_engine() -> None:
    """scripts/test-all.sh installs `dev,probes-test`: every other extra must be in them, so
    the suite tests the optional engines too."""
    tested = set(EXTRAS["dev"]) | set(EXTRAS["probes-test"])
    optional = {
        d for name, dists in EXTRAS.items() if name not in ("dev", "probes-test") for d in dists
    }
    assert optional - tested == set()
    assert EXTRAS["fabric"] == ["fabric"]
    assert "fabric" not in CORE


def test_fabric_transport_without_fabric_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "fabric", None)  # `import fabric` now fails
    monkeypatch.delitem(sys.modules, "diag.transport.fabric_transport", raising=False)
    kh = tmp_path / "known_hosts"
    kh.write_text("")
    res = CliRunner().invoke(
        cli, ["health", "-H", "h1", "--known-hosts", str(kh), "--transport", "fabric"]
    )
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    assert res.stderr == f"Error: {FABRIC_MISSING}\n"
    assert FABRIC_MISSING == (
        "--transport fabric needs the optional fabric package: pip install 'diagctl[fabric]' "
        "(or use the default --transport asyncssh)"
    )
