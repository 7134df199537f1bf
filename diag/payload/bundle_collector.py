# diagctl bundle collector: runs ON THE TARGET HOST, sent on stdin to `python3 -I -`.
#
# Rules (docs/bundle.md): stdlib only, Python 3.8+. Runs the read-only commands and reads the
# files the jump host's plan names (argv lists, never a shell), caps every artifact at the
# source, redacts secrets HERE before a byte leaves the host, and streams one tar.gz to stdout:
# the artifacts in plan order, each flushed as soon as it is written, `manifest.json` last.
# Nothing is written on the host unless the plan says keep_remote (then one copy of the tar).
# The jump host appends one line: `main(<json spec>)`.
# It follows bundle_redact.py and bundle_capture.py in the program (diag/bundle_payload.py).
import gzip
import hashlib
import io
import json
import os
import re
import socket
import sys
import tarfile
import tempfile
import time

MANIFEST_VERSION = 1
_T0 = time.monotonic()


def capture(art, cap, timeout):
    """(bytes, dropped, exit code, error, stderr) of one planned artifact."""
    kind, keep = art["kind"], art.get("keep", "head")
    if kind == "cmd":
        want = cap * 4 if art.get("filter") else cap
        data, dropped, rc, error, err = run_cmd(art["argv"], want, keep, timeout)
        if art.get("filter"):
            rx = re.compile(art["filter"].encode())
            data = b"".join(ln for ln in data.splitlines(True) if rx.search(ln))
        return data, dropped, rc, error, err
    if kind == "file":
        data, dropped, error = read_file(art["file"], cap, keep)
        return data, dropped, None if error else 0, error, b""
    if kind == "bugreport":
        return _bugreport(art["argv"], cap, timeout)
    try:
        data = _generated(kind, art)
    except OSError as exc:
        return b"", 0, None, _why(exc), b""
    return data, 0, 0, "", b""


def _status(rc, error):
    if error.startswith("missing"):
        return "missing"
    return "ok" if rc == 0 and not error else "failed"


class Bundle:
    """The tar.gz stream: members flushed one by one, then the manifest."""

    def __init__(self, out, spec):
        self.spec, self.files, self.used = spec, [], 0
        self.gz = gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0)
        self.tar = tarfile.open(fileobj=self.gz, mode="w", format=tarfile.PAX_FORMAT)
        self.out = out

    def add(self, path, data):
        info = tarfile.TarInfo(path)
        info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
        self.tar.addfile(info, io.BytesIO(data))
        self.gz.flush()  # a sync flush: what is sent is readable even if the session dies
        self.out.flush()

    def record(self, path, data, entry):
        self.add(path, data)
        entry.update(path=path, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
        self.files.append(entry)
        self.used += len(data)

    def one(self, art, source, deadline):
        t0, total = time.monotonic(), self.spec["total_cap"]
        cap = min(int(art.get("cap") or self.spec["artifact_cap"]), max(total - self.used, 0))
        left = deadline - time.monotonic()
        entry = {
            "source": source,
            "keep": art.get("keep", "head"),
            "exit_code": None,
            "truncated_bytes": 0,
            "redactions": 0,
            "error": "",
        }
        if cap <= 0 or left < 1:
            entry.update(status="skipped", error="total cap reached" if cap <= 0 else "deadline")
            entry["duration_ms"] = 0
            return self.record(art["path"], b"", entry)
        timeout = min(float(self.spec["command_timeout_s"]), left)
        data, dropped, rc, error, err = capture(art, cap, timeout)
        data, n = redact_bytes(data)
        if len(data) > cap:  # a mask longer than what it hid
            dropped, data = dropped + len(data) - cap, data[:cap]
        err_text = redact_text(err.decode("utf-8", "replace").strip())[0]
        entry.update(
            exit_code=rc,
            truncated_bytes=dropped,
            redactions=n,
            error=(error + ("; " if error and err_text else "") + err_text)[-STDERR_CAP:]
            if (error or rc)
            else "",
            status=_status(rc, error),
        )
        entry["duration_ms"] = int((time.monotonic() - t0) * 1000)
        self.record(art["path"], data, entry)

    def finish(self, manifest):
        self.add("manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode())
        self.tar.close()
        self.gz.close()
        self.out.flush()


class Tee:
    def __init__(self, *streams):
        self.streams = streams

    def write(self, data):
        for s in self.streams:
            s.write(data)
        return len(data)

    def flush(self):
        for s in self.streams:
            s.flush()


def _expand(art):
    """A `tree` artifact is one file per regular file under its roots; others are themselves."""
    if art["kind"] != "tree":
        return [(art, art.get("source") or " ".join(art.get("argv") or []) or art.get("file"))]
    match = re.compile(art.get("match", "."))
    out = []
    for path in walk(art["roots"], int(art.get("limit", 200))):
        if match.search(os.path.basename(path)):
            one = dict(art, kind="file", file=path, path=art["path"] + path)
            out.append((one, path))
    return out


def _host():
    def first_line(path):
        try:
            with open(path) as fh:
                return fh.readline().strip()
        except OSError:
            return ""

    return {
        "hostname": socket.gethostname(),
        "kernel": os.uname().release,
        "arch": os.uname().machine,
        "boot_id": first_line("/proc/sys/kernel/random/boot_id"),
    }


def main(spec):
    deadline = _T0 + float(spec["deadline_s"])
    out, keep = sys.stdout.buffer, None
    if spec.get("keep_remote"):
        fd, keep = tempfile.mkstemp(prefix="diagctl-bundle-", suffix=".tar.gz", dir="/var/tmp")
        out = Tee(out, os.fdopen(fd, "wb"))
    bundle = Bundle(out, spec)
    for art in spec["artifacts"]:
        for one, source in _expand(art):
            bundle.one(one, source, deadline)
    files = bundle.files
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "host": _host(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "duration_ms": int((time.monotonic() - _T0) * 1000),
        "caps": {k: spec[k] for k in ("artifact_cap", "total_cap", "command_timeout_s")},
        "since_hours": spec["since_hours"],
        "remote_path": keep or "",
        "files": files,
        "complete": True,
    }
    bundle.finish(manifest)
