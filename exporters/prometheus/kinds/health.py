"""`health.l1`: check status per host and check, GPU status and remediation class, Xids.

Xid counters. The kernel log is the source of truth and keeps every Xid until it rotates or
the host reboots; the gpu.xid finding's `observed.events` counts the events in it (this and
the previous boot). Exported as `diagctl_gpu_xid_total{host,gpu,action}`, that number grows
with every repeat while the log keeps them and falls when the log rotates, which Prometheus'
`rate()`/`increase()` read as a counter reset. A repeated Xid 13 is an increase each time it
repeats, where a "last Xid" gauge (dcgm-exporter's DCGM_FI_DEV_XID_ERRORS) stays at 13.
"""

from __future__ import annotations

import re

from exporters.prometheus.kinds.common import common, number
from exporters.prometheus.metrics import SampleSet
from schemas.envelope import Action, Envelope, Finding, Status

# GPU UUIDs as NVML prints them (GPU-…, MIG-…) or a PCI address when the UUID is unknown.
GPU_ENTITY = re.compile(
    r"(GPU|MIG)-[0-9a-fA-F-]{8,64}|[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]"
)
ACTIONS = [a.value for a in Action]  # mildest first: the index is the rank


def worst(findings: list[Finding]) -> Status:
    return max((f.status for f in findings), key=lambda s: s.rank)


def _gpu_findings(env: Envelope) -> dict[str, list[Finding]]:
    gpus: dict[str, list[Finding]] = {}
    for f in env.findings:
        if f.check_id.startswith("gpu.") and GPU_ENTITY.fullmatch(f.entity):
            gpus.setdefault(f.entity, []).append(f)
    return gpus


def _xid(host: str, gpu: str, f: Finding, out: SampleSet) -> None:
    observed = f.observed if isinstance(f.observed, dict) else {}
    events = number(observed.get("events"))
    if events is not None and events >= 0:
        out.add("diagctl_gpu_xid", (host, gpu, f.action.value), events)
    codes = observed.get("codes")
    for code in codes if isinstance(codes, list) else []:
        if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < 100000:
            out.add("diagctl_gpu_xid_code", (host, gpu, str(code)), 1.0)


def _gpus(host: str, env: Envelope, out: SampleSet) -> None:
    for gpu, findings in sorted(_gpu_findings(env).items()):
        for check in sorted({f.check_id for f in findings}):
            status = worst([f for f in findings if f.check_id == check])
            out.add("diagctl_gpu_status", (host, gpu, check, status.value), 1.0)
        need = max(ACTIONS.index(f.action.value) for f in findings)
        for i, action in enumerate(ACTIONS):
            out.add("diagctl_gpu_action", (host, gpu, action), 1.0 if i == need else 0.0)
        for f in findings:
            if f.check_id == "gpu.xid":
                _xid(host, gpu, f, out)


def health(env: Envelope, out: SampleSet) -> None:
    host, data = env.host.name, env.data
    facts = data.get("facts")
    kernel = facts.get("kernel", "") if isinstance(facts, dict) else ""
    host_class = data.get("host_class", "")
    info = (host, env.host.host_id, env.host.hostname,
            host_class if isinstance(host_class, str) else "",
            kernel if isinstance(kernel, str) else "", env.tool_version)  # fmt: skip
    out.add("diagctl_host_info", info, 1.0)
    for name, count in env.summary.model_dump().items():
        if name != "total":
            out.add("diagctl_host_findings", (host, "pass" if name == "passed" else name), count)
    by_check: dict[str, list[Finding]] = {}
    for f in env.findings:
        by_check.setdefault(f.check_id, []).append(f)
    for check, findings in sorted(by_check.items()):
        out.add("diagctl_check_status", (host, check, worst(findings).value), 1.0)
    _gpus(host, env, out)
    common(env, out)
