"""Building the payload that travels to a host, and reading what it prints back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from importlib import resources

from diag.checks.base import Source

# `-I`: isolated mode, so the host's PYTHON* variables and user site cannot change the payload.
PYTHON_ARGV = ("python3", "-I", "-")


@cache
def collector_source() -> str:
    return resources.files("diag.payload").joinpath("collector.py").read_text()


def build_python(sources: Sequence[Source], deadline_s: float) -> bytes:
    """The Python program sent on stdin: the collector plus one `main(<spec>)` line.

    The spec is JSON decoded on the host, so no value in it is ever parsed as code.
    """
    spec = {"deadline_s": deadline_s, "captures": [s.spec() for s in sources]}
    call = f"main(json.loads({json.dumps(json.dumps(spec))}))\n"
    return (collector_source() + "\n" + call).encode()
