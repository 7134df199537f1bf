"""`health --local` and `reset-reason --local` start their payload BEFORE the judging code is
imported, so that the two overlap: on a 2-GPU H200 the NVML capture alone is ~230 ms, and
importing the checks first (~60 ms) added its whole time to the run's. Each case runs in a fresh
interpreter (sys.modules starts empty) and records which judging modules were loaded at the
moment the payload process was started."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

JUDGING = ("diag.checks", "diag.fastpath.health", "diag.reset.judge", "diag.fastpath.reset_judge")

SPY = """
import json, sys
import diag.payload.early as early
seen = []
real = early.start
def spy(argv, program):
    seen.append(sorted(m for m in {judging!r} if m in sys.modules))
    return real(argv, program)
early.start = spy
from {module} import main
from {opts_module} import {opts}
main({opts}(timeout=30))
sys.stderr.write("SEEN " + json.dumps(seen) + "\\n")
"""


@pytest.mark.parametrize(
    ("module", "opts_module", "opts"),
    [
        ("diag.fastpath.run", "diag.fastpath.argv", "LocalHealth"),
        ("diag.fastpath.reset", "diag.fastpath.reset_argv", "LocalReset"),
    ],
)
def test_the_payload_starts_before_the_judging_code_loads(
    module: str, opts_module: str, opts: str
) -> None:
    code = SPY.format(judging=JUDGING, module=module, opts_module=opts_module, opts=opts)
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    seen = [json.loads(line[5:]) for line in res.stderr.splitlines() if line.startswith("SEEN ")]
    assert seen == [[[]]], res.stderr[-2000:]
    assert json.loads(res.stdout)["kind"] in ("health.l1", "reset_reason")
