"""`health --local` starts its payload before loading the checks (diag/payload/early.py): the
recorded captures equal the registry's, a byte-identical payload is adopted (one process, its
deadline counted from its start), anything else is killed and replaced, an uncollected one is
killed on the way out and on SIGTERM, and the envelope still validates against the committed
JSON Schema. Real subprocesses and real signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from diag.checks import REGISTRY, sources_for
from diag.fleet.blocking import drive as _drive
from diag.payload import build_local, local_argv, payload_deadline
from diag.payload.early import CAPTURES_FILE, default_program, hand_over, started_early
from diag.transport.base import Target
from diag.transport.local import BlockingLocal
from diag.transport.replay import ReplayTransport
from diag.transport.spawn import start, stop
from tests.support.exit_report import report_on_exit

ROOT = Path(__file__).parents[3]
SCHEMAS = ROOT / "schemas" / "json"
T = Target(name="t")


def _gone(pid: int) -> bool:
    """Dead: no such process, or a zombie waiting for init."""
    end = time.monotonic() + 5
    while time.monotonic() < end:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def test_recorded_captures_are_the_registrys(request: pytest.FixtureRequest) -> None:
    want = [s.spec() for s in sources_for(list(REGISTRY.values()))]
    if request.config.getoption("--regen"):
        Path(CAPTURES_FILE).write_text(json.dumps(want, indent=1) + "\n")
    assert json.loads(Path(CAPTURES_FILE).read_text()) == want, "rerun this test with --regen"


@pytest.mark.parametrize("timeout", [1.0, 2.5, 30.0, 600.0])
def test_default_program_is_byte_identical_to_what_the_checks_build(timeout: float) -> None:
    checks = sources_for(list(REGISTRY.values()))
    assert default_program(timeout) == build_local(checks, payload_deadline(timeout))


def test_a_matching_payload_is_adopted_not_started_again() -> None:
    argv = ("sh", "-c", "echo $$; cat")
    early = start(argv, b"sent early\n")
    assert early is not None
    t = BlockingLocal(early)
    res = _drive(t.run(T, argv, b"sent early\n", 10.0))
    assert res.exit_code == 0 and res.error is None
    assert res.stdout == f"{early.proc.pid}\nsent early\n".encode()
    assert (t.early, t.adopted_t0) == (None, early.t0)


@pytest.mark.parametrize(
    "argv,stdin",
    [(("sh", "-c", "echo $$; cat"), b"other\n"), (("sh", "-c", "echo $$;  cat"), b"x\n")],
)
def test_a_different_payload_kills_the_early_one_and_runs_its_own(
    argv: tuple[str, ...], stdin: bytes
) -> None:
    early = start(("sh", "-c", "echo $$; cat; sleep 30"), b"x\n")
    assert early is not None
    t = BlockingLocal(early)
    res = _drive(t.run(T, argv, stdin, 10.0))
    pid = int(res.stdout.split(b"\n")[0])
    assert pid != early.proc.pid and res.stdout == f"{pid}\n".encode() + stdin
    assert t.adopted_t0 is None and _gone(early.proc.pid)


def test_the_deadline_counts_from_the_early_start() -> None:
    early = start(("sh", "-c", "sleep 30"), b"")
    assert early is not None
    while time.monotonic() - early.t0 < 1.0:  # the checks "load" for 1 s
        time.sleep(0.05)
    t0 = time.monotonic()
    res = _drive(BlockingLocal(early).run(T, ("sh", "-c", "sleep 30"), b"", 1.5))
    assert (res.exit_code, res.error, res.message) == (None, "timeout", "no result within 1.5 s")
    assert time.monotonic() - t0 < 1.2  # 0.5 s were left, not 1.5
    assert _gone(early.proc.pid)


def test_an_early_payload_that_cannot_start_is_left_to_the_run() -> None:
    assert start(("/nonexistent/python3",), b"") is None


def test_close_kills_an_unadopted_payload() -> None:
    early = start(("sh", "-c", "sleep 30"), b"")
    assert early is not None
    t = BlockingLocal(early)
    _drive(t.close())
    assert t.early is None and _gone(early.proc.pid)


def test_hand_over_only_to_the_local_transport(tmp_path: Path) -> None:
    early = start(("sh", "-c", "sleep 30"), b"")
    assert early is not None
    try:
        t = BlockingLocal()
        hand_over(early, t)
        assert t.early is early
        replay = ReplayTransport(tmp_path)
        hand_over(early, replay)
        assert not hasattr(replay, "early")
    finally:
        stop(early)
    assert _gone(early.proc.pid)


def test_started_early_kills_what_no_run_collected_and_gives_sigterm_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(RuntimeError), started_early(default_program(30.0)) as early:
        assert early is not None and early.argv == local_argv()
        assert signal.getsignal(signal.SIGTERM) is not before
        raise RuntimeError("a usage error before the run")
    assert early is not None and _gone(early.proc.pid)
    assert signal.getsignal(signal.SIGTERM) == before


def test_started_early_not_wanted_starts_nothing() -> None:
    with started_early(None) as early:
        assert early is None


SIGTERMED = """
import os, signal, sys, time
import diag.payload.early as early
with early.started_early(b"import time; time.sleep(30)") as e:
    print(e.proc.pid, flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(10)
print("not reached", flush=True)
"""


def test_sigterm_before_the_run_kills_the_payload_and_still_ends_diagctl() -> None:
    res = subprocess.run(
        [sys.executable, "-c", SIGTERMED], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == -signal.SIGTERM, res.stderr[-2000:]
    (pid,) = res.stdout.split()
    assert _gone(int(pid))


WRAPPER = report_on_exit('sys.stderr.write("STARTS %s\\n" % starts)')
WRAPPER += """
import runpy, subprocess
starts = []
class Counting(subprocess.Popen):
    def __init__(self, args, *a, **k):
        starts.append(list(args)[1:])
        super().__init__(args, *a, **k)
subprocess.Popen = Counting
sys.argv = ["diagctl", *sys.argv[1:]]
runpy.run_module("diag.cli", run_name="__main__")
"""


@pytest.mark.parametrize(
    "command,kinds",
    [("health", ("health.l1", "envelope")), ("reset-reason", ("reset_reason", "envelope"))],
)
def test_local_run_starts_one_payload_and_its_envelope_validates(
    command: str, kinds: tuple[str, ...]
) -> None:
    """The whole CLI in a subprocess: exactly one process started (the early payload, adopted:
    a second start would show here), and the envelope it prints validates against the
    committed JSON Schemas (the run builds it without re-validating; it is validated here)."""
    res = subprocess.run(
        [sys.executable, "-c", WRAPPER, command, "--local", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode in (0, 3, 6), res.stderr[-2000:]
    assert f"STARTS {[list(local_argv()[1:])]}" in res.stderr
    (line,) = res.stdout.splitlines()
    env = json.loads(line)
    for kind in kinds:
        schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text())
        jsonschema.Draft202012Validator(schema).validate(env)
    assert env["data"]["payload_ms"] <= env["duration_ms"]
