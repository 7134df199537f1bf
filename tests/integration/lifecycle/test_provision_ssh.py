"""`diagctl lifecycle provision` end to end: the rendered user-data passes the real
`cloud-init schema` (Debian's cloud-init) and is recorded with its sha256; `--verify` runs L1 on
a real sshd host (this machine), holds it to the class baseline (its kernel, from `uname -r`;
no GPU here, so only the kernel is set), captures the snapshot and moves the asset to monitor;
in monitor the same command reports drift from that snapshot; a baseline the host does not
run blocks the move."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.components import require_binaries

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
VALUES = Path(__file__).parents[2] / "fixtures" / "airgap" / "values.yaml"
CHECKS = "gpu.inventory,gpu.driver"


def _setup(tmp: Path, name: str, kernel: str) -> tuple[str, Path]:
    from lifecycle.phases import Decision, Phase, Verdict
    from lifecycle.registry.store import AssetInfo, open_registry

    vals = yaml.safe_load(VALUES.read_text())
    vals["classes"]["gpu-h100"]["baseline"] = {"kernel": kernel}
    values = tmp / "values.yaml"
    values.write_text(yaml.safe_dump(vals))
    url = f"sqlite:///{tmp / 'reg.db'}"
    reg = open_registry(url)
    a = reg.register(AssetInfo("SN-PROV-1", name), "test")
    reg.move(a.host_id, Phase.PROVISION, a.version, Decision(Verdict.FORCED, ("x",)), "t", "s")
    return url, values


def test_render_is_valid_cloud_config_and_recorded(tmp_path: Path, diagctl) -> None:
    require_binaries("cloud-init", why="Debian package cloud-init (cloud-init schema)")
    url, values = _setup(tmp_path, "gpu-a-01", os.uname().release)
    out = tmp_path / "user-data.yaml"
    res = diagctl("lifecycle", "provision", "gpu-a-01", "--class", "gpu-h100", "--values",
                  str(values), "--out", str(out), "--registry", url, "--json")  # fmt: skip
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)["data"]
    assert (d["decision"], d["phase"], d["user_data"]) == ("rendered", "provision", str(out))
    assert d["user_data_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    proc = subprocess.run(["cloud-init", "schema", "--config-file", str(out)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (proc.returncode, proc.stdout) == (0, f"Valid cloud-config: {out}\n")
    bad = diagctl("lifecycle", "provision", "gpu-a-01", "--class", "nope", "--values",
                  str(values), "--out", str(out), "--registry", url)  # fmt: skip
    assert bad.returncode == 2 and "--class 'nope': not in the values file" in bad.stderr


def test_verify_captures_the_baseline_then_drift_is_judged_against_it(
    sshd, ssh_keys, tmp_path: Path, diagctl, write_known_hosts
) -> None:
    host = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    kernel = os.uname().release
    url, values = _setup(tmp_path, host.entry, kernel)
    args = ["lifecycle", "provision", host.entry, "--class", "gpu-h100", "--values", str(values),
            "--verify", "-H", host.entry, "--identity", str(ssh_keys.clientkey), "--known-hosts",
            str(kh), "--check", CHECKS, "--registry", url, "--json"]  # fmt: skip
    res = diagctl(*args)
    assert res.returncode == 0, res.stderr + res.stdout
    env = json.loads(res.stdout)
    assert [(f["check_id"], f["status"], f["message"]) for f in env["findings"]] == [
        ("lifecycle.baseline", "pass", f"kernel {kernel} matches baseline {kernel}"),
        ("lifecycle.l1", "pass", "health pass: 0 fail, 0 unknown"),
    ]
    d = env["data"]
    assert (d["decision"], d["phase"], d["gate_missing"]) == ("move", "monitor", [])
    assert d["baseline"] == {"driver": "", "cuda": "", "vbios": "", "kernel": kernel}
    again = diagctl(*args)
    assert again.returncode == 0, again.stderr
    drift = json.loads(again.stdout)
    assert [(f["check_id"], f["status"]) for f in drift["findings"]] == [
        ("lifecycle.drift", "pass")
    ]
    assert (drift["data"]["decision"], drift["data"]["phase"]) == ("drift", "monitor")


def test_a_baseline_the_host_does_not_run_blocks_the_move(
    sshd, ssh_keys, tmp_path: Path, diagctl, write_known_hosts
) -> None:
    host = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    url, values = _setup(tmp_path, host.entry, "1.2.3")
    res = diagctl("lifecycle", "provision", host.entry, "--class", "gpu-h100", "--values",
                  str(values), "--verify", "-H", host.entry, "--identity", str(ssh_keys.clientkey),
                  "--known-hosts", str(kh), "--check", CHECKS, "--registry", url,
                  "--json")  # fmt: skip
    assert res.returncode == 3, res.stderr
    env = json.loads(res.stdout)
    assert env["findings"][0]["message"] == f"kernel {os.uname().release}, baseline 1.2.3"
    assert (env["data"]["decision"], env["data"]["phase"], env["data"]["gate_missing"]) == (
        "blocked", "provision", ["baseline conformance: failed"]
    )  # fmt: skip
