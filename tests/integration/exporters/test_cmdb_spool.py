"""`diagctl export cmdb --push` loses nothing while the receiver is down: records wait in the
spool and are pushed first, in order, by the next push (or `--drain`); the spool is bounded
(oldest dropped, counted, reported) and a full disk is a clear per-host failure, not a crash.

ServiceNow cannot run here: the loopback stand-in of cmdb_receivers.py validates the documented
IRE request format (path, query, Bearer header, JSON shape) and answers as the API does. The
full disk is a real one: a 16 KiB tmpfs mounted for the test (needs root).
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from diag.cli.main import cli
from tests.integration.exporters.cmdb_receivers import TOKEN, serve, snow_route
from tests.support.components import require, require_root
from tests.unit.exporters.cmdb_inputs import fleet, jsonl

SAFE_HOSTILE = '=HYPERLINK("http://x")\\x1b[31m<script>alert(1)</script>'
HOSTS = ["gpu-node-1", SAFE_HOSTILE, "gpu-node-9"]


def push(url: str, tmp: Path, spool: Path, *extra: str, data: str | None = None) -> Result:
    args = ["export", "cmdb", "--format", "servicenow", "--push", url, "--spool", str(spool)]
    args += ["--audit", str(tmp / "audit.jsonl"), *extra]
    stdin = jsonl(fleet()) if data is None else data
    res = CliRunner(env={"DIAGCTL_CMDB_TOKEN": TOKEN}).invoke(cli, args, input=stdin)
    for text in (res.stdout, res.stderr, (tmp / "audit.jsonl").read_text()):
        assert TOKEN not in text
    return res


def outcomes(res: Result) -> list[tuple[str, str, str]]:
    docs = [json.loads(line) for line in res.stdout.splitlines()]
    return [(d["host"], d["result"], d["detail"]) for d in docs]


def dead_url() -> str:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def posted_names(requests: list[tuple[str, str, object]]) -> list[str]:
    return [body["items"][0]["values"]["name"] for _, _, body in requests]  # type: ignore[index]


def test_down_receiver_spools_then_next_push_drains_in_order(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    down = push(dead_url(), tmp_path, spool)
    refused = "receiver unreachable or unreadable: [Errno 111] Connection refused"
    assert (down.exit_code, outcomes(down)) == (
        4,
        [
            ("gpu-node-1", "spooled", f"{refused}; kept in {spool}"),
            (SAFE_HOSTILE, "spooled", f"receiver down earlier in this run; kept in {spool}"),
            ("gpu-node-9", "spooled", f"receiver down earlier in this run; kept in {spool}"),
        ],
    )
    assert down.stderr == (
        f"diagctl: export cmdb: spooled 3 (receiver down), 3 waiting in {spool} "
        f"(first problem: receiver down: {refused})\n"
    )
    assert [p.name for p in sorted(spool.glob("*.json"))] == [f"{n:020d}-1.json" for n in (1, 2, 3)]
    with serve(snow_route) as rec:
        up = push(rec.url, tmp_path, spool, data=jsonl(fleet()[:1]))
    assert rec.problems == []
    hostile = '=HYPERLINK("http://x")\x1b[31m<script>alert(1)</script>'
    assert posted_names(rec.requests) == ["gpu-node-1", hostile, "gpu-node-9", "gpu-node-1"]
    assert (up.exit_code, outcomes(up)) == (
        0,
        [
            ("gpu-node-1", "pushed", "from the spool: IRE INSERT,INSERT"),
            (SAFE_HOSTILE, "pushed", "from the spool: IRE INSERT"),
            ("gpu-node-9", "pushed", "from the spool: IRE INSERT"),
            ("gpu-node-1", "pushed", "IRE INSERT,INSERT"),
        ],
    )
    assert up.stderr == "diagctl: export cmdb: pushed 3 from the spool\n"
    assert list(spool.glob("*.json")) == []
    logged = [json.loads(line)["result"] for line in (tmp_path / "audit.jsonl").open()]
    assert logged == ["spooled"] * 3 + ["pushed"] * 4


def test_drain_stops_at_first_5xx_keeping_order_and_drain_only_reads_no_input(
    tmp_path: Path,
) -> None:
    spool = tmp_path / "spool"
    push(dead_url(), tmp_path, spool)
    with serve(snow_route) as rec:
        rec.fail_next = [503, 503, 503]  # the oldest record's three attempts
        still = push(rec.url, tmp_path, spool, "--drain", data="not read\n")
        assert (still.exit_code, outcomes(still)) == (4, [])
        assert still.stderr == (
            f"diagctl: export cmdb: 3 waiting in {spool} (first problem: receiver down: "
            'HTTP 503: {"error": {"message": "try later"}})\n'
        )
        assert len(list(spool.glob("*.json"))) == 3  # nothing lost, nothing reordered
        done = push(rec.url, tmp_path, spool, "--drain", data="not read\n")
    assert rec.problems == []
    assert (done.exit_code, [o[1] for o in outcomes(done)]) == (0, ["pushed"] * 3)
    assert [h for h, _, _ in outcomes(done)] == HOSTS
    assert list(spool.glob("*.json")) == []


def test_bounded_spool_drops_oldest_counted_and_reported(tmp_path: Path) -> None:
    """629 bytes: the GPU host's record (715) is itself too large; the hostile host's (443)
    fits, then goes, oldest first, to make room for gpu-node-9's (378)."""
    spool = tmp_path / "spool"
    res = push(dead_url(), tmp_path, spool, "--spool-max-mb", "0.0006")
    kept = [json.loads(p.read_text())["name"] for p in sorted(spool.glob("*.json"))]
    assert res.exit_code == 1
    assert res.stderr == (
        f"diagctl: export cmdb: spooled 3 (receiver down), 1 waiting in {spool}, "
        "dropped 2 (spool full, oldest first) (first problem: receiver down: "
        "receiver unreachable or unreadable: [Errno 111] Connection refused)\n"
    )
    assert kept == ["gpu-node-9"]
    assert (spool / "dropped_total").read_text() == "2\n"


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 16 KiB tmpfs, filled to the last byte: writes there fail with ENOSPC."""
    require_root("mounting a tiny tmpfs for the full-disk case needs root")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    rc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)]).returncode
    require("tmpfs mount", rc == 0, "run as root where mount(2) is allowed")
    try:
        with (mnt / "filler").open("wb") as fh:
            try:
                fh.write(b"\0" * (64 << 10))
                fh.flush()
            except OSError:
                pass
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_disk_is_a_clear_error_per_host_not_a_crash(tmp_path: Path, tiny_fs: Path) -> None:
    spool = tiny_fs / "spool"
    res = push(dead_url(), tmp_path, spool)
    assert res.exit_code == 1
    assert [o[1] for o in outcomes(res)] == ["failed"] * 3
    assert outcomes(res)[0][2] == (
        f"spool {spool} not writable (No space left on device): not kept"
    )
    assert res.stderr == (
        f"diagctl: export cmdb: 3 host(s) not pushed "
        f"(first problem: spool {spool} not writable (No space left on device))\n"
    )
