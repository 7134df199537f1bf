"""`diagctl payload show` prints exactly what the tools send over SSH, and the playbooks' action
plugin names host directories exactly as diag.artifacts does."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from diag.artifacts import host_dirname
from diag.cli.main import cli
from diag.health import options_for
from diag.hostcheck import check_host
from diag.payload import PYTHON_ARGV, SH_ARGV
from diag.playbook_payload import PayloadSpec, command_line, payload_bytes
from diag.reset_reason import ResetOptions, reset_host
from diag.transport.base import CommandResult, Target
from diag.transport.ssh_common import remote_command
from tests.support.components import require

ROOT = Path(__file__).parents[3]


class Recorder:
    """The transport seam, recording what a tool hands it (no host: we only want the bytes)."""

    name = "recorder"

    def __init__(self) -> None:
        self.sent: list[tuple[tuple[str, ...], bytes, float]] = []

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        self.sent.append((tuple(command), stdin, timeout))
        return CommandResult(None, error="unreachable", message="recorder")

    async def close(self) -> None:
        return None


@pytest.mark.parametrize(
    "timeout,checks", [(30.0, ()), (7.5, ("host.cpu_load", "gpu.xid")), (2.0, ("host.disk_space",))]
)
def test_health_payload_is_what_health_sends(timeout: float, checks: tuple[str, ...]) -> None:
    opts = options_for(None, checks, timeout, 65536, "")
    opts.command = SH_ARGV  # as health_targets sets it for -H / -i
    rec = Recorder()
    asyncio.run(check_host(rec, Target("h", "10.0.0.1"), opts))  # type: ignore[arg-type]
    spec = PayloadSpec("health", timeout, checks)
    assert rec.sent == [(SH_ARGV, payload_bytes(spec), timeout)]
    argv = ["payload", "show", "health", "--timeout", str(timeout)]
    argv += ["--check", ",".join(checks)] if checks else []
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 0 and res.stdout_bytes == payload_bytes(spec)


def test_reset_payload_is_what_reset_reason_sends() -> None:
    opts = ResetOptions(since_s=3 * 86400, timeout_s=12.0)
    opts.command = PYTHON_ARGV  # as `diagctl reset-reason -H/-i` sets it
    rec = Recorder()
    asyncio.run(reset_host(rec, Target("h", "10.0.0.1"), opts))  # type: ignore[arg-type]
    assert rec.sent == [
        (PYTHON_ARGV, payload_bytes(PayloadSpec("reset-reason", 12.0, (), 3 * 86400)), 12.0)
    ]


@pytest.mark.parametrize(
    "kind,become,line",
    [
        ("health", False, remote_command(SH_ARGV, 30.0, True, False)),
        ("health", True, remote_command(SH_ARGV, 30.0, True, True)),
        ("reset-reason", False, remote_command(PYTHON_ARGV, 30.0, True, False)),
    ],
)
def test_command_line(kind: str, become: bool, line: str) -> None:
    assert command_line(PayloadSpec(kind, 30.0, become=become)) == line  # type: ignore[arg-type]
    argv = ["payload", "show", kind, "--command-line"] + (["--become"] if become else [])
    assert CliRunner().invoke(cli, argv).output == line + "\n"


def test_health_line_is_pinned() -> None:
    assert command_line(PayloadSpec("health", 30.0)) == (
        "if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL 31 sh -s; "
        "else exec sh -s; fi"
    )


def test_unknown_check_is_exit_2() -> None:
    res = CliRunner().invoke(cli, ["payload", "show", "health", "--check", "nope"])
    assert res.exit_code == 2
    assert res.output == ("Error: unknown check id(s) ['nope']; see `diagctl checks list`\n")


def _plugin() -> ModuleType:
    require(
        "ansible-core", importlib.util.find_spec("ansible") is not None, "pip install -e '.[dev]'"
    )
    path = ROOT / "playbooks" / "action_plugins" / "diagctl_payload.py"
    spec = importlib.util.spec_from_file_location("diagctl_payload_plugin", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(
    "name",
    [
        "gpu-node-1",
        "a/b",
        "a b",
        "..",
        ".hidden",
        "",
        "é",
        "x" * 200,
        "%" * 70,
        "é" * 40 + "a" * 90,
    ],
)
def test_plugin_dirnames_match_diagctl(name: str) -> None:
    assert _plugin().host_dirname(name) == host_dirname(name)


def test_bundle_payload_is_what_bundle_no_l1_sends() -> None:
    """`diagctl bundle --no-l1 --since 2 --total-cap 4 --timeout 60` sends this program."""
    from diag.bundle import PYTHON3
    from diag.bundle_payload import BundleOptions, program

    spec = PayloadSpec("bundle", 60.0, since_hours=2.0, total_cap_mib=4)
    opts = BundleOptions(total_cap=8 << 20, since_hours=2.0, timeout_s=60.0, l1=False)
    assert payload_bytes(spec) == program(opts)  # --total-cap never below --artifact-cap
    argv = ["payload", "show", "bundle", "--timeout", "60", "--since-hours", "2"]
    argv += ["--total-cap", "4"]
    assert CliRunner().invoke(cli, argv).stdout_bytes == program(opts)
    assert command_line(spec) == remote_command(PYTHON3, 60.0, True, False)
