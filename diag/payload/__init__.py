"""Building the payload that travels to a host, and reading what it prints back."""

from __future__ import annotations

import json
import os
import sys
from functools import cache

# typing.TYPE_CHECKING without importing typing: `--local` starts its payload from here before
# anything else loads (diag/payload/early.py), and the checks import pydantic.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    from diag.checks.base import Source

# `-I`: isolated mode, so the host's PYTHON* variables and user site cannot change the payload.
# `-S`: no `site` either: the payload is stdlib-only, and processing site-packages' .pth files
# (editable installs, vendor hooks) can cost more than the whole collection.
PYTHON_ARGV = ("python3", "-I", "-S", "-")


def local_argv() -> tuple[str, ...]:
    """The interpreter running diagctl (`--local`: this machine's python3 may be older or
    missing), `-I -S` as PYTHON_ARGV, fed compiled code (diag/payload/compiled.py)."""
    from diag.payload.compiled import BOOT

    return (sys.executable, "-I", "-S", "-c", BOOT)


def local_path(name: str) -> str:
    """A collector shipped in this package, by file name (`collector.py`)."""
    return os.path.join(os.path.dirname(__file__), name)


def payload_deadline(timeout_s: float) -> float:
    """The payload's own deadline: 2 s inside the run's, so that it reports before it is cut."""
    return max(1.0, timeout_s - 2.0)


@cache
def collector_source() -> str:
    with open(local_path("collector.py"), encoding="utf-8") as fh:
        return fh.read()


def build_python(sources: Sequence[Source], deadline_s: float) -> bytes:
    """The Python program sent on stdin: the collector plus one `main(<spec>)` line.

    The spec is JSON decoded on the host, so no value in it is ever parsed as code.
    """
    return python_program([s.spec() for s in sources], deadline_s)


def python_program(captures: Sequence[Mapping[str, Any]], deadline_s: float) -> bytes:
    """build_python from the captures' specs (`Source.spec()`)."""
    spec = {"deadline_s": deadline_s, "captures": list(captures)}
    call = f"main(json.loads({json.dumps(json.dumps(spec))}))\n"
    return (collector_source() + "\n" + call).encode()


def build_local(sources: Sequence[Source], deadline_s: float) -> bytes:
    """build_python's program for local_argv(): the collector's code object, not its source."""
    return local_program([s.spec() for s in sources], deadline_s)


def local_program(captures: Sequence[Mapping[str, Any]], deadline_s: float) -> bytes:
    """build_local from the captures' specs (`Source.spec()`)."""
    from diag.payload.compiled import program

    spec = {"deadline_s": deadline_s, "captures": list(captures)}
    return program(local_path("collector.py"), spec)


# ---- SSH: one `sh -s` exec per host, python3 when it is there, the sh fallback otherwise ----

SH_ARGV = ("sh", "-s")
_HEREDOC_END = "DIAGCTL_PAYLOAD_END_5f1d2c"
# Exit status of the version probe when python3 is older than 3.8: the sh fallback runs.
_TOO_OLD = 86
# `-E -s -S` (not `-I`; -S as in PYTHON_ARGV) so that any python3 >= 2.6 can run the probe;
# sys.path[0] (the current directory) is removed before anything is imported, as `-I` would.
_PY_BOOT = (
    "import sys\n"
    "del sys.path[0]\n"
    f"if sys.version_info < (3, 8): sys.exit({_TOO_OLD})\n"
    'exec(compile(sys.stdin.read(), "<diagctl-payload>", "exec"))'
)


@cache
def fallback_source() -> str:
    with open(local_path("fallback.sh"), encoding="utf-8") as fh:
        return fh.read()


def _sh_calls(sources: Sequence[Source]) -> list[str]:
    """One fallback function call per capture; every argument shell-quoted."""
    from shlex import quote as q  # here, not at the top: `--local` never needs it

    calls = []
    for s in sources:
        if s.type == "file":
            calls.append(f"diag_file {q(s.name)} {q(s.path)} {int(s.cap)} {int(s.tail)}")
        elif s.type == "statvfs":
            calls.append(f"diag_statvfs {q(s.name)} " + " ".join(q(p) for p in s.paths or ("/",)))
        elif s.type == "facts":
            calls.append(f"diag_facts {q(s.name)}")
        else:
            src = " ".join(s.argv) if s.argv else s.type
            calls.append(f"diag_unsupported {q(s.name)} {q(src)}")
    return calls


def build_sh(sources: Sequence[Source], deadline_s: float) -> bytes:
    """The script fed to `sh -s`: run the Python collector from a quoted heredoc when the host
    has python3 >= 3.8, else the POSIX sh fallback. Both print one PayloadOutput document.

    Commands that might read stdin get </dev/null: stdin is the rest of this script.
    """
    import shlex

    py = build_python(sources, deadline_s).decode()
    if _HEREDOC_END in py:  # cannot happen with our own collector; guards future edits
        raise ValueError("payload contains the heredoc delimiter")
    calls = "\n".join("  " + c for c in _sh_calls(sources))
    script = f"""if command -v python3 >/dev/null 2>&1; then
python3 -E -s -S -c {shlex.quote(_PY_BOOT)} <<'{_HEREDOC_END}'
{py}
{_HEREDOC_END}
diag_rc=$?
[ "$diag_rc" -eq {_TOO_OLD} ] || exit "$diag_rc"
fi
{fallback_source()}
diag_main() {{
  diag_t0=$(diag_ms)
  printf '{{"payload_version":1,"mode":"sh","captures":{{'
{calls}
  printf '}},"duration_ms":%s}}\\n' "$(( $(diag_ms) - diag_t0 ))"
}}
diag_main </dev/null
exit 0
"""
    return script.encode()


def build_for(argv: Sequence[str]) -> Callable[[Sequence[Source], float], bytes]:
    """The payload builder for a command: `sh -s` gets the wrapper, local_argv() the compiled
    collector, python3 the collector's source."""
    if tuple(argv) == SH_ARGV:
        return build_sh
    return build_local if tuple(argv) == local_argv() else build_python
