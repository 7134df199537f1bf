"""Restart-then-re-probe through the transport seam (diag.transport.local.LocalTransport here;
the SSH transport implements the same seam). There is no systemd in this machine, so
`systemctl` is a stand-in script on PATH that continues (SIGCONT) the real, stopped llama.cpp
server, or fails; everything else — probes, re-probes, state, audit — is real."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from diag.transport.local import LocalTransport
from probes import audit
from probes.round import RunOptions
from probes.runner import run_round
from schemas.probe import ActionResult, TargetsFile

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def targets(url: str) -> TargetsFile:
    return TargetsFile.model_validate({
        "targets": [{"name": "z", "url": url, "model": "tiny", "node": "n1",
                     "restart_unit": "llama.service", "extra_body": {"logit_bias": {"2": -100}}}],
        "groups": {"default": {"backend": "command", "fail_threshold": 1, "deadline_s": 1,
                               "restart_units": ["llama.service"], "restart_wait_s": 10,
                               "command_cordon": ["true"], "command_uncordon": ["true"],
                               "max_cordon_fraction": 1}},
    })  # fmt: skip


def fake_systemctl(tmp: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp / "bin"
    bindir.mkdir()
    script = bindir / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$@" >> {tmp}/systemctl.log\n{body}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{Path('/usr/bin')}:{Path('/bin')}")
    return tmp / "systemctl.log"


def opts(tmp: Path) -> RunOptions:
    return RunOptions(state_path=tmp / "s.json", audit_path=tmp / "a.jsonl", act=True,
                      transport_factory=lambda cfg: LocalTransport())  # fmt: skip


def test_restart_brings_it_back_so_no_cordon(llama, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    srv = llama()
    srv.pause()
    log = fake_systemctl(tmp_path, f"kill -CONT {srv.proc.pid}", monkeypatch)
    result = asyncio.run(run_round(targets(srv.url), opts(tmp_path)))
    assert log.read_text().split() == ["restart", "llama.service"]
    recs = audit.read(tmp_path / "a.jsonl")
    assert [(r.action.value, r.result) for r in recs] == [("restart", ActionResult.DONE)]
    assert recs[0].evidence["verdict_after"] == "healthy"
    assert result.probes[0].data.state.consecutive_fail == 0
    assert not result.probes[0].data.state.cordoned_by_us


def test_failed_restart_then_cordon(llama, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    srv = llama()
    srv.pause()
    fake_systemctl(tmp_path, "echo 'Unit llama.service not found.' >&2; exit 5", monkeypatch)
    result = asyncio.run(run_round(targets(srv.url), opts(tmp_path)))
    recs = audit.read(tmp_path / "a.jsonl")
    assert [(r.action.value, r.result) for r in recs] == [
        ("restart", ActionResult.FAILED), ("cordon", ActionResult.DONE)]  # fmt: skip
    assert "not found" in recs[0].message
    assert result.action_failed and result.probes[0].data.state.cordoned_by_us


def _raise(cfg: object) -> None:
    raise ValueError("identity file /nope unreadable")


@pytest.mark.parametrize(
    ("factory", "message"),
    [(lambda cfg: None, "no SSH transport"), (_raise, "identity file /nope unreadable")],
)
def test_without_a_transport_the_restart_fails_and_the_cordon_happens(
    llama, tmp_path, factory, message
) -> None:  # type: ignore[no-untyped-def]
    """A build or group without a usable SSH transport: the restart is recorded as failed, the
    cordon still happens, and the round reports an action failure (exit 1 in the CLI)."""
    srv = llama()
    srv.pause()
    opts = RunOptions(state_path=tmp_path / "s.json", audit_path=tmp_path / "a.jsonl", act=True,
                      transport_factory=factory)  # fmt: skip
    result = asyncio.run(run_round(targets(srv.url), opts))
    recs = audit.read(tmp_path / "a.jsonl")
    assert [(r.action.value, r.result.value) for r in recs] == [
        ("restart", "failed"), ("cordon", "done")]  # fmt: skip
    assert message in recs[0].message
    assert result.action_failed and result.probes[0].data.state.cordoned_by_us
