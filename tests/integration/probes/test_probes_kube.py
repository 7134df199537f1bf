"""The Kubernetes backend through the official `kubernetes` client.

No kube-apiserver can be installed here, so the client talks to probes_kube_standin.KubeStandIn, an
HTTP stand-in for the Node API subset we use (list/read/patch nodes, merge-patch semantics).
The probes themselves hit a real llama.cpp server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from probes_kube_standin import KubeStandIn, node, running
from probes_support import run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[KubeStandIn, Path]]:
    with running(tmp_path, "s3cret-token", check_token=False) as api_and_config:
        yield api_and_config


def test_backend_cordon_uncordon_only_ours(kube) -> None:  # type: ignore[no-untyped-def]
    from probes.backends.kube import ANNOTATION, TAINT_KEY, KubeBackend
    from schemas.probe import ActionResult

    api, kubeconfig = kube
    api.nodes = {"g1": node("g1"), "g2": node("g2", unschedulable=True)}
    api.nodes["g1"]["spec"]["taints"] = [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]
    b = KubeBackend.from_config(str(kubeconfig))
    assert b.cordon("g1", "zombie x3").result is ActionResult.DONE
    g1 = api.nodes["g1"]
    assert g1["spec"]["unschedulable"] is True
    assert {t["key"] for t in g1["spec"]["taints"]} == {"nvidia.com/gpu", TAINT_KEY}
    assert json.loads(g1["metadata"]["annotations"][ANNOTATION])["reason"].startswith("diagctl:")
    assert b.cordon("g1", "zombie x4").result is ActionResult.ALREADY  # idempotent
    assert b.uncordon("g1").result is ActionResult.DONE
    g1 = api.nodes["g1"]
    assert g1["spec"]["unschedulable"] is False
    assert [t["key"] for t in g1["spec"]["taints"]] == ["nvidia.com/gpu"]
    assert ANNOTATION not in g1["metadata"]["annotations"]
    # A human's cordon: ours is added on top, and removing ours leaves theirs.
    assert b.uncordon("g2").result is ActionResult.REFUSED
    assert b.cordon("g2", "zombie").result is ActionResult.DONE
    assert b.uncordon("g2").result is ActionResult.DONE
    assert api.nodes["g2"]["spec"]["unschedulable"] is True
    assert b.cordon("nope", "zombie").result is ActionResult.FAILED
    assert all(p.startswith("/api/v1/nodes/") for _, p, _ in api.requests)


def test_cli_cordons_a_zombie_node(kube, llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from probes.backends.kube import TAINT_KEY

    api, kubeconfig = kube
    api.nodes = {"g1": node("g1")}
    srv = llama()
    srv.pause()
    doc = {
        "targets": [{"name": "z", "url": srv.url, "model": "tiny", "node": "g1", "group": "k"}],
        "groups": {"k": {"backend": "kubernetes", "kubeconfig": str(kubeconfig), "deadline_s": 1,
                         "fail_threshold": 1, "max_cordon_fraction": 1}},
    }  # fmt: skip
    tf = tmp_path / "t.yaml"
    tf.write_text(yaml.safe_dump(doc))
    res = run_cli("probe", "run", "--targets", str(tf), "--state", str(tmp_path / "s.json"),
                  "--audit", str(tmp_path / "a.jsonl"), "--act")  # fmt: skip
    assert res.returncode == 3, res.stderr
    assert TAINT_KEY in json.dumps(api.nodes["g1"]["spec"])
    assert "s3cret-token" not in res.stdout + res.stderr + (tmp_path / "a.jsonl").read_text()
    audit = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert audit[0]["backend"] == "kubernetes" and audit[0]["result"] == "done"


def test_unusable_backend_fails_the_action_not_the_round(llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = llama()
    srv.pause()
    doc = {
        "targets": [{"name": "z", "url": srv.url, "model": "tiny", "node": "g1", "group": "k"}],
        "groups": {"k": {"backend": "kubernetes", "kubeconfig": str(tmp_path / "missing"),
                         "deadline_s": 1, "fail_threshold": 1, "max_cordon_fraction": 1}},
    }  # fmt: skip
    tf = tmp_path / "t.yaml"
    tf.write_text(yaml.safe_dump(doc))
    res = run_cli("probe", "run", "--targets", str(tf), "--state", str(tmp_path / "s.json"),
                  "--audit", str(tmp_path / "a.jsonl"), "--act")  # fmt: skip
    assert res.returncode == 1, res.stderr
    envs = [json.loads(x) for x in res.stdout.splitlines()]
    probe = envs[0]
    assert probe["data"]["verdict"] == "zombie" and probe["data"]["action_result"] == "failed"
    assert "backend unavailable" in probe["data"]["action_message"]
    assert probe["errors"][0]["code"] == "action_failed"
    assert probe["data"]["state"]["cordoned_by_us"] is False
    assert envs[1]["kind"] == "probe.audit" and envs[1]["status"] == "error"


@pytest.mark.parametrize(
    ("others", "result"), [(0, "done"), (1, "done"), (2, "done"), (3, "failed")]
)
def test_cordon_keeps_a_taint_written_between_read_and_patch(  # type: ignore[no-untyped-def]
    kube, others: int, result: str
) -> None:
    """A merge patch replaces the whole taint list: without the resourceVersion precondition a
    taint another writer added after our read was silently lost. Now the stale patch gets 409,
    the node is read again and theirs is kept; 3 attempts at most."""
    from probes.backends.kube import TAINT_KEY, KubeBackend

    api, kubeconfig = kube
    api.nodes = {"g1": node("g1")}
    theirs = [{"spec": {"taints": [{"key": f"other{i}", "effect": "NoSchedule"}]}}
              for i in range(others)]  # fmt: skip
    api.interleave["g1"] = list(theirs)
    out = KubeBackend.from_config(str(kubeconfig)).cordon("g1", "zombie x3")
    assert out.result.value == result
    taints = api.nodes["g1"]["spec"].get("taints", [])
    if result == "failed":
        assert out.message == "patch node g1: the node changed under 3 attempts (409 Conflict)"
        assert taints == theirs[-1]["spec"]["taints"]
    else:
        mine = {"key": TAINT_KEY, "value": "true", "effect": "NoSchedule"}
        assert taints == [*(theirs[-1]["spec"]["taints"] if others else []), mine]
        assert b_versions(api) == [str(1 + i) for i in range(others + 1)]


def b_versions(api: KubeStandIn) -> list[str]:
    """The resourceVersion each of our node patches was computed from."""
    return [b["metadata"]["resourceVersion"] for p, _, b in api.bodies if not p.endswith("/status")]
