"""CLI contract of the SSH options: usage errors are one line and exit 2, before any SSH."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli import cli
from diag.cli.render import with_progress
from diag.payload import SH_ARGV, build_for, build_python, build_sh


@pytest.mark.parametrize(
    "args, msg",
    [
        (["-H", "a:99999"], "port out of range"),
        (["-H", "a", "--local"], "exclude each other"),
        (["-H", "a", "-i", "{inv}"], "exclude each other"),
        (["-i", "{inv}", "--limit", "nomatch"], "matches no host"),
        (["-i", "{bad}"], "not valid YAML"),
        (["-i", "{missing}"], "No such file"),
        (["-H", "a", "--identity", "{missing}"], "--identity"),
        (["-H", "a", "--jump", "a,b"], "only one jump host"),
        ([], "say which hosts"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], msg: str) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text("hosts:\n  gpu-1: {address: 192.0.2.1}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("hosts: [unclosed\n")
    subst = {"{inv}": str(inv), "{bad}": str(bad), "{missing}": str(tmp_path / "nope")}
    argv = ["health", *(subst.get(a, a) for a in args)]
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 2, res.output
    assert msg in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_help_lists_the_contract_options() -> None:
    out = CliRunner().invoke(cli, ["health", "--help"]).output
    for opt in ("-H, --hosts", "-i, --inventory", "--identity", "--known-hosts", "--accept-new",
                "--forks", "--timeout", "--out", "--transport", "--limit", "--jump",
                "--ssh-config"):  # fmt: skip
        assert opt in out


def test_ssh_runs_send_the_sh_wrapper() -> None:
    assert build_for(SH_ARGV) is build_sh
    assert build_for(("python3", "-I", "-")) is build_python


def test_progress_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[object] = []
    emit = seen.append
    assert with_progress(emit, 10) is emit  # stderr is not a TTY under pytest


def _nopy_path(tmp_path: Path) -> str:
    import os
    import shutil

    d = tmp_path / "bin"
    d.mkdir()
    for tool in ("sh", "cat", "head", "tail", "wc", "awk", "mawk", "tr", "stat", "df", "uname",
                 "id", "getconf", "date"):  # fmt: skip
        real = shutil.which(tool, path="/usr/bin:/bin")
        if real:
            (d / tool).symlink_to(os.path.realpath(real))
    return str(d)


def test_sh_fallback_json_escapes_hostile_bytes(tmp_path: Path) -> None:
    """The sh payload (run here by the real /bin/sh, without python3 on PATH) must print
    valid JSON for any file content: quotes, backslashes, control bytes, bad UTF-8, NUL."""
    import subprocess

    from diag.checks.base import Source
    from diag.hostcheck import parse_payload

    nasty = b'a"b\\c\td\re\x01f\x1fg\n{"x": 1}\n\xff\xfeh\x00i\n%s %d\n'
    f = tmp_path / 'it\'s a "file"; $(echo no)'
    f.write_bytes(nasty)
    srcs = [
        Source("nasty", "file", path=str(f), cap=1024),
        Source("cut", "file", path=str(f), cap=5),
        Source("gone", "file", path=str(tmp_path / "missing")),
        Source("cmd", "cmd", argv=("timedatectl", "show")),
        Source("sv", "statvfs", paths=("/",)),
        Source("facts", "facts"),
    ]
    script = build_sh(srcs, 10.0)
    res = subprocess.run(
        ["/bin/sh", "-s"], input=script, capture_output=True, timeout=30,
        env={"PATH": _nopy_path(tmp_path)},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    doc, _ = parse_payload(res.stdout)
    assert doc.mode == "sh"
    caps = doc.captures
    want = nasty.replace(b"\x00", b"").rstrip(b"\n").decode("utf-8", "replace")
    assert caps["nasty"].stdout == want and caps["nasty"].source == str(f)
    assert caps["cut"].stdout == 'a"b\\c' and caps["cut"].truncated_bytes == len(nasty) - 5
    assert caps["gone"].error == "missing"
    assert caps["cmd"].error == "unsupported"
    path, frsize, blocks, *_ = caps["sv"].stdout.split("\t")
    assert path == "/" and int(frsize) > 0 and int(blocks) > 0
    import json

    assert json.loads(caps["facts"].stdout)["python"] == ""


def test_progress_line_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from schemas.envelope import Envelope, HostRef, Status

    err = io.StringIO()
    err.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", err)
    seen: list[Envelope] = []
    emit = with_progress(seen.append, 2)
    for st in (Status.PASS, Status.UNREACHABLE):
        emit(Envelope(kind="k", tool_version="0", host=HostRef(name="h"), ok=False, status=st,
                      collected_at="t", duration_ms=0))  # fmt: skip
    assert len(seen) == 2
    assert err.getvalue().endswith("[2/2] pass 1 unreachable 1\n")
