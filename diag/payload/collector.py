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
    res = _result(src, t0, None if error else rc, out.data, err.data, out.dropped, error)
    if spec.get("grep"):
        _grep(res, spec["grep"], len(out.data))
    return res


def _grep(res, match, nbytes):
    # Keep only the lines the jump host reads (a kernel log's Xid lines), split exactly as it
    # splits them (str.splitlines on the decoded text); count what was there before.
    lines = res["stdout"].splitlines()
    kept = [ln for ln in lines if match in ln]
    res["stdout"] = "".join(ln + "\n" for ln in kept)
    res["filtered"] = {
        "match": match,
        "bytes": nbytes,
        "lines": sum(1 for ln in lines if ln.strip()),
        "kept": len(kept),
    }


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

        # dlopen(NULL): the process's own symbols, libc's among them. ctypes.util.find_library
        # imports tempfile and shutil and runs `ldconfig -p` (~20 ms); only where the symbol is
        # not found that way (a static interpreter) is it asked.
        libc = ctypes.CDLL(None, use_errno=True)
        if not hasattr(libc, "adjtimex"):
            import ctypes.util

            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
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
    uname = os.uname()
    facts = {
        "hostname": uname.nodename,  # gethostname(2) on Linux, without importing socket
        "kernel": uname.release,
        "arch": uname.machine,
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
        # inventory for CMDB exports (world-readable, except board_serial)
        "sys_vendor": _read("/sys/class/dmi/id/sys_vendor"),
        "product_name": _read("/sys/class/dmi/id/product_name"),
        "bios_version": _read("/sys/class/dmi/id/bios_version"),
        "board_serial": _read("/sys/class/dmi/id/board_serial"),
    }
    return _result("facts", t0, 0, json.dumps(facts).encode())


# ---- GPUs through NVML (ctypes on libnvidia-ml.so.1) ---------------------------------------
# Every call is guarded: a function the driver lacks ("no_symbol") or one that answers
# NVML_ERROR_NOT_SUPPORTED lands in the GPU's "unsupported" map under its field name and never
# becomes a zero. Return codes are named as in nvml.h.
_NVML_RC = {
    1: "uninitialized",
    2: "invalid_argument",
    3: "not_supported",
    4: "no_permission",
    6: "not_found",
    7: "insufficient_size",
    9: "driver_not_loaded",
    10: "timeout",
    12: "library_not_found",
    13: "function_not_found",
    14: "corrupted_inforom",
    15: "gpu_is_lost",
    16: "reset_required",
    18: "lib_rm_version_mismatch",
    21: "no_data",
}
_NVML_FI_RECOVERY_ACTION = 230  # NVML_FI_DEV_GET_GPU_RECOVERY_ACTION (R570+ drivers)
_NVML_MAX_LINKS = 36


class _Nvml(object):
    def __init__(self, lib):
        self.lib = lib

    def call(self, fname, *args):
        try:
            fn = getattr(self.lib, fname)
        except AttributeError:
            return "no_symbol"
        rc = fn(*args)
        return 0 if rc == 0 else _NVML_RC.get(rc, "error_%d" % rc)

    def first(self, fnames, *args):
        rc = "no_symbol"
        for fname in fnames:
            rc = self.call(fname, *args)
            if rc != "no_symbol":
                return rc
        return rc


def _nv_scalars(nv, h, g, bad):
    import ctypes as c

    def num(key, fnames, ctype, *pre):
        v = ctype()
        rc = nv.first(fnames, h, *(pre + (c.byref(v),)))
        if rc:
            bad[key] = rc
        else:
            g[key] = v.value

    u, ull = c.c_uint, c.c_ulonglong
    num("temp_c", ["nvmlDeviceGetTemperature"], u, c.c_int(0))
    num("temp_shutdown_c", ["nvmlDeviceGetTemperatureThreshold"], u, c.c_int(0))
    num("temp_slowdown_c", ["nvmlDeviceGetTemperatureThreshold"], u, c.c_int(1))
    num("temp_gpu_max_c", ["nvmlDeviceGetTemperatureThreshold"], u, c.c_int(3))
    num("power_mw", ["nvmlDeviceGetPowerUsage"], u)
    num("power_limit_mw", ["nvmlDeviceGetEnforcedPowerLimit"], u)
    num(
        "clock_event_reasons",
        ["nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"],
        ull,
    )
    # nvmlMemoryErrorType_t: 0 corrected, 1 uncorrected;
    # nvmlEccCounterType_t: 0 volatile, 1 aggregate
    for key, etype, ctr in (
        ("ecc_volatile_corrected", 0, 0),
        ("ecc_volatile_uncorrected", 1, 0),
        ("ecc_aggregate_corrected", 0, 1),
        ("ecc_aggregate_uncorrected", 1, 1),
    ):
        num(key, ["nvmlDeviceGetTotalEccErrors"], ull, c.c_int(etype), c.c_int(ctr))
    num("retired_pages_pending", ["nvmlDeviceGetRetiredPagesPendingStatus"], u)
    num("pcie_gen_current", ["nvmlDeviceGetCurrPcieLinkGeneration"], u)
    num("pcie_gen_max", ["nvmlDeviceGetMaxPcieLinkGeneration"], u)
    num("pcie_gen_gpu_max", ["nvmlDeviceGetGpuMaxPcieLinkGeneration"], u)
    num("pcie_width_current", ["nvmlDeviceGetCurrPcieLinkWidth"], u)
    num("pcie_width_max", ["nvmlDeviceGetMaxPcieLinkWidth"], u)
    num("pcie_replay_count", ["nvmlDeviceGetPcieReplayCounter"], u)
    num("persistence_mode", ["nvmlDeviceGetPersistenceMode"], u)


def _nv_pairs(nv, h, g, bad):
    import ctypes as c

    a, b = c.c_uint(), c.c_uint()
    rc = nv.call("nvmlDeviceGetEccMode", h, c.byref(a), c.byref(b))
    if rc:
        bad["ecc_mode"] = rc
    else:
        g["ecc_mode_current"], g["ecc_mode_pending"] = a.value, b.value
    rc = nv.call("nvmlDeviceGetMigMode", h, c.byref(a), c.byref(b))
    if rc:
        bad["mig_mode"] = rc
    else:
        g["mig_mode_current"], g["mig_mode_pending"] = a.value, b.value
    util = (c.c_uint * 2)()
    rc = nv.call("nvmlDeviceGetUtilizationRates", h, c.byref(util))
    if rc:
        bad["utilization"] = rc
    else:
        g["util_gpu_pct"], g["util_mem_pct"] = util[0], util[1]
    r = [c.c_uint() for _ in range(4)]
    rc = nv.call("nvmlDeviceGetRemappedRows", h, *[c.byref(x) for x in r])
    if rc:
        bad["remapped_rows"] = rc
    else:
        keys = ("remap_correctable", "remap_uncorrectable", "remap_pending", "remap_failure")
        g.update(zip(keys, [x.value for x in r]))
    for key, cause in (("retired_pages_sbe", 0), ("retired_pages_dbe", 1)):
        count = c.c_uint(0)
        rc = nv.call("nvmlDeviceGetRetiredPages", h, c.c_int(cause), c.byref(count), None)
        if rc in (0, "insufficient_size"):
            g[key] = count.value
        else:
            bad[key] = rc


class _FieldValue(object):
    _cls = None

    @classmethod
    def make(cls):
        import ctypes as c

        if cls._cls is None:

            class FV(c.Structure):
                _fields_ = [
                    ("fieldId", c.c_uint32),
                    ("scopeId", c.c_uint32),
                    ("timestamp", c.c_int64),
                    ("latencyUsec", c.c_int64),
                    ("valueType", c.c_uint),
                    ("nvmlReturn", c.c_uint),
                    ("value", c.c_ulonglong),
                ]

            cls._cls = FV
        return cls._cls()


# nvmlNvLinkErrorCounter_t: NVML_NVLINK_ERROR_DL_REPLAY 0, _DL_RECOVERY 1, _DL_CRC_FLIT 2,
# _DL_CRC_DATA 3. Cumulative since the driver loaded; a counter this GPU lacks keeps its rc name.
_NVLINK_COUNTERS = (("replay", 0), ("recovery", 1), ("crc_flit", 2), ("crc_data", 3))


def _nv_link_counters(nv, h, link):
    import ctypes as c

    out, v = {}, c.c_ulonglong()
    for key, counter in _NVLINK_COUNTERS:
        rc = nv.call(
            "nvmlDeviceGetNvLinkErrorCounter", h, c.c_uint(link), c.c_int(counter), c.byref(v)
        )
        out[key] = rc or v.value
    return out


# nvmlGpuFabricState_t: 0 NOT_SUPPORTED, 1 NOT_STARTED, 2 IN_PROGRESS, 3 COMPLETED. `status` is an
# nvmlReturn_t, meaningful once the state is COMPLETED. The GPU's own view of its NVLink fabric
# registration: it answers in VMs, where the NVSwitches are not on the guest's PCI bus.
def _nv_fabric(nv, h, g, bad):
    import ctypes as c

    uuid = c.c_ubyte * 16
    fields = [("uuid", uuid), ("status", c.c_uint), ("clique", c.c_uint), ("state", c.c_ubyte)]

    class InfoV2(c.Structure):  # nvmlGpuFabricInfo_v2_t, for nvmlDeviceGetGpuFabricInfoV
        _fields_ = [("version", c.c_uint)] + fields + [("health_mask", c.c_uint)]

    class InfoV1(c.Structure):  # nvmlGpuFabricInfo_t (R525+; deprecated for the V call)
        _fields_ = fields

    info = InfoV2()
    info.version = c.sizeof(InfoV2) | (2 << 24)  # NVML_STRUCT_VERSION(GpuFabricInfo, 2)
    rc = nv.call("nvmlDeviceGetGpuFabricInfoV", h, c.byref(info))
    if rc == "no_symbol":
        info = InfoV1()
        rc = nv.call("nvmlDeviceGetGpuFabricInfo", h, c.byref(info))
    if rc:
        bad["fabric"] = rc
        return
    status = "success" if info.status == 0 else _NVML_RC.get(info.status, "error_%d" % info.status)
    g["fabric"] = {"state": info.state, "status": status, "clique_id": info.clique}


def _nv_lists(nv, h, g, bad):
    import ctypes as c

    links, state = [], c.c_uint()
    for link in range(_NVML_MAX_LINKS):
        rc = nv.call("nvmlDeviceGetNvLinkState", h, c.c_uint(link), c.byref(state))
        if rc == "invalid_argument":
            break  # past this GPU's last link
        if rc and link == 0:
            bad["nvlink"] = rc
            break
        entry = {"link": link, "active": None if rc else bool(state.value), "error": rc or None}
        if entry["active"]:
            entry["counters"] = _nv_link_counters(nv, h, link)
        links.append(entry)
    if links:
        g["nvlink"] = links
    count = c.c_uint(0)
    names = ["nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"]
    rc = nv.first(names, h, c.byref(count), None)
    if rc == "insufficient_size":

        class Proc(c.Structure):
            _fields_ = [
                ("pid", c.c_uint),
                ("mem", c.c_ulonglong),
                ("gi", c.c_uint),
                ("ci", c.c_uint),
            ]

        count.value = count.value * 2 + 4
        arr = (Proc * count.value)()
        rc = nv.first(names, h, c.byref(count), arr)
        if not rc:
            g["processes"] = [
                {
                    "pid": arr[i].pid,
                    "used_mib": arr[i].mem // 1048576 if arr[i].mem < 1 << 62 else None,
                }
                for i in range(count.value)
            ]
    if rc == 0 and "processes" not in g:
        g["processes"] = []
    elif rc:
        bad["processes"] = rc
    fv = _FieldValue.make()
    fv.fieldId = _NVML_FI_RECOVERY_ACTION
    rc = nv.call("nvmlDeviceGetFieldValues", h, c.c_int(1), c.byref(fv))
    if not rc and fv.nvmlReturn:  # the call worked but this field did not (pre-R570 driver)
        rc = _NVML_RC.get(fv.nvmlReturn, "error_%d" % fv.nvmlReturn)
    if rc:
        bad["recovery_action"] = rc
    else:
        g["recovery_action"] = fv.value & 0xFFFFFFFF


def _nv_gpu(nv, i):
    import ctypes as c

    g, bad = {"index": i}, {}
    h = c.c_void_p()
    rc = nv.first(
        ["nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"], c.c_uint(i), c.byref(h)
    )
    if rc:
        g["unsupported"] = {"handle": rc}
        return g
    buf = c.create_string_buffer(128)
    for key, fname in (
        ("uuid", "nvmlDeviceGetUUID"),
        ("serial", "nvmlDeviceGetSerial"),
        ("name", "nvmlDeviceGetName"),
        ("vbios", "nvmlDeviceGetVbiosVersion"),
    ):
        rc = nv.call(fname, h, buf, c.c_uint(128))
        if rc:
            bad[key] = rc
        else:
            g[key] = _decode(buf.value)
    pci = (c.c_char * 128)()  # nvmlPciInfo_t: busIdLegacy[16], 5 x uint, busId[32]
    rc = nv.first(["nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2"], h, c.byref(pci))
    if rc:
        bad["pci_bus_id"] = rc
    else:
        g["pci_bus_id"] = _decode(bytes(pci[36:68]).split(b"\0")[0])
    for part in (_nv_scalars, _nv_pairs, _nv_lists, _nv_fabric):
        part(nv, h, g, bad)
    g["unsupported"] = bad
    return g


def _nv_system(nv):
    import ctypes as c

    out, buf, v = {}, c.create_string_buffer(96), c.c_int()
    if not nv.call("nvmlSystemGetDriverVersion", buf, c.c_uint(96)):
        out["driver_version"] = _decode(buf.value)
    if not nv.call("nvmlSystemGetNVMLVersion", buf, c.c_uint(96)):
        out["nvml_version"] = _decode(buf.value)
    names = ["nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion"]
    if not nv.first(names, c.byref(v)):
        out["cuda_driver_version"] = v.value
    return out


def nvml_snapshot(lib):
    """One full snapshot with an initialised library: {driver..., device_count, gpus}."""
    import ctypes as c

    nv = _Nvml(lib)
    doc = _nv_system(nv)
    n = c.c_uint()
    rc = nv.first(["nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"], c.byref(n))
    if rc:
        doc["device_count_error"] = rc
        doc["gpus"] = []
        return doc
    doc["device_count"] = n.value
    doc["gpus"] = [_nv_gpu(nv, i) for i in range(n.value)]
    return doc


def _nvml_fallback(spec, t0, error, detail):
    res = _result("nvml", t0, None, b"", b"", 0, error, detail)
    res["also"] = dict((f["name"], _guarded(f)) for f in spec.get("fallback", []))
    return res


def cap_nvml(spec):
    import ctypes

    t0 = time.monotonic()
    try:
        lib = ctypes.CDLL(spec.get("library", "libnvidia-ml.so.1"))
    except OSError as exc:
        return _nvml_fallback(spec, t0, "missing", "libnvidia-ml.so.1: %s" % exc)
    rc = _Nvml(lib).first(["nvmlInit_v2", "nvmlInit"])
    if rc:
        return _nvml_fallback(spec, t0, "exec_failed", "nvmlInit: %s" % rc)
    init_ms = _ms(t0)
    try:
        t1 = time.monotonic()
        doc = nvml_snapshot(lib)
        doc["query_ms"] = _ms(t1)
    finally:
        _Nvml(lib).call("nvmlShutdown")
    doc["backend"] = "nvml"
    doc["init_ms"] = init_ms
    return _result("nvml", t0, 0, json.dumps(doc).encode())


def cap_globs(spec):
    # Many small sysfs files (PCI devices, NICs, InfiniBand ports) as one JSON object
    # {path: first bytes}; a file that cannot be read maps to null.
    import glob

    t0 = time.monotonic()
    limit, per_file = int(spec.get("max_files", 4000)), int(spec.get("file_cap", 256))
    out, dropped = {}, 0
    for pattern in spec.get("paths", []):
        for path in sorted(glob.glob(pattern)):
            if len(out) >= limit:
                dropped += 1
                continue
            try:
                with open(path, "rb") as fh:
                    out[path] = _decode(fh.read(per_file)).strip()
            except OSError:
                out[path] = None
            if time.monotonic() > _DEADLINE[0]:
                return _result("globs", t0, None, json.dumps(out).encode(), b"", 0, "timeout")
    return _result("globs", t0, 0, json.dumps(out).encode(), b"", dropped)


HANDLERS = {
    "file": cap_file,
    "cmd": cap_cmd,
    "statvfs": cap_statvfs,
    "adjtimex": cap_adjtimex,
    "facts": cap_facts,
    "globs": cap_globs,
    "nvml": cap_nvml,
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
        extra = res.pop("also", None) or {}  # fallback captures a handler ran (nvml)
        with lock:
            captures[item["name"]] = res
            captures.update(extra)

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
