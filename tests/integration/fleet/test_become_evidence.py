"""`bundle --become` and `reset-reason --become` on a real sshd with real non-root logins and
a real sudo: the privileged sources are read only with --become, and a sudo that refuses is
one clear per-host failure.

The sshd runs in its own mount namespace where /var/lib is an overlay whose upper layer is a
test directory, so /var/lib/diagctl/ (mode 0700, root) exists only for this sshd: it holds
the reboot-intents file reset-reason reads and a root-only log the bundle is asked for. Nothing
on the machine itself changes except two throwaway users and their sudoers drop-in, removed
afterwards even when a test fails. The kernel ring buffer is the other root-only source:
this machine has `kernel.dmesg_restrict = 1`, so `dmesg` fails for a non-root user.

Users: `ok` has `NOPASSWD: ALL`; `pw` has a real password and `ALL=(ALL) ALL`, so sudo wants
that password. diagctl never sends one (`sudo -n`): the run must fail at once, clearly, and
the password must appear nowhere in what diagctl writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from diag.artifacts import host_dir
from diag.bundle_land import verify
from tests.integration.fleet.conftest import Keys, _diagctl, _wait_banner
from tests.integration.fleet.test_fleet_become import _add_user, _need_sudo
from tests.support.net import free_port, stop
from tests.support.sshd import SSHD, sshd_config

pytestmark = [pytest.mark.integration]
TAG = f"dgp{os.getpid() % 100000}"
SUDOERS = Path(f"/etc/sudoers.d/diagctl-test-{TAG}")
PASSWORD = "Planted-sudo-pw-4417"
ROOT_LOG = "/var/lib/diagctl/root-only.log"
ROOT_TEXT = "root-only line 7f3a\ndb password=hunter9-planted\n"
INTENT = {
    "schema_version": 1,
    "at": "2026-11-30T10:00:00Z",
    "action": "reboot",
    "boot_id": "0f5e7c1a-0000-4000-8000-000000000001",
    "requested_by": "ops@jump",
    "reason": "firmware",
    "run_id": "",
}


@dataclass
class PrivHost:
    port: int
    ok: str
    pw: str
    kh: Path
    keys: Keys

    def entry(self, user: str) -> str:
        return f"{user}@127.0.0.1:{self.port}"

    def run(self, user: str, *args: str) -> subprocess.CompletedProcess[str]:
        cmd, rest = args[0], args[1:]
        return _diagctl(
            cmd, "-H", self.entry(user), "--identity", str(self.keys.clientkey),
            "--known-hosts", str(self.kh), *rest, timeout=80,
        )  # fmt: skip


def _var_lib_upper(d: Path) -> Path:
    """The overlay's upper layer: diagctl/ as root 0700, its files 0600."""
    upper = d / "upper"
    (d / "work").mkdir()
    state = upper / "diagctl"
    state.mkdir(parents=True, mode=0o700)
    (state / "reboot-intents.jsonl").write_text(json.dumps(INTENT) + "\n")
    (state / "root-only.log").write_text(ROOT_TEXT)
    for f in state.iterdir():
        f.chmod(0o600)
    state.chmod(0o700)
    return upper


@pytest.fixture(scope="module")
def priv_host(ssh_keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivHost]:
    _need_sudo()
    ok, pw = f"{TAG}o", f"{TAG}p"
    d = tmp_path_factory.mktemp("become-evidence")
    proc = None
    try:
        for name in (ok, pw):
            _add_user(name, ssh_keys.clientkey.with_suffix(".pub").read_text())
        subprocess.run(["chpasswd"], input=f"{pw}:{PASSWORD}\n", text=True, check=True)
        draft = d / "sudoers"
        draft.write_text(f"{ok} ALL=(ALL) NOPASSWD: ALL\n{pw} ALL=(ALL) ALL\n")
        subprocess.run(["visudo", "-cqf", str(draft)], check=True)
        draft.chmod(0o440)
        shutil.copy2(draft, SUDOERS)
        upper = _var_lib_upper(d)
        port = free_port()
        conf = d / "sshd.conf"
        conf.write_text(
            sshd_config(port, "127.0.0.1", str(ssh_keys.hostkey), ".ssh/authorized_keys")
        )
        mount = f"mount -t overlay overlay -o lowerdir=/var/lib,upperdir={upper},workdir={d}/work"
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                f"{mount} /var/lib && exec {SSHD} -D -e -f {conf}"]  # fmt: skip
        log = open(d / "sshd.log", "wb")  # noqa: SIM115 - lives with the sshd
        proc = subprocess.Popen(argv, stdout=log, stderr=log)
        _wait_banner("127.0.0.1", port, proc, "")
        kh = d / "known_hosts"
        pub = ssh_keys.hostkey.with_suffix(".pub").read_text().split()
        kh.write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
        yield PrivHost(port, ok, pw, kh, ssh_keys)
    finally:
        if proc is not None:
            stop(proc)
        SUDOERS.unlink(missing_ok=True)
        for name in (ok, pw):
            subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


def _everything(out: Path, *streams: str) -> bytes:
    """Every byte diagctl wrote: `streams` (stdout, stderr) and each file under --out, tar
    members unpacked."""
    blob = "".join(streams).encode()
    for f in sorted(p for p in out.rglob("*") if p.is_file()):
        blob += f.read_bytes()
        if f.name.endswith(".tar.gz"):
            with tarfile.open(f) as tar:
                blob += b"".join(tar.extractfile(m).read() for m in tar if m.isfile())  # type: ignore[union-attr]
    return blob


def _member(path: Path, name: str) -> bytes:
    with tarfile.open(path) as tar:
        return tar.extractfile(name).read()  # type: ignore[union-attr]


def _entry(manifest_files: list, path: str) -> dict:  # type: ignore[type-arg]
    """One manifest entry as a dict, without its timing."""
    f = next(f for f in manifest_files if f.path == path)
    return f.model_dump(exclude={"duration_ms"})


def _bundle(ph: PrivHost, out: Path, *extra: str) -> tuple[dict, list, Path]:  # type: ignore[type-arg]
    res = ph.run(ph.ok, "bundle", "--file", ROOT_LOG, "--out", str(out), "--json", *extra)
    assert res.returncode == 0, res.stdout + res.stderr
    env = json.loads(res.stdout)
    assert (env["status"], env["data"]["complete"], env["errors"]) == ("pass", True, [])
    path = Path(env["data"]["path"])
    return env, verify(path).files, path


def _euid(tar: Path) -> int:
    doc = json.loads(_member(tar, "l1/health-payload.json"))
    return int(json.loads(doc["captures"]["facts"]["stdout"])["euid"])


EMPTY = hashlib.sha256(b"").hexdigest()


@pytest.mark.timeout(90)
def test_bundle_reads_root_only_sources_only_with_become(
    priv_host: PrivHost, tmp_path: Path
) -> None:
    plain_env, plain, plain_tar = _bundle(priv_host, tmp_path / "plain")
    env, files, tar = _bundle(priv_host, tmp_path / "become", "--become")
    # The L1 health run inside the bundle and the collector run as the login user, then as root.
    assert _euid(plain_tar) == pwd.getpwnam(priv_host.ok).pw_uid
    assert _euid(tar) == 0
    # Without --become the root-only file is missing evidence the manifest names, with why.
    assert _entry(plain, "files" + ROOT_LOG) == {
        "path": "files" + ROOT_LOG, "sha256": EMPTY, "bytes": 0, "source": ROOT_LOG,
        "status": "failed", "exit_code": None, "keep": "tail", "truncated_bytes": 0,
        "redactions": 0, "error": "permission denied: Permission denied",
    }  # fmt: skip
    # With it the file is read, and redacted on the host like any other artifact.
    kept = b"root-only line 7f3a\ndb password=***\n"
    assert _entry(files, "files" + ROOT_LOG) == {
        "path": "files" + ROOT_LOG, "sha256": hashlib.sha256(kept).hexdigest(),
        "bytes": len(kept), "source": ROOT_LOG, "status": "ok", "exit_code": 0, "keep": "tail",
        "truncated_bytes": 0, "redactions": 1, "error": "",
    }  # fmt: skip
    assert _member(tar, "files" + ROOT_LOG) == kept
    # The kernel ring buffer: root-only where kernel.dmesg_restrict is 1 (it is on this machine).
    dmesg = _entry(files, "logs/dmesg.txt")
    assert (dmesg["status"], dmesg["exit_code"], dmesg["error"]) == ("ok", 0, "")
    assert dmesg["bytes"] == len(_member(tar, "logs/dmesg.txt")) > 0
    if Path("/proc/sys/kernel/dmesg_restrict").read_text().strip() == "1":
        assert _entry(plain, "logs/dmesg.txt") == {
            "path": "logs/dmesg.txt", "sha256": EMPTY, "bytes": 0, "source": "dmesg",
            "status": "failed", "exit_code": 1, "keep": "tail", "truncated_bytes": 0,
            "redactions": 0, "error": "dmesg: read kernel buffer failed: Operation not permitted",
        }  # fmt: skip
        assert plain_env["data"]["failed"] == env["data"]["failed"] + 2
    else:
        assert _entry(plain, "logs/dmesg.txt")["status"] == "ok"
        assert plain_env["data"]["failed"] == env["data"]["failed"] + 1

    # Every other artifact reads the same either way: same paths, sources and outcomes.
    def outcome(fs: list, path: str) -> tuple:  # type: ignore[type-arg]
        e = _entry(fs, path)
        return e["source"], e["status"], e["exit_code"]

    others = sorted(f.path for f in files if f.path not in ("files" + ROOT_LOG, "logs/dmesg.txt")
                    and not f.path.startswith(("l1/", "logs/journal", "boot/")))  # fmt: skip
    assert sorted(f.path for f in plain) == sorted(f.path for f in files)
    assert [outcome(plain, p) for p in others] == [outcome(files, p) for p in others]
    assert b"hunter9-planted" not in _everything(tmp_path / "become", json.dumps(env))


def _reset(ph: PrivHost, out: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    res = ph.run(ph.ok, "reset-reason", "--json", "--out", str(out), *extra)
    assert res.returncode == 0, res.stdout + res.stderr
    env = json.loads(res.stdout)
    assert env["errors"] == [] and env["kind"] == "reset_reason"
    return env


def _captures(out: Path, name: str) -> dict:  # type: ignore[type-arg]
    doc = json.loads((host_dir(out, name) / "raw" / "payload.json").read_text())
    return doc["captures"]  # type: ignore[no-any-return]


@pytest.mark.timeout(90)
def test_reset_reason_reads_the_root_only_intents_only_with_become(
    priv_host: PrivHost, tmp_path: Path
) -> None:
    name = priv_host.entry(priv_host.ok)
    plain = _reset(priv_host, tmp_path / "plain")
    become = _reset(priv_host, tmp_path / "become", "--become")
    intents = "/var/lib/diagctl/reboot-intents.jsonl"
    by_plain = {e["source"]: e for e in plain["data"]["evidence_completeness"]}
    by_become = {e["source"]: e for e in become["data"]["evidence_completeness"]}
    assert by_plain["intents"] == {
        "source": "intents",
        "state": "error",
        "reason": f"permission denied: [Errno 13] Permission denied: '{intents}'",
    }
    assert by_become["intents"] == {"source": "intents", "state": "ok", "reason": ""}
    # The intents file is the only source whose state differs.
    assert {k: v for k, v in by_plain.items() if k != "intents"} == {
        k: v for k, v in by_become.items() if k != "intents"
    }
    caps = _captures(tmp_path / "become", name)
    assert (caps["intents"]["rc"], caps["intents"]["stdout"]) == (0, json.dumps(INTENT) + "\n")
    assert json.loads(caps["facts"]["stdout"])["euid"] == 0
    facts = json.loads(_captures(tmp_path / "plain", name)["facts"]["stdout"])
    assert facts["euid"] == pwd.getpwnam(priv_host.ok).pw_uid
    # The recorded --become run replays to the same verdict without touching the host.
    again = _diagctl("reset-reason", "--replay", str(tmp_path / "become"), "--json")
    replayed = json.loads(again.stdout)
    assert (replayed["data"], replayed["findings"]) == (become["data"], become["findings"])


REFUSED = [
    {
        "code": "become_failed",
        "message": "sudo needs a password on this host (sudo -n)",
        "hint": "give the SSH user passwordless sudo (a NOPASSWD sudoers rule) or log in as root",
    }
]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("command", ["bundle", "reset-reason"])
def test_sudo_wanting_a_password_is_one_clear_failure_and_the_password_never_shows(
    priv_host: PrivHost, tmp_path: Path, command: str
) -> None:
    out = tmp_path / "out"
    res = priv_host.run(priv_host.pw, command, "--become", "--json", "--out", str(out))
    assert res.returncode == 4, res.stdout + res.stderr  # a host that could not be run: exit 4
    env = json.loads(res.stdout)
    assert (env["kind"], env["status"], env["ok"]) == (
        command.replace("-", "_"),
        "unreachable",
        False,
    )
    assert (env["findings"], env["errors"]) == ([], REFUSED)
    assert env["duration_ms"] < 10_000, "sudo -n answers at once; it never waits for a password"
    if command == "bundle":
        assert env["data"]["problem"] == "become_failed: " + REFUSED[0]["message"]
        assert (env["data"]["path"], env["data"]["complete"]) == ("", False)
        assert not list(out.rglob("*.tar.gz")), "nothing may land that looks like a bundle"
    assert PASSWORD.encode() not in _everything(out, res.stdout, res.stderr)
