"""`--local` payloads sent as compiled code, not source.

Over SSH the collector travels as source text, because the host's python3 may be any version
3.8+. A `--local` payload runs under the interpreter running diagctl (diag.payload.local_argv),
so it can be sent as that interpreter's own code object: the child unmarshals it instead of
compiling ~28 KB of source on every run (~20 ms of CPU here). The code object comes from
Python's bytecode cache beside the source (`__pycache__/collector.cpython-XY.pyc`, written by pip
at install or by the first run where that directory is writable), which the import system
validates against the source's mtime and size (or hash) exactly as it does for an import, so an
edited collector is recompiled, never stale.

Wire format on the child's stdin: `<n>\\n`, n bytes of marshal data (the module's code), then
the spec as JSON. The child runs the module's code and calls its `main(spec)`, which is what
the source form's appended `main(json.loads(...))` line does. The spec stays JSON, so no value
in it is ever parsed as code.
"""

from __future__ import annotations

import json
import marshal
from functools import cache
from importlib.machinery import SourceFileLoader

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (diag/payload/early.py)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# Run by `python -I -S -c`: stdin is read whole (the payload closes it at once), the code is
# executed in a fresh namespace and its `main` is called with the decoded spec.
BOOT = (
    "import marshal,sys\n"
    "d=sys.stdin.buffer.read()\n"
    "i=d.index(b'\\n')\n"
    "n=i+1+int(d[:i])\n"
    "g={'__name__':'__diagctl_payload__'}\n"
    "exec(marshal.loads(d[i+1:n]),g)\n"
    "g['main'](g['json'].loads(d[n:]))\n"
)


@cache
def module_code(path: str) -> bytes:
    """The marshalled code of the collector at `path`, from its bytecode cache when that is
    current (compiled, and the cache written where allowed, when it is not). Cached per process
    so that the early payload and the run send byte-identical programs."""
    code = SourceFileLoader("__diagctl_payload__", path).get_code("__diagctl_payload__")
    return marshal.dumps(code)


def program(path: str, spec: Mapping[str, Any]) -> bytes:
    """stdin for `local_argv()`: the code of the collector at `path`, then `spec`."""
    code = module_code(path)
    return b"%d\n" % len(code) + code + json.dumps(spec).encode()
