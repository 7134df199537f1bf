"""`diagctl probe run` end to end against real llama.cpp servers: healthy, zombie (SIGSTOP),
down (killed), slow (tc tbf on a veth into a dgp namespace); envelopes, exit codes, --prom,
--human, the command hook backend, and bad targets files."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from probes_support import run_cli

from tests.support.components import require_binaries

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
BIAS = {"logit_bias": {"2": -100}}


def write(path: Path, doc: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(doc))
    return path


def probe(tmp: Path, tf: Path, *extra: str) -> tuple[int, list[dict], str]:  # type: ignore[type-arg]
    res = run_cli("probe", "run", "--targets", str(tf), "--state", str(tmp / "state.json"),
                  "--audit", str(tmp / "audit.jsonl"), *extra)  # fmt: skip
    lines = [json.loads(x) for x in res.stdout.splitlines()] if "--human" not in extra else []
    return res.returncode, lines, res.stderr + ("" if lines else res.stdout)


def test_healthy_zombie_down_and_prom(llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok, zombie, dead = llama(), llama(), llama()
    zombie.pause()
    dead.stop()
    group = {"deadline_s": 2, "connect_timeout_s": 1}
    doc = {
        "targets": [
            {"name": "ok", "url": ok.url, "model": "tiny", "node": "n1", "extra_body": BIAS},
            {
                "name": "chat",
                "url": ok.url,
                "model": "tiny",
                "node": "n1",
                "api": "chat",
                "extra_body": BIAS,
            },
            {"name": "zombie", "url": zombie.url, "model": "tiny", "node": "n2"},
            {"name": "dead", "url": dead.url, "model": "tiny", "node": "n3"},
        ],
        "groups": {"default": group},
    }
    prom = tmp_path / "probe.prom"
    code, envs, err = probe(tmp_path, write(tmp_path / "t.yaml", doc), "--prom", str(prom))
    assert code == 4, err  # a down endpoint outranks a zombie (exit 3)
    by = {e["host"]["name"]: e for e in envs if e["kind"] == "probe.result"}
    assert by["ok"]["data"]["verdict"] == "healthy" and by["ok"]["status"] == "pass"
    assert by["ok"]["data"]["timings"]["tokens"] == 8
    assert by["ok"]["data"]["timings"]["finish_reason"] == "length"
    assert by["chat"]["data"]["verdict"] == "healthy"
    z = by["zombie"]["data"]
    assert z["verdict"] == "zombie" and z["timings"]["connect_ms"] is not None
    assert 1900 <= z["timings"]["e2e_ms"] < 3000  # the deadline, not longer
    assert by["dead"]["data"]["verdict"] == "down" and by["dead"]["status"] == "unreachable"
    assert by["dead"]["errors"][0]["code"] == "unreachable"
    text = prom.read_text()
    ok_line = 'diagctl_probe_success{group="default",model="tiny",node="n1",target="ok"} 1.0'
    assert ok_line in text.splitlines()
    zombie = 'diagctl_probe_success{group="default",model="tiny",node="n2",target="zombie"} 0.0'
    assert zombie in text.splitlines()
    require_binaries("promtool", why="apt-get install prometheus (the textfile linter)")
    lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=30, check=False)  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr
    state = json.loads((tmp_path / "state.json").read_text())
    assert (
        state["nodes"]["n2"]["consecutive_fail"] == 1
        and state["nodes"]["n1"]["consecutive_pass"] == 1
    )


def test_zombie_only_exits_3_and_human_output(llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = llama()
    srv.pause()
    doc = {"targets": [{"name": "z", "url": srv.url, "model": "tiny", "node": "n1"}],
           "groups": {"default": {"deadline_s": 1}}}  # fmt: skip
    code, _, out = probe(tmp_path, write(tmp_path / "t.yaml", doc), "--human")
    assert code == 3
    assert "ZOMBIE" in out and "deadline passed" in out


def test_slow_link_is_slow_not_zombie(llama, slow_link, tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = llama(host=slow_link.ns_addr, netns=slow_link.ns)
    doc = {
        "targets": [
            {
                "name": "s",
                "url": srv.url,
                "model": "tiny",
                "node": "n1",
                "max_tokens": 6,
                "extra_body": BIAS,
            }
        ],
        "groups": {"default": {"deadline_s": 15, "ttft_budget_ms": 2000, "itl_budget_ms": 100}},
    }
    code, envs, err = probe(tmp_path, write(tmp_path / "t.yaml", doc))
    data = envs[0]["data"]
    assert data["verdict"] == "slow", data
    assert data["timings"]["itl_ms_max"] > 100 and data["timings"]["tokens"] == 6
    assert code == 6, err  # slow is a warning: apart from zombie (3)


def test_command_hook_backend_after_k_failures(llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = llama()
    hook = tmp_path / "hook.sh"
    log = tmp_path / "hook.log"
    hook.write_text(f'#!/bin/sh\nprintf "%s|%s|%s\\n" "$1" "$2" "$3" >> {log}\n')
    hook.chmod(0o755)
    group = {
        "backend": "command",
        "fail_threshold": 2,
        "pass_threshold": 1,
        "deadline_s": 1,
        "command_cordon": [str(hook), "cordon", "{node}", "{reason}"],
        "command_uncordon": [str(hook), "uncordon", "{node}"],
        "max_cordon_fraction": 1,
    }
    doc = {"targets": [{"name": "z", "url": srv.url, "model": "tiny", "node": "n1",
                        "extra_body": BIAS}], "groups": {"default": group}}  # fmt: skip
    tf = write(tmp_path / "t.yaml", doc)
    srv.pause()
    assert probe(tmp_path, tf, "--act")[0] == 3 and not log.exists()
    code, envs, _ = probe(tmp_path, tf, "--act")
    assert code == 3
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cordon|n1|diagctl: zombie x2")
    assert [e["data"]["action"] for e in envs if e["kind"] == "probe.audit"] == ["cordon"]
    srv.resume()
    code, envs, _ = probe(tmp_path, tf, "--act")
    assert code == 0 and log.read_text().splitlines()[1] == "uncordon|n1|"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("targets: [", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("targets: []\n", "targets: List should have at least 1 item"),
        (
            "targets: [{name: a, url: 'x', model: m, node: n}]\n",
            "targets[0] 'a': url: must start with http:// or https://",
        ),
        (
            "targets: [{name: a, url: 'http://h', model: m, node: n, colour: red}]\n",
            "colour: Extra inputs are not permitted",
        ),
        (
            "targets: [{name: a, url: 'http://h', model: m, node: n}]\ngroups: {default: "
            "{backend: magic}}\n",
            "groups.default.backend",
        ),
    ],
)
def test_bad_targets_file_is_one_line_exit_2(tmp_path: Path, text: str, message: str) -> None:
    tf = tmp_path / "t.yaml"
    tf.write_text(text)
    code, envs, err = probe(tmp_path, tf)
    assert code == 2 and not envs
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "state.json").exists()


def test_missing_targets_file(tmp_path: Path) -> None:
    code, _, err = probe(tmp_path, tmp_path / "nope.yaml")
    assert code == 2 and f"targets {tmp_path / 'nope.yaml'}: cannot read: No such file" in err


def test_overlapping_runs_never_race(llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A second cron run while the first still holds the state lock waits, or with a short
    --lock-wait gives up with exit 2 and leaves the state to the first run."""
    import sys

    srv = llama()
    srv.pause()
    doc = {"targets": [{"name": "z", "url": srv.url, "model": "tiny", "node": "n1"}],
           "groups": {"default": {"deadline_s": 3}}}  # fmt: skip
    tf = write(tmp_path / "t.yaml", doc)
    common = ["--targets", str(tf), "--state", str(tmp_path / "state.json"),
              "--audit", str(tmp_path / "audit.jsonl")]  # fmt: skip
    first = subprocess.Popen([sys.executable, "-m", "diag.cli", "probe", "run", *common],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        lock = tmp_path / "state.json.lock"
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        second = run_cli("probe", "run", *common, "--lock-wait", "0.2")
        assert second.returncode == 2 and "holds the lock" in second.stderr
        third = run_cli("probe", "run", *common, "--lock-wait", "20")  # waits its turn
        assert third.returncode == 3
    finally:
        first.wait(30)
    assert first.returncode == 3
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["nodes"]["n1"]["consecutive_fail"] == 2  # first and third, in turn


def test_help_texts() -> None:
    res = run_cli("probe", "run", "--help")
    assert res.returncode == 0
    for opt in ("--targets", "--state", "--act", "--once", "--audit", "--prom", "--human",
                "--lock-wait", "--concurrency"):  # fmt: skip
        assert opt in res.stdout
    res = run_cli("probe", "record-golden", "--help")
    assert res.returncode == 0 and "--out" in res.stdout


def test_a_non_streaming_answer_is_not_healthy(llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The server answers 200 with plain JSON (stream forced off): no event stream, no tokens."""
    srv = llama()
    doc = {
        "targets": [
            {
                "name": "j",
                "url": srv.url.replace("http://", "http://u:pw@"),
                "model": "tiny",
                "node": "n1",
                "extra_body": {"stream": False},
            }
        ]
    }
    code, envs, err = probe(tmp_path, write(tmp_path / "t.yaml", doc))
    data = envs[0]["data"]
    assert code == 3, err
    assert data["verdict"] == "zombie" and "not an event stream" in data["reason"]
    assert "pw" not in json.dumps(envs) and data["url"].startswith("http://***@127.0.0.1:")


def test_sigterm_still_reports_every_target(llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import signal
    import sys

    srv = llama()
    srv.pause()
    doc = {"targets": [{"name": "z", "url": srv.url, "model": "tiny", "node": "n1"},
                       {"name": "y", "url": srv.url, "model": "tiny", "node": "n2"}],
           "groups": {"default": {"deadline_s": 20}}}  # fmt: skip
    tf = write(tmp_path / "t.yaml", doc)
    argv = [sys.executable, "-m", "diag.cli", "probe", "run", "--targets", str(tf),
            "--state", str(tmp_path / "s.json"), "--audit", str(tmp_path / "a.jsonl")]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path / "s.json.lock"
    deadline = time.monotonic() + 10
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    envs = [json.loads(x) for x in out.splitlines()]
    assert [e["host"]["name"] for e in envs] == ["z", "y"]
    assert all(e["status"] == "unknown" and e["errors"][0]["code"] == "interrupted" for e in envs)
    assert not (tmp_path / "s.json").exists()  # nothing half-saved


def test_record_golden_then_probe_against_it(llama, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok, dead = llama(), llama()
    dead.stop()
    doc = {"targets": [{"name": "g", "url": ok.url, "model": "tiny", "node": "n1",
                        "extra_body": BIAS},
                       {"name": "d", "url": dead.url, "model": "tiny", "node": "n2"}],
           "groups": {"default": {"deadline_s": 2}}}  # fmt: skip
    tf = write(tmp_path / "t.yaml", doc)
    out = tmp_path / "golden.yaml"
    res = run_cli("probe", "record-golden", "--targets", str(tf), "--out", str(out))
    assert res.returncode == 3 and "d: not recorded, down" in res.stderr
    recorded = yaml.safe_load(out.read_text())
    golden = recorded["targets"][0]["golden_text"]
    assert len(golden) == 8 and "golden_text" not in recorded["targets"][1]
    recorded["targets"] = recorded["targets"][:1]
    write(out, recorded)
    code, envs, err = probe(tmp_path, out)
    assert code == 0 and envs[0]["data"]["verdict"] == "healthy", err
    recorded["targets"][0]["golden_text"] = "not what it says"
    write(out, recorded)
    code, envs, _ = probe(tmp_path, out)
    assert code == 3 and "differs from golden" in envs[0]["data"]["reason"]
