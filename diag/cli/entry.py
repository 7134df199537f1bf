"""The `diagctl` console script: `health --local` (JSON out) and `version` are answered
before click is imported (diag/fastpath/); everything else is click's (diag/cli/main.py)."""

from __future__ import annotations

import sys


def main() -> None:
    from diag.fastpath.argv import wanted

    fast = wanted()
    if fast is not None:
        from diag.fastpath.run import main as run_local

        sys.exit(run_local(fast))
    from diag.cli.main import main as click_main

    click_main()
