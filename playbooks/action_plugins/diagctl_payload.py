"""Ansible action `diagctl_payload`: send diagctl's payload to one host, keep its raw result.

Runs on the controller (an action plugin), once per host, under Ansible's own fan-out. It pipes
the payload file `diagctl payload show` wrote into the remote command line diagctl itself uses
(the file `diagctl payload show --command-line` wrote), as one SSH exec, and writes a
`diagctl --out`-shaped tree for `diagctl ingest`:

    OUT/hosts/<enc>/raw/stdout.bin, raw/stderr.bin   the host's output, byte for byte
    OUT/hosts/<enc>/collected.json                   written last (schemas/ingest.py)

Every host gets a record: an unreachable one (reported to Ansible as unreachable too), a failed
one, and, through the playbook's `rescue:` (`failure:` set), one whose task timed out. The
diagctl privilege rule holds: `sudo -n` only when the command line says so (`become` in the
playbook), never Ansible's own become wrapping. Stdlib + ansible only: the controller's Python
need not have diagctl installed (`diagctl` runs once, on localhost, to write the payload).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ansible import __version__ as ANSIBLE_VERSION
from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.action import ActionBase

RECORD_VERSION = "1.0"
KINDS = {
    "health": "health.l1",
    "reset-reason": "reset_reason",
    "bundle": "bundle",
    "erase-detect": "erase_detect",
    "burn-in": "burn_in",
}
# diag.artifacts.host_dirname, restated: this file must not import diagctl (a unit test keeps
# the two equal).
NAME_MAX = 200
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def host_dirname(name: str) -> str:
    raw = name.encode("utf-8", "surrogatepass")
    enc = "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in raw)
    if enc.startswith("."):
        enc = "%2E" + enc[1:]
    if not enc:
        return "%"
    if len(enc) <= NAME_MAX:
        return enc
    head = enc[: NAME_MAX - 34]
    head = head[: head.rfind("%")] if "%" in head[-2:] else head
    return f"{head}~{hashlib.sha256(raw).hexdigest()[:32]}"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def atomic_write(path: Path, data: bytes) -> None:
    """Temp file + fsync + rename, with the temp name diagctl's own writes use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.diagctl-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class ActionModule(ActionBase):  # type: ignore[misc]
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("kind", "out", "payload", "command_file", "failure"))

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        super().run(tmp, task_vars)
        tv = task_vars or {}
        a = self._task.args
        kind = str(a.get("kind", "health"))
        if kind not in KINDS or not all(a.get(k) for k in ("out", "payload", "command_file")):
            return {"failed": True, "msg": "diagctl_payload needs kind, out, payload, command_file"}
        payload = Path(str(a["payload"])).read_bytes()
        command = Path(str(a["command_file"])).read_text().rstrip("\n")
        name = str(tv.get("inventory_hostname", ""))
        rec: dict[str, Any] = {
            "schema_version": RECORD_VERSION,
            "collector": "ansible",
            "collector_version": ANSIBLE_VERSION,
            "kind": KINDS[kind],
            "host": {
                "name": name,
                "address": str(tv.get("ansible_host") or name),
                "host_class": str(tv.get("host_class") or ""),
            },
            "collected_at": utc_now(),
            "command": command,
            "payload_sha256": hashlib.sha256(payload).hexdigest(),
            "rc": None,
            "message": "",
            "raw": {},
        }
        hdir = Path(str(a["out"])) / "hosts" / host_dirname(name)
        if a.get("failure") is not None:  # the playbook's rescue: the task itself failed
            return self._finish(hdir, rec, time.monotonic(), "failed", str(a["failure"]), {})
        return self._collect(hdir, rec, payload)

    def _collect(self, hdir: Path, rec: dict[str, Any], payload: bytes) -> dict[str, Any]:
        t0 = time.monotonic()
        try:
            if not self._connection.get_option("host_key_checking"):
                msg = "host_key_checking is off: diagctl never connects without checking host keys"
                return self._finish(hdir, rec, t0, "failed", msg, {})
        except (AnsibleError, KeyError):
            pass  # a connection without host keys (local): nothing to check
        try:
            # executable="" hands the line to the login shell as it is (as diagctl's SSH
            # transports do); sudoable=False: privilege comes only from the line's own `sudo -n`.
            res = self._low_level_execute_command(
                rec["command"],
                sudoable=False,
                in_data=payload,
                executable="",
                encoding_errors="surrogateescape",
            )
        except AnsibleConnectionFailure as exc:
            return self._finish(hdir, rec, t0, "unreachable", str(exc), {})
        except AnsibleError as exc:
            return self._finish(hdir, rec, t0, "failed", str(exc), {})
        raw = {
            "stdout.bin": res["stdout"].encode("utf-8", "surrogateescape"),
            "stderr.bin": res["stderr"].encode("utf-8", "surrogateescape"),
        }
        rec["rc"] = res["rc"]
        outcome = "ok" if res["rc"] == 0 else "failed"
        return self._finish(hdir, rec, t0, outcome, "", raw)

    def _finish(
        self,
        hdir: Path,
        rec: dict[str, Any],
        t0: float,
        outcome: str,
        message: str,
        raw: dict[str, bytes],
    ) -> dict[str, Any]:
        """Raw files first, the record last: a record implies its raw files are complete."""
        for fname, data in raw.items():
            atomic_write(hdir / "raw" / fname, data)
            rec["raw"][fname] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        rec.update(outcome=outcome, message=message[:4000])
        rec["duration_ms"] = int((time.monotonic() - t0) * 1000)
        atomic_write(hdir / "collected.json", json.dumps(rec, indent=2).encode() + b"\n")
        out = {"changed": False, "rc": rec["rc"], "dir": str(hdir), "outcome": outcome}
        if outcome == "unreachable":
            return {**out, "unreachable": True, "msg": message}
        if outcome == "failed":
            return {**out, "failed": True, "msg": message or f"payload exited {rec['rc']}"}
        return out
