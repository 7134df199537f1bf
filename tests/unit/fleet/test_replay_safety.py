"""Replay never touches the evidence it reads, says it was a replay, and `--out` never mixes runs.

`health --replay run1 --out run1` used to rewrite run1 (address lost, `collected_at` replaced,
run.json rewritten); a reused `--out` mixed two runs (run.json said 1 host, replay found 4);
`--limit` was ignored under `--replay`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from diag.artifacts import OutDirError, check_replay_out, host_dir, prepare_out
from diag.checks import REGISTRY
from diag.envelope import bound
from diag.health import HealthOptions
from diag.policy import Policy
from diag.session import run_health
from diag.transport.base import Target
from diag.transport.local import LocalTransport
from schemas.envelope import Envelope, Replayed

DIAG = [sys.executable, "-m", "diag.cli"]
HOSTS = [("gpu-01", "10.0.0.1"), ("gpu-02", "10.0.0.2"), ("gpu-03", "10.0.0.3"), ("cpu-01", "")]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIAG, *args], capture_output=True, text=True, timeout=120)


def _tree(root: Path) -> dict[str, str]:
    """Every file under root with its sha256: proof that nothing was written there."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def run1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recorded run of four hosts with addresses (the local payload stands in for SSH)."""
    out = tmp_path_factory.mktemp("rec") / "run1"
    opts = HealthOptions(policy=Policy.load(), checks=[REGISTRY["host.cpu_load"]])
    targets = [Target(name=n, address=a) for n, a in HOSTS]
    run_health(targets, LocalTransport(), opts, lambda _e: None, out)
    return out


def _envs(stdout: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {e["host"]["name"]: e for e in map(json.loads, stdout.splitlines())}


@pytest.mark.parametrize(
    ("out", "refused"),
    [
        ("run1", True),  # the directory it reads
        ("run1/", True),
        ("run1/sub", True),  # a subdirectory of it
        ("run1/hosts", True),
        ("link-to-run1", True),  # a symlink to it
        ("link-to-run1/sub", True),
        ("link-to-sub", True),  # a symlink to a directory inside it
        (".", True),  # it lies inside --out: --overwrite would remove it
        ("run1-replayed", False),  # a sibling whose name merely starts the same
        ("elsewhere/run1", False),
    ],
)
def test_replay_out_overlap_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, refused: bool
) -> None:
    (tmp_path / "run1" / "sub").mkdir(parents=True)
    (tmp_path / "link-to-run1").symlink_to(tmp_path / "run1")
    (tmp_path / "link-to-sub").symlink_to(tmp_path / "run1" / "sub")
    monkeypatch.chdir(tmp_path)
    if not refused:
        check_replay_out(Path("run1"), Path(out))
        return
    with pytest.raises(OutDirError) as exc:
        check_replay_out(Path("run1"), Path(out))
    assert str(exc.value) == (
        f"--out {Path(out)}: overlaps --replay run1; a replay never writes into the run it "
        "reads: choose another --out"
    )


@pytest.mark.parametrize("out", ["{r}", "{r}/sub", "{link}"])
def test_replay_into_its_own_directory_is_exit_2_and_changes_nothing(
    run1: Path, tmp_path: Path, out: str
) -> None:
    link = tmp_path / "link"
    link.symlink_to(run1)
    before = _tree(run1)
    target = out.format(r=run1, link=link)
    res = _cli("health", "--replay", str(run1), "--out", target, "--overwrite")
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (
        f"Error: --out {target}: overlaps --replay {run1}; a replay never writes into the run "
        "it reads: choose another --out\n"
    )
    assert _tree(run1) == before and not (run1 / "sub").exists()


def test_replayed_envelopes_keep_time_and_address_and_say_they_were_replayed(
    run1: Path, tmp_path: Path
) -> None:
    recorded = {n: json.loads((host_dir(run1, n) / "envelope.json").read_text()) for n, _ in HOSTS}
    assert {e["replayed"] for e in recorded.values()} == {None}, "a live run says so too"
    res = _cli("health", "--replay", str(run1), "--out", str(tmp_path / "run2"))
    assert res.returncode in (0, 3), res.stderr
    envs = _envs(res.stdout)
    assert sorted(envs) == sorted(n for n, _ in HOSTS)
    for name, address in HOSTS:
        env, old = envs[name], recorded[name]
        assert env["collected_at"] == old["collected_at"]
        assert env["host"]["address"] == address
        assert set(env["replayed"]) == {"at", "source"}
        assert env["replayed"]["source"] == str(run1.resolve())
        assert env["replayed"]["at"] > old["collected_at"]
        kept = json.loads((host_dir(tmp_path / "run2", name) / "envelope.json").read_text())
        assert kept == env, "the --out copy is the envelope printed"


def test_a_cut_envelope_still_says_it_was_replayed() -> None:
    env = Envelope(
        kind="health.l1",
        tool_version="0",
        host={"name": "h" * 5000},
        ok=False,
        status="fail",
        collected_at="2026-01-01T00:00:00.000Z",
        duration_ms=1,
        findings=[{"check_id": "x", "status": "fail", "message": "m" * 5000}] * 50,
        replayed=Replayed(at="2026-01-02T00:00:00.000Z", source="/r/" + "d" * 5000),
    )
    cut = bound(env, 1024)
    assert len(cut.model_dump_json()) <= 1024
    assert cut.replayed is not None and cut.replayed.at == "2026-01-02T00:00:00.000Z"
    assert cut.replayed.source.startswith("/r/ddd") and cut.replayed.source.endswith("…")


@pytest.mark.parametrize(
    ("limit", "hosts"),
    [
        ("gpu-01", ["gpu-01"]),
        ("gpu-0*", ["gpu-01", "gpu-02", "gpu-03"]),
        ("gpu-0*:!gpu-02", ["gpu-01", "gpu-03"]),
        ("~^cpu", ["cpu-01"]),
        ("all:&~3$", ["gpu-03"]),
        ("gpu-03,cpu-01", ["cpu-01", "gpu-03"]),
    ],
)
def test_limit_selects_recorded_hosts(run1: Path, limit: str, hosts: list[str]) -> None:
    res = _cli("health", "--replay", str(run1), "--limit", limit)
    assert res.returncode in (0, 3), res.stderr
    assert sorted(_envs(res.stdout)) == hosts


def test_limit_matching_no_recorded_host_is_exit_2(run1: Path) -> None:
    res = _cli("health", "--replay", str(run1), "--limit", "gpu-9*")
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == "Error: --limit 'gpu-9*' matches no host in the inventory\n"


def test_recorded_host_class_is_replayed_and_must_be_known(tmp_path: Path) -> None:
    pol = tmp_path / "p.yaml"
    pol.write_text("classes:\n  tiny: {}\n")
    rec = tmp_path / "rec"
    first = _cli(
        "health", "--local", "--policy", str(pol), "--host-class", "tiny", "--out", str(rec)
    )
    assert first.returncode in (0, 3), first.stderr
    again = _cli("health", "--replay", str(rec), "--policy", str(pol))
    assert json.loads(again.stdout)["data"]["host_class"] == "tiny"
    bare = _cli("health", "--replay", str(rec))
    host = json.loads(first.stdout)["host"]["name"]
    assert (bare.returncode, bare.stdout) == (2, "")
    assert bare.stderr == (
        f"Error: --replay {rec}: host {host!r}: host_class: unknown host class 'tiny'; "
        "known: none (the policy has no `classes:`)\n"
    )


def _mk(root: Path, spec: dict[str, str]) -> None:
    for rel, kind in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "dir":
            path.mkdir(exist_ok=True)
        elif kind.startswith("->"):
            path.symlink_to(root / kind[2:])
        else:
            path.write_text(kind)


RUN = {"run.json": "{}", "hosts/a/envelope.json": "{}", "hosts/a/raw/payload.json": "{}"}
PREVIOUS = "holds a previous run ({}); pass --overwrite to replace it, or choose a new directory"
FOREIGN = "not empty and not a diagctl run (holds {!r}); choose a new or empty directory"


@pytest.mark.parametrize(
    ("spec", "overwrite", "error", "left"),
    [
        ({}, False, None, []),  # missing
        ({"o": "dir"}, False, None, []),  # empty
        ({"o/run.json": "{}"}, False, PREVIOUS.format("run.json"), ["run.json"]),
        ({f"o/{k}": v for k, v in RUN.items()}, False, PREVIOUS.format("hosts/, run.json"), None),
        ({f"o/{k}": v for k, v in RUN.items()}, True, None, []),
        ({"o/hosts": "dir"}, False, PREVIOUS.format("hosts/"), ["hosts"]),
        ({"o/n1/envelope.json": "{}"}, True, None, []),  # the older DIR/<host>/ layout
        ({"o/.run.json.diagctl-1-0123abcd.tmp": "x"}, True, None, []),  # a temp of ours
        ({"o/notes.txt": "mine"}, True, FOREIGN.format("notes.txt"), ["notes.txt"]),
        (
            {**{f"o/{k}": v for k, v in RUN.items()}, "o/.bashrc": ""},
            True,
            FOREIGN.format(".bashrc"),
            [".bashrc", "hosts", "run.json"],
        ),
        ({"o/n1/envelope.json": "{}", "o/n1/id_rsa": "k"}, True, FOREIGN.format("n1"), ["n1"]),
        ({"elsewhere": "dir", "o/hosts": "->elsewhere"}, True, FOREIGN.format("hosts"), ["hosts"]),
    ],
    ids=[
        "missing",
        "empty",
        "run-json",
        "previous-run",
        "previous-run-overwrite",
        "interrupted-run",
        "old-layout-overwrite",
        "stale-temp",
        "foreign-file",
        "run-plus-foreign",
        "host-dir-with-foreign-file",
        "symlinked-hosts",
    ],
)
def test_out_never_mixes_runs_boundaries(
    tmp_path: Path,
    spec: dict[str, str],
    overwrite: bool,
    error: str | None,
    left: list[str] | None,
) -> None:
    _mk(tmp_path, spec)
    out = tmp_path / "o"
    before = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if error is None:
        prepare_out(out, overwrite)
    else:
        with pytest.raises(OutDirError) as exc:
            prepare_out(out, overwrite)
        assert str(exc.value) == f"--out {out}: {error}"
    now = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    assert now == (before if left is None else left)


def test_a_second_run_into_one_out_is_refused_then_replaced_with_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "o"
    (host_dir(out, "old-host") / "raw").mkdir(parents=True)
    (host_dir(out, "old-host") / "envelope.json").write_text("{}")
    (out / "run.json").write_text('{"hosts": 4}')
    again = _cli("health", "--local", "--check", "host.cpu_load", "--out", str(out))
    assert (again.returncode, again.stdout) == (2, "")
    assert again.stderr == f"Error: --out {out}: {PREVIOUS.format('hosts/, run.json')}\n"
    res = _cli("health", "--local", "--check", "host.cpu_load", "--out", str(out), "--overwrite")
    assert res.returncode in (0, 3), res.stderr
    assert json.loads((out / "run.json").read_text())["hosts"] == 1
    assert not host_dir(out, "old-host").exists()
    assert len(list((out / "hosts").iterdir())) == 1
