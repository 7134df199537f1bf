"""gpu.nvlink: NVLink state and error counters per GPU.

State (nvmlDeviceGetNvLinkState): every link must be up where any is or where an NVSwitch
fabric exists; a GPU model with a known link count (`expected_links_by_model`, keyed by the NVML
name: `NVIDIA H200` is the SXM part, 18 links) must show that many active. A real 2-GPU H200
VM reports 18 active links per GPU (`nvidia-smi topo -m`: NV18; `nvidia-smi nvlink -s`: 18 x
26.562 GB/s), idle and under a 324 GB/s NCCL all-reduce.

Error counters (nvmlDeviceGetNvLinkErrorCounter, per active link, cumulative since the driver
loaded; `nvidia-smi nvlink -e` prints the same as Replay/Recovery/CRC Errors): DCGM's hardware
limits treat any replay or recovery error as an NVLink error (DCGM_LIMIT_MAX_NVLINK_ERROR 1) and
CRC errors as significant only at 100+ per second (DCGM_LIMIT_MAX_NVLINK_CRC_ERROR, "RM has
informed us that CRC errors only matter at rates of 100+ per second"); the rate here is the
count over the host's uptime. Both warn (monitor): Xid 74 in the kernel log is what resets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diag.checks.base import Check, Context, Rules, unknown
from diag.checks.gpu.sources import GPU_SOURCES
from diag.checks.gpu.view import Part, facts_uptime_s, gpu_finding, per_gpu_or
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.finding import Finding
from schemas.gpu import GpuInfo, NvLinkState

ID = "gpu.nvlink"
COUNTERS = ("replay_errors", "recovery_errors", "crc_flit_errors", "crc_data_errors")


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    view, instead = per_gpu_or(ID, caps, rules, ctx.memo)
    out = list(instead)
    fabric = bool(view.nvswitches)
    uptime_s = facts_uptime_s(caps)
    for g in view.gpus:
        links = g.nvlink
        want = int(rules["expected_active_links"])
        if links is None:
            # A lone SXM GPU passed into a VM reports NVLink not_supported: the model's count
            # applies only to links NVML reports.
            why = g.unsupported.get("nvlink", "not reported")
            model = int(rules["expected_links_by_model"].get(g.name, -1))
            if want > 0 or fabric or (model > 0 and why != "not_supported"):
                out.append(unknown(ID, f"GPU{g.index}: NVLink state {why}", rules, g.label))
            else:
                parts: list[Part] = []
                out.append(gpu_finding(ID, g, parts, {"nvlink": why}, rules, f"no NVLink ({why})"))
            continue
        want = expected_links(g, rules)
        active = [x.link for x in links if x.active]
        inactive = [x.link for x in links if x.active is False]
        expected = want if want >= 0 else (len(links) if active or fabric else 0)
        parts = []
        if len(active) < expected:
            missing = expected - len(links)
            down = f"{inactive}" + (f", {missing} not reported" if missing > 0 else "")
            text = f"{len(active)}/{expected} NVLinks active; down: {down}"
            parts.append((Status.FAIL, Action.RESET, text))
        totals = error_totals(links)
        parts += counter_parts(totals, uptime_s, rules)
        obs: dict[str, Any] = {"active": active, "inactive": inactive, "expected_active": expected}
        if totals:
            obs["errors"] = totals
        ok = f"{len(active)} NVLinks active" + (ok_counters(totals, uptime_s) if totals else "")
        out.append(gpu_finding(ID, g, parts, obs, rules, ok))
    return out


def expected_links(g: GpuInfo, rules: Rules) -> int:
    """The policy's count wins; then the model's; -1: every link NVML reports (see evaluate)."""
    want = int(rules["expected_active_links"])
    if want >= 0:
        return want
    return int(rules["expected_links_by_model"].get(g.name, -1))


def error_totals(links: list[NvLinkState]) -> dict[str, int]:
    """Each counter summed over the links that reported it; absent when no link did."""
    out: dict[str, int] = {}
    for key in COUNTERS:
        vals = [getattr(x, key) for x in links if getattr(x, key) is not None]
        if vals:
            out[key.removesuffix("_errors")] = sum(vals)
    return out


def ok_counters(totals: dict[str, int], uptime_s: float) -> str:
    """Counts below every limit are still said: a healthy H200 board showed a few CRC data
    errors per link soon after boot (NVLink retries them), which is not "no errors"."""
    counted = {k: v for k, v in sorted(totals.items()) if v}
    if not counted:
        return ", no NVLink errors"
    crc = counted.get("crc_flit", 0) + counted.get("crc_data", 0)
    rate = f" ({crc / uptime_s:.1f} CRC/s since boot)" if crc and uptime_s > 0 else ""
    listed = ", ".join(f"{k} {v}" for k, v in counted.items())
    return f", NVLink errors below the limits: {listed}{rate}"


def counter_parts(totals: dict[str, int], uptime_s: float, rules: Rules) -> list[Part]:
    parts: list[Part] = []
    for key, limit in rules["warn_link_errors"].items():
        if totals.get(key, 0) >= int(limit):
            text = f"{totals[key]} NVLink {key} errors since driver load (limit {limit})"
            parts.append((Status.WARN, Action.MONITOR, text))
    crc = totals.get("crc_flit", 0) + totals.get("crc_data", 0)
    per_s = crc / uptime_s if uptime_s > 0 else 0.0
    if crc and per_s >= float(rules["warn_crc_per_s"]):
        limit = rules["warn_crc_per_s"]
        text = f"{crc} NVLink CRC errors, {per_s:.0f}/s since boot (limit {limit}/s)"
        parts.append((Status.WARN, Action.MONITOR, text))
    return parts


CHECK = Check(
    ID,
    "NVLink link state and error counters",
    "NVML nvmlDeviceGetNvLinkState, nvmlDeviceGetNvLinkErrorCounter; PCI NVSwitch",
    GPU_SOURCES,
    evaluate,
)
