"""`health --local` and `reset-reason --local` start their payload (a child python; a thread
here for reset) BEFORE the judging code is imported, so that the two overlap: on a 2-GPU H200
the NVML capture alone is ~230 ms, and importing the checks first (~60 ms) added its whole time
to the run's. Each case runs in a fresh interpreter (sys.modules starts empty) and records which
judging modules were loaded at the moment the payload was started."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

JUDGING = ("diag.checks", "diag.fastpath.health", "diag.reset.judge", "diag.fastpath.reset_judge")
# Nor what they need and starting the payload does not: each costs the start its import time.
JUDGING += ("diag.fastpath.doc", "schemas.capture", "diag.transport.base", "typing", "dataclasses")

SPY = """
import json, sys
from schemas.record import cheap_records
cheap_records()  # as diag/cli/entry.py does for these commands
import {spied_module} as spied
seen = []
real = spied.{spied}
def spy(*args):
    seen.append(sorted(m for m in {judging!r} if m in sys.modules))
    return real(*args)
spied.{spied} = spy
from {module} import main
from {opts_module} import {opts}
main({opts}(timeout=30))
sys.stderr.write("SEEN " + json.dumps(seen) + "\\n")
"""


@pytest.mark.parametrize(
    ("module", "opts_module", "opts", "spied_module", "spied"),
    [
        # health's payload is a child python, started by diag.payload.early
        ("diag.fastpath.run", "diag.fastpath.argv", "LocalHealth", "diag.payload.early", "start"),
        # reset's runs in this process (diag/payload/inproc.py), started by `running`
        (
            "diag.fastpath.reset",
            "diag.fastpath.reset_argv",
            "LocalReset",
            "diag.payload.inproc",
            "InProcess",
        ),
    ],
)
def test_the_payload_starts_before_the_judging_code_loads(
    module: str, opts_module: str, opts: str, spied_module: str, spied: str
) -> None:
    code = SPY.format(
        judging=JUDGING,
        module=module,
        opts_module=opts_module,
        opts=opts,
        spied_module=spied_module,
        spied=spied,
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    seen = [json.loads(line[5:]) for line in res.stderr.splitlines() if line.startswith("SEEN ")]
    assert seen == [[[]]], res.stderr[-2000:]
    assert json.loads(res.stdout)["kind"] in ("health.l1", "reset_reason")
