"""`diagctl lifecycle retire` / `redeploy` on a real SQLite registry: retiring moves the asset,
a sanitisation attestation is recorded only with the token its dry run printed, and redeploy
passes the redeploy gate only once it is recorded (then the asset has its new class)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "diag.cli", "lifecycle", *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.fixture
def url(tmp_path: Path) -> str:
    from lifecycle.phases import Decision, Phase, Verdict
    from lifecycle.registry.store import AssetInfo, open_registry

    u = f"sqlite:///{tmp_path / 'r.db'}"
    reg = open_registry(u)
    a = reg.register(AssetInfo("SN1", "gpu-a-01", "h100"), "t")
    forced = Decision(Verdict.FORCED, ("set-up",))
    reg.move("SN1", Phase.PROVISION, a.version, forced, "t", "s")
    reg.move("SN1", Phase.MONITOR, a.version + 1, forced, "t", "s")
    return u


def test_retire_attest_with_the_printed_token_then_redeploy(url: str) -> None:
    reg = ["--registry", url, "--json"]
    early = run("redeploy", "gpu-a-01", "--class", "l40s", *reg)
    assert (early.returncode, early.stdout) == (2, "")
    assert early.stderr == "Error: gpu-a-01: redeploy refused: no transition monitor -> provision\n"
    attest = ["--method", "crypto-erase", "--note", "nvme format -s2 token=abc"]
    dry = run("retire", "gpu-a-01", "--reason", "end of lease", *attest, *reg)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["data"]["phase"] == "retire"
    m = re.fullmatch(
        r"dry run: to record this attestation, add --confirm ([0-9a-f]{12})\n", dry.stderr
    )
    assert m, dry.stderr
    refused = run("redeploy", "gpu-a-01", "--class", "l40s", *reg)
    assert refused.stderr == (
        "Error: gpu-a-01: redeploy refused: sanitisation attestation: not captured\n"
    )
    wrong = run("retire", "gpu-a-01", *attest, "--confirm", "000000000000", *reg)
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr == (
        "Error: gpu-a-01: --confirm '000000000000' is not this attestation's token "
        "(run without --confirm to see it)\n"
    )
    done = run("retire", "gpu-a-01", *attest, "--confirm", m.group(1), *reg)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    hist = [json.loads(x)["data"] for x in run("history", "gpu-a-01", *reg).stdout.splitlines()]
    assert (hist[-1]["action"], hist[-1]["outcome"], hist[-1]["reason"]) == (
        "sanitise", "pass", "crypto-erase: nvme format -s2 token=***"
    )  # fmt: skip
    back = run("redeploy", "gpu-a-01", "--class", "l40s", *reg)
    assert back.returncode == 0, back.stderr
    asset = json.loads(back.stdout)["data"]
    assert (asset["phase"], asset["host_class"]) == ("provision", "l40s")


def test_a_bad_method_is_refused(url: str) -> None:
    res = run("retire", "gpu-a-01", "--method", "shred", "--registry", url)
    assert res.returncode == 2
    assert res.stderr == (
        "Error: --method 'shred': one of crypto-erase, block-erase, overwrite, nvme-format, "
        "ata-secure-erase, destroyed\n"
    )
    status = run("status", "--registry", url, "--json")
    assert json.loads(status.stdout)["data"]["phase"] == "monitor"  # nothing moved


def _detected(url: str) -> None:
    """A recorded detection of the QEMU NVMe controller (Format NVM only), as a retire run
    with -H/-i records it."""
    from lifecycle.erase_parse import parse_nvme_id_ctrl
    from lifecycle.registry.store import open_registry
    from lifecycle.retire import retire
    from schemas.lifecycle import EvidencePointer

    capture = Path(__file__).parents[2] / "fixtures" / "erase" / "qemu" / "nvme-id-ctrl.json"
    dev = parse_nvme_id_ctrl("nvme0", capture.read_text())
    reg = open_registry(url)
    retire(reg, "SN1", "end of lease", "t")
    ptr = EvidencePointer(kind="note", note=dev.model_dump_json())
    reg.record("SN1", "erase_detect", "pass", "t", "nvme0: nvme-format", [ptr])


def test_a_method_the_detection_says_is_unsupported_is_refused_unless_forced(url: str) -> None:
    _detected(url)
    reg = ["--registry", url, "--json"]
    crypto = ["--method", "crypto-erase", "--note", "nvme sanitize --sanact=4"]
    refused = run("retire", "gpu-a-01", *crypto, *reg)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        "Error: gpu-a-01: --method crypto-erase: the recorded detection says a disk does not "
        "support crypto-erase (nvme0 QEMU NVMe Ctrl DIAGNVME0001: nvme-format); to attest it "
        "anyway add --force --reason TEXT\n"
    )
    fmt = run("retire", "gpu-a-01", "--method", "nvme-format", "--note", "nvme format", *reg)
    assert fmt.returncode == 0 and "add --confirm" in fmt.stderr, fmt.stderr
    alone = run("retire", "gpu-a-01", *crypto, "--force", *reg)
    assert alone.stderr == "Error: --force needs --reason TEXT (recorded with the attestation)\n"
    forced = [*crypto, "--force", "--reason", "vendor tool did it"]
    dry = run("retire", "gpu-a-01", *forced, *reg)
    token = dry.stderr.split()[-1]
    done = run("retire", "gpu-a-01", *forced, "--confirm", token, *reg)
    assert (done.returncode, done.stderr) == (0, "")
    last = json.loads(run("history", "gpu-a-01", *reg).stdout.splitlines()[-1])["data"]
    assert (last["action"], last["reason"]) == (
        "sanitise", "crypto-erase: nvme sanitize --sanact=4 (forced: vendor tool did it)"
    )  # fmt: skip
    assert [p["note"] for p in last["evidence"]] == [
        "sanitised by crypto-erase: nvme sanitize --sanact=4",
        "forced past: the recorded detection says a disk does not support crypto-erase "
        "(nvme0 QEMU NVMe Ctrl DIAGNVME0001: nvme-format); vendor tool did it",
    ]


def test_method_with_hosts_and_bundle_without_hosts_are_refused(url: str) -> None:
    res = run("retire", "gpu-a-01", "--method", "destroyed", "-H", "h1", "--registry", url)
    assert (res.returncode, res.stderr) == (
        2, "Error: --method attests an erase done after the retire run: give it without -H/-i\n"
    )  # fmt: skip
    res = run("retire", "gpu-a-01", "--bundle-out", "x", "--registry", url)
    assert res.stderr == "Error: --bundle-out needs -H or -i: the bundle is taken over SSH\n"
