# diagctl reset-reason collector: runs ON THE TARGET HOST, sent on stdin to `python3 -`.
#
# Stdlib only, Python 3.8+, read-only: it reads the boot list, the journal of earlier boots,
# pstore, kdump, watchdog, IPMI SEL, EFI capsule variables, wtmp and diagctl's reboot intents,
# caps every capture at the source, keeps its own deadline, and prints ONE JSON document in the
# payload format (schemas/payload.py: {"payload_version", "mode", "captures": {name: capture}}).
# Commands are argv lists run without a shell; nothing here is built from inventory data.
# The jump host appends one line: `main(<json spec>)`. `reset-reason --local` runs it in its own
# process instead (diag/payload/inproc.py): `document(spec)` in a thread, `abort()` on the way
# out kills the commands still running.
import json
import os
import re
import subprocess
import sys
import time

PAYLOAD_VERSION = 1
_T0 = time.monotonic()
_DEADLINE = [_T0 + 20.0]
# journalctl prints local time; the jump host parses UTC. LC_ALL=C keeps English wordings.
_ENV = dict(os.environ, LC_ALL="C", LANG="C", TZ="UTC", SYSTEMD_PAGER="", PAGER="cat")
_ENV.pop("SYSTEMD_COLORS", None)
_IPMI_DEVICES = ("/dev/ipmi0", "/dev/ipmi/0", "/dev/ipmidev/0")  # where ipmitool looks
_BOOT_LINE = re.compile(r"^\s*(-?\d+)\s+([0-9a-f]{32})\s+(.*)$")
_STAMP = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
_RUNNING = set()  # the commands in flight, for abort()
_ABORTED = [False]  # abort() was called: start nothing more, kill what slips in


def _ms(t0):
    return int((time.monotonic() - t0) * 1000)


def _cap(src, t0, rc=None, out="", err="", dropped=0, error=None, detail=""):
    return {
        "source": src,
        "rc": rc,
        "stdout": out,
        "stderr": err[-2048:],
        "duration_ms": _ms(t0),
        "truncated_bytes": dropped,
        "error": error,
        "detail": detail[:500],
    }


def _text(data):
    return data.decode("utf-8", "replace")  # hosts emit anything: never fatal


def _os_error(exc):
    import errno

    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "missing"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission"
    return "exec_failed"


def _which(name):
    """shutil.which(name) on POSIX (the first executable file of that name on PATH), without
    importing shutil and the compression modules it brings."""
    if os.path.dirname(name):
        found = os.access(name, os.F_OK | os.X_OK) and not os.path.isdir(name)
        return name if found else None
    path_var = os.environ.get("PATH")
    if path_var is None:
        try:
            path_var = os.confstr("CS_PATH")
        except (AttributeError, ValueError):
            path_var = os.defpath
    if not path_var:
        return None
    for d in path_var.split(os.pathsep):
        path = os.path.join(d, name)
        if os.access(path, os.F_OK | os.X_OK) and not os.path.isdir(path):
            return path
    return None


def run(argv, cap=65536, timeout=5.0, keep=None):
    """argv's stdout (last `cap` bytes, or the lines `keep` selects), never raising."""
    t0, src = time.monotonic(), " ".join(argv)
    timeout = max(0.1, min(timeout, _DEADLINE[0] - time.monotonic()))
    if _which(argv[0]) is None:
        return _cap(src, t0, error="missing", detail="%s: not installed" % argv[0])
    if _ABORTED[0]:
        return _cap(src, t0, error="timeout", detail="not started: the run was aborted")
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_ENV,
        )
    except OSError as exc:
        return _cap(src, t0, error=_os_error(exc), detail=str(exc))
    _RUNNING.add(proc)
    if _ABORTED[0]:  # abort() ran between the start and the line above
        proc.kill()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return _cap(src, t0, error="timeout", detail="no answer within %.1f s" % timeout)
    except BaseException:
        _kill(proc)
        raise
    finally:
        _RUNNING.discard(proc)
    if keep is not None:
        out = keep(out)
    dropped = max(0, len(out) - cap)
    return _cap(src, t0, proc.returncode, _text(out[dropped:]), _text(err), dropped)


def _kill(proc):
    # As subprocess.run on a timeout: the command (in the payload's process group, which the
    # jump host kills whole), then reaped.
    proc.kill()
    proc.communicate()


def abort():
    """Kill every command still running (the in-process run's way out), and any started
    after; their threads reap them."""
    _ABORTED[0] = True
    for proc in list(_RUNNING):
        try:
            proc.kill()
        except OSError:
            pass


def _file_info(path, head, tail):
    st = os.stat(path)
    info = {"path": path, "mtime_s": int(st.st_mtime), "size": st.st_size, "dir": False}
    if head or tail:
        with open(path, "rb") as fh:
            first = fh.read(head)
            if st.st_size > head + tail:
                fh.seek(st.st_size - tail)
            info["head"] = _text(first)
            info["tail"] = _text(fh.read(tail)) if st.st_size > head else ""
    return info


def listing(root, depth=2, limit=64, head=256, tail=2048, read=None):
    """Files under root (mtime, size, first/last bytes of those `read` accepts) as JSON."""
    t0, items, dropped = time.monotonic(), [], 0
    try:
        names = sorted(os.listdir(root))
    except OSError as exc:
        return _cap(root, t0, error=_os_error(exc), detail=str(exc))
    todo = [(os.path.join(root, n), 1) for n in names]
    while todo:
        path, level = todo.pop(0)
        if len(items) >= limit:
            dropped += 1
            continue
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                st = os.stat(path)
                items.append({"path": path, "mtime_s": int(st.st_mtime), "size": 0, "dir": True})
                if level < depth:
                    todo += [(os.path.join(path, n), level + 1) for n in sorted(os.listdir(path))]
                continue
            want = read is None or read(path)
            items.append(_file_info(path, head if want else 0, tail if want else 0))
        except OSError as exc:
            items.append({"path": path, "error": "%s" % (exc.strerror or exc)})
    return _cap(root, t0, 0, json.dumps(items), dropped=dropped)


def small_files(pattern_dirs, match, cap=256):
    """{path: first bytes as hex} of files in `pattern_dirs` whose name `match` accepts."""
    t0, out = time.monotonic(), {}
    found_dir = False
    for d in pattern_dirs:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        found_dir = True
        for n in names:
            if not match(n):
                continue
            path = os.path.join(d, n)
            try:
                with open(path, "rb") as fh:
                    out[path] = fh.read(cap).hex()
            except OSError as exc:
                out[path] = "error: %s" % (exc.strerror or exc)
    if not found_dir:
        return _cap(" ".join(pattern_dirs), t0, error="missing", detail="no such directory")
    return _cap(" ".join(pattern_dirs), t0, 0, json.dumps(out))


def watchdogs():
    t0, out = time.monotonic(), {}
    base = "/sys/class/watchdog"
    try:
        names = sorted(os.listdir(base))
    except OSError as exc:
        return _cap(base, t0, error=_os_error(exc), detail=str(exc))
    for n in names:
        dev = {}
        for attr in ("bootstatus", "identity", "timeout"):
            try:
                with open(os.path.join(base, n, attr), "rb") as fh:
                    dev[attr] = _text(fh.read(128)).strip()
            except OSError as exc:
                dev[attr] = None if _os_error(exc) == "missing" else "error: %s" % exc.strerror
        out[n] = dev
    return _cap(base, t0, 0, json.dumps(out))


def facts():
    t0 = time.monotonic()

    def read(path, default=""):
        try:
            with open(path, "rb") as fh:
                return _text(fh.read(4096)).strip()
        except OSError:
            return default

    btime = 0
    for line in read("/proc/stat").splitlines():
        if line.startswith("btime "):
            btime = int(line.split()[1])
    doc = {
        "now_s": int(time.time()),
        "btime_s": btime,
        "uptime_s": float(read("/proc/uptime", "0 0").split()[0]),
        "boot_id": read("/proc/sys/kernel/random/boot_id"),
        "hostname": os.uname().nodename,
        "kernel": os.uname().release,
        "arch": os.uname().machine,
        "euid": os.geteuid(),
        "persistent_journal": os.path.isdir("/var/log/journal"),
        "volatile_journal": os.path.isdir("/run/log/journal"),
    }
    return _cap("facts", t0, 0, json.dumps(doc))


def _utc_seconds(stamp):
    # A journal stamp in UTC (TZ=UTC above) as epoch seconds; calendar and _strptime (and locale
    # and datetime with them) load only when there are earlier boots to date.
    import calendar

    return calendar.timegm(time.strptime(stamp, "%Y-%m-%d %H:%M:%S"))


def _boot_ids(boots_text, now_s, since_s, max_boots):
    """Boot ids of earlier boots whose last entry is within since_s (boot -1 always)."""
    picked = []
    for line in boots_text.splitlines():
        m = _BOOT_LINE.match(line)
        if not m or int(m.group(1)) >= 0:
            continue
        stamps = _STAMP.findall(m.group(3))
        last = _utc_seconds(stamps[-1]) if stamps else 0
        if int(m.group(1)) == -1 or last >= now_s - since_s:
            picked.append((int(m.group(1)), m.group(2)))
    picked.sort(reverse=True)
    return picked[:max_boots]


def _keeper(pattern, head, tail):
    rx = re.compile(pattern.encode())

    def keep(data):
        hits = [ln for ln in data.splitlines() if rx.search(ln)]
        if len(hits) > head + tail:
            hits = hits[:head] + hits[-tail:]
        return b"\n".join(hits) + (b"\n" if hits else b"")

    return keep


def boot_sources(spec):
    """The facts and the boot list, taken now, and the journal jobs for the boots it lists."""
    caps = {"facts": facts()}
    now_s = json.loads(caps["facts"]["stdout"])["now_s"]
    caps["boots"] = run(["journalctl", "--list-boots", "--no-pager"], cap=1 << 20)
    jobs = []
    if caps["boots"]["error"] is None and caps["boots"]["rc"] == 0:
        boots = _boot_ids(caps["boots"]["stdout"], now_s, spec["since_s"], spec["max_boots"])
        keep = _keeper(spec["kernel_re"], 100, 300)
        for idx, bid in boots:
            tail = ["journalctl", "-b", bid, "-n", str(spec["tail_lines"]), "-o", "short-iso"]
            jobs.append(("tail:%d" % idx, lambda a=tail: run(a + ["--no-pager"])))
            kern = ["journalctl", "-k", "-b", bid, "-o", "short-iso", "--no-pager"]
            jobs.append(("kernel:%d" % idx, lambda a=kern: run(a, 1 << 18, 8.0, keep)))
    return caps, jobs


def other_sources(spec):
    """The jobs that need no boot list (they start before it is read), and the IPMI slot when
    there is nothing to run for it."""
    caps = {}
    jobs = [
        ("pstore", lambda: listing("/sys/fs/pstore", 1)),
        ("pstore_archive", lambda: listing("/var/lib/systemd/pstore", 2)),
        ("kdump", lambda: listing("/var/crash", 2, read=lambda p: "dmesg" in p)),
        ("watchdog", watchdogs),
        ("efi", lambda: small_files(["/sys/firmware/efi/efivars"], _efi_name)),
        ("esrt", lambda: listing("/sys/firmware/efi/esrt/entries", 2, 128, 64, 0)),
        ("wtmp", lambda: run(["last", "-x", "--time-format", "iso", "-n", "400"])),
        ("intents", lambda: _intents(spec["intents_path"])),
    ]
    ipmi_dev = [d for d in _IPMI_DEVICES if os.path.exists(d)]
    if _which("ipmitool") and ipmi_dev:
        jobs.append(("ipmi_sel", lambda: run(["ipmitool", "sel", "elist"], 1 << 16, 8.0)))
    else:
        why = (
            "no IPMI device (%s)" % ", ".join(_IPMI_DEVICES)
            if _which("ipmitool")
            else ("ipmitool: not installed")
        )
        caps["ipmi_sel"] = _cap("ipmitool", time.monotonic(), None, "", "", 0, "missing", why)
    return caps, jobs


def _efi_name(name):
    # Capsule result variables (UEFI 2.x: Capsule0000..CapsuleLast under the EFI_CAPSULE_REPORT
    # GUID), a staged CapsuleUpdateData, and OsIndications (firmware-update request bits).
    return name.startswith(("Capsule", "OsIndications"))


def _intents(path):
    t0 = time.monotonic()
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            fh.seek(max(0, size - 16384))
            data = fh.read(16384)
    except OSError as exc:
        return _cap(path, t0, error=_os_error(exc), detail=str(exc))
    return _cap(path, t0, 0, _text(data), dropped=max(0, size - 16384))


def document(spec, started=None):
    """The payload document: every capture, those still running at the deadline as timeouts.
    `started()`, when given, is called once every job is running: the in-process run
    (diag/payload/inproc.py) waits for it before loading its judging code, which would
    otherwise hold the GIL while these threads start."""
    import threading

    _DEADLINE[0] = _T0 + float(spec.get("deadline_s", 20.0))
    caps, lock, threads, failed = {}, threading.Lock(), [], []

    def work(name, fn):
        try:
            res = fn()
        except Exception as exc:
            res = _cap(name, time.monotonic(), error="exec_failed", detail=repr(exc))
        with lock:
            caps[name] = res

    def start(jobs):
        for name, fn in jobs:
            th = threading.Thread(target=work, args=(name, fn), daemon=True)
            th.start()
            with lock:
                threads.append((name, th))

    def boots():
        # The longest chain first: the boot list, then each listed boot's journal.
        try:
            boot_caps, boot_jobs = boot_sources(spec)
        except BaseException as exc:  # re-raised below, as when this ran in line
            failed.append(exc)
            return
        with lock:
            caps.update(boot_caps)
        start(boot_jobs)

    chain = threading.Thread(target=boots, daemon=True)
    chain.start()
    taken, jobs = other_sources(spec)  # what needs no boot list runs meanwhile
    with lock:
        caps.update(taken)
    start(jobs)
    if started is not None:
        started()
    chain.join(max(0.0, _DEADLINE[0] - time.monotonic()))
    if failed:
        raise failed[0]
    with lock:
        running = list(threads)
    for _name, th in running:
        th.join(max(0.0, _DEADLINE[0] - time.monotonic()))
    with lock:
        names = [name for name, _th in threads]
        if chain.is_alive():
            names += ["facts", "boots"]
        for name in names:
            if name not in caps:
                caps[name] = _cap(name, _T0, error="timeout", detail="still running at deadline")
        return {"payload_version": PAYLOAD_VERSION, "mode": "python", "duration_ms": _ms(_T0),
                "captures": dict(caps)}  # fmt: skip


def main(spec):
    out = json.dumps(document(spec), separators=(",", ":"))
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
    os._exit(0)
