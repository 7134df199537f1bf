"""What `diagctl bundle` asks a host for: the artifact plan, the caps, and the program that
travels (bundle_redact + bundle_capture + bundle_collector, then one `main(<spec>)` line)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

MIB = 1 << 20
ARTIFACT_CAP = 8 * MIB
TOTAL_CAP = 64 * MIB
SINCE_HOURS = 24.0
COMMAND_TIMEOUT_S = 30.0
PARTS = ("bundle_redact.py", "bundle_capture.py", "bundle_collector.py")
# Driver-stack packages worth a version line: GPU driver, CUDA, NCCL, DCGM, fabric manager,
# the NIC/RDMA stack and the kernel images they were built against.
PACKAGES = (
    r"nvidia|cuda|cudnn|nccl|libnvidia|dcgm|fabricmanager|nvlsm|mlnx|ofed|rdma|ibverbs|doca"
    r"|linux-image|kernel-[0-9]|kernel-core"
)
# Reset-related UEFI variables (names are Name-<vendor GUID> in efivarfs).
EFIVARS = (
    r"^(Capsule|OsIndications|BootNext|BootCurrent|BootOrder|Boot[0-9A-F]{4}-"
    r"|.*Reset|.*Watchdog)"
)


@dataclass(frozen=True)
class BundleOptions:
    artifact_cap: int = ARTIFACT_CAP
    total_cap: int = TOTAL_CAP
    since_hours: float = SINCE_HOURS
    command_timeout_s: float = COMMAND_TIMEOUT_S
    timeout_s: float = 300.0
    keep_remote: bool = False
    nvidia_bug_report: bool = False
    files: tuple[str, ...] = ()
    l1: bool = True

    @property
    def stream_limit(self) -> int:
        """Bytes the jump host accepts from one host: the caps plus tar/gzip overhead."""
        return self.total_cap + self.total_cap // 8 + 4 * MIB


def _cmd(path: str, *argv: str, keep: str = "head", **kw: Any) -> dict[str, Any]:
    return {"path": path, "kind": "cmd", "argv": list(argv), "keep": keep, **kw}


def plan(opts: BundleOptions, l1: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The artifacts in order: small, decisive evidence first, so the total cap cuts the bulk
    (journals, user files) rather than the boot list or pstore."""
    since = f"--since=-{max(1, round(opts.since_hours * 60))}min"
    arts: list[dict[str, Any]] = [
        {"path": f"l1/{name}", "kind": "input", "text": text, "source": f"diagctl health {name}"}
        for name, text in (l1 or {}).items()
    ]
    arts += [
        _cmd("boot/list-boots.txt", "journalctl", "--list-boots", "--no-pager"),
        _cmd("boot/last-x.txt", "last", "-x", "-F"),
        _cmd("boot/uname.txt", "uname", "-a"),
        _cmd(
            "systemd/failed-units.txt",
            "systemctl",
            "list-units",
            "--failed",
            "--no-legend",
            "--plain",
            "--no-pager",
        ),
        {
            "path": "pstore/listing.txt",
            "kind": "listing",
            "roots": ["/sys/fs/pstore", "/var/lib/systemd/pstore"],
            "source": "pstore listing",
        },
        {
            "path": "pstore",
            "kind": "tree",
            "roots": ["/sys/fs/pstore", "/var/lib/systemd/pstore"],
            "keep": "tail",
        },
        {
            "path": "kdump/listing.txt",
            "kind": "listing",
            "roots": ["/var/crash"],
            "source": "/var/crash listing (cores are never read)",
        },
        {
            "path": "kdump",
            "kind": "tree",
            "roots": ["/var/crash"],
            "keep": "tail",
            "match": r"^(vmcore-dmesg.*|dmesg.*)\.txt$",
        },
        {
            "path": "firmware/efivars.txt",
            "kind": "efivars",
            "roots": ["/sys/firmware/efi/efivars"],
            "match": EFIVARS,
            "source": "/sys/firmware/efi/efivars (reset-related)",
        },
        {"path": "pci/aer.txt", "kind": "aer", "source": "/sys/bus/pci/devices/*/aer_dev_*"},
        _cmd("ipmi/sel.txt", "ipmitool", "sel", "elist", keep="tail"),
        _cmd(
            "packages/dpkg.txt",
            "dpkg-query",
            "-W",
            "-f",
            "${Package} ${Version}\\n",
            filter=PACKAGES,
        ),
        _cmd("packages/rpm.txt", "rpm", "-qa", filter=PACKAGES),
        {"path": "gpu/driver-version.txt", "kind": "file", "file": "/proc/driver/nvidia/version"},
        _cmd("gpu/nvidia-smi-q.txt", "nvidia-smi", "-q"),
        _cmd("pci/lspci-nvidia.txt", "lspci", "-vvv", "-d", "10de:"),
        _cmd("pci/lspci-ethernet.txt", "lspci", "-vvv", "-d", "::0200"),
        _cmd("pci/lspci-infiniband.txt", "lspci", "-vvv", "-d", "::0207"),
        _cmd("logs/kernel-boot-1.txt", "journalctl", "-k", "-b", "-1", "--no-pager", keep="tail"),
        _cmd(
            "logs/kernel-boot0.txt", "journalctl", "-k", "-b", "0", since, "--no-pager", keep="tail"
        ),
        _cmd("logs/dmesg.txt", "dmesg", keep="tail"),
        _cmd("logs/journal-boot-1.txt", "journalctl", "-b", "-1", "--no-pager", keep="tail"),
        _cmd("logs/journal-boot0.txt", "journalctl", "-b", "0", since, "--no-pager", keep="tail"),
    ]
    for path in dict.fromkeys(opts.files):
        arts.append({"path": "files" + path, "kind": "file", "file": path, "keep": "tail"})
    if opts.nvidia_bug_report:
        arts.append(
            {
                "path": "gpu/nvidia-bug-report.log",
                "kind": "bugreport",
                "argv": ["nvidia-bug-report.sh"],
                "source": "nvidia-bug-report.sh",
            }
        )
    return arts


@cache
def bundle_source() -> str:
    base = resources.files("diag.payload")
    return "\n\n".join(base.joinpath(p).read_text() for p in PARTS)


def spec_of(opts: BundleOptions, l1: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "deadline_s": max(1.0, opts.timeout_s - 5.0),
        "artifact_cap": opts.artifact_cap,
        "total_cap": opts.total_cap,
        "command_timeout_s": opts.command_timeout_s,
        "since_hours": opts.since_hours,
        "keep_remote": opts.keep_remote,
        "artifacts": plan(opts, l1),
    }


def program(opts: BundleOptions, l1: dict[str, str] | None = None) -> bytes:
    """The Python program sent on stdin; the spec is JSON decoded on the host, never code."""
    call = f"main(json.loads({json.dumps(json.dumps(spec_of(opts, l1)))}))\n"
    return (bundle_source() + "\n" + call).encode()
