"""The bundle payload as it travels: redaction (and its agreement with diag/redact.py), caps,
the manifest, and the jump host's verification of what arrives."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from diag import redact
from diag.bundle_land import BundleInvalid, Landing, verify
from diag.bundle_payload import BundleOptions, bundle_source, program
from diag.payload import bundle_redact as host
from schemas.bundle import Manifest


def payload_ns() -> dict[str, Any]:
    """The program exactly as it travels, loaded without running main()."""
    ns: dict[str, Any] = {"__name__": "bundle_payload"}
    exec(compile(bundle_source(), "<bundle>", "exec"), ns)
    return ns


def test_host_patterns_mirror_diag_redact() -> None:
    assert host.SECRET_NAMES == redact.SECRET_NAMES
    for name in ("_USERINFO", "_PARAM", "_HEADER", "_PAIR", "_SCHEME_TOKEN"):
        assert getattr(host, name).pattern == getattr(redact, name).pattern, name
    assert host.MASK == redact.MASK


@pytest.mark.parametrize(
    "line",
    [
        "GET https://bob:s3cretpw@example.com/x?api_key=abc123&page=2",
        "Authorization: Bearer eyabcdefghijkl",
        'payload {"password": "hunter2", "user": "bob"}',
        "Cookie: sid=1234567",
    ],
)
def test_host_redaction_agrees_with_diag_redact_on_shared_shapes(line: str) -> None:
    assert host.redact_text(line)[0] == redact.text(line)


@pytest.mark.parametrize(
    "line,expected,count",
    [
        ("DB_PASSWORD=hunter2 rest", "DB_PASSWORD=*** rest", 1),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", "aws_secret_access_key = ***", 1),
        ("key id AKIAIOSFODNN7EXAMPLE used", "key id *** used", 1),
        ("Cookie: session=abc", "Cookie: ***", 2),  # two masks: the pair, then the header
        ("set-cookie: a=b", "set-cookie: ***", 1),
        ("curl -H 'Cookie: sid=1234567'", "curl -H 'Cookie: ***'", 1),  # diag.redact misses it
        ("tok ghp_0123456789abcdefghijklmnopqrstuvwxyz", "tok ***", 1),
        ("hf hf_abcdefghijklmnopqrstuvwxyzABCDEF", "hf ***", 1),
        ("jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4", "jwt ***", 1),
        ("tokens_per_second=120", "tokens_per_second=***", 1),  # the safe side: over-masking
        ("gpu 0 temp=71 power=300", "gpu 0 temp=71 power=300", 0),
        ("NMI watchdog: Enabled", "NMI watchdog: Enabled", 0),
    ],
)
def test_host_redaction_table(line: str, expected: str, count: int) -> None:
    assert host.redact_text(line) == (expected, count)


def test_private_key_block_masked_even_when_cut() -> None:
    text = (
        "a\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n"
        "-----END OPENSSH PRIVATE KEY-----\nz"
    )
    assert host.redact_text(text) == ("a\n-----BEGIN OPENSSH PRIVATE KEY----- ***\nz", 1)
    cut = "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow"
    assert host.redact_text(cut) == ("x\n-----BEGIN RSA PRIVATE KEY----- ***", 1)


def test_non_utf8_bytes_pass_through_unchanged() -> None:
    ns = payload_ns()
    data = b"\xff\xfe bad bytes token=abc \x80"
    assert ns["redact_bytes"](data) == (b"\xff\xfe bad bytes token=*** \x80", 1)
    assert ns["redact_bytes"](b"\xff plain") == (b"\xff plain", 0)


@pytest.mark.parametrize(
    "size,cap,keep,kept,dropped",
    [
        (10, 10, "head", b"0123456789", 0),
        (11, 10, "head", b"0123456789", 1),
        (11, 10, "tail", b"123456789A", 1),
        (9, 10, "tail", b"012345678", 0),
    ],
)
def test_file_caps(
    tmp_path: Path, size: int, cap: int, keep: str, kept: bytes, dropped: int
) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"0123456789A"[:size])
    assert payload_ns()["read_file"](str(f), cap, keep) == (kept, dropped, "")


def test_command_tail_cap_and_missing_tool() -> None:
    ns = payload_ns()
    data, dropped, rc, error, _ = ns["run_cmd"](["seq", "1", "100000"], 12, "tail", 10)
    assert (data, rc, error) == (b"99999\n100000\n"[-12:], 0, "")
    assert dropped == len(b"".join(b"%d\n" % i for i in range(1, 100001))) - 12
    assert ns["run_cmd"](["no-such-tool-xyz"], 10, "head", 5)[:4] == (
        b"",
        0,
        None,
        "missing: no-such-tool-xyz is not installed",
    )


def test_command_that_hangs_is_killed_and_recorded() -> None:
    data, _, rc, error, _ = payload_ns()["run_cmd"](
        ["sh", "-c", "echo hi; sleep 30"], 100, "head", 1
    )
    assert (data, rc, error) == (b"hi\n", None, "timed out after 1s; kept what it printed")


def run_program(tmp_path: Path, opts: BundleOptions) -> Path:
    out = tmp_path / "b.tar.gz"
    with out.open("wb") as fh:
        subprocess.run(
            [sys.executable, "-I", "-"], input=program(opts), stdout=fh, check=True, timeout=120
        )
    return out


def test_whole_program_caps_total_and_lists_what_was_cut(tmp_path: Path) -> None:
    """Two runs on this machine: what earlier artifacts (journal, dmesg, lspci...) weigh here is
    the machine's, so the per-artifact cap and redaction are pinned under an ample total cap,
    and the total cap on its own (what it skips depends on what came before it)."""
    big = tmp_path / "flood.log"
    big.write_bytes(b"line\n" * 200_000)  # 1 MB
    secret = tmp_path / "app.env"
    secret.write_text("API_TOKEN=sk-live-123456\nok=1\n")
    files = (str(secret), str(big))
    ample = BundleOptions(artifact_cap=4096, total_cap=1 << 30, files=files, l1=False)
    by = {f.path: f for f in verify(run_program(tmp_path, ample)).files}
    app = by["files" + str(secret)]
    assert (app.bytes, app.redactions, app.status) == (len("API_TOKEN=***\nok=1\n"), 1, "ok")
    flood = by["files" + str(big)]
    assert (flood.bytes, flood.truncated_bytes) == (4096, 1_000_000 - 4096)

    tight = BundleOptions(artifact_cap=4096, total_cap=6000, files=files, l1=False)
    m = verify(run_program(tmp_path, tight))
    assert m.caps.model_dump() == {
        "artifact_cap": 4096,
        "total_cap": 6000,
        "command_timeout_s": 30.0,
    }
    assert sum(f.bytes for f in m.files) <= 6000
    assert all(f.bytes <= 4096 for f in m.files)
    skipped = [f for f in m.files if f.status == "skipped"]
    assert skipped and all((f.bytes, f.error) == (0, "total cap reached") for f in skipped)
    last = m.files[-1]  # the 1 MB flood comes last and never fits in what is left
    assert (last.path, last.status) == ("files" + str(big), "skipped")


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _manifest(files: list[tuple[str, bytes]], complete: bool = True) -> bytes:
    entry = {
        "source": "x",
        "status": "ok",
        "exit_code": 0,
        "duration_ms": 1,
        "keep": "head",
        "truncated_bytes": 0,
        "redactions": 0,
        "error": "",
    }
    doc = {
        "manifest_version": 1,
        "host": {"hostname": "h", "kernel": "k", "arch": "x86_64", "boot_id": "b"},
        "created_at": "2026-01-01T00:00:00Z",
        "duration_ms": 5,
        "caps": {"artifact_cap": 10, "total_cap": 20, "command_timeout_s": 1.0},
        "since_hours": 24.0,
        "remote_path": "",
        "complete": complete,
        "files": [
            {**entry, "path": p, "bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()}
            for p, d in files
        ],
    }
    return json.dumps(doc).encode()


GOOD = [("a.txt", b"alpha"), ("b/c.txt", b"beta")]


@pytest.mark.parametrize(
    "members,problem",
    [
        ([*GOOD, ("manifest.json", _manifest(GOOD))], ""),
        ([GOOD[0], ("manifest.json", _manifest(GOOD))], "b/c.txt: missing from the tar"),
        ([*GOOD, ("manifest.json", _manifest(GOOD[:1]))], "b/c.txt: not in the manifest"),
        (
            [("a.txt", b"alphX"), GOOD[1], ("manifest.json", _manifest(GOOD))],
            "a.txt: sha256/size differ from the manifest",
        ),
        (
            [*GOOD, ("manifest.json", _manifest(GOOD, complete=False))],
            "manifest.json says the bundle is not complete",
        ),
        ([*GOOD], "no manifest.json: the stream ended before it"),
        ([("manifest.json", _manifest([])), ("late", b"x")], "member 'late' after manifest.json"),
        (
            [("../x", b""), ("manifest.json", _manifest([]))],
            "member '../x' is not a plain relative file",
        ),
        ([*GOOD, ("manifest.json", b'{"manifest_version": 1, "bogus": 1}')], None),
    ],
)
def test_verify_table(
    tmp_path: Path, members: list[tuple[str, bytes]], problem: str | None
) -> None:
    path = tmp_path / "b.tar.gz"
    path.write_bytes(_tar(members))
    if problem == "":
        assert isinstance(verify(path), Manifest)
        return
    with pytest.raises(BundleInvalid) as exc:
        verify(path)
    if problem is None:
        assert str(exc.value).startswith("manifest.json invalid: ")
    else:
        assert str(exc.value) == problem


def test_cut_stream_lands_incomplete_never_complete(tmp_path: Path) -> None:
    whole = _tar([*GOOD, ("manifest.json", _manifest(GOOD))])
    for cut in (len(whole) - 1, len(whole) // 2, 10):
        land = Landing(tmp_path / f"h{cut}", "T", 1 << 20)
        land.open()
        land.write(whole[:cut])
        path, manifest, problem = land.seal("")
        assert path == land.incomplete and manifest is None
        assert problem.startswith(("cut short or corrupt", "no manifest.json"))
        assert path.read_bytes() == whole[:cut]
        assert not land.final.exists() and not land.partial.exists()


def test_whole_stream_lands_complete(tmp_path: Path) -> None:
    whole = _tar([*GOOD, ("manifest.json", _manifest(GOOD))])
    land = Landing(tmp_path, "T", 1 << 20)
    land.open()
    land.write(whole)
    path, manifest, problem = land.seal("")
    assert (path, problem) == (tmp_path / "bundle-T.tar.gz", "")
    assert manifest is not None and [f.path for f in manifest.files] == ["a.txt", "b/c.txt"]


def test_stream_over_the_byte_limit_is_stopped(tmp_path: Path) -> None:
    from diag.bundle_stream import StopStream

    land = Landing(tmp_path, "T", 10)
    land.open()
    with pytest.raises(StopStream, match="host sent more than 10 bytes; stream stopped"):
        land.write(b"x" * 11)
    path, manifest, problem = land.seal("")
    assert (path, manifest, problem) == (None, None, "host sent more than 10 bytes; stream stopped")


def test_full_disk_leaves_nothing_that_looks_complete(tmp_path: Path) -> None:
    """/dev/full answers every write with ENOSPC, like a full --out disk."""
    from diag.bundle_stream import StopStream

    land = Landing(tmp_path, "T", 1 << 20)
    land.open()
    assert land.fh is not None
    land.fh.close()
    land.fh = open("/dev/full", "wb", buffering=0)  # noqa: SIM115 - closed by seal()
    with pytest.raises(StopStream, match="No space left on device"):
        land.write(b"x" * 100)
    path, manifest, problem = land.seal("")
    assert manifest is None and path is None
    assert problem == f"cannot write {land.partial}: No space left on device"
    assert not land.final.exists()


@pytest.mark.parametrize(
    "argv,message",
    [
        (["bundle", "--local"], "--out DIR is required: bundles land in DIR/hosts/<host>/"),
        (["bundle", "--local", "--out", "OUT", "--file", "rel.log"],
         "--file 'rel.log': give an absolute path on the host"),
        (["bundle", "--out", "OUT"], "say which hosts: -H HOST[,HOST...], -i INVENTORY or --local"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, argv: list[str], message: str) -> None:
    from click.testing import CliRunner

    from diag.cli.main import cli

    argv = [str(tmp_path / "o") if a == "OUT" else a for a in argv]
    r = CliRunner().invoke(cli, argv)
    assert r.exit_code == 2
    assert r.output.strip().splitlines()[-1].endswith(message)
