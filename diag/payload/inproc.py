"""`reset-reason --local`'s payload, run in diagctl's own process rather than a child python.

Over SSH, and for `health --local`, the collector runs in a python3 of its own. The reset
collector (diag/payload/reset_collector.py) only reads files and runs commands with timeouts:
no native library that could hang or crash the process, unlike health's NVML. Locally it is run
here, in a daemon thread started before the judging code loads, which saves a second
interpreter start and the collector's imports (`json`, `re` and `subprocess` are loaded here
anyway): ~25 ms of a ~100 ms run on a 2-core machine. What it returns is the payload document
the child would have printed, as the same bytes, so the judging is unchanged.

`InProcessLocal` is the blocking transport that hands that result to the run; closing it (the
run ended, timed out, or was interrupted) kills the commands still in flight.
"""

from __future__ import annotations

import contextlib
import threading
import time
from importlib.machinery import SourceFileLoader

from diag.payload.guard import stopped_at_exit

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

    from diag.transport.base import CommandResult, Target


class InProcess:
    """The collector at `path` loaded into a namespace of its own, its `document(spec)`
    running in a daemon thread from construction on."""

    def __init__(self, path: str, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.t0 = time.monotonic()
        self.doc: dict[str, Any] | None = None
        self.failure = ""
        self.namespace: dict[str, Any] = {"__name__": "__diagctl_payload__"}
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._work, daemon=True)
        try:
            loader = SourceFileLoader("__diagctl_payload__", path)
            exec(loader.get_code("__diagctl_payload__"), self.namespace)  # type: ignore[arg-type]
        except Exception:  # a broken install: exit 1 with the traceback, as a child's would be
            import traceback

            self.failure = traceback.format_exc()
            return
        self.thread.start()
        # Until its jobs are all started (a few ms): each thread start hands the GIL over, and
        # the judging code's imports, CPU-bound, would make each handover wait up to 5 ms.
        self.ready.wait(0.5)

    def _work(self) -> None:
        try:
            self.doc = self.namespace["document"](self.spec, self.ready.set)
        except BaseException:  # as a child's traceback on stderr: the run reports it
            import traceback

            self.failure = traceback.format_exc()
        finally:
            self.ready.set()

    def result(self, timeout: float) -> CommandResult:
        """What the child would have returned: its document as one JSON line (exit 0), its
        traceback (exit 1), or a timeout `timeout` seconds after the start."""
        import json

        from diag.transport.base import CommandResult, elapsed_ms, failed

        if self.thread.ident is not None:  # started (not when the collector failed to load)
            self.thread.join(max(0.0, timeout - (time.monotonic() - self.t0)))
        if self.thread.is_alive():
            self.abort()
            return failed(self.t0, "timeout", f"no result within {timeout:g} s")
        if self.doc is None:
            return CommandResult(1, b"", self.failure.encode(), elapsed_ms(self.t0))
        line = json.dumps(self.doc, separators=(",", ":")) + "\n"
        return CommandResult(0, line.encode(), b"", elapsed_ms(self.t0))

    def abort(self) -> None:
        """Kill the commands still running (a no-op once the document is done)."""
        if "abort" in self.namespace:
            self.namespace["abort"]()


@contextlib.contextmanager
def running(path: str, spec: dict[str, Any]) -> Iterator[InProcess]:
    """The collector at `path` running from here on; its commands killed on the way out, and
    on SIGTERM before the run takes over (which then ends diagctl as the signal always did),
    as diag.payload.early does for a child payload."""
    payload = InProcess(path, spec)
    with stopped_at_exit(payload.abort):
        yield payload


class InProcessLocal:
    """The blocking transport of an in-process payload: the one run it serves gets its result;
    closing it kills what is still running."""

    name = "local"
    blocking = True

    def __init__(self, payload: InProcess) -> None:
        self.payload = payload
        self.adopted_t0: float | None = payload.t0

    async def run(
        self, host: Target, command: Sequence[str], stdin: bytes, timeout: float
    ) -> CommandResult:
        return self.payload.result(timeout)

    async def close(self) -> None:
        self.payload.abort()
