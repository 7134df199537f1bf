"""`diagctl lifecycle receive --probe-url` end to end: a real sshd host for the L1 run and a REAL
OpenAI-compatible token server (llama.cpp's server on a tiny GGUF, started here) for the one
token probe. Healthy: accepted and moved to provision. The same server paused (SIGSTOP: the
kernel still accepts the connection, nothing answers, a zombie): refused with the probe's
reason. Whole registry histories are pinned. A password planted in the URL reaches no byte of
stdout, stderr, the registry files or the --out tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.probes.conftest import llama, tiny_model  # noqa: F401 - fixtures

pytestmark = [pytest.mark.integration]
PW = "pw-Pl4nted-lc7"
CHECKS = "gpu.inventory,gpu.driver"  # deterministic here: no GPU, none expected


def _receive(diagctl, host, ssh_keys, kh: Path, tmp: Path, url: str, *extra: str):  # type: ignore[no-untyped-def]
    host_id = json.loads(diagctl("health", "--local", "--json", "--check", "gpu.inventory").stdout)[
        "host"
    ]["host_id"]
    manifest = tmp / "po.csv"
    manifest.write_text(f"serial,name,gpu_count\n{host_id},{host.entry},0\n")
    res = diagctl(
        "lifecycle", "receive", "-H", host.entry, "--manifest", str(manifest),
        "--probe-url", url, "--probe-model", "tiny", "--probe-max-tokens", "4",
        "--act", "--registry", str(tmp / "registry.db"), "--out", str(tmp / "recv"),
        "--identity", str(ssh_keys.clientkey), "--known-hosts", str(kh),
        "--connect-timeout", "3", "--check", CHECKS, "--json", *extra,
    )  # fmt: skip
    hist = diagctl(
        "lifecycle", "history", host_id, "--json", "--registry", str(tmp / "registry.db")
    )
    rows = [json.loads(line)["data"] for line in hist.stdout.splitlines()]
    return res, rows, hist


def _no_secret(tmp: Path, *texts: str) -> None:
    for text in texts:
        assert PW not in text
    for f in tmp.rglob("*"):
        if f.is_file():
            assert PW.encode() not in f.read_bytes(), f  # registry.db, -wal, --out envelopes


def _steps(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["entry"], r["action"], r["outcome"], r["to_phase"]) for r in rows]


@pytest.mark.timeout(90)
def test_healthy_endpoint_passes_the_accept_gate(
    sshd,
    ssh_keys,
    tmp_path: Path,
    diagctl,
    write_known_hosts,
    llama,  # noqa: F811
) -> None:
    host, srv = sshd.start(), llama()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    url = f"http://diag:{PW}@127.0.0.1:{srv.port}"
    res, rows, hist = _receive(diagctl, host, ssh_keys, kh, tmp_path, url)
    assert res.returncode == 0, res.stderr
    env = json.loads(res.stdout)
    probe = env["findings"][-1]
    shown = f"http://***@127.0.0.1:{srv.port}"
    obs = probe["observed"]
    msg = f"token probe healthy: {obs['tokens']} tokens, TTFT {obs['ttft_ms']} ms"
    assert probe == {
        **probe,
        "check_id": "lifecycle.probe",
        "status": "pass",
        "entity": shown,
        "message": msg,
        "observed": {
            "verdict": "healthy", "url": shown, "model": "tiny", "http_status": 200,
            "ttft_ms": obs["ttft_ms"], "tokens": 4, "tokens_per_s": obs["tokens_per_s"],
        },
    }  # fmt: skip
    assert obs["ttft_ms"] > 0 and obs["tokens_per_s"] > 0
    assert (env["data"]["decision"], env["data"]["phase"]) == ("move", "provision")
    assert _steps(rows) == [
        ("transition", "", "pass", "receive"),
        ("action", "identity", "pass", None),
        ("action", "manifest", "pass", None),
        ("action", "l1", "pass", None),
        ("action", "probe", "pass", None),
        ("transition", "", "pass", "provision"),
    ]
    note = f"{msg}; model tiny, TTFT {obs['ttft_ms']} ms, {obs['tokens_per_s']} tokens/s"
    assert (rows[4]["reason"], rows[4]["evidence"]) == (
        msg,
        [{"kind": "note", "path": shown, "sha256": "", "note": note}],
    )
    _no_secret(tmp_path, res.stdout, res.stderr, hist.stdout, hist.stderr)


@pytest.mark.timeout(90)
def test_paused_server_is_a_zombie_and_refused(
    sshd,
    ssh_keys,
    tmp_path: Path,
    diagctl,
    write_known_hosts,
    llama,  # noqa: F811
) -> None:
    host, srv = sshd.start(), llama()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    url = f"http://diag:{PW}@127.0.0.1:{srv.port}"
    srv.pause()
    try:
        res, rows, hist = _receive(
            diagctl, host, ssh_keys, kh, tmp_path, url, "--probe-deadline", "2"
        )
    finally:
        srv.resume()
    assert res.returncode == 3, res.stderr
    env = json.loads(res.stdout)
    shown = f"http://***@127.0.0.1:{srv.port}"
    msg = "token probe zombie: 0 token(s) < 1: deadline passed"
    assert {k: env["findings"][-1][k] for k in ("check_id", "status", "entity", "message")} == {
        "check_id": "lifecycle.probe",
        "status": "fail",
        "entity": shown,
        "message": msg,
    }
    assert (env["data"]["decision"], env["data"]["phase"], env["data"]["gate_missing"]) == (
        "blocked",
        "receive",
        ["token probe: failed"],
    )
    assert _steps(rows) == [
        ("transition", "", "pass", "receive"),
        ("action", "identity", "pass", None),
        ("action", "manifest", "pass", None),
        ("action", "l1", "pass", None),
        ("action", "probe", "fail", None),
    ]
    note = f"{msg}; model tiny, no token"
    assert (rows[4]["reason"], rows[4]["evidence"]) == (
        msg,
        [{"kind": "note", "path": shown, "sha256": "", "note": note}],
    )
    _no_secret(tmp_path, res.stdout, res.stderr, hist.stdout, hist.stderr)
