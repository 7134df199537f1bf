"""Command hook: run the group's argv with {node} and {reason} expanded (no shell of ours).

A plain argv gets each field inside its own element: a value never becomes extra arguments.
When the argv runs a shell script (`/bin/sh -c '... "{reason}"'`), the fields inside the script
are quoted for the spot they stand in (unquoted, inside '...' or inside "..."), so text from an
endpoint (`$(touch pwned)`, backquotes, quotes) reaches the hook literally and never runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess

from probes.backends import PREFIX, Outcome, clean_reason, refuse_node
from schemas.probe import ActionResult, Backend

TIMEOUT_S = 60
SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox"}
FIELD = re.compile(r"\{(node|reason)\}")
C_FLAG = re.compile(r"-[A-Za-z]*c[A-Za-z]*")  # -c, -ec, -xc: the next element is a script


def script_index(argv: list[str]) -> int:
    """Index of the shell script in `argv` (the element after -c once a shell was named); -1."""
    shell_seen = False
    for i, a in enumerate(argv[:-1]):
        shell_seen = shell_seen or os.path.basename(a) in SHELLS
        if shell_seen and C_FLAG.fullmatch(a):
            return i + 1
    return -1


def _quote(value: str, context: str) -> str:
    if context == "'":  # inside '...': close, an escaped quote, reopen
        return value.replace("'", "'\\''")
    if context == '"':  # inside "...": only \\ $ ` " are special
        return re.sub(r'([\\$`"])', r"\\\1", value)
    return shlex.quote(value)


def quote_script(script: str, fields: dict[str, str]) -> str:
    """Replace each {field} in a POSIX sh script by its value quoted for where it stands. Pure.

    Tracks '...', "...", $(...) and `...` nesting well enough for hook one-liners; a field
    whose context is unclear is single-quoted, which is safe at the top level and inside $( ).
    """
    out: list[str] = []
    stack: list[str] = [""]
    i = 0
    while i < len(script):
        m = FIELD.match(script, i)
        top = stack[-1]
        if m:
            out.append(_quote(fields[m.group(1)], top if top in ("'", '"') else ""))
            i = m.end()
            continue
        c = script[i]
        step = 1
        if top == "'":
            if c == "'":
                stack.pop()
        elif c == "\\":
            step = 2
        elif c == '"' and top == '"':
            stack.pop()
        elif c == '"':
            stack.append('"')
        elif c == "'" and top != '"':
            stack.append("'")
        elif script.startswith("$(", i):
            stack.append("(")
            step = 2
        elif (c == ")" and top == "(") or (c == "`" and top == "`"):
            stack.pop()
        elif c == "`":
            stack.append("`")
        out.append(script[i : i + step])
        i += step
    return "".join(out)


def expand(argv: list[str], node: str, reason: str) -> list[str]:
    """Each element formatted on its own; the script of a `sh -c` argv quoted for the shell."""
    fields = {"node": node, "reason": reason}
    script = script_index(argv)
    return [
        quote_script(a, fields) if i == script else FIELD.sub(lambda m: fields[m.group(1)], a)
        for i, a in enumerate(argv)
    ]


class CommandBackend:
    name = Backend.COMMAND

    def __init__(self, cordon_argv: list[str], uncordon_argv: list[str]) -> None:
        self.cordon_argv = cordon_argv
        self.uncordon_argv = uncordon_argv

    def cordon(self, node: str, reason: str) -> Outcome:
        if refused := refuse_node(node):
            return refused
        return self._run(expand(self.cordon_argv, node, clean_reason(f"{PREFIX} {reason}")), True)

    def uncordon(self, node: str) -> Outcome:
        if refused := refuse_node(node):
            return refused
        return self._run(expand(self.uncordon_argv, node, ""), False)

    def drained(self, node: str) -> bool | None:
        return None  # a hook cannot be asked

    def _run(self, argv: list[str], ours: bool) -> Outcome:
        try:
            res = subprocess.run(
                argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Outcome(ActionResult.FAILED, f"{argv[0]}: {exc}")
        if res.returncode != 0:
            tail = clean_reason((res.stderr or res.stdout).strip()[-200:], 200)
            return Outcome(ActionResult.FAILED, f"{argv[0]} exited {res.returncode}: {tail}")
        return Outcome(ActionResult.DONE, f"{argv[0]} exited 0", ours=ours)
