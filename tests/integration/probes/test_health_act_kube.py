"""`diagctl health --act --backend kubernetes`: the `DiagctlUnhealthy` node condition and the
`diagctl.io/unhealthy` taint, through the official `kubernetes` client.

No kube-apiserver can run here, so the client talks to a loopback stand-in
(probes_kube_standin + probes_kube_rules) that validates the documented request formats: the
status subresource only as a strategic merge patch merged by condition `type`, node patches as
JSON merge patches whose resourceVersion is a precondition (409 when stale), taint and condition
validity, the bearer token. Recorded GPU hosts (tests/fixtures/gpu payloads, replayed) drive the
findings. Whole request bodies and whole audit records are pinned."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from probes_kube_standin import KubeStandIn, node, running

from tests.support.act import PASSING, RESET, health_act, record

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TOKEN = "s3cret-token"
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
COND = "DiagctlUnhealthy"
KEY = "diagctl.io/unhealthy"
READY = {"type": "Ready", "status": "True", "reason": "KubeletReady",
         "message": "kubelet is posting ready status",
         "lastHeartbeatTime": "2026-01-01T00:00:00Z",
         "lastTransitionTime": "2026-01-01T00:00:00Z"}  # fmt: skip
GPU_TAINT = {"key": "nvidia.com/gpu", "effect": "NoSchedule"}
HUMAN_TAINT = {"key": "maintenance", "value": "dimm", "effect": "NoExecute",
               "timeAdded": "2026-01-02T03:04:05Z"}  # fmt: skip
WHY = (
    "gpu.memory reset: GPU0: row remap pending: reset the GPU to apply it; 1 lifetime "
    "uncorrectable ECC > 0; gpu.xid reset: XID 63 x1 \u2192 reset (Row remap / page "
    "retirement recorded (reset to activate)); driver recovery action: GPU reset"
)
GPU = "GPU-00000001-0000-4000-8000-000000000001"
FINDINGS = [
    {"check_id": "gpu.memory", "status": "fail", "severity": "high", "entity": GPU,
     "observed": {"index": 0, "bdf": "0000:00:06.0", "ecc_volatile_uncorrected": 0,
                  "ecc_aggregate_uncorrected": 1, "ecc_volatile_corrected": 0,
                  "remap_pending": True, "remap_failure": False, "remap_uncorrectable": 1,
                  "retired_pages_sbe": None, "retired_pages_dbe": None,
                  "retired_pages_pending": None},
     "message": "GPU0: row remap pending: reset the GPU to apply it; 1 lifetime uncorrectable "
                "ECC > 0", "action": "reset"},
    {"check_id": "gpu.xid", "status": "fail", "severity": "high", "entity": GPU,
     "observed": {"events": 1, "codes": [63], "log": "dmesg (this boot)"},
     "message": "XID 63 x1 \u2192 reset (Row remap / page retirement recorded (reset to "
                "activate)); driver recovery action: GPU reset", "action": "reset"},
]  # fmt: skip
MARK = json.dumps({"effects": ["NoSchedule"], "reason": "GpuMemory"})


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[KubeStandIn, Path]]:
    with running(tmp_path, TOKEN, check_token=True) as api_and_config:
        yield api_and_config


def gpu_node(name: str, *taints: dict[str, Any], unschedulable: bool = False) -> dict[str, Any]:
    doc = node(name, unschedulable)
    doc["status"]["conditions"] = [dict(READY)]
    if taints:
        doc["spec"]["taints"] = [dict(t) for t in taints]
    return doc


def timeless(value: Any) -> Any:
    """Times the test cannot know checked for their format and replaced by "<t>"."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(timeless(v) for v in value)
    if isinstance(value, str) and TIME.fullmatch(value) and not value.startswith("2026-01-0"):
        return "<t>"
    return value


def audit(path: Path) -> list[dict[str, Any]]:
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    for r in recs:
        assert r.pop("who") and re.fullmatch(r"[-0-9]+T[:0-9]+\.\d{3}Z", r.pop("at")), r
    return recs


def act(replay: Path, tmp: Path, kubeconfig: Path, **over: object) -> Any:
    cfg = tmp / "act.yaml"
    doc = {"backend": "kubernetes", "kubeconfig": str(kubeconfig), "max_cordon_fraction": 1.0}
    cfg.write_text(yaml.safe_dump({**doc, **over}))
    return health_act(replay, "--act-config", str(cfg), "--act-state", str(tmp / "s.json"),
                      "--act-audit", str(tmp / "a.jsonl"), "--act")  # fmt: skip


def requests(api: KubeStandIn) -> list[tuple[str, str, Any]]:
    out = []
    for path, ctype, body in timeless(api.bodies):
        kind = "status" if path.endswith("/status") else "node"
        out.append((f"{kind} {path.split('/')[4]}", ctype, body))
    return out


def test_condition_and_taint_then_release_only_ours(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    api, kubeconfig = kube
    api.nodes = {"g1": gpu_node("g1", GPU_TAINT),
                 "g2": gpu_node("g2", HUMAN_TAINT, unschedulable=True),
                 "g3": gpu_node("g3")}  # fmt: skip
    replay = record(tmp_path / "run", {"g1": RESET, "g2": RESET, "g3": PASSING})

    first = act(replay, tmp_path, kubeconfig)
    assert (first.returncode, first.stderr) == (3, "")
    assert TOKEN not in first.stdout + (tmp_path / "a.jsonl").read_text()
    ours = {"key": KEY, "value": "GpuMemory", "effect": "NoSchedule"}
    cond = {"type": COND, "status": "True", "reason": "GpuMemory", "message": WHY,
            "lastHeartbeatTime": "<t>", "lastTransitionTime": "<t>"}  # fmt: skip
    status = ("application/strategic-merge-patch+json", {"status": {"conditions": [cond]}})
    merge = "application/merge-patch+json"
    meta = {"resourceVersion": "2", "annotations": {"diagctl.io/health": MARK}}
    assert requests(api) == [
        ("status g1", *status),
        ("node g1", merge, {"metadata": meta, "spec": {"taints": [GPU_TAINT, ours]}}),
        ("status g2", *status),
        ("node g2", merge, {"metadata": meta, "spec": {"taints": [HUMAN_TAINT, ours]}}),
    ]
    g1, g2 = api.nodes["g1"], api.nodes["g2"]
    assert timeless(g1["status"]["conditions"]) == [READY, cond]  # the kubelet's is kept
    assert g1["spec"] == {"taints": [GPU_TAINT, ours]}  # no cordon: our taint does it
    assert g2["spec"] == {"unschedulable": True, "taints": [HUMAN_TAINT, ours]}
    counters = {"verdict": "health fail", "consecutive_fail": 1, "consecutive_pass": 0}
    done = f"condition {COND} True (GpuMemory); taint {KEY}:NoSchedule"
    drains = audit(tmp_path / "a.jsonl")
    assert drains == [
        {"action": "cordon", "node": n, "group": "health", "backend": "kubernetes",
         "why": WHY, "dry_run": False, "result": "done", "message": done,
         "evidence": {**counters, "health": {"host": n, "findings": FINDINGS, "note": ""}}}
        for n in ("g1", "g2")
    ]  # fmt: skip

    record(replay, {"g1": PASSING, "g2": PASSING})
    api.bodies.clear()
    assert act(replay, tmp_path, kubeconfig).returncode == 0
    assert api.bodies == []  # 1 pass < pass_threshold 2
    assert act(replay, tmp_path, kubeconfig).returncode == 0
    passed = {"type": COND, "status": "False", "reason": "ChecksPassed",
              "message": "2 passing health runs in a row (host pass)",
              "lastHeartbeatTime": "<t>", "lastTransitionTime": "<t>"}  # fmt: skip
    drop = {"resourceVersion": "3", "annotations": {"diagctl.io/health": None}}
    assert requests(api) == [
        ("node g1", merge, {"metadata": drop, "spec": {"taints": [GPU_TAINT]}}),
        ("status g1", "application/strategic-merge-patch+json",
         {"status": {"conditions": [passed]}}),
        ("node g2", merge, {"metadata": drop, "spec": {"taints": [HUMAN_TAINT]}}),
        ("status g2", "application/strategic-merge-patch+json",
         {"status": {"conditions": [passed]}}),
    ]  # fmt: skip
    assert timeless(api.nodes["g1"]["status"]["conditions"]) == [READY, passed]
    assert api.nodes["g1"]["spec"] == {"taints": [GPU_TAINT]}
    assert api.nodes["g2"]["spec"] == {"unschedulable": True, "taints": [HUMAN_TAINT]}
    release = audit(tmp_path / "a.jsonl")[2:]
    assert [(r["action"], r["node"], r["result"], r["message"]) for r in release] == [
        ("uncordon", n, "done", f"removed taint {KEY}; condition {COND} False (ChecksPassed)")
        for n in ("g1", "g2")
    ]
    api.bodies.clear()  # idempotent: passing again writes nothing
    assert act(replay, tmp_path, kubeconfig).returncode == 0
    assert api.bodies == [] and len(audit(tmp_path / "a.jsonl")) == 4


def test_breaker_counts_nodes_and_writes_nothing(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    api, kubeconfig = kube
    names = ["g1", "g2", "g3", "g4"]
    api.nodes = {n: gpu_node(n) for n in names}
    replay = record(tmp_path / "run", dict.fromkeys(names, RESET))
    res = act(replay, tmp_path, kubeconfig, max_cordon_fraction=0.25)
    assert (res.returncode, res.stderr) == (5, "")
    assert [m for m, _, _ in api.requests] == [] and api.bodies == []
    recs = audit(tmp_path / "a.jsonl")
    assert recs[0] == {
        "action": "breaker", "node": "", "group": "health", "backend": "kubernetes",
        "why": "blast-radius limit would be crossed",
        "evidence": {"group_size": 4, "limit": 1, "cordoned_in_window_or_held": 0,
                     "wanted_this_round": 4, "nodes": names},
        "dry_run": False, "result": "blocked",
        "message": "breaker tripped in group 'health': 4 cordon(s) wanted, 0 already used, "
                   "limit 1 of 4 nodes; nothing cordoned",
    }  # fmt: skip
    assert [(r["node"], r["result"]) for r in recs[1:]] == [(n, "blocked") for n in names]


def backend(kubeconfig: Path, no_execute: bool = False, clock: str = "2026-02-01T00:00:00Z") -> Any:
    from probes.backends.kube_bodies import Note
    from probes.backends.kube_health import KubeHealthBackend

    b = KubeHealthBackend.from_config(str(kubeconfig), "", {"g1": Note("GpuXid", "xid 79")},
                                      no_execute)  # fmt: skip
    b.clock = lambda: clock
    return b


@pytest.mark.parametrize(
    ("others", "result", "node_patches"),
    [(0, "done", 1), (1, "done", 2), (2, "done", 3), (3, "failed", 3)],
)
def test_conflicts_are_retried_a_bounded_number_of_times(  # type: ignore[no-untyped-def]
    kube, others: int, result: str, node_patches: int
) -> None:
    """Another writer adds its own taint between each of our reads and writes: the stale
    resourceVersion gets 409, we read again and keep their taint; 3 attempts at most."""
    api, kubeconfig = kube
    api.nodes = {"g1": gpu_node("g1")}
    theirs = [{"spec": {"taints": [{"key": f"other{i}", "effect": "NoSchedule"}]}}
              for i in range(others)]  # fmt: skip
    api.interleave["g1"] = list(theirs)
    out = backend(kubeconfig).cordon("g1", "health fail x1: gpu.xid reboot: xid 79")
    assert out.result.value == result
    patches = [(b["metadata"]["resourceVersion"], b["spec"]["taints"])
               for p, _, b in api.bodies if not p.endswith("/status")]  # fmt: skip
    ours = {"key": KEY, "value": "GpuXid", "effect": "NoSchedule"}
    # our status write is version 2; each other writer bumps it once more
    assert patches == [(str(2 + i), [*theirs[i - 1]["spec"]["taints"], ours] if i else [ours])
                       for i in range(node_patches)]  # fmt: skip
    if result == "failed":
        assert out.message == (f"condition {COND} True; taint not set: patch node g1: the node "
                               "changed under 3 attempts (409 Conflict)")  # fmt: skip
        assert api.nodes["g1"]["spec"]["taints"] == theirs[-1]["spec"]["taints"]
    else:
        assert api.nodes["g1"]["spec"]["taints"] == patches[-1][1]


@pytest.mark.parametrize(
    ("no_execute", "effects"), [(False, ["NoSchedule"]), (True, ["NoSchedule", "NoExecute"])]
)
def test_no_execute_only_when_asked(kube, no_execute: bool, effects: list[str]) -> None:  # type: ignore[no-untyped-def]
    api, kubeconfig = kube
    api.nodes = {"g1": gpu_node("g1")}
    b = backend(kubeconfig, no_execute)
    assert b.cordon("g1", "x").result.value == "done"
    assert api.nodes["g1"]["spec"]["taints"] == [
        {"key": KEY, "value": "GpuXid", "effect": e} for e in effects
    ]
    assert b.drained("g1") is True
    assert b.uncordon("g1").result.value == "done"
    assert api.nodes["g1"]["spec"]["taints"] == [] and b.drained("g1") is False


def test_transition_time_moves_only_with_the_status(kube) -> None:  # type: ignore[no-untyped-def]
    api, kubeconfig = kube
    api.nodes = {"g1": gpu_node("g1")}
    backend(kubeconfig, clock="2026-02-01T00:00:00Z").cordon("g1", "x")
    api.nodes["g1"]["spec"]["taints"] = []  # a human removed our taint (the condition stays)
    api.nodes["g1"]["metadata"]["annotations"] = {}
    backend(kubeconfig, clock="2026-02-02T00:00:00Z").cordon("g1", "x")
    cond = api.nodes["g1"]["status"]["conditions"][1]
    assert (cond["lastHeartbeatTime"], cond["lastTransitionTime"]) == (
        "2026-02-02T00:00:00Z", "2026-02-01T00:00:00Z")  # fmt: skip
    backend(kubeconfig, clock="2026-02-03T00:00:00Z").uncordon("g1")
    cond = api.nodes["g1"]["status"]["conditions"][1]
    assert (cond["status"], cond["lastHeartbeatTime"], cond["lastTransitionTime"]) == (
        "False", "2026-02-03T00:00:00Z", "2026-02-03T00:00:00Z")  # fmt: skip


@pytest.mark.parametrize(
    ("taints", "annotated", "cordon", "uncordon"),
    [
        ([], False, ("done", True), ("already", f"no {KEY} taint")),
        ([{"key": KEY, "effect": "NoSchedule"}], False,
         ("already", f"taint {KEY} already set by someone else (no annotation)"),
         ("refused", f"taint {KEY} was not set by diagctl (no diagctl.io/health): left alone")),
        ([{"key": KEY, "effect": "NoSchedule"}], True,
         ("already", f"taint {KEY} already set by diagctl"),
         ("done", f"removed taint {KEY}; condition {COND} False (ChecksPassed)")),
        ([{"key": "maintenance", "effect": "NoSchedule"}], False, ("done", True),
         ("already", f"no {KEY} taint")),
    ],
)  # fmt: skip
def test_ownership_table(kube, taints, annotated, cordon, uncordon) -> None:  # type: ignore[no-untyped-def]
    """What is there before → what cordon and (on a fresh copy) uncordon do with it."""
    api, kubeconfig = kube
    for op, want in (("cordon", cordon), ("uncordon", uncordon)):
        api.nodes = {"g1": gpu_node("g1", *taints)}
        if annotated:
            api.nodes["g1"]["metadata"]["annotations"] = {"diagctl.io/health": MARK}
        b = backend(kubeconfig)
        out = b.cordon("g1", "x") if op == "cordon" else b.uncordon("g1")
        got = (out.result.value, out.ours if want[1] is True else out.message)
        assert got == want, op
        if want[0] in ("already", "refused"):
            assert [x for x in api.bodies if not x[0].endswith("/status")] == []
        api.bodies.clear()


def test_api_errors_fail_the_action(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    api, kubeconfig = kube
    api.nodes = {"g1": gpu_node("g1")}
    b = backend(kubeconfig)
    assert (b.cordon("nope", "x").result.value, b.cordon("nope", "x").message) == (
        "failed", "read node nope: HTTP 404 Not Found")  # fmt: skip
    assert b.cordon("g[1-2]", "x").message == (
        "refused: node 'g[1-2]' is not one node name: looks like a Slurm hostlist "
        "('[', ']' or ','): one target, one node"
    )
    api.token = "another"  # our kubeconfig's token is now refused
    assert (b.uncordon("g1").message, b.drained("g1")) == (
        "read node g1: HTTP 401 Unauthorized", None)  # fmt: skip


def test_dry_run_writes_nothing_and_a_removed_taint_is_retainted(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    api, kubeconfig = kube
    api.nodes = {"g1": gpu_node("g1")}
    replay = record(tmp_path / "run", {"g1": RESET})
    cfg = tmp_path / "act.yaml"
    cfg.write_text(yaml.safe_dump({"backend": "kubernetes", "kubeconfig": str(kubeconfig)}))
    plan = health_act(replay, "--act-config", str(cfg), "--act-state", str(tmp_path / "p.json"),
                      "--act-audit", str(tmp_path / "p.jsonl"))  # fmt: skip
    assert plan.returncode == 3 and api.requests == []
    (rec,) = audit(tmp_path / "p.jsonl")
    assert (rec["dry_run"], rec["result"], rec["message"]) == (
        True, "planned", "dry run: pass --act to change anything")  # fmt: skip

    assert act(replay, tmp_path, kubeconfig).returncode == 3
    api.nodes["g1"]["spec"]["taints"] = []  # `kubectl taint node g1 diagctl.io/unhealthy-`
    api.bodies.clear()
    assert act(replay, tmp_path, kubeconfig).returncode == 3
    recs = audit(tmp_path / "a.jsonl")
    assert [(r["action"], r["result"], r["message"]) for r in recs] == [
        ("cordon", "done", f"condition {COND} True (GpuMemory); taint {KEY}:NoSchedule"),
        ("resumed_elsewhere", "none", "resumed outside diagctl while still health fail; "
         "diagctl no longer holds it; cordoning again through the breaker"),
        ("cordon", "done", f"condition {COND} True (GpuMemory); taint {KEY}:NoSchedule"),
    ]  # fmt: skip
    assert api.nodes["g1"]["spec"]["taints"] == [
        {"key": KEY, "value": "GpuMemory", "effect": "NoSchedule"}
    ]
