"""`diagctl lifecycle retire HOST -i INV` end to end: a real sshd host (this machine's disks,
seen through its own /sys), a real Slurm controller and a real SQLite registry. The dry run
drains nothing and records nothing but detects the disks read-only; --act drains the node
with diagctl's reason, moves the asset to retire, keeps the final bundle (sha256 in the
history) and records the detection; a second retire over the blast-radius limit drains
nothing and exits 5."""

from __future__ import annotations

import glob
import hashlib
import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.lifecycle import rebootable
from tests.integration.lifecycle.test_maintain_ssh import _phases, _setup

sys.path.insert(0, str(Path(__file__).parents[1] / "probes"))
from probes_support import Slurm

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
VIRTIO = ["not an NVMe or ATA disk (SAS, USB, virtio, Xen): diagctl cannot read its erase support"]


@pytest.fixture
def host(ssh_keys, tmp_path: Path):  # type: ignore[no-untyped-def]
    h = rebootable.start(ssh_keys, tmp_path / "host")
    yield h
    h.stop()


def _retire(diagctl, tmp: Path, name: str, *extra: str):  # type: ignore[no-untyped-def]
    return diagctl(
        "lifecycle", "retire", name, "-i", str(tmp / "inv.yaml"), "--known-hosts",
        str(tmp / "kh"), "--connect-timeout", "3", "--json", "--registry", str(tmp / "reg.db"),
        "--act-config", str(tmp / "act.yaml"), "--act-audit", str(tmp / "audit.jsonl"),
        "--act-state", str(tmp / "state.json"), "--reason", "end of lease", *extra,
    )  # fmt: skip


def _disks() -> list[str]:
    """This machine's disks as the detection script globs them."""
    names = [Path(p).name for p in glob.glob("/sys/class/nvme/nvme*")]
    return names + [Path(p).name for pat in ("sd*", "vd*", "xvd*")
                    for p in sorted(glob.glob(f"/sys/block/{pat}"))]  # fmt: skip


def test_retire_drains_bundles_detects_and_the_breaker_holds(
    host, ssh_keys, slurm: Slurm, tmp_path: Path, diagctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURM_CONF", slurm.env["SLURM_CONF"])
    tmp = _setup(tmp_path, {"r1": (host.port, slurm.host), "r2": (host.port, "dgpn2")},
                 ssh_keys, slurm, diagctl)  # fmt: skip
    act = {"backend": "slurm", "max_cordon_fraction": 1.0, "max_cordon_count": 1}
    (tmp / "act.yaml").write_text(yaml.safe_dump(act))
    dry = _retire(diagctl, tmp, "r1", "--bundle-out", str(tmp / "final"))
    assert dry.returncode == 0, dry.stderr + dry.stdout
    d = json.loads(dry.stdout)["data"]
    n = len(_disks())
    assert d["steps"] == [
        {"step": "drain", "result": "planned", "message": ""},
        {"step": "retire", "result": "planned", "message": ""},
        {"step": "bundle", "result": "planned", "message": ""},
        {"step": "detect", "result": "done", "message": f"{n} disk(s)"},
    ]
    assert [x["device"] for x in d["devices"]] == _disks()
    for dev in d["devices"]:
        if dev["device"].startswith("vd"):  # virtio: the same answer on every machine
            assert dev == {"device": dev["device"], "transport": "unknown", "model": "",
                           "serial": "", "methods_supported": [], "frozen": None,
                           "locked": None, "source": "none", "unknown": VIRTIO}  # fmt: skip
    assert "DRAIN" not in slurm.node(slurm.host)["State"] and not (tmp / "audit.jsonl").exists()
    assert _phases(tmp) == {"r1": "monitor", "r2": "monitor"}

    res = _retire(diagctl, tmp, "r1", "--bundle-out", str(tmp / "final"), "--act")
    assert res.returncode == 0, res.stderr + res.stdout
    env = json.loads(res.stdout)
    d = env["data"]
    assert [(s["step"], s["result"]) for s in d["steps"]] == [
        ("drain", "done"), ("retire", "done"), ("bundle", "done"), ("detect", "done"),
    ]  # fmt: skip
    assert (d["outcome"], d["phase"], d["node"]) == ("retired", "retire", slurm.host)
    assert hashlib.sha256(Path(d["bundle"]).read_bytes()).hexdigest() == d["bundle_sha256"]
    node = slurm.node(slurm.host)
    assert "DRAIN" in node["State"]
    assert node["Reason"].startswith("diagctl: retire: end of lease"), node["Reason"]
    hist = diagctl("lifecycle", "history", "r1", "--json", "--registry", str(tmp / "reg.db"))
    rows = [json.loads(x)["data"] for x in hist.stdout.splitlines()][3:]
    assert [(e["entry"], e["action"] or e["to_phase"]) for e in rows] == [
        ("action", "retire_drain"), ("transition", "retire"), ("action", "retire_bundle"),
        ("action", "erase_detect"),
    ]  # fmt: skip
    assert rows[2]["evidence"] == [{"kind": "bundle", "path": d["bundle"],
                                    "sha256": d["bundle_sha256"],
                                    "note": "final L2 bundle pass"}]  # fmt: skip
    assert [json.loads(p["note"]) for p in rows[3]["evidence"]] == d["devices"]

    again = _retire(diagctl, tmp, "r2", "--act")
    assert again.returncode == 5, again.stderr + again.stdout
    d2 = json.loads(again.stdout)["data"]
    assert (d2["outcome"], d2["steps"]) == ("breaker", [{
        "step": "drain", "result": "failed",
        "message": "blast-radius breaker: 1 drain(s) wanted, 1 already held or drained in the "
                   "window, limit 1 of 2 nodes; nothing drained"}])  # fmt: skip
    assert "DRAIN" not in slurm.node("dgpn2")["State"]
    assert _phases(tmp) == {"r1": "retire", "r2": "monitor"}
    audit = [json.loads(x) for x in (tmp / "audit.jsonl").read_text().splitlines()]
    assert [(r["action"], r["node"], r["group"], r["result"]) for r in audit] == [
        ("cordon", slurm.host, "retire", "done"), ("breaker", "", "retire", "blocked"),
    ]  # fmt: skip
