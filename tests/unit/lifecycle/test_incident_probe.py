"""`lifecycle incident close --probe-url`: the shared probe option block on a second gate. The
endpoint is a real loopback port nobody listens on (the kernel refuses: `down`, no stand-in);
the asset stays in incident with the probe's reason, the step is in the history, and the URL's
password is in no output byte nor in the registry file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from diag.cli.main import cli
from tests.support.net import free_port

PW = "pw-Pl4nted-inc"


def run(db: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["lifecycle", *args, "--registry", str(db)])


def test_close_with_a_down_endpoint_stays_in_incident(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    from lifecycle.registry.store import AssetInfo, open_registry

    open_registry(f"sqlite:///{db}").register(AssetInfo("SN1", "gpu-1", "h100"), "op@j pid 1")
    assert run(db, "move", "gpu-1", "--to", "provision", "--force", "--reason", "t").exit_code == 0
    assert run(db, "incident", "open", "gpu-1", "--reason", "Xid 79").exit_code == 0
    port = free_port("127.0.0.1")
    res = run(
        db, "incident", "close", "gpu-1", "--resolution", "reseated", "--json",
        "--probe-url", f"http://u:{PW}@127.0.0.1:{port}", "--probe-model", "tiny",
        "--probe-deadline", "2",
    )  # fmt: skip
    assert res.exit_code == 3, res.output
    env = json.loads(res.output)
    assert (env["data"]["phase"], env["data"]["gate_missing"]) == (
        "incident",
        ["L1 health: not captured", "token probe: failed"],
    )
    probe = [f for f in env["findings"] if f["check_id"] == "lifecycle.probe"]
    assert [(f["status"], f["entity"]) for f in probe] == [("fail", f"http://***@127.0.0.1:{port}")]
    assert probe[0]["message"].startswith("token probe down: connect: ConnectionRefusedError")
    hist = run(db, "history", "gpu-1", "--json")
    rows = [json.loads(line)["data"] for line in hist.output.splitlines()]
    assert [(r["action"], r["outcome"]) for r in rows if r["entry"] == "action"][-2:] == [
        ("incident_close", "pass"),
        ("probe", "fail"),
    ]
    assert PW not in res.output + hist.output
    assert all(PW.encode() not in f.read_bytes() for f in tmp_path.iterdir())


def test_model_without_url_and_url_without_model_are_usage_errors(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    a = run(db, "incident", "close", "x", "--resolution", "r", "--probe-model", "m")
    b = run(db, "incident", "close", "x", "--resolution", "r", "--probe-url", "http://h:1")
    assert (a.exit_code, b.exit_code) == (2, 2)
    assert "--probe-model needs --probe-url" in a.output
    assert "--probe-url needs --probe-model" in b.output
