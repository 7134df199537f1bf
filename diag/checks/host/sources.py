"""Captures of the GPU-node host checks: failed systemd units, NICs, InfiniBand, fabric manager."""

from __future__ import annotations

from diag.checks.base import Source

SYSTEMD_FAILED = Source(
    "systemd_failed",
    "cmd",
    argv=("systemctl", "list-units", "--state=failed", "--no-legend", "--plain", "--no-pager"),
    cap=65536,
    timeout_s=5.0,
)
FABRIC_MANAGER = Source(
    "fabricmanager",
    "cmd",
    argv=(
        "systemctl",
        "show",
        "--no-pager",
        "-p",
        "LoadState,ActiveState,SubState,Result",
        "nvidia-fabricmanager.service",
    ),
    cap=4096,
    timeout_s=5.0,
)
NET_LEAVES = (
    "operstate",
    "carrier",
    "speed",
    "type",
    "device/vendor",
    "statistics/rx_errors",
    "statistics/tx_errors",
    "statistics/rx_crc_errors",
    "statistics/rx_dropped",
    "statistics/tx_dropped",
    "carrier_changes",
)
NET = Source(
    "netdev", "globs", paths=tuple(f"/sys/class/net/*/{leaf}" for leaf in NET_LEAVES), cap=1 << 20
)
IB_LEAVES = (
    "state",
    "phys_state",
    "rate",
    "link_layer",
    "counters/symbol_error",
    "counters/link_downed",
    "counters/link_error_recovery",
    "counters/port_rcv_errors",
    "counters/local_link_integrity_errors",
    "counters/excessive_buffer_overrun_errors",
)
IB = Source(
    "infiniband",
    "globs",
    paths=tuple(f"/sys/class/infiniband/*/ports/*/{leaf}" for leaf in IB_LEAVES),
    cap=1 << 20,
)
