"""The reset collector's pieces the in-process run relies on (diag/payload/inproc.py).

- `_which` is shutil.which on POSIX (the collector no longer imports shutil), over a table of
  PATH shapes and files;
- `document(spec)` in this process gives the same document the child prints (times aside);
- a run that outlives its timeout is a `timeout` result and its command is killed, not left
  behind; a collector that raises is exit 1 with its traceback, as a child's would be;
- SIGTERM before the run kills the commands and still ends diagctl by the signal; SIGINT or
  SIGTERM mid-run (the whole fast path, no config) is one `interrupted` envelope, exit 130.
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


def _hung_last(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `last` records its pid and hangs, and that file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "pid"
    (bin_dir / "last").write_text(f"#!/bin/sh\necho $$ > {marker}\nexec sleep 30\n")
    (bin_dir / "last").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIAGCTL_")}
    env |= {"PATH": f"{bin_dir}:{env['PATH']}", "XDG_CONFIG_HOME": str(tmp_path / "no-cfg")}
    return env, marker


def _pid_from(marker: Path) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text())
        time.sleep(0.02)
    pytest.fail("the command never started")


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


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
    env, marker = _hung_last(tmp_path)
    monkeypatch.setenv("PATH", env["PATH"])
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
    assert _gone(_pid_from(marker)), "the hung command outlived the run"


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


@pytest.mark.parametrize(
    "source", ["def document(:\n", "import no_such_module_here\n", "raise SystemError('x')\n"]
)
def test_a_collector_that_cannot_load_is_exit_1_not_a_crash(tmp_path: Path, source: str) -> None:
    """A collector that does not even load (a broken install) is the run's exit 1 with the
    traceback, which the model path turns into this host's envelope; never an exception out
    of diagctl, and nothing to abort."""
    broken = tmp_path / "collector.py"
    broken.write_text(source)
    with running(str(broken), {}) as payload:
        res = payload.result(5.0)
    assert res.exit_code == 1 and res.stdout == b"" and b"Traceback" in res.stderr


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


SIGTERMED = """
import os, signal, sys, time
from diag.payload import local_path
from diag.payload.inproc import running
from diag.reset.sources import payload_spec
with running(local_path("reset_collector.py"), payload_spec(3600, 20.0, "/nonexistent")):
    print("running", flush=True)
    while not os.path.exists(sys.argv[1]):
        time.sleep(0.02)
    time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(10)
print("not reached", flush=True)
"""


def test_sigterm_before_the_run_kills_the_commands_and_still_ends_diagctl(
    tmp_path: Path,
) -> None:
    env, marker = _hung_last(tmp_path)
    res = subprocess.run(
        [sys.executable, "-c", SIGTERMED, str(marker)],
        capture_output=True, text=True, timeout=60, env=env, cwd=Path(__file__).parents[3],
    )  # fmt: skip
    assert res.returncode == -15, res.stderr[-2000:]  # SIGTERM's default action
    assert res.stdout == "running\n"
    assert _gone(_pid_from(marker))


@pytest.mark.parametrize("signum", [2, 15])  # SIGINT, SIGTERM
def test_signal_mid_run_leaves_one_interrupted_envelope_and_no_command(
    tmp_path: Path, signum: int
) -> None:
    """The whole fast path (`reset-reason --local --json`, no config): a signal while `last`
    hangs is one `interrupted` envelope, exit 130, and the hung command killed."""
    env, marker = _hung_last(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "diag.cli", "reset-reason", "--local", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=Path(__file__).parents[3],
    )  # fmt: skip
    pid = _pid_from(marker)
    time.sleep(0.3)  # the judging code loads and the run waits for the collector
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()[-2000:]
    (line,) = out.decode().splitlines()
    env_doc = json.loads(line)
    assert (env_doc["kind"], env_doc["status"], env_doc["ok"]) == ("reset_reason", "unknown", False)
    assert env_doc["errors"] == [
        {
            "code": "interrupted",
            "message": "interrupted before this host finished",
            "hint": "rerun for this host",
        }
    ]
    assert _gone(pid)


def test_after_abort_no_command_starts(tmp_path: Path) -> None:
    """A job that reaches its command after the run was aborted starts nothing (its thread
    would not outlive diagctl to reap it)."""
    ns = _collector()
    ns["abort"]()  # type: ignore[operator]
    t0 = time.monotonic()
    res = ns["run"](["sleep", "5"])  # type: ignore[operator]
    assert time.monotonic() - t0 < 1
    assert (res["error"], res["detail"], res["rc"]) == (
        "timeout",
        "not started: the run was aborted",
        None,
    )
