"""A host or target we never finished because WE were stopped (Ctrl-C, SIGTERM) is `unknown`
with error `interrupted`: not `unreachable` (the host did nothing wrong) and not `error`."""

from __future__ import annotations

from diag import bundle_report
from diag.exitcodes import Exit, exit_code, probe_exit_code
from diag.reset_reason import interrupted_run as interrupted_reset
from diag.session import _interrupted_run
from diag.transport.base import Target
from probes.envelopes import interrupted_envelope
from schemas.envelope import Status
from schemas.probe import ProbeTarget

INTERRUPTED = [
    {
        "code": "interrupted",
        "message": "interrupted before this host finished",
        "hint": "rerun for this host",
    }
]


def test_interrupted_health_host_is_unknown() -> None:
    env = _interrupted_run(Target("gpu-1", "10.0.0.1")).envelope
    assert (env.kind, env.status, env.ok) == ("health.l1", Status.UNKNOWN, False)
    assert [e.model_dump(mode="json") for e in env.errors] == INTERRUPTED
    assert exit_code([env], interrupted=True) is Exit.INTERRUPTED


def test_interrupted_reset_and_bundle_hosts_say_the_same() -> None:
    """The three host runs (health, reset-reason, bundle) share one interrupted error."""
    target = Target("gpu-1", "10.0.0.1")
    reset = interrupted_reset(target).envelope
    bundle = bundle_report.interrupted_envelope(target)
    for env, kind in ((reset, "reset_reason"), (bundle, "bundle")):
        assert (env.kind, env.status, env.ok) == (kind, Status.UNKNOWN, False)
        assert [e.model_dump(mode="json") for e in env.errors] == INTERRUPTED
        assert env.findings == []
        assert exit_code([env], interrupted=True) is Exit.INTERRUPTED
    assert bundle.data.problem == "interrupted before this host finished"


def test_interrupted_probe_target_is_unknown() -> None:
    t = ProbeTarget(name="a", url="http://127.0.0.1:1", model="m", node="n1")
    env = interrupted_envelope(t, "2026-01-01T00:00:00.000Z", act=False)
    assert (env.status, env.ok, env.errors[0].code.value) == (Status.UNKNOWN, False, "interrupted")
    assert probe_exit_code([env], False, False, interrupted=True) is Exit.INTERRUPTED
