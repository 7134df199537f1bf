"""Wrapper scripts that report on the run they wrap when it ends (the modules it loaded, the
processes it started): by a normal exit, through atexit, or by os._exit, with which the
`--local` fast paths end (diag.cli.entry.leave) and which skips atexit."""

from __future__ import annotations


def report_on_exit(expression: str) -> str:
    """Python source that evaluates `expression` (it writes the report to stderr) once, when
    the process ends either way. It imports atexit, os and sys."""
    return (
        "import atexit, os, sys\n"
        f"report = lambda: {expression}\n"
        "atexit.register(report)\n"
        "real_exit = os._exit\n"
        "def quick_exit(code):\n"
        "    report(); sys.stderr.flush(); real_exit(code)\n"
        "os._exit = quick_exit\n"
    )
