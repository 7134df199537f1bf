# diagctl payload collector: runs ON THE TARGET HOST, sent on stdin to `python3 -`.
#
# Rules (see docs/architecture.md): stdlib only, works on Python 3.8+, reads /proc, /sys and
# the output of read-only commands, caps every capture at the source, enforces its own deadline,
# writes nothing on the host, and prints exactly one JSON document on stdout.
# Commands are argv lists executed without a shell; nothing here is built from inventory data.
# The jump host appends one line: `main(<json spec>)`.
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

PAYLOAD_VERSION = 1
_T0 = time.monotonic()
_DEADLINE = [_T0 + 20.0]


def _remaining():
    return max(0.0, _DEADLINE[0] - time.monotonic())


def _ms(t0):
    return int((time.monotonic() - t0) * 1000)


def _decode(data):
    # Hosts emit anything: invalid UTF-8 is replaced, never fatal.
    return data.decode("utf-8", "replace")


class _Buf:
    """Keeps the first (or last) `cap` bytes of a stream and counts what it dropped."""

    def __init__(self, cap, tail):
        self.cap, self.tail = cap, tail
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk):
        if self.tail:
            self.data += chunk
            extra = len(self.data) - self.cap
            if extra > 0:
                del self.data[:extra]
                self.dropped += extra
        else:
            room = self.cap - len(self.data)
            self.data += chunk[: max(room, 0)]
            self.dropped += max(0, len(chunk) - max(room, 0))


def _result(src, t0, rc=None, out=b"", err=b"", dropped=0, error=None, detail=""):
    return {
        "source": src,
        "rc": rc,
        "stdout": _decode(bytes(out)),
        "stderr": _decode(bytes(err))[:2048],
        "duration_ms": _ms(t0),
        "truncated_bytes": dropped,
        "error": error,
        "detail": detail,
    }


def _os_error(exc):
    import errno

    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "missing"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission"
    return "exec_failed"


def cap_file(spec):
    t0 = time.monotonic()
    path, cap = spec["path"], spec.get("cap", 65536)
    buf = _Buf(cap, spec.get("tail", False))
    try:
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(65536)
                if not chunk:
                    break
                buf.add(chunk)
                if not buf.tail and buf.dropped:
                    # Head mode: count the rest without keeping it (cheap for regular files).
                    try:
                        rest = os.fstat(fh.fileno()).st_size - fh.tell()
                        if rest > 0:
                            buf.dropped += rest
                            break
                    except OSError:
                        pass
                if time.monotonic() > _DEADLINE[0]:
                    return _result(path, t0, None, buf.data, b"", buf.dropped, "timeout")
    except OSError as exc:
        return _result(path, t0, None, b"", b"", 0, _os_error(exc), str(exc))
    return _result(path, t0, 0, buf.data, b"", buf.dropped)


def cap_cmd(spec):
    t0 = time.monotonic()
    argv = list(spec["argv"])
    cap = spec.get("cap", 65536)
    timeout = min(float(spec.get("timeout_s", 5.0)), _remaining())
    src = " ".join(argv)
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
        return _result(src, t0, None, b"", b"", 0, _os_error(exc), str(exc))
    out, err = _Buf(cap, spec.get("tail", False)), _Buf(4096, True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, out)
    sel.register(proc.stderr, selectors.EVENT_READ, err)
    end = time.monotonic() + timeout
    error = None
    while sel.get_map():
        left = end - time.monotonic()
        if left <= 0:
            error = "timeout"
            break
        for key, _ in sel.select(min(left, 0.5)):
            chunk = os.read(key.fileobj.fileno(), 65536)
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
    try:
        rc = proc.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        rc = None
        error = error or "timeout"
    for stream in (proc.stdout, proc.stderr):
        stream.close()
    return _result(src, t0, None if error else rc, out.data, err.data, out.dropped, error)


def cap_statvfs(spec):
    # One line per path: path, fragment size, blocks, free, avail, files, ffree, favail, ro flag.
    t0 = time.monotonic()
    lines, errors = [], []
    for path in spec.get("paths", ["/"]):
        try:
            st = os.statvfs(path)
        except OSError as exc:
            errors.append("%s: %s" % (path, exc))
            continue
        ro = 1 if st.f_flag & getattr(os, "ST_RDONLY", 1) else 0
        lines.append(
            "\t".join(
                str(v)
                for v in (
                    path,
                    st.f_frsize,
                    st.f_blocks,
                    st.f_bfree,
                    st.f_bavail,
                    st.f_files,
                    st.f_ffree,
                    st.f_favail,
                    ro,
                )
            )
        )
    out = ("\n".join(lines) + "\n").encode() if lines else b""
    return _result("statvfs", t0, 0, out, "\n".join(errors).encode())


def cap_adjtimex(spec):
    # The kernel's own view of clock discipline, independent of chronyd/ntpd/timesyncd.
    t0 = time.monotonic()
    try:
        import ctypes
        import ctypes.util

        class Timex(ctypes.Structure):
            _fields_ = [
                ("modes", ctypes.c_uint),
                ("offset", ctypes.c_long),
                ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long),
                ("esterror", ctypes.c_long),
                ("status", ctypes.c_int),
                ("constant", ctypes.c_long),
                ("precision", ctypes.c_long),
                ("tolerance", ctypes.c_long),
                ("time_sec", ctypes.c_long),
                ("time_usec", ctypes.c_long),
                ("tick", ctypes.c_long),
                ("ppsfreq", ctypes.c_long),
                ("jitter", ctypes.c_long),
                ("shift", ctypes.c_int),
                ("stabil", ctypes.c_long),
                ("jitcnt", ctypes.c_long),
                ("calcnt", ctypes.c_long),
                ("errcnt", ctypes.c_long),
                ("stbcnt", ctypes.c_long),
                ("tai", ctypes.c_int),
                ("_pad", ctypes.c_int * 11),
            ]

        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        tx = Timex()
        state = libc.adjtimex(ctypes.byref(tx))
        if state < 0:
            return _result(
                "adjtimex", t0, None, b"", b"", 0, "exec_failed", "errno %d" % ctypes.get_errno()
            )
        text = "state=%d status=0x%x maxerror_us=%d esterror_us=%d offset=%d\n" % (
            state,
            tx.status,
            tx.maxerror,
            tx.esterror,
            tx.offset,
        )
        return _result("adjtimex", t0, 0, text.encode())
    except Exception as exc:  # noqa: BLE001 - any failure means "unsupported here"
        return _result("adjtimex", t0, None, b"", b"", 0, "unsupported", repr(exc))


def _read(path, default=""):
    try:
        with open(path, "rb") as fh:
            return _decode(fh.read(4096)).strip()
    except OSError:
        return default


def cap_facts(spec):
    t0 = time.monotonic()
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 0
    facts = {
        "hostname": socket.gethostname(),
        "kernel": os.uname().release,
        "arch": os.uname().machine,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "cpu_count": cpus,
        "boot_id": _read("/proc/sys/kernel/random/boot_id"),
        "uptime_s": _read("/proc/uptime", "0 0").split()[0],
        "os_release": _read("/etc/os-release")[:1024],
        "euid": os.geteuid(),
        # host identity, best first; unreadable ones (product_serial is root-only) are empty
        "product_serial": _read("/sys/class/dmi/id/product_serial"),
        "product_uuid": _read("/sys/class/dmi/id/product_uuid"),
        "machine_id": _read("/etc/machine-id"),
    }
    return _result("facts", t0, 0, json.dumps(facts).encode())


HANDLERS = {
    "file": cap_file,
    "cmd": cap_cmd,
    "statvfs": cap_statvfs,
    "adjtimex": cap_adjtimex,
    "facts": cap_facts,
}


def _guarded(spec):
    handler = HANDLERS.get(spec.get("type"))
    if handler is None:
        return _result(
            spec.get("type", "?"),
            time.monotonic(),
            None,
            b"",
            b"",
            0,
            "unsupported",
            "payload has no handler for this capture type",
        )
    try:
        return handler(spec)
    except Exception as exc:  # noqa: BLE001 - one broken capture must not lose the others
        return _result(
            spec.get("name", "?"),
            time.monotonic(),
            None,
            b"",
            b"",
            0,
            "exec_failed",
            repr(exc)[:500],
        )


def main(spec):
    _DEADLINE[0] = _T0 + float(spec.get("deadline_s", 20.0))
    captures, lock = {}, threading.Lock()

    def work(item):
        res = _guarded(item)
        with lock:
            captures[item["name"]] = res

    # Captures run in daemon threads: one that hangs in the kernel (a sick driver) cannot keep
    # the payload past its deadline; its slot is reported as a timeout.
    threads = []
    for item in spec.get("captures", []):
        th = threading.Thread(target=work, args=(item,), daemon=True)
        th.start()
        threads.append((item, th))
    for item, th in threads:
        th.join(_remaining())
    with lock:
        for item, th in threads:
            if item["name"] not in captures:
                captures[item["name"]] = _result(
                    item.get("type", "?"),
                    _T0,
                    None,
                    b"",
                    b"",
                    0,
                    "timeout",
                    "capture still running at deadline",
                )
        doc = {
            "payload_version": PAYLOAD_VERSION,
            "mode": "python",
            "duration_ms": _ms(_T0),
            "captures": dict(captures),
        }
        out = json.dumps(doc, separators=(",", ":"))
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
    os._exit(0)
