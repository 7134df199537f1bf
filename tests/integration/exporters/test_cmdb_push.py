"""`diagctl export cmdb --push` against loopback stand-ins for ServiceNow and NetBox.

ServiceNow and NetBox cannot run here (a licensed SaaS; a Django + PostgreSQL + Redis stack):
tests/integration/exporters/cmdb_receivers.py validates the documented request format (paths,
query, auth header, JSON shape) and answers as their APIs do; the NetBox push goes through the
real pynetbox client. Receiver down, 4xx for one host, 5xx then success, and a slow receiver are
each a case; the token never reaches stdout, stderr or the audit log.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from diag.cli.main import cli
from tests.integration.exporters.cmdb_receivers import TOKEN, netbox_route, serve, snow_route
from tests.unit.exporters.cmdb_inputs import HOSTILE, fleet, jsonl


def push(fmt: str, url: str, audit: Path, *extra: str) -> Result:
    args = ["export", "cmdb", "--format", fmt, "--push", url, "--audit", str(audit)]
    args += ["--spool", str(audit.parent / "spool"), *extra]
    res = CliRunner(env={"DIAGCTL_CMDB_TOKEN": TOKEN}).invoke(cli, args, input=jsonl(fleet()))
    for text in (res.stdout, res.stderr, audit.read_text() if audit.exists() else ""):
        assert TOKEN not in text
    return res


def outcomes(res: Result) -> list[tuple[str, str, str, str]]:
    docs = [json.loads(line) for line in res.stdout.splitlines()]
    return [(d["host"], d["identity"], d["result"], d["detail"]) for d in docs]


SAFE_HOSTILE = '=HYPERLINK("http://x")\\x1b[31m<script>alert(1)</script>'


def test_servicenow_push_and_audit(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    with serve(snow_route) as rec:
        res = push("servicenow", rec.url, audit)
    assert rec.problems == []
    assert (res.exit_code, res.stderr) == (0, "")
    assert outcomes(res) == [
        ("gpu-node-1", "serial S4211234567", "pushed", "IRE INSERT,INSERT"),
        (SAFE_HOSTILE, f"name {SAFE_HOSTILE}", "pushed", "IRE INSERT"),
        ("gpu-node-9", "name gpu-node-9", "pushed", "IRE INSERT"),
    ]
    assert [r[0] for r in rec.requests] == ["POST"] * 3
    logged = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(a["format"], a["url"], a["result"]) for a in logged] == [
        ("servicenow", rec.url, "pushed")
    ] * 3
    assert logged[0]["host"] == "gpu-node-1"


def test_servicenow_retries_5xx_then_succeeds(tmp_path: Path) -> None:
    with serve(snow_route) as rec:
        rec.fail_next = [503, 502]
        res = push("servicenow", rec.url, tmp_path / "a.jsonl")
    assert res.exit_code == 0 and rec.problems == []
    assert len(rec.requests) == 5  # 2 refused + 3 hosts
    assert [o[2] for o in outcomes(res)] == ["pushed"] * 3


def test_servicenow_4xx_fails_that_host_only_with_the_token_masked(tmp_path: Path) -> None:
    with serve(snow_route) as rec:
        rec.refuse_names = {"gpu-node-1"}
        res = push("servicenow", rec.url, tmp_path / "a.jsonl")
    assert (res.exit_code, res.stderr) == (1, "diagctl: export cmdb: 1 host(s) not pushed\n")
    first = outcomes(res)[0]
    assert first == (
        "gpu-node-1",
        "serial S4211234567",
        "failed",
        'HTTP 400: {"error": {"message": "Bearer *** rejected", "detail": "bad CI"}}',
    )
    assert len(rec.requests) == 3  # a 400 is not retried


def test_receiver_down_spools_every_host_quickly(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    t0 = time.monotonic()
    res = push("servicenow", url, tmp_path / "a.jsonl")
    assert res.exit_code == 4  # waiting in the spool (test_cmdb_spool.py drains it)
    assert [o[2] for o in outcomes(res)] == ["spooled"] * 3
    assert outcomes(res)[0][3] == (
        "receiver unreachable or unreadable: [Errno 111] Connection refused; "
        f"kept in {tmp_path}/spool"
    )
    assert time.monotonic() - t0 < 15


def test_slow_receiver_times_out_per_request(tmp_path: Path) -> None:
    with serve(snow_route) as rec:
        rec.delay_s = 2.0
        res = push("servicenow", rec.url, tmp_path / "a.jsonl", "--timeout", "0.3")
    assert [o[2] for o in outcomes(res)] == ["spooled"] * 3
    assert len(rec.requests) == 3  # the first host's attempts; the rest waits behind it
    assert outcomes(res)[0][3] == (
        f"receiver unreachable or unreadable: timed out; kept in {tmp_path}/spool"
    )


def netbox_objects(rec: Any) -> dict[str, list[dict[str, Any]]]:
    strip = ("id", "url")
    return {
        kind: [{k: v for k, v in o.items() if k not in strip} for o in table.values()]
        for kind, table in rec.store.items()
    }


def test_netbox_push_through_pynetbox_is_idempotent(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    with serve(netbox_route) as rec:
        first = push("netbox", rec.url, audit, "--netbox-site", "dc1")
        writes_after_first = [r for r in rec.requests if r[0] != "GET"]
        second = push("netbox", rec.url, audit, "--netbox-site", "dc1")
        writes = [r for r in rec.requests if r[0] != "GET"]
    assert rec.problems == []
    assert first.exit_code == 0 and second.exit_code == 0
    assert [o[3] for o in outcomes(first)] == [
        "device created (id 1), 1 inventory item(s)",
        "device created (id 3), 0 inventory item(s)",
        "device created (id 4), 0 inventory item(s)",
    ]
    assert [o[3] for o in outcomes(second)] == [
        "device unchanged (id 1), 1 inventory item(s)",
        "device unchanged (id 3), 0 inventory item(s)",
        "device unchanged (id 4), 0 inventory item(s)",
    ]
    assert writes == writes_after_first  # nothing written the second time
    objs = netbox_objects(rec)
    assert objs["devices"][0] == {
        "name": "gpu-node-1",
        "serial": "S4211234567",
        "device_type": {"model": "SYS-821GE-TNHR"},
        "role": {"slug": "gpu-server"},
        "site": {"slug": "dc1"},
        "status": "active",
        "custom_fields": {
            "diagctl_host_id": "S4211234567",
            "diagctl_bios_version": "2.1a",
            "diagctl_gpu_driver": "580.159.04",
            "diagctl_cuda_version": "13.0",
            "diagctl_health": "warn",
            "diagctl_lifecycle_phase": "production",
            "diagctl_mu_capacity": 41.5,
        },
    }
    assert objs["inventory-items"] == [
        {
            "device": {"id": 1, "url": f"{rec.url}/api/dcim/devices/1/"},
            "name": "GPU0",
            "serial": "SCRUBBED00001",
            "part_id": "NVIDIA H100 80GB HBM3",
            "description": "NVIDIA H100 80GB HBM3 at 0000:00:06.0",
            "custom_fields": {
                "diagctl_gpu_uuid": "GPU-00000001-0000-4000-8000-000000000001",
                "diagctl_vbios": "96.00.DA.00.0C",
            },
        }
    ]
    assert objs["devices"][1]["name"] == HOSTILE


def test_netbox_refusal_fails_that_host(tmp_path: Path) -> None:
    with serve(netbox_route) as rec:
        rec.refuse_names = {"gpu-node-9"}
        res = push("netbox", rec.url, tmp_path / "a.jsonl")
    assert res.exit_code == 1
    assert outcomes(res)[2] == (
        "gpu-node-9",
        "name gpu-node-9",
        "failed",
        'HTTP 400: {"site": ["Related object not found using the provided attributes"]}',
    )
