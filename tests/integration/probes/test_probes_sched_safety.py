"""Scheduler safety against real components: a real Slurm controller (slurmctld + 4 slurmds),
real SSE endpoints on 127.0.0.1 with hostile text, the real command hook through /bin/sh."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from probes_hostile import Endpoint
from probes_support import Slurm, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
HOSTLIST = "looks like a Slurm hostlist ('[', ']' or ','): one target, one node"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    yield ep
    ep.stop()


def write(path: Path, node: str, url: str, **group: object) -> Path:
    cfg = {"backend": "slurm", "fail_threshold": 1, "pass_threshold": 1, "deadline_s": 2,
           "max_cordon_fraction": 1.0, **group}  # fmt: skip
    doc = {"targets": [{"name": "t", "url": url, "model": "m", "node": node, "group": "gpu"}],
           "groups": {"gpu": cfg}}  # fmt: skip
    path.write_text(yaml.safe_dump(doc))
    return path


def run(tmp: Path, tf: Path, env: dict[str, str] | None = None) -> tuple[int, list[dict], str]:  # type: ignore[type-arg]
    res = run_cli("probe", "run", "--targets", str(tf), "--state", str(tmp / "state.json"),
                  "--audit", str(tmp / "audit.jsonl"), "--act", env=env)  # fmt: skip
    return res.returncode, [json.loads(x) for x in res.stdout.splitlines()], res.stderr


def drained(slurm: Slurm) -> list[str]:
    return [n for n in (slurm.host, "dgpn2", "dgpn3", "dgpn4")
            if "DRAIN" in slurm.node(n)["State"]]  # fmt: skip


def test_hostlist_node_is_refused_and_nothing_is_drained(slurm, endpoint, tmp_path) -> None:  # type: ignore[no-untyped-def]
    endpoint.error = "engine dead"
    tf = write(tmp_path / "t.yaml", "dgpn[2-4]", endpoint.url)
    code, envs, err = run(tmp_path, tf, slurm.env)
    assert code == 2 and envs == []
    assert err == (f"Error: {tf}: targets[0] 't': node: "
                   f"'dgpn[2-4]' is not one node name: {HOSTLIST}\n")  # fmt: skip
    assert drained(slurm) == [] and not (tmp_path / "audit.jsonl").exists()
    # The backend itself, called directly, refuses too (scontrol would drain all three).
    from probes.backends.slurm import SlurmBackend

    os.environ["SLURM_CONF"] = slurm.env["SLURM_CONF"]
    try:
        for node in ("dgpn[2-4]", "dgpn2,dgpn3", "dgpn2 dgpn3"):
            out = SlurmBackend().cordon(node, "zombie")
            assert out.message.startswith("refused: node "), out
    finally:
        del os.environ["SLURM_CONF"]
    assert drained(slurm) == []


def test_human_reason_with_our_prefix_is_never_claimed_or_resumed(
    slurm, endpoint, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    slurm.scontrol("update", "NodeName=dgpn2", "State=DRAIN", "Reason=diagctl: typed by a human")
    endpoint.error = "engine dead"
    tf = write(tmp_path / "t.yaml", "dgpn2", endpoint.url)
    code, envs, err = run(tmp_path, tf, slurm.env)
    assert code == 3, err
    audit = envs[1]["data"]
    assert (audit["action"], audit["result"]) == ("cordon", "already")
    assert audit["message"] == ("already drained by diagctl; not claimed: our state has no "
                                "record of draining it")  # fmt: skip
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["nodes"]["dgpn2"]["cordoned_by_us"] is False
    endpoint.error = None
    for _ in range(2):
        code, envs, err = run(tmp_path, tf, slurm.env)
        assert code == 0 and [e["kind"] for e in envs] == ["probe.result"], err
    assert slurm.node("dgpn2")["Reason"].startswith("diagctl: typed by a human")
    assert drained(slurm) == ["dgpn2"]


def test_node_resumed_by_a_human_while_zombie_is_reported_and_drained_again(
    slurm, endpoint, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    endpoint.error = "engine dead"
    tf = write(tmp_path / "t.yaml", "dgpn3", endpoint.url, max_cordon_count=1)
    code, envs, err = run(tmp_path, tf, slurm.env)
    assert code == 3 and drained(slurm) == ["dgpn3"], err
    state = json.loads((tmp_path / "state.json").read_text())["nodes"]["dgpn3"]
    assert (state["cordoned_by_us"], state["cordon_backend"]) == (True, "slurm")
    assert state["cordon_reason"] == slurm.node("dgpn3")["Reason"].split(" [")[0][:120]
    slurm.scontrol("update", "NodeName=dgpn3", "State=RESUME")
    assert drained(slurm) == []
    code, envs, err = run(tmp_path, tf, slurm.env)
    assert code == 3, err
    acts = [(e["data"]["action"], e["data"]["result"], e["status"]) for e in envs[1:]]
    assert acts == [("resumed_elsewhere", "none", "warn"), ("cordon", "done", "pass")]
    assert envs[1]["data"]["message"] == (
        "resumed outside diagctl while still zombie; diagctl "
        "no longer holds it; cordoning again through the breaker"
    )
    assert drained(slurm) == ["dgpn3"]  # limit 1: the same node again is one node, not two
    assert envs[0]["data"]["state"]["cordoned_by_us"] is True


def test_hostile_endpoint_text_never_runs_in_a_shell_hook(endpoint, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hostile = "$(touch pwned) `touch pwned2` \"dq\" 'sq'"
    endpoint.error = hostile
    got = tmp_path / "reason.txt"
    script = f'printf "%s|%s\\n" "{{node}}" "{{reason}}" > {got}'
    doc = {"targets": [{"name": "t", "url": endpoint.url, "model": "m", "node": "n1"}],
           "groups": {"default": {"backend": "command", "fail_threshold": 1, "deadline_s": 2,
                                  "max_cordon_fraction": 1,
                                  "command_cordon": ["/bin/sh", "-c", script],
                                  "command_uncordon": ["/bin/true"]}}}  # fmt: skip
    tf = tmp_path / "t.yaml"
    tf.write_text(yaml.safe_dump(doc))
    res = run_cli("probe", "run", "--targets", str(tf), "--state", str(tmp_path / "s.json"),
                  "--audit", str(tmp_path / "a.jsonl"), "--act")  # fmt: skip
    assert res.returncode == 3, res.stderr
    reason = f"diagctl: zombie x1: t: zombie (0 token(s) < 1: server error event: {hostile})"
    assert got.read_text() == f"n1|{reason[:120]}\n"
    assert not list(Path.cwd().glob("pwned*")) and not list(tmp_path.glob("pwned*"))
