"""The captures every GPU check shares: NVML (nvidia-smi when NVML cannot load), PCI, kernel log.

The payload deduplicates sources by name, so GPU checks listing the same Source cost one
collection. NVML is queried in-process through ctypes (about a millisecond per snapshot on an
H100); `nvidia-smi` runs only when libnvidia-ml cannot be loaded or initialised.
"""

from __future__ import annotations

from diag.checks.base import Source

# Fields nvidia-smi knows since the R450 drivers; an unknown field fails the whole query, so
# only long-standing names are used (clocks_throttle_reasons is the old alias of clocks_event).
SMI_FIELDS = (
    "index,uuid,serial,pci.bus_id,name,driver_version,vbios_version,temperature.gpu,"
    "power.draw,power.limit,clocks_throttle_reasons.active,ecc.mode.current,"
    "ecc.errors.corrected.volatile.total,ecc.errors.uncorrected.volatile.total,"
    "ecc.errors.corrected.aggregate.total,ecc.errors.uncorrected.aggregate.total,"
    "retired_pages.single_bit_ecc.count,retired_pages.double_bit.count,retired_pages.pending,"
    "pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current,pcie.link.width.max,"
    "persistence_mode,mig.mode.current,utilization.gpu"
)
SMI_CSV = Source(
    "smi_csv",
    "cmd",
    argv=("nvidia-smi", f"--query-gpu={SMI_FIELDS}", "--format=csv,noheader,nounits"),
    cap=65536,
    timeout_s=8.0,
)
SMI_XML = Source("smi_xml", "cmd", argv=("nvidia-smi", "-q", "-x"), cap=1 << 20, timeout_s=8.0)
NVML = Source("nvml", "nvml", cap=1 << 20, fallback=(SMI_CSV, SMI_XML))

# NVIDIA (vendor 0x10de) functions on the PCI bus: GPUs (class 0x03xxxx) and NVSwitches
# (0x0680xx), with their link speed/width, independent of the driver's health.
PCI = Source(
    "pci",
    "globs",
    paths=tuple(
        f"/sys/bus/pci/devices/*/{leaf}"
        for leaf in (
            "vendor",
            "class",
            "device",
            "current_link_speed",
            "max_link_speed",
            "current_link_width",
            "max_link_width",
        )
    ),
    cap=1 << 20,
)

# Both Xid and SXid lines contain this; the payload ships only such lines of the kernel log
# (xid_log.parse_kernel_log reads no others).
XID_MARK = "Xid ("

# The kernel log of this boot and the previous one, newest kept when capped. journalctl first
# (history across boots); dmesg when the journal is unavailable (no systemd, no permission).
LOOKBACK = "-72h"
JOURNAL = Source(
    "kernel_log",
    "cmd",
    argv=(
        "journalctl",
        "-k",
        "-b",
        "0",
        f"--since={LOOKBACK}",
        "-o",
        "short-iso",
        "--no-pager",
        "-q",
    ),
    cap=1 << 20,
    tail=True,
    grep=XID_MARK,
    timeout_s=8.0,
)
JOURNAL_PREV = Source(
    "kernel_log_prev",
    "cmd",
    argv=(
        "journalctl",
        "-k",
        "-b",
        "-1",
        f"--since={LOOKBACK}",
        "-o",
        "short-iso",
        "--no-pager",
        "-q",
    ),
    cap=512 * 1024,
    tail=True,
    grep=XID_MARK,
    timeout_s=8.0,
)
DMESG = Source(
    "dmesg",
    "cmd",
    argv=("dmesg", "--time-format", "iso"),
    cap=1 << 20,
    tail=True,
    grep=XID_MARK,
    timeout_s=5.0,
)

GPU = (NVML, PCI)
KERNEL_LOG = (JOURNAL, JOURNAL_PREV, DMESG)
FACTS = Source("facts", "facts", cap=8192)
# What every per-GPU check reads: the GPU view, plus uptime from the host facts.
GPU_SOURCES = (*GPU, FACTS)
