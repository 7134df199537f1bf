"""`diagctl lifecycle record`: real envelopes into a real SQLite registry. The health envelopes
are `health --replay` of recorded payloads (tests/fixtures/gpu/h100_real: an H100 VM;
h200x2_real: the 2-GPU H200), the probe results are the recorded rounds of
tests/fixtures/probes/device, the MU envelopes a real `mu report --by node` over
tests/fixtures/mu and the H200 `mu decay` recording. Whole findings and history rows pinned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from diag.cli.main import cli
from lifecycle.registry.store import AssetInfo, open_registry

FIX = Path(__file__).parents[2] / "fixtures"
DOWN = FIX / "probes" / "device" / "h100_down_round.jsonl"
HEALTHY = FIX / "probes" / "device" / "h100_healthy_round.jsonl"
DECAY = FIX / "mu" / "h200" / "decay.jsonl"
PW = "pw-Pl4nted-mon"
DRIFT_OK = (
    "driver 580.159.04 matches baseline 580.159.04; cuda 13.0 matches baseline 13.0; "
    "vbios 96.00.DA.00.0C matches baseline 96.00.DA.00.0C; "
    "kernel 6.18.44-fc-v657-gpu matches baseline 6.18.44-fc-v657-gpu"
)


def replay(tmp: Path, payload: Path, name: str, *args: str) -> str:
    """One `health --replay` envelope line of a recorded payload under host name `name`."""
    n = len(list(tmp.glob("rp-*")))
    raw = tmp / f"rp-{n}" / name / "raw"
    raw.mkdir(parents=True)
    (raw / "payload.json").write_text(payload.read_text())
    res = CliRunner().invoke(cli, ["health", "--replay", str(raw.parents[1]), "--json", *args])
    return res.output.strip()


def in_monitor(db: Path, *names: str) -> None:
    reg = open_registry(f"sqlite:///{db}")
    for n in names:
        reg.register(AssetInfo(f"SN-{n}", n, "h100"), "op@j pid 1")
        for to in ("provision", "monitor"):
            res = lc(db, "move", n, "--to", to, "--force", "--reason", "test")
            assert res.exit_code == 0, res.output


def lc(db: Path, *args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(cli, ["lifecycle", *args, "--registry", str(db)], input=stdin)


def out_envs(res: Result) -> list[dict[str, Any]]:
    return [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]


def actions(db: Path, name: str) -> list[tuple[str, str, str]]:
    rows = [json.loads(x)["data"] for x in lc(db, "history", name, "--json").stdout.splitlines()]
    return [(r["action"], r["outcome"], r["reason"]) for r in rows if r["entry"] == "action"]


def findings(env: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(f["check_id"], f["status"], f["entity"], f["message"]) for f in env["findings"]]


def test_health_records_l1_and_drift_once(tmp_path: Path) -> None:
    """A provisioned asset (real `provision.verify` snapshot of the H100) fed its next health
    run: l1 and drift recorded, with the envelope's sha256; fed again: nothing appended. Then
    the H200's run under the same name: its VBIOS drifted, exit 3."""
    from diag.exitcodes import ExitPolicy
    from lifecycle.provision import verify
    from schemas.airgap import Baseline
    from schemas.envelope import Envelope

    db = tmp_path / "r.db"
    reg = open_registry(f"sqlite:///{db}")
    reg.register(AssetInfo("SN-1", "gpu-node-1", "h100"), "op@j pid 1")
    assert (
        lc(db, "move", "gpu-node-1", "--to", "provision", "--force", "--reason", "t").exit_code == 0
    )
    h100 = replay(tmp_path, FIX / "gpu" / "h100_real" / "payload.json", "gpu-node-1")
    env = Envelope.model_validate_json(h100)
    got = verify(reg, "gpu-node-1", Baseline(kernel="6.18"), "h100", env, "op", ExitPolicy())
    assert got.data.phase == "monitor"
    before = actions(db, "gpu-node-1")
    h100 = replay(tmp_path, FIX / "gpu" / "h100_real" / "payload.json", "gpu-node-1", "--json")
    first = lc(db, "record", "--act", "--json", stdin=h100 + "\n")
    assert first.exit_code == 0, first.output
    (m,) = out_envs(first)
    assert findings(m) == [
        ("lifecycle.l1", "warn", "health.l1", "health warn: 0 fail, 1 warn, 1 unknown"),
        ("lifecycle.drift", "pass", "driver,cuda,vbios,kernel", DRIFT_OK),
    ]  # fmt: skip
    assert {k: m["data"][k] for k in ("source_kind", "actions", "decision", "phase")} == {
        "source_kind": "health.l1", "actions": ["l1", "drift"], "decision": "recorded",
        "phase": "monitor",
    }  # fmt: skip
    assert actions(db, "gpu-node-1") == [*before, (
        "l1", "warn", "health warn: 0 fail, 1 warn, 1 unknown"), (
        "drift", "pass", DRIFT_OK)]  # fmt: skip
    again = lc(db, "record", "--act", "--json", stdin=h100 + "\n")
    assert (again.exit_code, out_envs(again)[0]["data"]["decision"]) == (0, "duplicate")
    assert "0 action(s) recorded, 1 already recorded" in again.stderr
    assert len(actions(db, "gpu-node-1")) == len(before) + 2
    h200 = replay(tmp_path, FIX / "gpu" / "h200x2_real" / "payload_nvml.json", "gpu-node-1")
    drift = lc(db, "record", "--act", "--json", stdin=h200 + "\n")
    assert drift.exit_code == 3, drift.output
    (d,) = out_envs(drift)
    assert findings(d)[1:] == [  # the same driver, CUDA and kernel: only the boards differ
        ("lifecycle.drift", "fail", "vbios", "vbios 96.00.A5.00.1A, baseline 96.00.DA.00.0C")
    ]
    assert actions(db, "gpu-node-1")[-1][:2] == ("drift", "fail")


def test_failing_l1_names_the_failing_checks(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    in_monitor(db, "gpu-node-1")
    line = replay(tmp_path, FIX / "gpu" / "h100_real" / "payload.json", "gpu-node-1",
                  "--expect-gpus", "8")  # fmt: skip
    res = lc(db, "record", "--json", stdin=line)
    assert res.exit_code == 3, res.output
    (m,) = out_envs(res)
    assert findings(m) == [
        ("lifecycle.l1", "fail", "health.l1",
         "health fail: 1 fail, 1 warn, 1 unknown (gpu.inventory)"),
        ("lifecycle.drift", "unknown", "baseline",
         "no baseline snapshot recorded (provision --verify records it)"),
    ]  # fmt: skip
    assert m["data"]["decision"] == "dry_run"
    assert actions(db, "gpu-node-1") == []  # a dry run writes nothing


def test_probe_results_by_node_redacted_and_unknown_named(tmp_path: Path) -> None:
    """The recorded H100 rounds: down (refused) fails with the probe's reason, healthy passes;
    a password in the URL is in no output byte nor in the registry; a target whose node is
    no asset is named, exit 1, the rest still recorded."""
    db = tmp_path / "r.db"
    in_monitor(db, "h100-a")
    down = [json.loads(x) for x in DOWN.read_text().splitlines()]
    down[0]["data"]["url"] = f"http://ops:{PW}@127.0.0.1:8090"
    stranger = json.loads(HEALTHY.read_text().splitlines()[0])
    stranger["data"]["node"] = "gpu-z-09"
    stdin = "\n".join(json.dumps(x) for x in (*down, stranger)) + "\nnot json\n"
    res = lc(db, "record", "--act", "--json", stdin=stdin)
    assert res.exit_code == 1, res.output
    why = (
        "down: connect: ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 8090)"
    )
    assert [findings(e) for e in out_envs(res)] == [
        [("lifecycle.probe", "fail", "http://***@127.0.0.1:8090", f"token probe {why}")],
        [("lifecycle.probe", "fail", "http://127.0.0.1:8090", f"token probe {why}")],
    ]
    assert res.stderr.splitlines()[:2] == [
        "diagctl: lifecycle record: 1 envelope(s) name no asset in the registry: "
        "gpu-z-09 (probe.result)",
        "diagctl: lifecycle record: skipped 1 of 4 inputs (first: <stdin>:4: not JSON "
        "(Expecting value: line 1 column 1 (char 0)))",
    ]
    assert actions(db, "h100-a") == [("probe", "fail", f"token probe {why}")] * 2
    assert PW not in res.output + res.stderr
    assert all(PW.encode() not in f.read_bytes() for f in tmp_path.iterdir() if f.is_file())
    ok = lc(db, "record", str(HEALTHY), "--act", "--json")
    assert ok.exit_code == 0, ok.output
    assert [f[:2] for e in out_envs(ok) for f in findings(e)] == [("lifecycle.probe", "pass")] * 2


def test_an_asset_in_another_phase_is_named_not_recorded(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    open_registry(f"sqlite:///{db}").register(AssetInfo("SN-a", "h100-a"), "op")
    res = lc(db, "record", str(DOWN), "--act", "--json")
    assert (res.exit_code, res.stdout) == (0, "")
    assert (
        "2 not recorded (asset not in monitor): h100-a (probe.result): phase receive, "
        "h100-a (probe.result): phase receive" in res.stderr
    )
    assert actions(db, "h100-a") == []


def test_mu_report_by_node_and_mu_decay(tmp_path: Path) -> None:
    """A real `mu report --by node`: gpu-1 and gpu-2 have headroom, gpu-3 no capacity
    (unknown); a report without node names no asset (exit 1). The H200 decay recording:
    101% passes, and warns once the minimum is above it."""
    db = tmp_path / "r.db"
    in_monitor(db, "gpu-1", "gpu-3", "dev-h200")
    mu = CliRunner().invoke(cli, ["mu", "report", "--usage", str(FIX / "mu" / "requests.jsonl"),
                                  "--calibration", str(FIX / "mu" / "calibration.yaml"),
                                  "--by", "node", "--json"]).stdout  # fmt: skip
    res = lc(db, "record", "--act", "--json", stdin=mu)
    assert res.exit_code == 1, res.output  # gpu-2 is no asset
    assert [findings(e) for e in out_envs(res)] == [
        [("lifecycle.mu_headroom", "pass", "gpu-1 bucket window",
          "MU headroom 100.0% of gpu-1 bucket window (12598.991 of 12600.0 MU), minimum 10%")],
        [("lifecycle.mu_headroom", "unknown", "gpu-3 bucket window",
          "MU headroom of gpu-3 bucket window: no capacity (capacity_mu_per_s not calibrated)")],
    ]  # fmt: skip
    assert "1 envelope(s) name no asset in the registry: gpu-2 (mu.report)" in res.stderr
    by_tenant = (
        CliRunner()
        .invoke(
            cli,
            [
                "mu",
                "report",
                "--usage",
                str(FIX / "mu" / "requests.jsonl"),
                "--calibration",
                str(FIX / "mu" / "calibration.yaml"),
                "--json",
            ],
        )
        .stdout
    )
    res = lc(db, "record", "--json", stdin=by_tenant)
    assert res.exit_code == 1
    assert "1 envelope(s) name no node (mu report --by node): mu.report " in res.stderr
    dec = lc(db, "record", str(DECAY), "--act", "--json")
    assert findings(out_envs(dec)[0]) == [
        (
            "lifecycle.mu_capacity",
            "pass",
            "dev-h200 (llama-8b-random × h200)",
            "dev-h200 (llama-8b-random × h200) delivers 101% of its calibrated MU/s, minimum 80%",
        )
    ]
    slow = lc(db, "record", str(DECAY), "--min-capacity", "1.02", "--json")
    assert [f[:2] for f in findings(out_envs(slow)[0])] == [("lifecycle.mu_capacity", "warn")]
    assert actions(db, "dev-h200")[-1][:2] == ("mu_capacity", "pass")


@pytest.mark.parametrize(
    "room,cap,minimum,outcome",
    [(10.0, 100.0, 0.10, "pass"), (9.99, 100.0, 0.10, "warn"), (0.0, 100.0, 0.0, "pass"),
     (0.0, 100.0, 0.01, "warn"), (5.0, 0.0, 0.10, "unknown"), (None, None, 0.10, "unknown"),
     (100.0, 100.0, 1.0, "pass")],
)  # fmt: skip
def test_headroom_boundary(room: float | None, cap: float | None, minimum: float,
                           outcome: str) -> None:  # fmt: skip
    from lifecycle.monitor_feeds import Thresholds, mu_report_feeds
    from tests.support.envelopes import envelope

    g = {"keys": {"node": "n1"}, "bucket": None, "capacity_mu": cap, "headroom_mu": room}
    env = envelope(kind="mu.report", data={"groups": [g]})
    (feed,) = mu_report_feeds(env, Thresholds(min_headroom=minimum))
    assert (feed.keys, feed.action, feed.outcome) == (("n1",), "mu_headroom", outcome)


@pytest.mark.parametrize(
    "ratios,minimum,outcome",
    [([0.8], 0.8, "pass"), ([0.7999], 0.8, "warn"), ([1.2, 0.5], 0.8, "warn"),
     ([None], 0.8, "unknown"), ([0.9, None], 0.8, "unknown"), ([0.81, 0.95], 0.8, "pass")],
)  # fmt: skip
def test_capacity_boundary(ratios: list[float | None], minimum: float, outcome: str) -> None:
    from lifecycle.monitor_feeds import Thresholds, mu_decay_feeds
    from tests.support.envelopes import envelope

    nodes = [{"node": "n1", "model": f"m{i}", "hardware": "h", "ratio": r}
             for i, r in enumerate(ratios)]  # fmt: skip
    env = envelope(kind="mu.decay", data={"nodes": nodes})
    (feed,) = mu_decay_feeds(env, Thresholds(min_capacity=minimum))
    assert (feed.action, feed.outcome) == ("mu_capacity", outcome)


@pytest.mark.parametrize(
    "verdict,outcome",
    [("healthy", "pass"), ("slow", "warn"), ("zombie", "fail"), ("down", "fail"), ("", "unknown")],
)
def test_probe_verdicts(verdict: str, outcome: str) -> None:
    from lifecycle.monitor_feeds import Thresholds, probe_feeds
    from tests.support.envelopes import envelope

    env = envelope(kind="probe.result", data={"verdict": verdict, "reason": "r", "node": "n"})
    (feed,) = probe_feeds(env, Thresholds())
    assert (feed.keys, feed.action, feed.outcome) == (("n",), "probe", outcome)
    no_node = envelope(kind="probe.result", data={"verdict": verdict})
    assert probe_feeds(no_node, Thresholds())[0].keys == ("h",)
