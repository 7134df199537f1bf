"""Which GPUs this host has, from the best backend that answered, plus the PCI bus view.

Backends in order: NVML (the payload's ctypes capture), then nvidia-smi XML, then CSV. The PCI
bus (sysfs) says whether NVIDIA GPUs exist at all, even when the driver is not loaded: that is
how "no GPU here" is told apart from "GPU here but unreadable".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from diag.checks.base import Context, Rules, clean, finding, unknown
from diag.checks.gpu.nvml import parse_nvml
from diag.checks.gpu.smi import parse_csv, parse_xml
from schemas.capture import Capture
from schemas.enums import Action, Status, worst
from schemas.finding import Finding
from schemas.gpu import GpuInfo, GpuSnapshot, PciFunction
from schemas.record import field, record

NVIDIA_VENDOR = "0x10de"
BACKENDS: tuple[tuple[str, Callable[[str], GpuSnapshot]], ...] = (
    ("nvml", parse_nvml),
    ("smi_xml", parse_xml),
    ("smi_csv", parse_csv),
)


def parse_pci(stdout: str) -> list[PciFunction]:
    """The payload's `pci` globs capture ({sysfs path: value}) → NVIDIA functions."""
    files = json.loads(stdout)
    if not isinstance(files, dict):
        raise ValueError("pci capture is not a JSON object")
    dev: dict[str, dict[str, str]] = {}
    for path, value in files.items():
        parts = str(path).split("/")
        if len(parts) < 2 or value is None:
            continue
        dev.setdefault(parts[-2], {})[parts[-1]] = str(value)
    out = []
    for bdf, attrs in sorted(dev.items()):
        if attrs.get("vendor", "").lower() != NVIDIA_VENDOR:
            continue
        out.append(
            PciFunction(
                bdf=bdf.lower(),
                class_code=attrs.get("class", "").lower(),
                device_id=attrs.get("device", ""),
                link_speed_current=attrs.get("current_link_speed", ""),
                link_speed_max=attrs.get("max_link_speed", ""),
                link_width_current=_int(attrs.get("current_link_width")),
                link_width_max=_int(attrs.get("max_link_width")),
            )
        )
    return out


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def _ok(cap: Capture | None) -> bool:
    return cap is not None and cap.error is None and cap.rc in (0, None)


@record()
class GpuView:
    snapshot: GpuSnapshot | None
    pci: list[PciFunction] | None  # None: the PCI capture was unavailable
    problems: list[str] = field(default_factory=list)

    @property
    def pci_gpus(self) -> list[PciFunction]:
        return [f for f in self.pci or [] if f.is_gpu]

    @property
    def nvswitches(self) -> list[PciFunction]:
        return [f for f in self.pci or [] if f.is_nvswitch]

    @property
    def gpus(self) -> list[GpuInfo]:
        return self.snapshot.gpus if self.snapshot else []

    @property
    def no_gpu(self) -> bool:
        """Certain there is no NVIDIA GPU: none on the PCI bus and no backend saw one."""
        return self.pci is not None and not self.pci_gpus and not self.gpus


def gpu_view(caps: Mapping[str, Capture], memo: dict[str, Any] | None = None) -> GpuView:
    """The GPUs as NVML (or nvidia-smi) and the PCI bus see them; built once per host run when
    `memo` (Context.memo) is given, since every GPU check reads the same view."""
    if memo is not None:
        if "gpu_view" not in memo:
            memo["gpu_view"] = _build_view(caps)
        return memo["gpu_view"]  # type: ignore[no-any-return]
    return _build_view(caps)


def _build_view(caps: Mapping[str, Capture]) -> GpuView:
    pci = None
    if _ok(caps.get("pci")):
        try:
            pci = parse_pci(caps["pci"].stdout)
        except ValueError:
            pci = None
    problems: list[str] = []
    for name, parser in BACKENDS:
        cap = caps.get(name)
        if cap is None:
            continue
        if not _ok(cap):
            why = cap.error or f"exit {cap.rc}"
            problems.append(f"{cap.source[:40]}: {why} {clean(cap.detail or cap.stderr, 160)}")
            continue
        try:
            return GpuView(parser(cap.stdout), pci, problems)
        except (ValueError, KeyError, TypeError, SyntaxError) as exc:  # xml.etree's ParseError
            problems.append(f"{name}: unreadable output ({clean(str(exc), 160)})")
    return GpuView(None, pci, problems)


def per_gpu_or(
    check_id: str, caps: Mapping[str, Capture], rules: Rules, memo: dict[str, Any] | None = None
) -> tuple[GpuView, list[Finding]]:
    """The view, plus the one finding to report instead when there are no GPUs to judge."""
    view = gpu_view(caps, memo)
    if view.gpus:
        return view, []
    if view.no_gpu:
        return view, [not_applicable(check_id, rules)]
    reason = "; ".join(view.problems) or "no GPU backend capture"
    return view, [unknown(check_id, f"GPU data unavailable: {reason}", rules, "gpus")]


def not_applicable(check_id: str, rules: Rules) -> Finding:
    return finding(
        check_id,
        Status.NOT_APPLICABLE,
        rules,
        entity="gpus",
        observed={"gpus": 0},
        threshold=None,
        message="no GPU: no NVIDIA device on the PCI bus; not applicable (gpu.inventory judges "
        "the count against the expected one)",
    )


# One verdict part per rule a GPU may break: (status, action, what was seen).
Part = tuple[Status, Action, str]


def gpu_finding(
    check_id: str, g: GpuInfo, parts: list[Part], observed: dict[str, Any], rules: Rules, ok: str
) -> Finding:
    """One finding per GPU: the worst status and the highest rung of the action ladder."""
    bad = [p for p in parts if p[0] is not Status.PASS]
    action = max((p[1] for p in bad), key=list(Action).index, default=Action.NONE)
    msg = "; ".join(p[2] for p in bad) if bad else ok
    return finding(
        check_id,
        worst(p[0] for p in bad),
        rules,
        entity=g.label,
        observed={"index": g.index, "bdf": g.bdf, **observed},
        message=f"GPU{g.index}: {msg}",
        action=action,
    )


def expected_gpus(rules: Rules, ctx: Context) -> int:
    """--expect-gpus wins over the host-class policy; -1 means no expectation."""
    cli = ctx.extra.get("expect_gpus")
    return int(cli) if cli is not None else int(rules["expected_gpus"])


def facts_uptime_s(caps: Mapping[str, Capture]) -> float:
    cap = caps.get("facts")
    if not _ok(cap):
        return 0.0
    try:
        return float(json.loads(cap.stdout).get("uptime_s", 0))  # type: ignore[union-attr]
    except (ValueError, AttributeError, TypeError):
        return 0.0
