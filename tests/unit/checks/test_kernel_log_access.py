"""gpu.xid as an unprivileged user: the real payload runs as `nobody` on this host, where
kernel.dmesg_restrict=1 makes dmesg fail with "Operation not permitted" and the journal shows
that user no kernel lines. The check must say `unknown` with the reason, never "no Xid".
This VM has no GPU, so the GPU captures are the recorded H100 ones (fixture real_h100)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from diag.checks import Context
from diag.checks.gpu import sources, xid
from diag.hostcheck import parse_payload
from diag.payload import build_python
from diag.policy import Policy
from diag.transport.base import Target
from diag.transport.local import LocalTransport
from tests.support.check_cases import FIXTURES, load_case
from tests.support.components import require, require_binaries, require_root

RESTRICTED = Path("/proc/sys/kernel/dmesg_restrict")


def restricted() -> bool:
    return RESTRICTED.exists() and RESTRICTED.read_text().strip() == "1"


def test_gpu_xid_is_unknown_for_a_user_who_cannot_read_the_kernel_log() -> None:
    require_root("dropping to nobody needs root")
    require_binaries("runuser", why="util-linux's runuser(1)")
    require("kernel.dmesg_restrict=1", restricted(), "sysctl -w kernel.dmesg_restrict=1")
    argv = ("runuser", "-u", "nobody", "--", "/usr/bin/python3", "-I", "-")
    payload = build_python(list(sources.KERNEL_LOG), 20.0)
    res = asyncio.run(LocalTransport().run(Target(name="t"), argv, payload, 30.0))
    assert res.error is None, res.message
    doc, _line = parse_payload(res.stdout)
    dmesg = doc.captures["dmesg"]
    assert (dmesg.rc, dmesg.stderr) == (
        1,
        "dmesg: read kernel buffer failed: Operation not permitted\n",
    )
    rules = Policy.load().check("gpu.xid")[1]
    h100, _ctx, _policy = load_case(FIXTURES / "gpu.xid" / "real_h100")
    caps = {k: v for k, v in h100.items() if k in ("nvml", "pci", "facts")} | doc.captures
    (f,) = xid.evaluate(caps, rules, Context())
    assert (f.status.value, f.entity, f.action.value) == ("unknown", "kernel", "monitor")
    journal = doc.captures["kernel_log"]
    why_journal = (
        "journalctl -k returned nothing"
        if journal.error is None and journal.rc == 0
        else f.message.split("unreadable: ", 1)[1].split("; ", 1)[0]
    )
    assert f.message == (
        f"cannot judge: kernel log unreadable: {why_journal}; dmesg --time-format iso exited 1: "
        "dmesg: read kernel buffer failed: Operation not permitted "
        "(run as root, or add the user to systemd-journal/adm)"
    )
