"""The CLI contract: help everywhere, one-line errors with exit 2, replay, artifacts, exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from diag.artifacts import host_dirname, host_name_of
from diag.cli import cli
from diag.exitcodes import Exit
from diag.files import atomic_write
from tests.support.components import require_binaries, require_root

DIAG = [sys.executable, "-m", "diag.cli"]


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIAG, *args], capture_output=True, text=True, timeout=timeout)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


@pytest.mark.parametrize("path", _commands(cli), ids=lambda p: " ".join(p) or "diagctl")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    res = _run(*path, "--help")
    assert res.returncode == 0, res.stderr
    assert "Usage: diagctl" in res.stdout


def test_unknown_option_is_exit_2_on_one_line() -> None:
    res = _run("health", "--local", "--no-such-option")
    assert res.returncode == 2
    assert "No such option" in res.stderr and res.stdout == ""


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("checks: [unclosed\n", "not valid YAML"),
        ("checks:\n  host.nope: {}\n", "unknown check 'host.nope'"),
        ("checks:\n  host.cpu_load: {thresholds: {warn_per_core: high}}\n", "expected float"),
        ("checks:\n  host.cpu_load: {thresholds: {bogus: 1}}\n", "unknown threshold"),
        ("checks:\n  host.cpu_load: {colour: red}\n", "Extra inputs are not permitted"),
        ("classes:\n  gpu:\n    checks: {host.zzz: {}}\n", "unknown check 'host.zzz'"),
    ],
)
def test_bad_policy_is_one_line_exit_2(tmp_path: Path, text: str, needle: str) -> None:
    pol = tmp_path / "policy.yaml"
    pol.write_text(text)
    res = _run("health", "--local", "--policy", str(pol), "--out", str(tmp_path / "o"))
    assert res.returncode == 2, res.stderr
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert res.stdout == "" and not (tmp_path / "o").exists(), "nothing written half-way"


def test_policy_per_host_class_changes_the_verdict(tmp_path: Path) -> None:
    pol = tmp_path / "p.yaml"
    pol.write_text(
        "classes:\n  tiny:\n    checks:\n      host.mem_available:\n"
        "        thresholds: {warn_available_pct: 99.95, fail_available_pct: 99.9}\n"
        "        source: test-runbook\n"
    )
    base = json.loads(_run("health", "--local", "--check", "host.mem_available").stdout)
    tiny = json.loads(
        _run(
            "health",
            "--local",
            "--check",
            "host.mem_available",
            "--policy",
            str(pol),
            "--host-class",
            "tiny",
        ).stdout
    )
    assert base["findings"][0]["status"] == "pass"
    assert tiny["findings"][0]["status"] == "fail"
    assert tiny["findings"][0]["threshold_source"] == "test-runbook"
    assert tiny["data"]["host_class"] == "tiny"


def test_out_then_replay_gives_the_same_findings(tmp_path: Path) -> None:
    first = _run("health", "--local", "--out", str(tmp_path / "run1"))
    assert first.returncode in (0, 3), first.stderr
    assert sorted(p.name for p in (tmp_path / "run1").iterdir()) == ["hosts", "run.json"]
    hosts = list((tmp_path / "run1" / "hosts").iterdir())
    assert len(hosts) == 1
    assert (hosts[0] / "raw" / "payload.json").is_file()
    run = json.loads((tmp_path / "run1" / "run.json").read_text())
    assert run["hosts"] == 1 and run["exit_code"] == first.returncode
    again = _run("health", "--replay", str(tmp_path / "run1"))
    assert again.returncode == first.returncode
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    assert [f["status"] for f in a["findings"]] == [f["status"] for f in b["findings"]]
    assert a["host"] == b["host"] and a["findings"] == b["findings"]


def test_a_crashing_check_is_an_error_finding_and_the_others_still_report(tmp_path: Path) -> None:
    src = _run("health", "--local", "--out", str(tmp_path / "r"))
    raw = next((tmp_path / "r").glob("hosts/*/raw/payload.json"))
    doc = json.loads(raw.read_text())
    doc["captures"]["vmstat"]["stdout"] = "\x00\xff garbage without counters"
    raw.write_text(json.dumps(doc))
    res = _run("health", "--replay", str(tmp_path / "r"))
    env = json.loads(res.stdout)
    by_id = {f["check_id"]: f["status"] for f in env["findings"]}
    assert by_id["host.oom_kills"] == "error"
    assert by_id["host.cpu_load"] in ("pass", "warn", "fail")
    assert any(
        e["code"] == "check_crashed" and "host.oom_kills" in e["message"] for e in env["errors"]
    )
    assert src.returncode in (0, 3) and res.returncode in (1, 3)


def test_garbage_payload_output_is_an_error_envelope_and_replays(tmp_path: Path) -> None:
    hdir = tmp_path / "r" / "h1"
    (hdir / "raw").mkdir(parents=True)
    (hdir / "raw" / "stdout.bin").write_bytes(b"\x1b[31mbash: python3: command not found\xff\n")
    res = _run("health", "--replay", str(tmp_path / "r"))
    env = json.loads(res.stdout)
    assert res.returncode == Exit.INTERNAL
    assert env["status"] == "error" and env["errors"][0]["code"] == "payload_failed"


def test_no_target_is_a_usage_error() -> None:
    res = _run("health")
    assert res.returncode == 2 and "--local" in res.stderr


def test_human_output_is_a_table() -> None:
    res = _run("health", "--local", "--human", "--verbose")
    assert "host.cpu_load" in res.stdout and not res.stdout.startswith("{")


def test_atomic_write_leaves_nothing_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "d" / "envelope.json"
    atomic_write(target, b"old")

    def boom(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["envelope.json"]


@pytest.mark.parametrize(
    ("name", "dirname"),
    [
        ("gpu-node-1.example_org", "gpu-node-1.example_org"),
        ("a/b", "a%2Fb"),
        ("a_b", "a_b"),
        ("a b", "a%20b"),
        ("a%2Fb", "a%252Fb"),
        ("..", "%2E."),
        (".", "%2E"),
        (".hidden", "%2Ehidden"),
        ("", "%"),
        ("%", "%25"),
        ("../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd"),
        ("root@10.0.0.1:22", "root%4010.0.0.1%3A22"),
        ("run.json", "run.json"),
        ("hosts", "hosts"),
        ("nul\x00", "nul%00"),
        ("gpu~1", "gpu%7E1"),
        ("ü", "%C3%BC"),
        ("x" * 200, "x" * 200),
    ],
)
def test_host_dirname_is_safe_and_reversible(name: str, dirname: str) -> None:
    assert host_dirname(name) == dirname
    assert host_name_of(dirname) == name


def test_long_host_names_keep_a_prefix_and_a_hash() -> None:
    a, b = host_dirname("x" * 201), host_dirname("x" * 202)
    assert a == "x" * 166 + "~" + hashlib.sha256(b"x" * 201).hexdigest()[:32]
    assert len(b) == 199 and a != b
    assert host_name_of(a) is None, "a hashed name is not reversible; its envelope has the name"
    long_pct = host_dirname("/" * 100)  # 300 bytes encoded: a %XX is never split
    assert long_pct.split("~")[0] == "%2F" * 55 and len(long_pct) <= 200


def test_disk_full_out_dir_still_gets_the_envelope_on_stdout(tmp_path: Path) -> None:
    """A real filesystem that fills up mid-run: 20 KiB free passes the up-front --out check
    (FREE_MIN_BYTES), then payload.json (~20 KB: the kernel log is filtered at the source) and
    envelope.json (~10 KB) do not both fit."""
    require_root("mounting a 64 KiB tmpfs")
    require_binaries("mount", why="util-linux's mount(8)")
    mnt = tmp_path / "full"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=True)
    try:
        (mnt / "filler").write_bytes(b"\0" * 44 * 1024)
        res = _run("health", "--local", "--out", str(mnt / "run"))
        env = json.loads(res.stdout)
        assert any(e["code"] == "artifact_write_failed" for e in env["errors"])
        assert "No space left" in json.dumps(env["errors"])
        leftovers = [p.name for p in mnt.rglob("*") if p.name.endswith(".tmp")]
        assert leftovers == [], "no half-written temp files"
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
