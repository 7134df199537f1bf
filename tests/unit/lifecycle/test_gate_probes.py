"""The shared `--probe-*` block on `provision --verify` and `maintain`. The endpoint is a real
loopback port nobody listens on (the kernel refuses: `down`, no stand-in); the gate refuses,
the step is in the history, and the URL's password is in no output byte nor in the registry."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from diag.cli.main import cli
from diag.transport.base import Target
from lifecycle.probe_step import ProbeSpec
from lifecycle.registry.store import AssetInfo, open_registry
from tests.support.net import free_port

PW = "pw-Pl4nted-gate"
H100 = Path(__file__).parents[2] / "fixtures" / "gpu" / "h100_real" / "payload.json"


def refused() -> tuple[ProbeSpec, int]:
    port = free_port("127.0.0.1")
    return ProbeSpec(url=f"http://u:{PW}@{{host}}:{port}", model="tiny", deadline_s=2.0), port


def lc(db: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["lifecycle", *args, "--registry", str(db)])


def no_secret(tmp: Path, *texts: str) -> None:
    assert all(PW not in t for t in texts)
    assert all(PW.encode() not in f.read_bytes() for f in tmp.rglob("*") if f.is_file())


def test_provision_verify_with_a_down_endpoint_is_blocked(tmp_path: Path) -> None:
    """The real H100 health replay conforms, but the probe is down: the service gate refuses."""
    from diag.exitcodes import ExitPolicy
    from lifecycle.probe_step import run_probes
    from lifecycle.provision import verify
    from schemas.airgap import Baseline
    from schemas.envelope import Envelope

    db = tmp_path / "r.db"
    reg = open_registry(f"sqlite:///{db}")
    reg.register(AssetInfo("SN-1", "gpu-1", "h100"), "op")
    assert lc(db, "move", "gpu-1", "--to", "provision", "--force", "--reason", "t").exit_code == 0  # type: ignore[attr-defined]
    raw = tmp_path / "rp" / "gpu-1" / "raw"
    raw.mkdir(parents=True)
    (raw / "payload.json").write_text(H100.read_text())
    line = CliRunner().invoke(cli, ["health", "--replay", str(tmp_path / "rp"), "--json"]).output
    env = Envelope.model_validate_json(line)
    spec, port = refused()
    target = Target("gpu-1", "127.0.0.1")
    probed = run_probes(spec, [target])["gpu-1"]
    got = verify(reg, "gpu-1", Baseline(kernel="6.18"), "h100", env, "op", ExitPolicy(), probed)
    assert (got.data.decision, got.data.phase, got.data.gate_missing) == (
        "blocked",
        "provision",
        ["token probe: failed"],
    )
    (p,) = [f for f in got.findings if f.check_id == "lifecycle.probe"]
    assert (p.status.value, p.entity) == ("fail", f"http://***@127.0.0.1:{port}")
    assert p.message.startswith("token probe down: connect: ConnectionRefusedError")
    hist = [(e.action, e.outcome) for e in reg.history("gpu-1") if e.entry == "action"]
    assert hist == [("baseline", "pass"), ("l1", "pass"), ("probe", "fail")]
    no_secret(tmp_path, got.model_dump_json())


def test_maintain_probe_step_fails_and_is_recorded(tmp_path: Path) -> None:
    """The post-check's probe (Ledger.probe, as maintain runs it after a passing post-check):
    down -> the step fails (maintain then keeps the host drained and opens an incident)."""
    from diag.health import options_for
    from diag.transport.local import LocalTransport
    from lifecycle.maintain_args import Context, MaintainArgs
    from lifecycle.maintain_steps import Ledger
    from probes.backends import NoBackend

    db = tmp_path / "r.db"
    reg = open_registry(f"sqlite:///{db}")
    reg.register(AssetInfo("SN-1", "gpu-1", "h100"), "op")
    hopts = options_for(None, (), 10.0, 256 * 1024, "")
    ctx = Context(
        MaintainArgs(command="true"),
        LocalTransport(),
        hopts,
        NoBackend(),  # type: ignore[arg-type]
        tmp_path / "audit.jsonl",
        {"gpu-1": "gpu-1"},
        reg,
    )
    spec, port = refused()
    lg = Ledger(Target("gpu-1", "127.0.0.1"), ctx, 0)
    assert asyncio.run(lg.probe(spec)) is False
    step = lg.data.steps[-1]
    assert (step.step, step.result) == ("probe", "failed")
    assert step.message.startswith("token probe down: connect: ConnectionRefusedError")
    (last,) = [e for e in reg.history("gpu-1") if e.entry == "action"]
    assert (last.action, last.outcome, last.evidence[0].path) == (
        "probe",
        "fail",
        f"http://***@127.0.0.1:{port}",
    )
    no_secret(tmp_path, lg.data.model_dump_json())


def run_maintain(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diag.cli", "lifecycle", "maintain", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_maintain_plan_shows_the_probe_and_a_bad_url_is_exit_2() -> None:
    plan = run_maintain(
        "-H",
        "gpu-a-01",
        "--command",
        "true",
        "--json",
        "--probe-url",
        f"http://u:{PW}@{{host}}:8000",
        "--probe-model",
        "m",
    )
    assert plan.returncode == 0, plan.stderr
    steps = [s["step"] for s in json.loads(plan.stdout)["data"]["steps"]]
    assert steps == [
        "cordon",
        "precheck",
        "command",
        "return",
        "postcheck",
        "probe",
        "diff",
        "uncordon",
    ]
    bad = run_maintain(
        "-H",
        "gpu-a-01",
        "--command",
        "true",
        "--probe-url",
        f"ftp://u:{PW}@h:1",
        "--probe-model",
        "m",
    )
    assert bad.returncode == 2
    assert bad.stderr == "Error: --probe-url: Value error, must start with http:// or https://\n"
    assert PW not in plan.stdout + plan.stderr + bad.stdout + bad.stderr


def test_provision_probe_needs_verify(tmp_path: Path) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("{}")
    res = lc(
        tmp_path / "r.db",
        "provision",
        "gpu-1",
        "--class",
        "c",
        "--values",
        str(values),
        "--out",
        str(tmp_path / "ud"),
        "--probe-url",
        "http://h:1",
        "--probe-model",
        "m",
    )
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert "--probe-url is a --verify step" in res.output  # type: ignore[attr-defined]


def test_maintain_step_postcheck_runs_the_probe(tmp_path: Path) -> None:
    """`--step postcheck` (playbooks/maintain.yml) probes like a whole maintain run: a passing
    L1 post-check, then the endpoint down -> the step fails, the asset goes to incident and the
    node is never uncordoned (no uncordon audit record)."""
    from diag.health import options_for
    from diag.transport.local import LocalTransport
    from lifecycle.maintain_args import Context, MaintainArgs
    from lifecycle.maintain_step import StepRequest, run_step
    from probes.backends import NoBackend

    db = tmp_path / "r.db"
    reg = open_registry(f"sqlite:///{db}")
    reg.register(AssetInfo("SN-1", "gpu-1", "h100"), "op")
    for phase in ("provision", "monitor", "maintain"):
        assert lc(db, "move", "gpu-1", "--to", phase, "--force", "--reason", "t").exit_code == 0  # type: ignore[attr-defined]
    # One check that passes on any Linux host: the post-check is not what fails here.
    hopts = options_for(None, ("host.mem_available",), 10.0, 256 * 1024, "")
    spec, port = refused()
    ctx = Context(
        MaintainArgs(command="true"),
        LocalTransport(),
        hopts,
        NoBackend(),  # type: ignore[arg-type]
        tmp_path / "audit.jsonl",
        {"gpu-1": "gpu-1"},
        reg,
    )
    ctx.probe = spec
    target = Target("gpu-1", "127.0.0.1")
    snapshot = tmp_path / "pre.json"
    pre, _ = run_step(target, ctx, StepRequest(step="precheck", snapshot=snapshot))
    assert pre.data.outcome == "passed"
    env, code = run_step(target, ctx, StepRequest(step="postcheck", snapshot=snapshot))
    steps = [(s.step, s.result) for s in env.data.steps]
    assert steps == [
        ("postcheck", "done"),
        ("diff", "done"),
        ("probe", "failed"),
        ("probe", "failed"),
        ("incident", "done"),
    ]
    assert (env.data.outcome, int(code)) == ("failed", 3)
    assert reg.get("gpu-1").phase == "incident"
    audit = (tmp_path / "audit.jsonl").read_text() if (tmp_path / "audit.jsonl").exists() else ""
    assert "uncordon" not in audit
    probes = [e for e in reg.history("gpu-1") if e.entry == "action" and e.action == "probe"]
    assert [(e.outcome, e.evidence[0].path) for e in probes] == [
        ("fail", f"http://***@127.0.0.1:{port}")
    ]
    no_secret(tmp_path, env.model_dump_json())
