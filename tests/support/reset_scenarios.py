# ruff: noqa: E501
"""Writes the scenario cases under tests/fixtures/reset/ (`python -m tests.support.reset_scenarios`).

The captures are assembled from real log line shapes (quoted in diag/reset/signals.py and
parse.py), not recorded from failing machines: none was at hand. Edit a case's files directly
once written; rerun this only to recreate them all.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.reset_cases import FIXTURES, write_case

NOW = 1778155200  # 2026-05-07T12:00:00Z, the host's clock at collection
BTIME = 1778151720  # 2026-05-07T11:02:00Z, this boot
B1 = "8a7c3b1e2f4d4e5f9a0b1c2d3e4f5a6b"  # boot -1: 2026-05-06 10:00:00 .. 2026-05-07 11:00:30
B2 = "1f2e3d4c5b6a79881726354453627180"  # boot -2: 2026-05-05 08:00:00 .. 2026-05-06 09:58:00
HEADER = "IDX BOOT ID                          FIRST ENTRY                 LAST ENTRY\n"
BOOTS = (
    HEADER
    + f" -1 {B1} Wed 2026-05-06 10:00:00 UTC Thu 2026-05-07 11:00:30 UTC\n"
    + "  0 0b9d2c7e4a1f4e8d9c3b2a1f0e9d8c7b Thu 2026-05-07 11:02:00 UTC Thu 2026-05-07 12:00:00 UTC\n"
)
BOOTS2 = (
    HEADER
    + f" -2 {B2} Tue 2026-05-05 08:00:00 UTC Wed 2026-05-06 09:58:00 UTC\n"
    + BOOTS[len(HEADER) :]
)
REBOOT_252 = (
    "2026-05-07T11:00:20+00:00 gpu-node-1 systemd-logind[812]: System is rebooting.\n"
    "2026-05-07T11:00:28+00:00 gpu-node-1 systemd[1]: Reached target System Shutdown.\n"
    "2026-05-07T11:00:29+00:00 gpu-node-1 systemd[1]: Reached target System Reboot.\n"
    "2026-05-07T11:00:30+00:00 gpu-node-1 systemd-journald[402]: Journal stopped\n"
)
ABRUPT = (
    "2026-05-07T11:00:10+00:00 gpu-node-1 CRON[9912]: (root) CMD (/usr/local/bin/gpu-stats)\n"
    "2026-05-07T11:00:30+00:00 gpu-node-1 kubelet[1402]: I0507 11:00:30 pod_workers.go:965 sync\n"
)


def facts(**over: Any) -> dict[str, Any]:
    doc = {"now_s": NOW, "btime_s": BTIME, "uptime_s": 3480.0,
           "boot_id": "0b9d2c7e-4a1f-4e8d-9c3b-2a1f0e9d8c7b", "hostname": "gpu-node-1",
           "kernel": "6.8.0-45-generic", "arch": "x86_64", "euid": 0,
           "persistent_journal": True, "volatile_journal": False}  # fmt: skip
    doc.update(over)
    return {"stdout": json.dumps(doc)}


def missing(detail: str) -> dict[str, Any]:
    return {"error": "missing", "rc": None, "detail": detail}


def listing(*files: tuple[str, int, str]) -> dict[str, Any]:
    items = [{"path": p, "mtime_s": t, "size": len(h) + 4000, "dir": False, "head": h, "tail": ""}
             for p, t, h in files]  # fmt: skip
    return {"stdout": json.dumps(items)}


def base(**over: dict[str, Any]) -> dict[str, dict[str, Any]]:
    caps = {
        "facts": facts(),
        "boots": {"stdout": BOOTS},
        "tail:-1": {"stdout": ABRUPT},
        "kernel:-1": {"stdout": ""},
        "pstore": {"stdout": "[]"},
        "pstore_archive": {"stdout": "[]"},
        "kdump": missing("[Errno 2] No such file or directory: '/var/crash'"),
        "watchdog": {"stdout": "{}"},
        "efi": {"stdout": "{}"},
        "esrt": missing("[Errno 2] No such file or directory: '/sys/firmware/efi/esrt/entries'"),
        "wtmp": {"stdout": "\nwtmp begins 2026-04-01T00:00:00+00:00\n"},
        "intents": missing("[Errno 2] No such file or directory"),
        "ipmi_sel": missing("ipmitool: not installed"),
    }
    caps.update(over)
    return caps


def capsule(stamp: tuple[int, ...]) -> str:
    """An efivarfs Capsule0000 file: attributes, then EFI_CAPSULE_RESULT_VARIABLE_HEADER."""
    y, mo, d, h, mi, s = stamp
    head = (7).to_bytes(4, "little") + (60).to_bytes(4, "little") + bytes(4) + bytes(16)
    efi_time = y.to_bytes(2, "little") + bytes([mo, d, h, mi, s, 0]) + bytes(8)
    return (head + efi_time + (0).to_bytes(8, "little")).hex()


def intent(boot: str, action: str) -> str:
    return json.dumps({"schema_version": 1, "at": "2026-05-07T11:00:15Z", "action": action,
                       "boot_id": boot, "requested_by": "sre@jump1", "reason": "kernel update",
                       "run_id": "r-42"}) + "\n"  # fmt: skip


def k(time: str, msg: str) -> str:
    return f"2026-05-07T{time}+00:00 gpu-node-1 kernel: {msg}\n"


SCENARIOS: dict[str, dict[str, dict[str, Any]]] = {
    "planned_reboot_systemd252": base(**{
        "tail:-1": {"stdout": REBOOT_252},
        "wtmp": {"stdout": "shutdown system down  6.8.0-45-generic 2026-05-07T11:00:30+00:00 - "
                           "2026-05-07T11:02:00+00:00  (00:01)\n"}}),
    "planned_reboot_systemd245": base(**{"tail:-1": {"stdout":
        "2026-05-07T11:00:20+0000 gpu-node-1 systemd-logind[812]: System is rebooting.\n"
        "2026-05-07T11:00:29+0000 gpu-node-1 systemd[1]: Reached target Reboot.\n"
        "2026-05-07T11:00:30+0000 gpu-node-1 systemd[1]: Shutting down.\n"}}),
    "planned_shutdown": base(**{"tail:-1": {"stdout":
        "2026-05-07T11:00:20+00:00 gpu-node-1 systemd-logind[812]: System is powering down.\n"
        "2026-05-07T11:00:29+00:00 gpu-node-1 systemd[1]: Reached target System Power Off.\n"},
        "wtmp": {"stdout": "runlevel (to lvl 0)   6.8.0-45-generic 2026-05-07T11:00:29+00:00 - "
                           "2026-05-07T11:02:00+00:00  (00:01)\n"}}),
    "planned_reboot_intent": base(**{
        "tail:-1": {"stdout": "2026-05-07T11:00:30+00:00 gpu-node-1 systemd-journald[402]: "
                              "Journal stopped\n"},
        "intents": {"stdout": intent("8a7c3b1e-2f4d-4e5f-9a0b-1c2d3e4f5a6b", "reboot")}}),
    "kernel_panic": base(**{
        "kernel:-1": {"stdout": k("11:00:29", "BUG: kernel NULL pointer dereference, address: "
                                  "0000000000000008")
                      + k("11:00:30", "Kernel panic - not syncing: Fatal exception")},
        "pstore": listing(("/sys/fs/pstore/dmesg-ramoops-0", 1778151631, "Panic#1 Part1\n"))}),
    "stale_pstore": base(**{"pstore": listing(
        ("/sys/fs/pstore/dmesg-efi-177789000001001", 1777890000, "Panic#1 Part1\n"))}),
    "empty_pstore_hard_lockup": base(**{"kernel:-1": {"stdout":
        k("10:59:50", "watchdog: Watchdog detected hard LOCKUP on cpu 12")}}),
    "watchdog_bootstatus": base(**{
        "kernel:-1": {"stdout": k("10:00:01", "NMI watchdog: Enabled. Permanently consumes one "
                                  "hw-PMU counter.")},
        "watchdog": {"stdout": json.dumps({"watchdog0": {"bootstatus": "32",
                                           "identity": "iTCO_wdt", "timeout": "30"}})}}),
    "nmi_watchdog_enabled_is_not_a_reset": base(**{
        "tail:-1": {"stdout": REBOOT_252},
        "kernel:-1": {"stdout": k("10:00:01", "NMI watchdog: Enabled. Permanently consumes one "
                                  "hw-PMU counter.")
                      + k("10:00:02", "watchdog: Disabling watchdog on nohz_full cores by default")}}),
    "hardware_fault_mce": base(**{
        "kernel:-1": {"stdout": k("11:00:28", "mce: [Hardware Error]: CPU 0: Machine Check "
                                  "Exception: 5 Bank 4: b200000000070f0f")
                      + k("11:00:29", "Kernel panic - not syncing: Fatal machine check")},
        "ipmi_sel": {"stdout": "   1a | 05/07/2026 | 11:00:29 | Processor #0x01 | IERR | Asserted\n"}}),
    "gpu_fault_then_reset_repeat": base(**{
        "boots": {"stdout": BOOTS2},
        "tail:-1": {"stdout": REBOOT_252},
        "kernel:-1": {"stdout": k("10:41:00", "NVRM: Xid (PCI:0000:3b:00): 79, pid=0, "
                                  "name=python3, GPU has fallen off the bus.")},
        "tail:-2": {"stdout": "2026-05-06T09:58:00+00:00 gpu-node-1 kubelet[1402]: sync\n"},
        "kernel:-2": {"stdout": "2026-05-06T09:40:00+00:00 gpu-node-1 kernel: NVRM: Xid "
                                "(PCI:0000:3b:00): 79, pid=0, name=python3, GPU has fallen off "
                                "the bus.\n"}}),
    "firmware_update": base(**{
        "tail:-1": {"stdout": REBOOT_252},
        "efi": {"stdout": json.dumps({"/sys/firmware/efi/efivars/Capsule0000-39b68c46-f7fb-441b-"
                                      "b6ec-16b0f69821f3": capsule((2026, 5, 7, 11, 1, 10))})}}),
    "power_loss_sel": base(**{"ipmi_sel": {"stdout":
        "   2b | 05/07/2026 | 11:00:31 | Power Unit #0x01 | AC lost | Asserted\n"
        "   2c | 05/07/2026 | 11:01:40 | Power Unit #0x01 | AC lost | Deasserted\n"}}),
    "abrupt_end_no_cause": base(),
    "no_persistent_journal": base(**{
        "facts": facts(persistent_journal=False, volatile_journal=True),
        "boots": {"stdout": HEADER + "  0 0b9d2c7e4a1f4e8d9c3b2a1f0e9d8c7b Thu 2026-05-07 "
                                     "11:02:00 UTC Thu 2026-05-07 12:00:00 UTC\n"},
        "tail:-1": {}, "kernel:-1": {}}),
    "permission_denied": base(**{
        "facts": facts(euid=1000),
        "boots": {"rc": 1, "stdout": "", "stderr": "Hint: You are currently not seeing messages "
                  "from other users and the system.\n"},
        "pstore": {"error": "permission", "rc": None,
                   "detail": "[Errno 13] Permission denied: '/sys/fs/pstore'"}}),
    "journalctl_hangs": base(**{"tail:-1": {"error": "timeout", "rc": None,
                                            "detail": "no answer within 5.0 s"}}),
    "clock_jump": base(**{
        "boots": {"stdout": HEADER + f" -1 {B1} Wed 2026-05-06 10:00:00 UTC Thu 2026-05-07 "
                  "11:09:30 UTC\n"},
        "tail:-1": {"stdout": REBOOT_252.replace("11:00:", "11:09:")}}),
    "arm64_kernel_panic": base(**{
        "facts": facts(arch="aarch64", kernel="6.8.0-1010-nvidia-64k"),
        "kernel:-1": {"stdout": k("10:00:01", "sbsa-gwdt 2a450000.watchdog: Initialized with 10s "
                                  "timeout @ 100000000 Hz, action=0.")
                      + k("11:00:29", "Internal error: Oops: 0000000096000004 [#1] PREEMPT SMP")
                      + k("11:00:30", "Kernel panic - not syncing: Oops: Fatal exception")}}),
    "non_utf8_journal": base(**{"tail:-1": {"stdout": b"2026-05-07T11:00:19+00:00 gpu-node-1 "
                                            b"app[7]: \xff\xfe\x1b[31mbad\n" + REBOOT_252.encode()}}),
}  # fmt: skip


def main() -> None:
    for name, caps in SCENARIOS.items():
        caps = {k: v for k, v in caps.items() if v}  # an empty dict: not collected at all
        write_case(FIXTURES / name, caps)


if __name__ == "__main__":
    main()
