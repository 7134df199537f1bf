# diagctl bundle capture: runs ON THE TARGET HOST as part of the bundle payload (stdlib only,
# Python 3.8+): capped reads of commands, files and a few /sys trees. Commands are argv lists
# from the jump host's plan, run without a shell, stdin closed, under a timeout.
import errno
import gzip
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time

STDERR_CAP = 2048


class Capped:
    """The first (head) or last (tail) `cap` bytes of a stream; counts what it dropped."""

    def __init__(self, cap, keep):
        self.cap, self.tail = cap, keep == "tail"
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk):
        if self.tail:
            self.data += chunk
            extra = len(self.data) - self.cap
            if extra > self.cap:  # trim in batches: one copy per cap, not per chunk
                del self.data[:extra]
                self.dropped += extra
        else:
            room = max(self.cap - len(self.data), 0)
            self.data += chunk[:room]
            self.dropped += max(0, len(chunk) - room)

    def finish(self):
        extra = len(self.data) - self.cap
        if extra > 0:
            del self.data[:extra]
            self.dropped += extra
        return bytes(self.data)


def _why(exc):
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "missing: %s" % exc.strerror
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: %s" % exc.strerror
    return "error: %s" % (exc.strerror or exc)


def run_cmd(argv, cap, keep, timeout):
    """(bytes, dropped, exit code or None, error text, stderr) of one command, capped."""
    env = dict(os.environ, LC_ALL="C", LANG="C", TERM="dumb", SYSTEMD_PAGER="", PAGER="cat")
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return b"", 0, None, "missing: %s is not installed" % argv[0], b""
        return b"", 0, None, _why(exc), b""
    out, err = Capped(cap, keep), Capped(STDERR_CAP, "tail")
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, out)
    sel.register(proc.stderr, selectors.EVENT_READ, err)
    end, error = time.monotonic() + timeout, ""
    while sel.get_map():
        left = end - time.monotonic()
        if left <= 0:
            error = "timed out after %gs; kept what it printed" % timeout
            break
        for key, _ in sel.select(min(left, 0.5)):
            chunk = os.read(key.fileobj.fileno(), 1 << 20)
            if chunk:
                key.data.add(chunk)
            else:
                sel.unregister(key.fileobj)
    sel.close()
    if error:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    rc = proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    return out.finish(), out.dropped, None if error else rc, error, err.finish()


def read_file(path, cap, keep):
    """(bytes, dropped, error) of one file: tail by seeking, never reading what is cut."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if keep == "tail" and size > cap:
                fh.seek(size - cap)
                return fh.read(cap), size - cap, ""
            buf = Capped(cap, keep)
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    return buf.finish(), buf.dropped, ""
                buf.add(chunk)
                if keep != "tail" and buf.dropped:
                    rest = max(size - fh.tell(), 0)
                    return buf.finish(), buf.dropped + rest, ""
    except OSError as exc:
        return b"", 0, _why(exc)


def walk(roots, limit):
    """Regular files under each root (sorted, at most `limit`), for pstore and the like."""
    found = []
    for root in roots:
        for base, dirs, files in os.walk(root):
            dirs.sort()
            for f in sorted(files):
                found.append(os.path.join(base, f))
    return found[:limit]


def _aer_text():
    lines = []
    for dev in sorted(os.listdir("/sys/bus/pci/devices")):
        for name in ("aer_dev_correctable", "aer_dev_fatal", "aer_dev_nonfatal"):
            path = os.path.join("/sys/bus/pci/devices", dev, name)
            try:
                with open(path, "rb") as fh:
                    body = fh.read(65536).decode("utf-8", "replace").strip()
            except OSError:
                continue
            lines.append("%s %s\n%s\n" % (dev, name, body))
    return "".join(lines).encode()


def _efivars_text(root, pattern):
    match, lines = re.compile(pattern), []
    for name in sorted(os.listdir(root)):
        if not match.search(name):
            continue
        try:
            with open(os.path.join(root, name), "rb") as fh:
                raw = fh.read(4 + 256)
        except OSError as exc:
            lines.append("%s %s\n" % (name, _why(exc)))
            continue
        # efivarfs: the first 4 bytes are the variable's attributes, the rest its value.
        attrs = int.from_bytes(raw[:4], "little") if len(raw) >= 4 else 0
        lines.append("%s attrs=0x%x data=%s\n" % (name, attrs, raw[4:].hex()))
    return "".join(lines).encode()


def _listing_text(roots):
    lines = []
    for path in walk(roots, 10000):
        try:
            st = os.lstat(path)
        except OSError as exc:
            lines.append("%s %s\n" % (path, _why(exc)))
            continue
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(st.st_mtime))
        lines.append("%d %s %s\n" % (st.st_size, stamp, path))
    return "".join(lines).encode()


def _bugreport(argv, cap, timeout):
    tmp = tempfile.mkdtemp(prefix="diagctl-nvbug-")
    try:
        out = os.path.join(tmp, "nvidia-bug-report.log")
        _, _, rc, error, err = run_cmd(
            list(argv) + ["--output-file", out], 1 << 16, "tail", timeout
        )
        if rc is None or not os.path.exists(out + ".gz"):
            return b"", 0, rc, error or "no report written", err
        with gzip.open(out + ".gz", "rb") as fh:
            data = fh.read(cap + 1)
        return data[:cap], max(len(data) - cap, 0), rc, "", err
    except (OSError, EOFError) as exc:
        return b"", 0, None, "error: %s" % exc, b""
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _generated(kind, art):
    if kind == "aer":
        return _aer_text()
    if kind == "efivars":
        return _efivars_text(art["roots"][0], art.get("match", "."))
    if kind == "listing":
        return _listing_text(art["roots"])
    return art.get("text", "").encode("utf-8", "surrogateescape")
