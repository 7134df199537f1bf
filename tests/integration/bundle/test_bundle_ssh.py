"""`diagctl bundle` end to end against a real OpenSSH sshd on loopback (tests/support/sshd.py):
integrity verified against the manifest, secrets planted in a file redacted on the host, caps
holding on a flooded log, and a session killed mid-bundle leaving an incomplete file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from diag.bundle_land import verify

pytestmark = pytest.mark.integration

SECRETS = {
    "password": "hunter2-planted",
    "bearer": "tok-planted-abcdef",
    "aws": "AKIAPLANTED000000000",
    "key": "MIIEplantedPRIVATEkeyBODY",
}
SECRET_FILE = (
    f"db password={SECRETS['password']}\n"
    f"Authorization: Bearer {SECRETS['bearer']}\n"
    f"aws_access_key_id {SECRETS['aws']}\n"
    f"-----BEGIN RSA PRIVATE KEY-----\n{SECRETS['key']}\n-----END RSA PRIVATE KEY-----\n"
    "gpu 0 ok\n"
)


def args(keys, kh: Path, host, out: Path, *extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "bundle",
        "-H",
        host.entry,
        "--identity",
        str(keys.clientkey),
        "--known-hosts",
        str(kh),
        "--out",
        str(out),
        "--json",
        *extra,
    ]


@pytest.mark.timeout(90)
def test_bundle_verified_redacted_and_capped(sshd, ssh_keys, tmp_path, diagctl, write_known_hosts):
    host = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    planted = tmp_path / "app.env"
    planted.write_text(SECRET_FILE)
    flood = tmp_path / "flood.log"
    flood.write_bytes(b"".join(b"flood line %07d\n" % i for i in range(300_000)))  # 5.4 MB
    out = tmp_path / "b"
    r = diagctl(
        *args(
            ssh_keys,
            kh,
            host,
            out,
            "--file",
            str(planted),
            "--file",
            str(flood),
            "--artifact-cap",
            "1",
            "--total-cap",
            "3",
            "--no-l1",
        )
    )
    assert r.returncode == 0, r.stderr
    env = json.loads(r.stdout)
    data = env["data"]
    path = Path(data["path"])
    assert (env["kind"], env["status"], data["complete"], data["problem"]) == (
        "bundle",
        "pass",
        True,
        "",
    )
    assert path.parent == out / "hosts" / f"root%40127.0.0.1%3A{host.port}"
    assert path.name.startswith("bundle-") and path.name.endswith("Z.tar.gz")
    assert data["bytes"] == path.stat().st_size
    manifest = verify(path)  # every member matches its sha256 and size
    by = {f.path: f for f in manifest.files}
    assert data["artifacts"] == len(manifest.files)
    assert data["redactions"] == sum(f.redactions for f in manifest.files) >= 4
    # Redaction happened on the host: no planted value is anywhere in the bytes that arrived.
    with tarfile.open(path) as tar:
        text = b"".join(tar.extractfile(m).read() for m in tar if m.isfile())  # type: ignore[union-attr]
    for value in SECRETS.values():
        assert value.encode() not in text, value
    assert (
        value.encode()
        not in (out / "hosts").joinpath(path.parent.name, "envelope.json").read_bytes()
    )
    with tarfile.open(path) as tar:
        app = tar.extractfile("files" + str(planted)).read()  # type: ignore[union-attr]
    assert app == (
        b"db password=***\nAuthorization: ***\naws_access_key_id ***\n"
        b"-----BEGIN RSA PRIVATE KEY----- ***\ngpu 0 ok\n"
    )
    # Caps: the flooded log kept its last MiB, and the cut is listed.
    f = by["files" + str(flood)]
    assert (f.bytes, f.truncated_bytes, f.keep) == (
        1 << 20,
        flood.stat().st_size - (1 << 20),
        "tail",
    )
    assert "files" + str(flood) in data["cut"]
    assert sum(x.bytes for x in manifest.files) <= 3 << 20
    assert not any(Path("/var/tmp").glob("diagctl-bundle-*"))  # nothing left on the host


def _session_pids(listener: int) -> list[int]:
    r = subprocess.run(["pgrep", "-P", str(listener)], capture_output=True, text=True, check=False)
    return [int(p) for p in r.stdout.split()]


@pytest.mark.timeout(90)
def test_session_killed_mid_bundle_is_incomplete(sshd, ssh_keys, tmp_path, write_known_hosts):
    host = sshd.start()
    kh = write_known_hosts(tmp_path / "known_hosts", [host])
    fifo = tmp_path / "stall.fifo"
    os.mkfifo(fifo)  # the payload blocks reading it: the bundle is mid-stream
    out = tmp_path / "b"
    cmd = [
        sys.executable,
        "-m",
        "diag.cli",
        *args(ssh_keys, kh, host, out, "--file", str(fifo), "--no-l1"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        fd = -1
        while fd < 0 and time.monotonic() < deadline:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO until the payload reads
            except OSError:
                time.sleep(0.1)
        assert fd >= 0, "the payload never opened the FIFO"
        os.write(fd, b"partial evidence\n")
        partial = list((out / "hosts").glob("*/bundle-*.tar.gz.partial"))
        while not (partial and partial[0].stat().st_size > 0) and time.monotonic() < deadline:
            time.sleep(0.1)
            partial = list((out / "hosts").glob("*/bundle-*.tar.gz.partial"))
        assert partial and partial[0].stat().st_size > 0  # earlier artifacts already streamed
        for pid in _session_pids(host.proc.pid):
            os.kill(pid, signal.SIGKILL)  # the connection dies with its sshd session process
        stdout, stderr = proc.communicate(timeout=60)
        os.close(fd)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, stderr
    env = json.loads(stdout)
    data = env["data"]
    assert (env["status"], data["complete"]) == ("error", False)
    kept = Path(data["path"])
    assert kept.name.endswith(".incomplete.tar.gz") and kept.stat().st_size == data["bytes"] > 0
    assert not list(kept.parent.glob("bundle-*Z.tar.gz"))  # nothing that looks complete
    assert env["errors"][0]["code"] == "payload_failed"
    assert env["errors"][0]["message"].startswith(
        f"bundle incomplete ({data['bytes']} bytes kept): "
    )
