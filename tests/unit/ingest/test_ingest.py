"""`diagctl ingest` on collections laid out by hand as the playbooks' action plugin writes them:
records, failures, incomplete fetches and documents it must refuse."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from diag.artifacts import host_dirname
from diag.cli.main import cli
from diag.ingest import classify
from tests.support import ingest_dirs


def record(name: str, **kw: Any) -> dict[str, Any]:
    """A collected.json that lists no raw files (tests/support/ingest_dirs.py builds them)."""
    return ingest_dirs.record(name, {}, **kw)


def write(root: Path, name: str, doc: dict[str, Any] | None, raw: dict[str, bytes]) -> Path:
    hdir = root / "hosts" / host_dirname(name)
    (hdir / "raw").mkdir(parents=True)
    for fname, data in raw.items():
        (hdir / "raw" / fname).write_bytes(data)
    if doc is not None:
        if not doc["raw"]:
            doc["raw"] = {
                f: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                for f, d in raw.items()
            }
        (hdir / "collected.json").write_text(json.dumps(doc))
    return hdir


def ingest(*argv: str) -> tuple[int, list[dict[str, Any]], str]:
    res = CliRunner().invoke(cli, ["ingest", "--json", *argv])
    lines = [json.loads(ln) for ln in res.stdout.splitlines() if ln.startswith("{")]
    for env in lines:
        env["duration_ms"] = 0  # the judging time on this machine: the one varying field
    return res.exit_code, lines, res.stderr


FACTS = {"hostname": "", "kernel": "", "arch": "", "python": "", "cpu_count": 0, "boot_id": "",
         "uptime_s": 0.0, "os_pretty_name": ""}  # fmt: skip


def failed_envelope(
    name: str, address: str, status: str, code: str, msg: str, hint: str
) -> dict[str, Any]:
    """The whole envelope of a host that yielded no payload document."""
    return {
        "schema_version": "1.3",
        "kind": "health.l1",
        "tool": "diagctl",
        "tool_version": __import__("diag").__version__,
        "host": {"name": name, "address": address, "host_id": "", "host_id_source": "", "hostname": ""},  # noqa: E501
        "ok": False,
        "status": status,
        "summary": {"total": 0, "passed": 0, "warn": 0, "fail": 0, "unknown": 0, "error": 0,
                    "not_applicable": 0},
        "findings": [],
        "errors": [{"code": code, "message": msg, "hint": hint}],
        "truncated": {"cap_bytes": 0, "fields": [], "findings_dropped": 0, "captures": {}},
        "collected_at": "2025-01-02T03:04:05.678Z",
        "duration_ms": 0,
        "replayed": None,
        "data": {"host_class": "", "payload_mode": "", "payload_ms": 0, "facts": FACTS, "checks": [], "inventory": None},  # noqa: E501
    }  # fmt: skip


REFUSED = "Failed to connect to the host via ssh: ssh: connect to host 10.0.0.7 port 22: Connection refused"  # noqa: E501
HINT_UNREACHABLE = "connection refused or no route; is sshd running and the port right?"
HINT_TRANSPORT = "see the message; rerun with --debug for details"


def test_unreachable_host_gets_an_envelope(tmp_path: Path) -> None:
    write(tmp_path, "n1", record("n1", outcome="unreachable", rc=None, message=REFUSED), {})
    code, envs, err = ingest(str(tmp_path))
    want = failed_envelope("n1", "10.0.0.7", "unreachable", "unreachable", f"(ansible) {REFUSED}",
                           HINT_UNREACHABLE)  # fmt: skip
    assert (code, envs, err) == (4, [want], "")


def test_timed_out_task_gets_a_timeout_envelope(tmp_path: Path) -> None:
    msg = "The diagctl_payload action failed to execute in the expected time frame (45) and was terminated"  # noqa: E501
    write(tmp_path, "n1", record("n1", outcome="failed", rc=None, message=msg), {})
    code, envs, _ = ingest(str(tmp_path))
    want = failed_envelope("n1", "10.0.0.7", "unreachable", "timeout", f"(ansible) {msg}",
                           "host slow or unreachable; raise --timeout or check the network path")  # fmt: skip  # noqa: E501
    assert (code, envs) == (4, [want])


def test_partial_fetch_is_incomplete(tmp_path: Path) -> None:
    """The record lists 20 bytes of stdout; only 7 arrived: never judged, an `error` envelope."""
    hdir = write(tmp_path, "n1", record("n1"), {"stdout.bin": b"{" * 20, "stderr.bin": b""})
    (hdir / "raw" / "stdout.bin").write_bytes(b"{" * 7)
    code, envs, _ = ingest(str(tmp_path))
    msg = "incomplete fetch: raw/stdout.bin has 7 bytes, collected.json lists 20 (or its sha256 differs)"  # noqa: E501
    assert (code, envs) == (
        1,
        [failed_envelope("n1", "10.0.0.7", "error", "transport", msg, HINT_TRANSPORT)],
    )


def test_missing_record_is_incomplete(tmp_path: Path) -> None:
    """The controller stopped before writing collected.json: the host still gets an envelope."""
    write(tmp_path, "gpu node/1", None, {"stdout.bin": b"{}"})
    write(tmp_path, "n2", record("n2", outcome="unreachable", rc=None, message=REFUSED), {})
    code, envs, _ = ingest(str(tmp_path))
    msg = "incomplete fetch: no usable collected.json (No such file or directory)"
    assert [e["host"]["name"] for e in envs] == ["gpu node/1", "n2"]
    want = failed_envelope("gpu node/1", "", "error", "transport", msg, HINT_TRANSPORT)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", envs[0]["collected_at"])
    want["collected_at"] = envs[0]["collected_at"]  # nothing recorded: when ingest judged it
    assert (code, envs[0]) == (4, want)


@pytest.mark.parametrize(
    "change,message",
    [
        ({"schema_version": "2.0"},
         "schema_version 2.0 is newer than this diagctl reads (1.0); upgrade diagctl on this host"),
        ({"schema_version": "1.7"}, None),  # a newer minor only adds what we may ignore: read
        ({"surprise": 1}, "surprise: Extra inputs are not permitted"),
        ({"outcome": "maybe"}, "outcome: Input should be 'ok', 'failed' or 'unreachable'"),
        ({"host": {"name": "other", "address": "a"}},
         "host.name 'other' does not belong in n1/"),
    ],
)  # fmt: skip
def test_bad_records_are_refused(
    tmp_path: Path, change: dict[str, Any], message: str | None
) -> None:
    doc = record("n1", outcome="unreachable", rc=None, message=REFUSED)
    doc.update(change)
    if message is None:
        doc.pop("schema_version")
        doc["schema_version"] = "1.7"
    write(tmp_path, "n1", doc, {})
    code, envs, err = ingest(str(tmp_path))
    if message is None:
        assert (code, len(envs)) == (4, 1)
        return
    path = tmp_path / "hosts" / "n1" / "collected.json"
    assert (code, envs, err) == (2, [], f"Error: {path}: {message}\n")


def test_kind_must_match(tmp_path: Path) -> None:
    write(tmp_path, "n1", record("n1", outcome="unreachable", rc=None, message=REFUSED), {})
    code, _, err = ingest(str(tmp_path), "--kind", "reset-reason")
    assert (code, err) == (
        2,
        f"Error: ingest {tmp_path}: holds health.l1 results, not reset_reason\n",
    )


def test_not_a_collection(tmp_path: Path) -> None:
    code, _, err = ingest(str(tmp_path))
    assert (code, err) == (
        2,
        f"Error: ingest {tmp_path}: no hosts/ directory (is this a playbook's out?)\n",
    )


@pytest.mark.parametrize(
    "message,kind",
    [
        ("@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@ ... Host key verification failed.",  # noqa: E501
         "host_key_changed"),
        ("No ED25519 host key is known for [10.0.0.7]:22 and you have requested strict checking.\r\n"  # noqa: E501
         "Host key verification failed.", "host_key_unknown"),
        ("root@10.0.0.7: Permission denied (publickey).", "auth"),
        ("ssh: connect to host 10.0.0.7 port 22: Connection timed out", "timeout"),
        ("ssh: connect to host 10.0.0.7 port 22: Connection refused", "unreachable"),
        ("ssh: connect to host 10.0.0.7 port 22: No route to host", "unreachable"),
        ("ssh: Could not resolve hostname nowhere: Name or service not known", "unreachable"),
        ("sudo: a password is required", "become_failed"),
        ("something else entirely", "transport"),
        ("", "transport"),
    ],
)  # fmt: skip
def test_classify(message: str, kind: str) -> None:
    assert classify(message) == kind
