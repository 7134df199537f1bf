"""Identity and inventory out of a health envelope, compared with a manifest entry; the
receive judgement (dry run and recorded) over those envelopes."""

from __future__ import annotations

from pathlib import Path

import pytest

from diag.transport.base import CommandResult, Target
from lifecycle import acceptance as acc
from lifecycle.receive import ReceiveOptions, burn_in_step, receive
from lifecycle.registry.store import open_registry
from schemas.envelope import Envelope, Finding, HostRef, Severity, Status
from schemas.lifecycle import Inventory, Manifest, ManifestEntry
from tests.support.envelopes import envelope

H100 = "NVIDIA H100 80GB HBM3"


def health(
    host_id: str = "SN1", gpus: int | None = 8, status: Status = Status.PASS, name: str = "gpu-a-01"
) -> Envelope:
    findings = [
        Finding(
            check_id="gpu.driver",
            status=Status.PASS,
            observed={"driver": "550.54.15", "cuda": "12.4", "vbios": ["96.00.99"]},
        ),
    ]
    if gpus is None:
        findings.append(Finding(check_id="gpu.inventory", status=Status.UNKNOWN, observed=None))
    else:
        findings.append(
            Finding(
                check_id="gpu.inventory",
                status=Status.PASS,
                observed={"gpus": gpus, "names": [H100] if gpus else []},
            )
        )
    return envelope(
        host=HostRef(
            name=name,
            address="10.0.0.7",
            host_id=host_id,
            host_id_source="product_serial",
            hostname="node7",
        ),
        status=status,
        findings=findings,
        data={"facts": {"kernel": "6.8.0", "os_pretty_name": "Ubuntu 24.04"}},
    )


def test_inventory_of_a_health_envelope() -> None:
    assert acc.inventory_of(health()) == Inventory(
        host_id_source="product_serial",
        hostname="node7",
        gpu_count=8,
        gpu_models=[H100],
        driver="550.54.15",
        cuda="12.4",
        vbios=["96.00.99"],
        kernel="6.8.0",
        os="Ubuntu 24.04",
    )
    assert acc.inventory_of(health(gpus=None)).gpu_count is None


ENTRY = ManifestEntry(
    serial="SN1",
    name="gpu-a-01",
    host_class="h100",
    gpu_count=8,
    gpu_model=H100,
    driver="550.54.15",
    vbios="96.00.99",
)


def _f(status: Status, entity: str, message: str, **kw: object) -> Finding:
    sev = {Status.PASS: Severity.INFO, Status.FAIL: Severity.HIGH}.get(status, Severity.MEDIUM)
    return Finding(
        check_id="lifecycle.manifest",
        status=status,
        severity=sev,
        entity=entity,
        message=message,
        **kw,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "env,entry,host_class,findings",
    [
        (health(), ENTRY, "h100", [_f(Status.PASS, "serial", "matches manifest entry SN1")]),
        (
            health(gpus=7),
            ENTRY,
            "h100",
            [_f(Status.FAIL, "gpu_count", "gpu_count 7, manifest says 8", observed=7, threshold=8)],
        ),
        (
            health(gpus=0),
            ENTRY,
            "h100",
            [
                _f(
                    Status.FAIL,
                    "gpu_count",
                    "gpu_count 0, manifest says 8",
                    observed=0,
                    threshold=8,
                ),
                _f(
                    Status.UNKNOWN,
                    "gpu_model",
                    f"gpu_model: not readable on the host, manifest says {H100}",
                    threshold=H100,
                ),
            ],
        ),
        (
            health(gpus=None),
            ENTRY,
            "h100",
            [
                _f(
                    Status.UNKNOWN,
                    "gpu_count",
                    "gpu_count: not readable on the host, manifest says 8",
                    threshold=8,
                ),
                _f(
                    Status.UNKNOWN,
                    "gpu_model",
                    f"gpu_model: not readable on the host, manifest says {H100}",
                    threshold=H100,
                ),
            ],
        ),
        (
            health(),
            ENTRY,
            "a100",
            [
                _f(
                    Status.FAIL,
                    "host_class",
                    "host_class a100, manifest says h100",
                    observed="a100",
                    threshold="h100",
                )
            ],
        ),
        (
            health(host_id="SN9"),
            ENTRY,
            "h100",
            [
                _f(
                    Status.FAIL,
                    "serial",
                    "serial SN9, manifest entry 'gpu-a-01' says SN1",
                    observed="SN9",
                    threshold="SN1",
                )
            ],
        ),
        (health(), None, "h100", [_f(Status.FAIL, "serial", "SN1 is not in the manifest")]),
        (
            health(),
            ManifestEntry(serial="SN1"),
            "",
            [_f(Status.PASS, "serial", "matches manifest entry SN1")],
        ),
    ],
)
def test_compare(
    env: Envelope, entry: ManifestEntry | None, host_class: str, findings: list[Finding]
) -> None:
    assert acc.compare(env, entry, host_class) == findings


def test_match_by_serial_then_by_name() -> None:
    m = Manifest(assets=[ManifestEntry(serial="SNX", name="gpu-a-01"), ManifestEntry(serial="SN1")])
    assert acc.match(health(), m) == ManifestEntry(serial="SN1")
    assert acc.match(health(host_id="SN5"), m) == ManifestEntry(serial="SNX", name="gpu-a-01")
    assert acc.match(health(host_id="SN5", name="other"), m) is None


def test_burn_in_step_quotes_the_redacted_tail_and_hashes_the_output() -> None:
    res = CommandResult(1, b"diag: FAIL\npassword=hunter2\n", b"\x1b[2Jerr\n", 1500)
    step, finding = burn_in_step("dcgmi diag -r 3", res)
    assert (step.action, step.outcome, step.reason) == ("burn_in", "fail", "dcgmi diag -r 3")
    assert finding.status is Status.FAIL and finding.message == "burn-in exited 1 after 1500 ms"
    assert "hunter2" not in finding.model_dump_json() and "\x1b" not in finding.model_dump_json()
    assert step.evidence[0].sha256 == finding.observed["output_sha256"]
    lost = burn_in_step("x", CommandResult(None, error="timeout", message="deadline"))
    assert (lost[0].outcome, lost[1].message) == (
        "unknown",
        "burn-in did not run: timeout: deadline",
    )


def _run(envs: list[Envelope], tmp_path: Path, act: bool, burns: list[CommandResult] | None = None):  # type: ignore[no-untyped-def]
    reg = open_registry(f"sqlite:///{tmp_path / 'r.db'}")
    got: list[Envelope] = []
    targets = [Target(name=e.host.name, address="10.0.0.7", host_class="h100") for e in envs]
    opts = ReceiveOptions(Manifest(assets=[ENTRY]), burn_in="burn" if burns else "", act=act)
    code = receive(envs, targets, burns, opts, reg if act else None, got.append)
    return code, got, reg


def test_dry_run_writes_nothing_and_says_what_the_gate_lacks(tmp_path: Path) -> None:
    code, got, reg = _run([health(gpus=7)], tmp_path, act=False)
    assert int(code) == 3 and reg.assets() == []
    assert got[0].kind == "lifecycle.receive" and got[0].status is Status.FAIL
    assert got[0].data.decision == "dry_run"
    assert got[0].data.gate_missing == ["manifest match: failed"]
    assert [(f.check_id, f.status.value) for f in got[0].findings] == [
        ("lifecycle.identity", "pass"),
        ("lifecycle.manifest", "fail"),
        ("lifecycle.l1", "pass"),
    ]


def test_act_registers_records_steps_and_moves_when_the_gate_passes(tmp_path: Path) -> None:
    code, got, reg = _run([health()], tmp_path, act=True, burns=[CommandResult(0, b"ok\n")])
    assert int(code) == 0 and got[0].data.decision == "move" and got[0].data.phase == "provision"
    asset = reg.get("SN1")
    assert (asset.phase, asset.version, asset.name, asset.host_class) == (
        "provision",
        2,
        "gpu-a-01",
        "h100",
    )
    story = [(e.entry, e.from_phase, e.to_phase, e.action, e.outcome) for e in reg.history("SN1")]
    assert story == [
        ("transition", None, "receive", "", "pass"),
        ("action", None, None, "identity", "pass"),
        ("action", None, None, "manifest", "pass"),
        ("action", None, None, "l1", "pass"),
        ("action", None, None, "burn_in", "pass"),
        ("transition", "receive", "provision", "", "pass"),
    ]


def test_act_with_a_failing_burn_in_records_but_does_not_move(tmp_path: Path) -> None:
    code, got, reg = _run([health()], tmp_path, act=True, burns=[CommandResult(3, b"bad\n")])
    assert int(code) == 3 and got[0].data.decision == "blocked"
    assert got[0].data.gate_missing == ["burn-in: failed"]
    assert reg.get("SN1").phase == "receive"


def test_unreachable_host_is_not_registered(tmp_path: Path) -> None:
    env = envelope(host=HostRef(name="gone"), status=Status.UNREACHABLE)
    code, got, reg = _run([env], tmp_path, act=True)
    assert int(code) == 4 and reg.assets() == [] and got[0].status is Status.UNREACHABLE
    assert got[0].findings[0].message == "identity not captured: host unreachable"
