"""The Kubernetes health mode's pure parts: condition reasons from check ids, the condition
entry (transition time, redaction, caps), the taint patch body, and which finding names the
condition. The request path itself runs against the API stand-in in
tests/integration/probes/test_health_act_kube.py."""

from __future__ import annotations

import json

import pytest

from diag.health_act import HostVerdict, note_of
from probes.backends.kube_bodies import (
    Note,
    condition,
    current_condition,
    mark,
    reason_of,
    taint_patch,
)
from probes.plan import NodePlan
from schemas.envelope import Action, Finding, Status
from schemas.probe import NodeState

T1, T2 = "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"


@pytest.mark.parametrize(
    ("check_id", "reason"),
    [
        ("gpu.memory", "GpuMemory"),
        ("host.kernel_log", "HostKernelLog"),
        ("gpu.xid", "GpuXid"),
        ("x", "X"),
        ("9lives", "HealthCheckFailed"),  # a reason starts with a letter
        ("", "HealthCheckFailed"),
        ("..", "HealthCheckFailed"),
        ("a" * 63, "A" + "a" * 62),
        ("a" * 64, "A" + "a" * 62),  # cut to a taint value's 63 characters
    ],
)
def test_reason_of(check_id: str, reason: str) -> None:
    assert reason_of(check_id) == reason


@pytest.mark.parametrize(
    ("failing", "previous", "want_status", "since"),
    [
        (True, None, "True", T2),
        (True, {"status": "True", "lastTransitionTime": T1}, "True", T1),
        (True, {"status": "False", "lastTransitionTime": T1}, "True", T2),
        (False, {"status": "True", "lastTransitionTime": T1}, "False", T2),
        (False, {"status": "False", "lastTransitionTime": T1}, "False", T1),
        (False, {"status": "False"}, "False", T2),  # no time recorded: now
    ],
)
def test_condition_transition_time(
    failing: bool, previous: dict[str, str] | None, want_status: str, since: str
) -> None:
    assert condition(failing, Note("GpuXid", "m"), T2, previous) == {
        "type": "DiagctlUnhealthy", "status": want_status, "reason": "GpuXid", "message": "m",
        "lastHeartbeatTime": T2, "lastTransitionTime": since,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("message", "want"),
    [
        ("token=abc123secret in log", "token=*** in log"),
        ("two\nlines\x1b[31m", "two lines [31m"),
        ("x" * 300, "x" * 256),
        ("y" * 256, "y" * 256),
    ],
)
def test_condition_message_is_redacted_one_line_and_capped(message: str, want: str) -> None:
    assert condition(True, Note("GpuXid", message), T1, None)["message"] == want


def test_a_bad_reason_falls_back() -> None:
    assert condition(True, Note("no spaces allowed", ""), T1, None)["reason"] == (
        "HealthCheckFailed"
    )


KEY = "diagctl.io/unhealthy"
NODE = {"metadata": {"resourceVersion": "7", "annotations": {"a": "b"}},
        "spec": {"taints": [{"key": "k", "effect": "NoExecute", "timeAdded": T1},
                            {"key": KEY, "value": "Old", "effect": "NoSchedule"}]},
        "status": {"conditions": [{"type": "Ready", "status": "True"},
                                  {"type": "DiagctlUnhealthy", "status": "True"}]}}  # fmt: skip


def test_taint_patch_bodies() -> None:
    theirs = {"key": "k", "effect": "NoExecute", "timeAdded": T1}
    add = taint_patch(NODE, ["NoSchedule", "NoExecute"], Note("GpuXid", "m"))
    assert add == {
        "metadata": {"resourceVersion": "7", "annotations": {"diagctl.io/health": json.dumps(
            {"effects": ["NoSchedule", "NoExecute"], "reason": "GpuXid"})}},
        "spec": {"taints": [theirs,
                            {"key": KEY, "value": "GpuXid", "effect": "NoSchedule"},
                            {"key": KEY, "value": "GpuXid", "effect": "NoExecute"}]},
    }  # fmt: skip
    assert taint_patch(NODE, ["NoSchedule"], None) == {
        "metadata": {"resourceVersion": "7", "annotations": {"diagctl.io/health": None}},
        "spec": {"taints": [theirs]},
    }
    odd = taint_patch({}, ["NoSchedule"], Note("Not,a:label", "m"))["spec"]["taints"]
    assert odd == [{"key": "diagctl.io/unhealthy", "value": "true", "effect": "NoSchedule"}]


@pytest.mark.parametrize(
    ("annotations", "want"),
    [({}, None), ({"diagctl.io/health": "{}"}, {}), ({"diagctl.io/health": "[1]"}, {}),
     ({"diagctl.io/health": "not json"}, {}),
     ({"diagctl.io/health": '{"effects": ["NoSchedule"]}'}, {"effects": ["NoSchedule"]})],
)  # fmt: skip
def test_mark(annotations: dict[str, str], want: object) -> None:
    assert mark({"metadata": {"annotations": annotations}}) == want


def test_current_condition() -> None:
    assert current_condition(NODE) == {"type": "DiagctlUnhealthy", "status": "True"}
    assert current_condition({"status": {}}) is None


def _f(cid: str, action: Action) -> Finding:
    return Finding(check_id=cid, status=Status.FAIL, action=action, message=f"{cid} broke")


@pytest.mark.parametrize(
    ("findings", "reason"),
    [
        ([_f("gpu.xid", Action.RESET), _f("gpu.memory", Action.RESET)], "GpuMemory"),  # tie: id
        ([_f("gpu.memory", Action.RESET), _f("gpu.xid", Action.REBOOT)], "GpuXid"),  # worst
        ([_f("host.disk", Action.ISOLATE), _f("gpu.xid", Action.REBOOT)], "HostDisk"),
        ([], "HealthCheckFailed"),
    ],
)
def test_note_names_the_worst_finding(findings: list[Finding], reason: str) -> None:
    v = HostVerdict("h", "n", True, tuple(findings), note="a failing finding was cut")
    p = NodePlan("n", "health", None, NodeState(consecutive_fail=1), fails=True)
    assert note_of(p, v) == Note(reason, v.why)


@pytest.mark.parametrize("failing", [False, None])
def test_note_of_a_passing_or_unknown_host(failing: bool | None) -> None:
    v = HostVerdict("h", "n", failing, note="host pass")
    p = NodePlan("n", "health", None, NodeState(consecutive_pass=2))
    assert note_of(p, v) == Note("ChecksPassed", "2 passing health runs in a row (host pass)")
