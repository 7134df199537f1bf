"""playbooks/bundle.yml under real ansible-playbook against real OpenSSH sshd hosts in network
namespaces (strict host keys), then `diagctl ingest`: each host's tar stream lands as
`diagctl bundle` lands one — verified against its manifest, `bundle-<ts>.tar.gz` — with the
same members (the program, redaction on the host included, is byte-identical); a fetch cut
short stays `*.incomplete.tar.gz`; an unreachable host still gets its envelope."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from diag.bundle_land import verify
from tests.integration.ansible_playbooks.plays import jsonl, play, require_ansible
from tests.integration.ansible_playbooks.test_ansible_ingest import _inventory
from tests.integration.fleet.conftest import SshdFactory, SshHost
from tests.support.net import free_port

pytestmark = pytest.mark.timeout(120)


def _members(path: Path) -> list[str]:
    with tarfile.open(path, "r:gz") as tar:
        return sorted(m.name for m in tar.getmembers())


@pytest.mark.parametrize("netns_hosts", [1], indirect=True)
def test_bundle_playbook_lands_like_diagctl_bundle(
    netns_hosts: list[SshHost], sshd: SshdFactory, write_known_hosts: Any, diagctl: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    require_ansible()
    host = netns_hosts[0]
    inv = _inventory(tmp_path / "inventory.ini", netns_hosts, sshd.keys.clientkey, free_port())
    kh = write_known_hosts(tmp_path / "known_hosts", netns_hosts)
    out = tmp_path / "collected"
    extra = {"diagctl_out": str(out), "diagctl_known_hosts": str(kh), "diagctl_timeout": 60,
             "diagctl_since_hours": 1, "diagctl_total_cap": 4}  # fmt: skip
    log = play(tmp_path, "bundle.yml", inv, extra)
    sent = diagctl("payload", "show", "bundle", "--timeout", "60", "--since-hours", "1",
                   "--total-cap", "4")  # fmt: skip
    assert (out / "payload" / "bundle.bin").read_text() == sent.stdout, log[-3000:]
    ing = diagctl("ingest", str(out), "--json", "--out", str(tmp_path / "landed"))
    assert ing.returncode == 4, ing.stderr  # gpu-node-down is unreachable
    envs = jsonl(ing.stdout)
    env = envs[host.name]
    rec = json.loads((out / "hosts" / host.name / "collected.json").read_text())
    stamp = rec["collected_at"][:19].replace("-", "").replace(":", "") + "Z"
    path = tmp_path / "landed" / "hosts" / host.name / f"bundle-{stamp}.tar.gz"
    d = env["data"]
    assert (env["kind"], d["complete"], d["path"]) == ("bundle", True, str(path))
    assert env["data"]["sha256"] == rec["raw"]["stdout.bin"]["sha256"]
    manifest = verify(path)
    assert manifest.host.hostname == host.name
    # the same program diagctl sends: the members diagctl bundle --no-l1 lands for this host
    live = diagctl("bundle", "-H", host.entry, "--identity", str(sshd.keys.clientkey),
                   "--known-hosts", str(kh), "--no-l1", "--since", "1", "--total-cap", "4",
                   "--timeout", "60", "--out", str(tmp_path / "live"), "--json")  # fmt: skip
    assert live.returncode == 0, live.stderr
    (live_env,) = jsonl(live.stdout).values()
    live_path = Path(live_env["data"]["path"])
    assert _members(path) == _members(live_path)
    down = envs["gpu-node-down"]
    assert (down["status"], down["errors"][0]["code"], down["data"]["complete"]) == (
        "unreachable", "unreachable", False,
    )  # fmt: skip
    # a fetch cut short: the stream is truncated after the record was written
    raw = out / "hosts" / host.name / "raw" / "stdout.bin"
    raw.write_bytes(raw.read_bytes()[: raw.stat().st_size // 2])
    cut = diagctl("ingest", str(out), "--json", "--limit", host.name, "--out", str(tmp_path / "c"))
    cenv = jsonl(cut.stdout)[host.name]
    kept = tmp_path / "c" / "hosts" / host.name / f"bundle-{stamp}.incomplete.tar.gz"
    assert (cenv["data"]["complete"], cenv["data"]["path"], cenv["status"]) == (
        False, str(kept), "error",
    )  # fmt: skip
    assert cenv["data"]["problem"] == (
        f"incomplete fetch: raw/stdout.bin has {raw.stat().st_size} bytes, collected.json "
        f"lists {rec['raw']['stdout.bin']['bytes']} (or its sha256 differs)"
    )
    assert not (tmp_path / "c" / "hosts" / host.name / f"bundle-{stamp}.tar.gz").exists()
