"""Threshold edges of the graded checks, under the shipped policy: a value exactly at a
threshold crosses it, just below does not. Each row pins the status and the message."""

from __future__ import annotations

import pytest

from diag.checks import Context, Rules
from diag.checks.gpu import pcie, throttle
from diag.checks.host import (
    clock_sync,
    cpu_load,
    disk_space,
    mem_available,
    mem_pressure,
    oom_kills,
)
from diag.policy import Policy
from schemas.gpu import GpuInfo
from schemas.payload import Capture


def rules(check_id: str) -> Rules:
    return Policy.load().check(check_id)[1]


def cap(stdout: str) -> dict[str, Capture]:
    return {"x": Capture(source="test", rc=0, stdout=stdout)}


def one(findings: list, field: str = "status") -> tuple[str, str]:  # type: ignore[type-arg]
    (f,) = findings
    return f.status.value, f.message


# warn_per_core 1.5, fail_per_core 4.0, on 4 cores; the 1-minute average is set far off so a
# check judging it instead of the 5-minute one fails every row.
@pytest.mark.parametrize(
    ("load5", "status", "message"),
    [
        ("5.96", "pass", "5-min load 5.96 on 4 cores (1.49/core)"),
        ("6.00", "warn", "5-min load 6.0 on 4 cores (1.5/core >= warn 1.5)"),
        ("6.04", "warn", "5-min load 6.04 on 4 cores (1.51/core >= warn 1.5)"),
        ("15.96", "warn", "5-min load 15.96 on 4 cores (3.99/core >= warn 1.5)"),
        ("16.00", "fail", "5-min load 16.0 on 4 cores (4.0/core >= fail 4.0)"),
        ("16.04", "fail", "5-min load 16.04 on 4 cores (4.01/core >= fail 4.0)"),
    ],
)
@pytest.mark.parametrize("load1", ["0.00", "99.00"])
def test_cpu_load_edges(load1: str, load5: str, status: str, message: str) -> None:
    caps = {"loadavg": cap(f"{load1} {load5} 0.10 1/100 42\n")["x"]}
    got = cpu_load.evaluate(caps, rules("host.cpu_load"), Context(cpu_count=4))
    assert one(got) == (status, message)


# warn_available_pct 10, fail_available_pct 5: lower is worse.
@pytest.mark.parametrize(
    ("avail_kib", "status", "crossed"),
    [
        (10100, "pass", ""),
        (10000, "warn", " <= warn 10.0%"),
        (9900, "warn", " <= warn 10.0%"),
        (5100, "warn", " <= warn 10.0%"),
        (5000, "fail", " <= fail 5.0%"),
        (4900, "fail", " <= fail 5.0%"),
    ],
)
def test_mem_available_edges(avail_kib: int, status: str, crossed: str) -> None:
    text = f"MemTotal: 100000 kB\nMemFree: 1 kB\nMemAvailable: {avail_kib} kB\n"
    got = mem_available.evaluate(
        {"meminfo": cap(text)["x"]}, rules("host.mem_available"), Context()
    )
    assert one(got) == (status, f"{round(avail_kib / 1000, 1)}% of memory available{crossed}")


# some: warn 10, fail 40; full: warn 5, fail 20 (10-second averages). Each side alone decides.
@pytest.mark.parametrize(
    ("some", "full", "status", "message"),
    [
        (9.99, 0.0, "pass", "some=9.99%, full=0.0%"),
        (10.0, 0.0, "warn", "some=10.0% >= warn 10.0%, full=0.0%"),
        (39.99, 0.0, "warn", "some=39.99% >= warn 10.0%, full=0.0%"),
        (40.0, 0.0, "fail", "some=40.0% >= fail 40.0%, full=0.0%"),
        (0.0, 4.99, "pass", "some=0.0%, full=4.99%"),
        (0.0, 5.0, "warn", "some=0.0%, full=5.0% >= warn 5.0%"),
        (0.0, 5.01, "warn", "some=0.0%, full=5.01% >= warn 5.0%"),
        (0.0, 19.99, "warn", "some=0.0%, full=19.99% >= warn 5.0%"),
        (0.0, 20.0, "fail", "some=0.0%, full=20.0% >= fail 20.0%"),
        (9.99, 20.01, "fail", "some=9.99%, full=20.01% >= fail 20.0%"),
    ],
)
def test_mem_pressure_edges(some: float, full: float, status: str, message: str) -> None:
    text = (
        f"some avg10={some:.2f} avg60=0.00 avg300=0.00 total=1\n"
        f"full avg10={full:.2f} avg60=0.00 avg300=0.00 total=1\n"
    )
    got = mem_pressure.evaluate(
        {"psi_memory": cap(text)["x"]}, rules("host.mem_pressure"), Context()
    )
    assert one(got) == (status, f"memory stall {message} (10 s average)")


# space and inodes: warn 85 %, fail 95 % used (df semantics).
@pytest.mark.parametrize(
    ("avail", "ffree", "status", "message"),
    [
        (151, 1000, "pass", "/: 84.9% space used, 0.0% inodes used"),
        (150, 1000, "warn", "/: 85.0% space used >= warn 85.0%, 0.0% inodes used"),
        (51, 1000, "warn", "/: 94.9% space used >= warn 85.0%, 0.0% inodes used"),
        (50, 1000, "fail", "/: 95.0% space used >= fail 95.0%, 0.0% inodes used"),
        (1000, 151, "pass", "/: 0.0% space used, 84.9% inodes used"),
        (1000, 150, "warn", "/: 0.0% space used, 85.0% inodes used >= warn 85.0%"),
        (1000, 50, "fail", "/: 0.0% space used, 95.0% inodes used >= fail 95.0%"),
    ],
)
def test_disk_space_edges(avail: int, ffree: int, status: str, message: str) -> None:
    line = "\t".join(str(x) for x in ("/", 1, 1000, avail, avail, 1000, ffree, ffree, 0))
    var = line.replace("/", "/var", 1).replace(f"\t{avail}\t{avail}\t", "\t1000\t1000\t", 1)
    var = var.replace(f"\t{ffree}\t{ffree}\t", "\t1000\t1000\t")
    got = disk_space.evaluate(
        {"statvfs": cap(f"{line}\n{var}\n")["x"]}, rules("host.disk_space"), Context()
    )
    assert (got[0].status.value, got[0].message) == (status, message)
    assert got[1].status.value == "pass"


# warn_kills 1, fail_kills 10.
@pytest.mark.parametrize(
    ("kills", "status", "crossed"),
    [
        (0, "pass", ""),
        (1, "warn", " >= warn 1"),
        (9, "warn", " >= warn 1"),
        (10, "fail", " >= fail 10"),
        (11, "fail", " >= fail 10"),
    ],
)
def test_oom_kills_edges(kills: int, status: str, crossed: str) -> None:
    got = oom_kills.evaluate(
        {"vmstat": cap(f"nr_free_pages 5\noom_kill {kills}\n")["x"]},
        rules("host.oom_kills"),
        Context(),
    )
    assert one(got) == (status, f"{kills} OOM kill(s) since boot{crossed}")


# warn_max_error_ms 100: strictly above warns (the kernel's maxerror grows while unsynced).
@pytest.mark.parametrize(
    ("maxerror_us", "status", "message"),
    [
        (99999, "pass", "clock synchronised, max error 100.0 ms"),
        (100000, "pass", "clock synchronised, max error 100.0 ms"),
        (100001, "warn", "clock synchronised but max error 100.0 ms > warn 100.0 ms"),
    ],
)
def test_clock_max_error_edges(maxerror_us: int, status: str, message: str) -> None:
    text = f"state=0 status=0x2000 maxerror_us={maxerror_us} esterror_us=1 offset=0"
    got = clock_sync.evaluate({"adjtimex": cap(text)["x"]}, rules("host.clock_sync"), Context())
    assert one(got) == (status, message)


def h100(**kw: object) -> GpuInfo:
    base: dict[str, object] = {
        "index": 0,
        "uuid": "GPU-0",
        "bdf": "0000:3b:00.0",
        "pcie_gen_current": 5,
        "pcie_gen_max": 5,
        "pcie_width_current": 16,
        "pcie_width_max": 16,
        "util_gpu_pct": 0,
        "compute_processes": 0,
    }
    return GpuInfo.model_validate({**base, **kw})


# Replay rate = counter / uptime in minutes; Gen5 limit 16/min, Gen4 8/min (shipped policy).
@pytest.mark.parametrize(
    ("gen", "replays", "parts"),
    [
        (5, 159, []),
        (5, 160, [("warn", "monitor", "16.0 PCIe replays/min >= warn 16 (gen 5)")]),
        (5, 161, [("warn", "monitor", "16.1 PCIe replays/min >= warn 16 (gen 5)")]),
        (4, 79, []),
        (4, 80, [("warn", "monitor", "8.0 PCIe replays/min >= warn 8 (gen 4)")]),
    ],
)
def test_pcie_replay_rate_edges(gen: int, replays: int, parts: list[tuple[str, str, str]]) -> None:
    g = h100(pcie_gen_current=gen, pcie_gen_max=gen, pcie_replay_count=replays)
    got = pcie.pcie_parts(g, rules("gpu.pcie"), uptime_s=600.0)
    assert [(s.value, a.value, m) for s, a, m in got] == parts


# busy_util_pct 10: a down-trained link is judged only on a busy GPU.
@pytest.mark.parametrize(
    ("util", "parts"),
    [(9, []), (10, [("warn", "monitor", "link below max while busy: gen 4/5")])],
)
def test_pcie_busy_edge(util: int, parts: list[tuple[str, str, str]]) -> None:
    g = h100(pcie_gen_current=4, util_gpu_pct=util)
    got = pcie.pcie_parts(g, rules("gpu.pcie"), uptime_s=600.0)
    assert [(s.value, a.value, m) for s, a, m in got] == parts


# warn_margin_to_slowdown_c 5: at 5 °C from the slowdown threshold it warns.
@pytest.mark.parametrize(
    ("temp", "parts"),
    [
        (84, []),
        (85, [("warn", "monitor", "85 °C, 5 °C from slowdown <= warn 5 °C")]),
        (86, [("warn", "monitor", "86 °C, 4 °C from slowdown <= warn 5 °C")]),
    ],
)
def test_throttle_margin_edges(temp: int, parts: list[tuple[str, str, str]]) -> None:
    g = h100(temp_c=temp, temp_slowdown_c=90, clock_event_reasons=0)
    got = throttle.thermal_parts(g, rules("gpu.throttle"))
    assert [(s.value, a.value, m) for s, a, m in got] == parts
