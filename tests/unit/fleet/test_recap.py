"""The fleet recap: envelopes in, the exact recap text out; hostlist ranges at their edges."""

from __future__ import annotations

from typing import Any

import pytest

from diag.cli.render import recap_text
from diag.fleet.recap import hostlist, recap
from schemas.envelope import Envelope


def _env(name: str, status: str, *findings: tuple[str, str, str], errors: Any = ()) -> Envelope:
    return Envelope.model_validate(
        {
            "kind": "health.l1",
            "tool_version": "0",
            "host": {"name": name},
            "ok": status == "pass",
            "status": status,
            "collected_at": "2026-01-01T00:00:00.000Z",
            "duration_ms": 1,
            "findings": [
                {"check_id": c, "status": s, "severity": "info", "message": m}
                for c, s, m in findings
            ],
            "errors": list(errors),
        }
    )


LOAD = "host.cpu_load"
DISK = "host.disk_space"
XID = "gpu.xid"


def load(value: str, per_core: str) -> tuple[str, str, str]:
    return (LOAD, "warn", f"5-min load {value} on 8 cores ({per_core}/core >= warn 2.0)")


CASES = [
    pytest.param(
        [_env("gpu-01", "pass", (LOAD, "pass", "5-min load 1 on 8 cores (0.12/core)"))] * 1
        + [_env("gpu-02", "pass")],
        ["RECAP", "2 hosts: 2 pass"],
        id="all-pass-only-counts",
    ),
    pytest.param(
        [
            _env("gpu-01", "warn", load("20.0", "2.5")),
            _env("gpu-02", "warn", load("20.0", "2.5")),
            _env("gpu-03", "warn", load("24.8", "3.1")),
            _env("gpu-07", "fail", load("16.1", "2.01"), (XID, "fail", "Xid 79 on GPU 3")),
            _env("login", "pass"),
        ],
        [
            "RECAP",
            "  FAIL  gpu.xid                     1 host  gpu-07: Xid 79 on GPU 3",
            "  WARN  host.cpu_load              4 hosts  gpu-[01-03,07]: "
            "5-min load … on 8 cores (…/core >= warn 2.0)",
            "5 hosts: 1 pass, 3 warn, 1 fail",
        ],
        id="numbers-that-differ-become-ellipses-worst-first",
    ),
    pytest.param(
        [
            _env("n9", "fail", (DISK, "fail", "/: 95% space used >= fail 90%, 3% inodes used")),
            _env("n10", "fail", (DISK, "fail", "/: 95% space used >= fail 90%, 3% inodes used")),
            _env("n11", "warn", (DISK, "warn", "/: 85% space used >= warn 80%, 3% inodes used")),
        ],
        [
            "RECAP",
            "  FAIL  host.disk_space            2 hosts  n[9-10]: "
            "/: 95% space used >= fail 90%, 3% inodes used",
            "  WARN  host.disk_space             1 host  n11: "
            "/: 85% space used >= warn 80%, 3% inodes used",
            "3 hosts: 1 warn, 2 fail",
        ],
        id="same-check-other-status-is-its-own-line",
    ),
    pytest.param(
        [
            _env(h, "unreachable", errors=[{"code": "timeout", "message": f"{h}: no answer"}])
            for h in ("db-a", "db-b")
        ]
        + [_env("gpu-01", "error", errors=[{"code": "payload_failed", "message": "exit 127"}])],
        [
            "RECAP",
            "  DOWN  timeout                    2 hosts  db-a,db-b: <host>: no answer",
            "  ERR   payload_failed              1 host  gpu-01: exit 127",
            "3 hosts: 1 error, 2 unreachable",
        ],
        id="host-errors-with-the-host-name-taken-out",
    ),
    pytest.param(
        [
            _env(
                "gpu-01", "fail", (XID, "fail", "Xid 79 on GPU 0"), (XID, "fail", "Xid 79 on GPU 1")
            ),
            _env("gpu-02", "unknown", (XID, "unknown", "cannot judge: dmesg: \x1b[2Jdenied")),
        ],
        [
            "RECAP",
            "  FAIL  gpu.xid                     1 host  gpu-01: Xid 79 on GPU …",
            "  UNKN  gpu.xid                     1 host  gpu-02: "
            "cannot judge: dmesg: \\x1b[2Jdenied",
            "2 hosts: 1 fail, 1 unknown",
        ],
        id="two-findings-of-one-host-count-it-once-host-text-made-safe",
    ),
]


@pytest.mark.parametrize(("envs", "lines"), CASES)
def test_recap_text(envs: list[Envelope], lines: list[str]) -> None:
    assert recap_text(recap(envs)).split("\n") == lines


def test_recap_colours_only_our_words() -> None:
    envs = [_env("a\x1b[31m", "fail", (XID, "fail", "Xid 79")), _env("b", "pass")]
    assert recap_text(recap(envs), colour=True).split("\n") == [
        "RECAP",
        "  \x1b[31mFAIL\x1b[0m  gpu.xid                     1 host  a\\x1b[31m: Xid 79",
        "2 hosts: 1 \x1b[32mpass\x1b[0m, 1 \x1b[31mfail\x1b[0m",
    ]


@pytest.mark.parametrize(
    ("names", "width", "shown"),
    [
        (["gpu-01", "gpu-02", "gpu-03", "gpu-07"], 60, "gpu-[01-03,07]"),
        (["gpu-07", "gpu-01", "gpu-02"], 60, "gpu-[01-02,07]"),  # sorted within a family
        (["gpu-01"], 60, "gpu-01"),  # one member: no brackets
        (["a", "b", "a"], 60, "a,b"),  # no number: as given, once
        (["n9", "n10", "n11"], 60, "n[9-11]"),  # unpadded numbers run on
        (["gpu-09", "gpu-10"], 60, "gpu-[09-10]"),
        (["gpu-1", "gpu-01", "gpu-2"], 60, "gpu-[1,01,2]"),  # a run keeps its digit width
        (["r1-gpu1", "r2-gpu1"], 60, "r1-gpu1,r2-gpu1"),  # only the last number ranges
        (["gpu1.dc", "gpu2.dc", "gpu3.de"], 60, "gpu[1-2].dc,gpu3.de"),
        (["gpu-01", "gpu-03", "login", "db", "web"], 20, "gpu-[01,03],login,db +1 more"),
        (["gpu-01", "gpu-03", "login", "db", "web"], 19, "gpu-[01,03],login +2 more"),
        (["x1", "y1", "z1"], 1, "x1 +2 more"),  # the first token always shows
    ],
)
def test_hostlist(names: list[str], width: int, shown: str) -> None:
    assert hostlist(names, width) == shown
