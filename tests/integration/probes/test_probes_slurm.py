"""Cordon through a real Slurm controller (slurmctld + slurmd, auth/none), driven by probes of
real llama.cpp servers: zombie → drain after K rounds, healthy → resume after M rounds, a
human's drain is never resumed, and the blast-radius breaker withholds every cordon."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from probes_support import Slurm, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def targets(path: Path, rows: list[tuple[str, str, str]], **group: object) -> Path:
    cfg = {"backend": "slurm", "fail_threshold": 2, "pass_threshold": 2, "deadline_s": 1.5,
           "connect_timeout_s": 1, "max_cordon_fraction": 0.5, **group}  # fmt: skip
    doc = {
        "targets": [
            {
                "name": n,
                "url": u,
                "model": "tiny",
                "node": node,
                "group": "gpu",
                "extra_body": {"logit_bias": {"2": -100}},
            }
            for n, u, node in rows
        ],
        "groups": {"gpu": cfg},
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def rounds(slurm: Slurm, tf: Path, tmp: Path, n: int, *extra: str) -> list[int]:
    codes = []
    for _ in range(n):
        res = run_cli("probe", "run", "--targets", str(tf), "--state", str(tmp / "state.json"),
                      "--audit", str(tmp / "audit.jsonl"), *extra, env=slurm.env)  # fmt: skip
        assert res.stderr == "", res.stderr
        codes.append(res.returncode)
    return codes


def audit(tmp: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in (tmp / "audit.jsonl").read_text().splitlines()]


def test_zombie_is_drained_then_resumed_only_when_ours(slurm, llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = llama(), llama()
    tf = targets(
        tmp_path / "t.yaml",
        [("a", a.url, slurm.host), ("b", b.url, "dgpn2")],
        max_cordon_fraction=1.0,
    )
    slurm.scontrol("update", "NodeName=dgpn2", "State=DRAIN", "Reason=human: bad DIMM")
    a.pause()
    b.pause()
    assert rounds(slurm, tf, tmp_path, 1, "--act") == [3]
    assert "DRAIN" not in slurm.node(slurm.host)["State"]  # one failure < fail_threshold 2
    assert rounds(slurm, tf, tmp_path, 1, "--act") == [3]
    node = slurm.node(slurm.host)
    assert "DRAIN" in node["State"] and node["Reason"].startswith("diagctl: zombie x2")
    assert slurm.sinfo_state(slurm.host).startswith("drain")
    assert slurm.node("dgpn2")["Reason"].startswith("human: bad DIMM")
    a.resume()
    b.resume()
    assert rounds(slurm, tf, tmp_path, 2, "--act") == [0, 0]
    assert "DRAIN" not in slurm.node(slurm.host)["State"]  # ours: resumed after 2 passes
    assert slurm.node("dgpn2")["Reason"].startswith("human: bad DIMM")  # never ours
    recs = audit(tmp_path)
    acts = [(r["action"], r["node"], r["result"]) for r in recs]
    assert ("cordon", slurm.host, "done") in acts and ("uncordon", slurm.host, "done") in acts
    assert ("cordon", "dgpn2", "already") in acts
    assert not any(r["action"] == "uncordon" and r["node"] == "dgpn2" for r in recs)
    assert all(r["dry_run"] is False and r["who"] for r in recs)


def test_dry_run_changes_nothing(slurm, llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = llama()
    tf = targets(tmp_path / "t.yaml", [("a", a.url, slurm.host)])
    a.pause()
    assert rounds(slurm, tf, tmp_path, 3) == [3, 3, 3]
    assert "DRAIN" not in slurm.node(slurm.host)["State"]
    planned = [r for r in audit(tmp_path) if r["action"] == "cordon"]
    assert planned and all(r["result"] == "planned" and r["dry_run"] for r in planned)


def test_breaker_withholds_every_cordon(slurm, llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = llama()
    srv.pause()
    rows = [(f"t{i}", srv.url, n) for i, n in enumerate([slurm.host, "dgpn2", "dgpn3", "dgpn4"])]
    tf = targets(tmp_path / "t.yaml", rows, max_cordon_fraction=0.25)  # limit: 1 of 4
    codes = rounds(slurm, tf, tmp_path, 2, "--act")
    assert codes == [3, 5]
    for n in (slurm.host, "dgpn2", "dgpn3", "dgpn4"):
        assert "DRAIN" not in slurm.node(n)["State"]
    breaker = [r for r in audit(tmp_path) if r["action"] == "breaker"]
    assert len(breaker) == 1 and breaker[0]["result"] == "blocked"
    assert breaker[0]["evidence"]["limit"] == 1 and breaker[0]["evidence"]["wanted_this_round"] == 4
