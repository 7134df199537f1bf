"""The reset collector's pieces the in-process run relies on (diag/payload/inproc.py).

- `_which` is shutil.which on POSIX (the collector no longer imports shutil), over a table of
  PATH shapes and files;
- `document(spec)` in this process gives the same document the child prints (times aside);
- a run that outlives its timeout is a `timeout` result and its command is killed, not left
  behind; a collector that raises is exit 1 with its traceback, as a child's would be.
Real files, real commands, real threads; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diag.payload import local_argv, local_path
from diag.payload.inproc import InProcess, InProcessLocal, running
from diag.reset.sources import build_local, payload_spec

COLLECTOR = local_path("reset_collector.py")


def _collector() -> dict[str, object]:
    ns: dict[str, object] = {"__name__": "__diagctl_payload__"}
    exec(compile(Path(COLLECTOR).read_text(), COLLECTOR, "exec"), ns)
    return ns


@pytest.fixture
def bins(tmp_path: Path) -> Path:
    for d in ("a", "b", "c"):
        (tmp_path / d).mkdir()
    for path, mode in (("a/tool", 0o644), ("b/tool", 0o755), ("c/other", 0o755)):
        (tmp_path / path).write_text("#!/bin/sh\n")
        (tmp_path / path).chmod(mode)
    (tmp_path / "c" / "tool").mkdir()  # a directory of that name is not it
    return tmp_path


@pytest.mark.parametrize(
    "path_var,name",
    [
        ("{t}/a:{t}/b", "tool"),  # not executable in a/, executable in b/
        ("{t}/c:{t}/b", "tool"),  # a directory in c/
        ("{t}/a", "tool"),
        ("{t}/c", "other"),
        ("", "tool"),  # an empty PATH finds nothing
        (None, "sh"),  # no PATH: the system's default search path
        ("{t}/b", "{t}/b/tool"),  # a path is checked as it is
        ("{t}/b", "{t}/a/tool"),
        ("{t}/b", "{t}/c/tool"),
        ("{t}/b", "missing"),
        (":{t}/b", "tool"),  # an empty entry: the current directory
        ("{t}/b:{t}/b", "tool"),
    ],
)
def test_which_is_shutils(
    bins: Path, path_var: str | None, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    which = _collector()["_which"]
    if path_var is None:
        monkeypatch.delenv("PATH", raising=False)
    else:
        monkeypatch.setenv("PATH", path_var.format(t=bins))
    monkeypatch.chdir(bins / "b")
    name = name.format(t=bins)
    assert which(name) == shutil.which(name)  # type: ignore[operator]


def _without_times(doc: dict[str, object]) -> dict[str, object]:
    caps = {
        k: {f: v for f, v in c.items() if f != "duration_ms"}
        for k, c in doc["captures"].items()  # type: ignore[attr-defined]
    }
    facts = json.loads(caps["facts"]["stdout"])
    caps["facts"]["stdout"] = {k: v for k, v in facts.items() if k not in ("now_s", "uptime_s")}
    return {k: v for k, v in doc.items() if k != "duration_ms"} | {"captures": caps}


def test_in_process_document_is_what_the_child_prints(tmp_path: Path) -> None:
    intents = tmp_path / "intents.jsonl"
    intents.write_text('{"at": "2025-01-01T00:00:00Z", "action": "reboot"}\n')
    spec = payload_spec(7 * 86400, 20.0, str(intents))
    child = subprocess.run(
        local_argv(), input=build_local(7 * 86400, 20.0, str(intents)), capture_output=True,
        check=True, timeout=60,
    )  # fmt: skip
    payload = InProcess(COLLECTOR, spec)
    res = payload.result(30.0)
    assert res.exit_code == 0 and res.stderr == b"" and res.stdout.endswith(b"\n")
    here, there = json.loads(res.stdout), json.loads(child.stdout)
    assert _without_times(here) == _without_times(there)
    assert here["captures"]["intents"]["stdout"].startswith('{"at"')


def test_a_run_past_its_timeout_is_a_timeout_and_its_command_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`last` that never answers: the result is a timeout, and closing the transport kills it
    (no command outlives the run)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "pid"
    (bin_dir / "last").write_text(f"#!/bin/sh\necho $$ > {marker}\nexec sleep 30\n")
    (bin_dir / "last").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    entered = time.monotonic()
    with running(COLLECTOR, payload_spec(3600, 20.0, str(tmp_path / "none"))) as payload:
        # the run goes on once every job is started, not when they are done (nor after the
        # 0.5 s it would wait for a collector that never says so)
        assert time.monotonic() - entered < 0.4 and payload.ready.is_set()
        assert not payload.thread.join(0.05) and payload.thread.is_alive()
        transport = InProcessLocal(payload)
        t0 = time.monotonic()
        coro = transport.run(None, (), b"", 1.5)  # type: ignore[arg-type]
        with pytest.raises(StopIteration) as done:
            coro.send(None)
        res = done.value.value
        assert res.error == "timeout" and 1.4 < time.monotonic() - t0 < 10
    pid = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the hung command {pid} outlived the run")


def test_a_boot_list_that_raises_fails_the_run_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The boot chain runs in a thread of its own now; what it raises still ends the document
    (exit 1 with the traceback), as it did when it ran in line."""
    ns = _collector()

    def broken_facts() -> dict[str, object]:
        raise OSError("facts unreadable")

    ns["facts"] = broken_facts
    with pytest.raises(OSError, match="facts unreadable"):
        ns["document"](payload_spec(3600, 10.0, str(tmp_path / "none")))  # type: ignore[operator]


def test_a_collector_that_raises_is_exit_1_with_its_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "collector.py"
    broken.write_text("def document(spec, started):\n    raise RuntimeError('boom ' + spec['x'])\n"
                      "def abort():\n    pass\n")  # fmt: skip
    res = InProcess(str(broken), {"x": "here"}).result(10.0)
    assert res.exit_code == 1 and res.stdout == b""
    assert b"RuntimeError: boom here" in res.stderr and b"Traceback" in res.stderr


def test_the_fast_path_never_starts_a_child_python(tmp_path: Path) -> None:
    """`reset-reason --local` (the fast path) runs the collector in its own process: the only
    processes it starts are the collector's commands, none of them an interpreter."""
    log = tmp_path / "execs"
    code = (
        "import sys, subprocess, runpy\n"
        "real = subprocess.Popen.__init__\n"
        "def spy(self, args, *a, **k):\n"
        f"    open({str(log)!r}, 'a').write(repr(list(args)) + '\\n')\n"
        "    real(self, args, *a, **k)\n"
        "subprocess.Popen.__init__ = spy\n"
        "sys.argv = ['diagctl', 'reset-reason', '--local', '--json']\n"
        "from diag.cli.entry import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIAGCTL_")}  # no config:
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-config")  # the fast path answers
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, env=env)
    assert out.returncode in (0, 3), out.stderr.decode()[-2000:]
    assert json.loads(out.stdout)["kind"] == "reset_reason"
    started = log.read_text().splitlines() if log.exists() else []
    assert not [a for a in started if "python" in a.split(",")[0]], started
