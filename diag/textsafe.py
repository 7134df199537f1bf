"""Text for a terminal: host- and endpoint-provided strings made inert before `--human` prints them.

A systemd unit name, a mount point, a hostname or an SSE error message is chosen by whoever
controls the host or the endpoint. Printed raw, `\\x1b]0;title\\x07` sets the window title,
`\\x1b[2J` clears the screen, `\\x1b[8m` hides what follows, a bare `\\r` overwrites the start
of the line, and U+202E (RIGHT-TO-LEFT OVERRIDE) shows `gpu-1 FAIL` as `LIAF 1-upg`. Terminals
also read the 8-bit C1 code U+009B as CSI.

`safe_text` shows every such character as a visible escape (`\\x1b`, `\\u202e`) instead: the
sequence cannot act, and the reader still sees that the host sent it. Escaping the one byte
that starts a sequence (ESC, CSI, OSC, DCS) is enough; its printable tail stays as plain text.
JSON output never passes through here: its encoder escapes C0 controls itself.
"""

from __future__ import annotations

import re

# C0 controls (tab and newline included: one value must stay on its line), DEL, C1 controls,
# lone surrogates (undecodable bytes kept by `surrogateescape`), Unicode line/paragraph
# separators, and the bidirectional formatting characters (embeddings, overrides, isolates,
# marks).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """`text` with every control, bidi-override and separator character shown as an escape."""
    return _UNSAFE.sub(_escape, text)


def safe_lines(lines: list[str]) -> str:
    """Lines made safe one by one, then joined with the only newlines that reach the terminal."""
    return "\n".join(safe_text(line) for line in lines)
