"""Outputs are checked before actions; a failed late write still reports the round; the state
file: errors that name the field, clock jumps, ownership."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from diag.cli import cli
from probes import outputs, state
from probes.plan import decide, guard
from schemas.probe import CordonEvent, NodeState, StateFile, TargetsFile, Verdict
from tests.support.net import free_port


def _hook_targets(tmp: Path) -> tuple[Path, Path]:
    """A node whose endpoint is down (nothing listens) and a command hook that logs calls."""
    log = tmp / "hook.log"
    hook = tmp / "hook.sh"
    hook.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    hook.chmod(0o755)
    group = {"backend": "command", "fail_threshold": 1, "deadline_s": 1, "connect_timeout_s": 1,
             "max_cordon_fraction": 1, "command_cordon": [str(hook), "cordon", "{node}"],
             "command_uncordon": [str(hook), "uncordon", "{node}"]}  # fmt: skip
    doc = {"targets": [{"name": "t", "url": f"http://127.0.0.1:{free_port()}", "model": "m",
                        "node": "n1"}], "groups": {"default": group}}  # fmt: skip
    tf = tmp / "t.yaml"
    tf.write_text(yaml.safe_dump(doc))
    return tf, log


def _cli(tmp: Path, tf: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diag.cli", "probe", "run", "--targets", str(tf), "--act", *extra],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _cases(tmp: Path) -> list[tuple[str, Path, str]]:
    (tmp / "a-file").write_text("")
    (tmp / "a-dir").mkdir()
    return [
        ("--prom", tmp / "missing" / "p.prom", f"directory {tmp / 'missing'} does not exist"),
        ("--prom", tmp / "a-file" / "p.prom", f"{tmp / 'a-file'} is not a directory"),
        ("--audit", tmp / "a-file" / "a.jsonl", f"{tmp / 'a-file'} is not a directory"),
        ("--state", tmp / "a-file" / "s.json", f"{tmp / 'a-file'} is not a directory"),
        ("--prom", Path("/proc/diagctl.prom"), "not writable: "),
    ]


@pytest.mark.parametrize("option", ["--state", "--audit", "--prom"])
def test_an_output_that_is_a_directory_is_refused(tmp_path: Path, option: str) -> None:
    # (the CLI's click.Path(dir_okay=False) says so first; the library checks it too)
    with pytest.raises(outputs.OutputError) as err:
        outputs.check_writable(tmp_path, option)
    assert str(err.value) == f"{tmp_path}: {option}: is a directory"


@pytest.mark.parametrize("case", range(5))
def test_unwritable_output_is_exit_2_before_any_action(tmp_path: Path, case: int) -> None:
    option, path, why = _cases(tmp_path)[case]
    tf, log = _hook_targets(tmp_path)
    paths = {"--state": tmp_path / "s.json", "--audit": tmp_path / "a.jsonl", option: path}
    res = _cli(tmp_path, tf, *(x for kv in paths.items() for x in map(str, kv)))
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.startswith(f"Error: {path}: {option}: {why}") and res.stderr.count("\n") == 1
    assert not log.exists()  # the hook (the scheduler) was never touched
    assert not (tmp_path / "a.jsonl").exists() and not (tmp_path / "s.json").exists()


def test_late_write_failure_still_reports_the_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from probes import prom

    def disk_full(path: Path, results: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(prom, "write", disk_full)
    tf, log = _hook_targets(tmp_path)
    p = tmp_path / "p.prom"
    argv = [
        "probe",
        "run",
        "--targets",
        str(tf),
        "--state",
        str(tmp_path / "s.json"),
        "--audit",
        str(tmp_path / "a.jsonl"),
        "--prom",
        str(p),
        "--act",
        "--lock-wait",
        "5",
    ]
    res = CliRunner().invoke(cli, argv)
    out, err = res.stdout, res.stderr
    assert res.exit_code == 2
    assert err == f"Error: {p}: --prom: write failed: No space left on device\n"
    envs = [json.loads(x) for x in out.splitlines()]
    assert [(e["kind"], e["data"]["action"]) for e in envs] == [
        ("probe.result", "cordon"), ("probe.audit", "cordon")]  # fmt: skip
    assert log.read_text() == "cordon n1\n"
    saved = json.loads((tmp_path / "s.json").read_text())["nodes"]["n1"]
    assert saved["cordoned_by_us"] is True and saved["cordon_backend"] == "command"


# ---- the state file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"nodes": {"n1": {"consecutive_fail": "x"}}}',
         "field nodes.n1.consecutive_fail: Input should be a valid integer, unable to parse "
         "string as an integer"),
        ('{"nodes": {"n1": {"consecutive_fail": -1}}}',
         "field nodes.n1.consecutive_fail: Input should be greater than or equal to 0"),
        ('{"cordons": {"g": [{"node": "n1"}]}}', "field cordons.g.0.at: Field required"),
        ('{"nodes": {"n1": {"colour": 1}}}',
         "field nodes.n1.colour: Extra inputs are not permitted"),
        ('{"nodes": [], "cordons": 3}',
         "field nodes: Input should be an object (+1 more)"),
        ("{not json", "not valid JSON (key must be a string at line 1 column 2)"),
        ("", "not valid JSON (EOF while parsing a value at line 1 column 0)"),
    ],
)  # fmt: skip
def test_corrupt_state_names_file_and_field(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)
    with pytest.raises(state.StateError) as err:
        state.load(path)
    assert str(err.value) == f"{path}: unreadable state file: {why}; move it aside"


def test_corrupt_state_is_exit_2_on_the_command_line(tmp_path: Path) -> None:
    tf, log = _hook_targets(tmp_path)
    (tmp_path / "s.json").write_text('{"nodes": {"n1": {"cordoned_by_us": "maybe"}}}')
    res = _cli(tmp_path, tf, "--state", str(tmp_path / "s.json"), "--audit", str(tmp_path / "a"))
    assert res.returncode == 2 and res.stdout == "" and not log.exists()
    assert res.stderr == (f"Error: {tmp_path / 's.json'}: unreadable state file: field "
                          "nodes.n1.cordoned_by_us: Input should be a valid boolean, unable to "
                          "interpret input; move it aside\n")  # fmt: skip


@pytest.mark.parametrize(
    ("at", "now", "window", "kept"),
    [
        (0.0, 100.0, 100.0, False),  # exactly one window old: out
        (0.001, 100.0, 100.0, True),
        (99.0, 100.0, 100.0, True),
        (100.0, 100.0, 100.0, True),
        (100.001, 100.0, 100.0, True),  # in the future: counts as now
        (1e12, 100.0, 100.0, True),
    ],
)
def test_prune_window_boundaries(at: float, now: float, window: float, kept: bool) -> None:
    assert state.prune([CordonEvent(at=at, node="n")], now, window) == (
        [CordonEvent(at=at, node="n")] if kept else [])  # fmt: skip


@pytest.mark.parametrize(
    ("at", "now", "after"),
    [(100.0, 100.0, 100.0), (99.0, 100.0, 99.0), (100.5, 100.0, 100.0), (1e12, 100.0, 100.0)],
)
def test_clamp_future_events(at: float, now: float, after: float) -> None:
    st = StateFile(cordons={"g": [CordonEvent(at=at, node="n1")]},
                   nodes={"n1": NodeState(cordoned_by_us=True, cordoned_at=at)})  # fmt: skip
    warnings = state.clamp_future(st, now)
    assert st.cordons["g"][0].at == after and st.nodes["n1"].cordoned_at == after
    if at > now:
        ahead = f"{at - now:.0f}"
        assert warnings == [
            f"state: cordon of n1 in group 'g' is dated {ahead} s in the future (clock jump?); "
            "counted as now",
            f"state: node n1 cordoned_at is {ahead} s in the future (clock jump?); set to now",
        ]
    else:
        assert warnings == []


def test_future_dated_cordon_does_not_hold_the_breaker_for_good() -> None:
    f = TargetsFile.model_validate(
        {
            "targets": [
                {"name": f"t{i}", "url": "http://h:1", "model": "m", "node": f"n{i}", "group": "g"}
                for i in range(4)
            ],
            "groups": {"g": {"fail_threshold": 1, "max_cordon_count": 1, "window_s": 60}},
        }
    )
    st = StateFile(cordons={"g": [CordonEvent(at=1e12, node="n3")]})
    state.clamp_future(st, 1000.0)  # what run_round does at load
    later = 1000.0 + 60
    (g,) = guard(f, st, decide(f, st, {"n0": Verdict.ZOMBIE}, later), later)
    assert (g.used, g.tripped) == (0, False)
    (g,) = guard(f, st, decide(f, st, {"n0": Verdict.ZOMBIE}, later - 1), later - 1)
    assert (g.used, g.tripped) == (1, True)  # still inside one window from the clamp
