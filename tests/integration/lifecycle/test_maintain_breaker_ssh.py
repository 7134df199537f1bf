"""`diagctl lifecycle maintain --act` and the blast-radius breaker, end to end: a real sshd host
and a real Slurm controller. The first wave drains and resumes its node; that drain still
counts inside the window, so the second wave would cross a limit of one node: it is not
started, nothing is drained, one breaker audit record is written and the run exits 5."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.lifecycle import rebootable
from tests.integration.lifecycle.test_maintain_ssh import _maintain, _phases, _setup

sys.path.insert(0, str(Path(__file__).parents[1] / "probes"))
from probes_support import Slurm

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


@pytest.fixture
def host(ssh_keys, tmp_path: Path):  # type: ignore[no-untyped-def]
    h = rebootable.start(ssh_keys, tmp_path / "host")
    yield h
    h.stop()


def test_the_breaker_stops_the_second_wave(
    host, ssh_keys, slurm: Slurm, tmp_path: Path, diagctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURM_CONF", slurm.env["SLURM_CONF"])
    tmp = _setup(tmp_path, {"m1": (host.port, slurm.host), "m2": (host.port, "dgpn2")},
                 ssh_keys, slurm, diagctl)  # fmt: skip
    act = {"backend": "slurm", "max_cordon_fraction": 1.0, "max_cordon_count": 1}
    (tmp / "act.yaml").write_text(yaml.safe_dump(act))
    res = _maintain(diagctl, tmp, "--command", "true", "--act", "--act-state",
                    str(tmp / "state.json"))  # fmt: skip
    assert res.returncode == 5, res.stderr + res.stdout
    first, second = map(json.loads, res.stdout.splitlines())
    assert (first["host"]["name"], first["data"]["outcome"]) == ("m1", "passed")
    assert (second["host"]["name"], second["data"]["outcome"]) == ("m2", "not_started")
    msg = ("blast-radius breaker: 1 drain(s) wanted, 1 already held or drained in the window, "
           "limit 1 of 2 nodes; nothing drained")  # fmt: skip
    assert second["data"]["steps"] == [{"step": "cordon", "result": "skipped", "message": msg}]
    audit = [json.loads(x) for x in (tmp / "audit.jsonl").read_text().splitlines()]
    assert [(r["action"], r["node"], r["group"], r["result"]) for r in audit] == [
        ("cordon", slurm.host, "maintain", "done"),
        ("uncordon", slurm.host, "maintain", "done"),
        ("breaker", "", "maintain", "blocked"),
    ]
    assert audit[-1]["evidence"] == {
        "group_size": 2, "limit": 1, "cordoned_in_window_or_held": 1, "wanted_this_round": 1,
        "nodes": ["dgpn2"],
    }  # fmt: skip
    assert "DRAIN" not in slurm.node(slurm.host)["State"]
    assert "DRAIN" not in slurm.node("dgpn2")["State"]
    assert _phases(tmp) == {"m1": "monitor", "m2": "monitor"}
    st = json.loads((tmp / "state.json").read_text())
    assert [e["node"] for e in st["cordons"]["lifecycle"]] == [slurm.host]
    assert st["nodes"][slurm.host]["cordoned_by_us"] is False
