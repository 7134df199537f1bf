"""`diagctl health --replay ... --act-*` as a user runs it: the dry-run report, the act-on level
over recorded GPU hosts (real captures), and bad input as one line + exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.act import PASSING, REBOOT, RESET, health_act, record


def _paths(tmp: Path) -> list[str]:
    return ["--act-state", str(tmp / "s.json"), "--act-audit", str(tmp / "a.jsonl")]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("level", "planned"),
    [("monitor", ["n1", "n2"]), ("reset", ["n1", "n2"]), ("reboot", ["n2"]), ("isolate", [])],
)
def test_dry_run_reports_what_would_be_drained(
    tmp_path: Path, level: str, planned: list[str]
) -> None:
    replay = record(tmp_path / "run", {"n1": RESET, "n2": REBOOT, "n3": PASSING})
    cfg = tmp_path / "act.yaml"
    cfg.write_text("act_on: isolate\nmax_cordon_fraction: 1.0\n")  # --act-on wins over the file
    args = ["--act-config", str(cfg), "--backend", "slurm", "--act-on", level]
    res = health_act(replay, *args, *_paths(tmp_path))
    assert (res.returncode, res.stderr) == (3, "")
    audits = [
        x["data"] for x in map(json.loads, res.stdout.splitlines()) if x["kind"] == "probe.audit"
    ]
    assert [(a["action"], a["node"], a["result"], a["dry_run"], a["message"]) for a in audits] == [
        ("cordon", n, "planned", True, "dry run: pass --act to change anything") for n in planned
    ]
    assert not (tmp_path / "a.jsonl").exists() or len(
        (tmp_path / "a.jsonl").read_text().splitlines()
    ) == len(planned)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("args", "config", "stderr"),
    [
        (["--act"], None, "Error: --act needs a backend: --backend slurm|kubernetes|command, "
         "or backend: in --act-config"),
        (["--backend", "slurm"], "act_on: reset\nbakend: slurm\n",
         "Error: --act-config {cfg}: bakend: Extra inputs are not permitted"),
        (["--backend", "slurm"], "act_on: none\n",
         "Error: --act-config {cfg}: act_on: 'none' is not a level: monitor, reset, reboot or "
         "isolate"),
        (["--backend", "command"], "max_cordon_count: 2\n",
         "Error: --act-config {cfg}: backend command needs command_cordon and command_uncordon "
         "argv lists"),
    ],
)  # fmt: skip
def test_bad_act_settings_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], config: str | None, stderr: str
) -> None:
    replay = record(tmp_path / "run", {"n1": RESET})
    cfg = tmp_path / "act.yaml"
    if config is not None:
        cfg.write_text(config)
        args = [*args, "--act-config", str(cfg)]
    res = health_act(replay, *args, *_paths(tmp_path))
    assert (res.returncode, res.stdout, res.stderr) == (2, "", stderr.format(cfg=cfg) + "\n")


@pytest.mark.timeout(120)
def test_a_hostlist_node_name_is_refused_before_any_host(tmp_path: Path) -> None:
    replay = record(tmp_path / "run", {"gpu[1-2]": RESET})
    res = health_act(replay, "--backend", "slurm", *_paths(tmp_path))
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        "Error: host 'gpu[1-2]': scheduler node 'gpu[1-2]' is not one node name: looks like a "
        "Slurm hostlist ('[', ']' or ','): one target, one node; set its `node:` var\n"
    )


@pytest.mark.timeout(120)
def test_the_default_breaker_blocks_two_of_three(tmp_path: Path) -> None:
    """Defaults: max_cordon_fraction 0.10 of 3 hosts rounds to the minimum of 1 node."""
    replay = record(tmp_path / "run", {"n1": RESET, "n2": REBOOT, "n3": PASSING})
    res = health_act(replay, "--backend", "slurm", *_paths(tmp_path))
    assert (res.returncode, res.stderr) == (5, "")
    audits = [x for x in map(json.loads, res.stdout.splitlines()) if x["kind"] == "probe.audit"]
    assert [(a["data"]["action"], a["data"]["node"], a["data"]["result"]) for a in audits] == [
        ("breaker", "", "blocked"),
        ("cordon", "n1", "blocked"),
        ("cordon", "n2", "blocked"),
    ]
    assert audits[0]["errors"][0]["code"] == "breaker_tripped"
