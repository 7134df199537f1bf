"""What one log line or record says about why a boot ended: (reason, weight) or nothing.

The patterns match the wordings real systems print; each is quoted next to its rule. Lines that
merely mention a subsystem are NOT evidence, e.g. at every boot:
    `NMI watchdog: Enabled. Permanently consumes one hw-PMU counter.`
    `watchdog: Disabling watchdog on nohz_full cores by default`
    `iTCO_wdt iTCO_wdt: Found a Intel PCH TCO device (Version=6, TCOBASE=0x0400)`
    `sbsa-gwdt 2a450000.watchdog: Initialized with 10s timeout @ 100000000 Hz, action=0.` (arm64)
    `mce: CPU0: Thermal monitoring enabled (TM1)`
    `EDAC MC0: 1 CE memory read error ...` (corrected, the host carried on)
"""

from __future__ import annotations

import re
from functools import cache

Signal = tuple[str, float]  # (reason, weight in the confidence formula)

# Clean shutdown markers in the ended boot's journal. systemd renamed its targets' descriptions,
# and newer versions name the unit before the description (StatusUnitFormat=combined):
#   older (e.g. 245): `systemd[1]: Reached target Reboot.` / `Reached target Power-Off.`
#                     `systemd[1]: Reached target Shutdown.`
#   description only: `systemd[1]: Reached target System Reboot.` / `System Power Off.`
#   252 (recorded on Debian 12, tests/fixtures/reset/recorded-planned_*):
#                     `systemd[1]: Reached target reboot.target - System Reboot.`
#                     `systemd[1]: Finished systemd-reboot.service - System Reboot.`
#                     `systemd[1]: Reached target poweroff.target - System Power Off.`
#                     `systemd[1]: Reached target shutdown.target - System Shutdown.`
#   every version:    `systemd-logind[812]: System is rebooting.` / `System is powering down.`
#                     `systemd[1]: Shutting down.` / `systemd-journald[402]: Journal stopped`
#   sysvinit:         `shutdown[4242]: shutting down for system reboot` / `... for system halt`
_UNIT = r"(\S+\.(target|service) - )?"  # systemd >= 249: `<unit> - <description>`
_REBOOT = (
    rf"Reached target {_UNIT}(System )?Reboot\.|Reached target {_UNIT}(Reboot via )?[Kk]exec|"
    rf"Finished {_UNIT}(System )?Reboot\.|System is rebooting|systemd-shutdown\S*: Rebooting|"
    r"reboot: Restarting system|shutting down for system reboot"
)
_POWEROFF = (
    rf"Reached target {_UNIT}(System )?Power[- ]Off\.|Reached target {_UNIT}(System )?Halt\.|"
    rf"Finished {_UNIT}(System )?Power[- ]Off\.|"
    r"System is powering down|System is halting|systemd-shutdown\S*: Powering off|"
    r"reboot: Power down|shutting down for system halt|shutting down for system poweroff"
)
_GENERIC_STOP = (
    rf"Reached target {_UNIT}(System )?Shutdown\.|^Shutting down\.$|Journal stopped|"
    rf"Stopped target {_UNIT}(Multi-User System|Graphical Interface)"
)


# Each group is compiled when first used (functools.cache): a host with no ended boot, no SEL
# and no pstore pays for none of the ~20 patterns (~2.5 ms at every start otherwise).
@cache
def _stops() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    return _compile(_REBOOT), _compile(_POWEROFF), _compile(_GENERIC_STOP)


def _compile(pattern: str | tuple[str, int]) -> re.Pattern[str]:
    return re.compile(pattern) if isinstance(pattern, str) else re.compile(*pattern)


def shutdown_signal(ident: str, msg: str) -> Signal | None:
    text = f"{ident}: {msg}"
    reboot, poweroff, generic_stop = _stops()
    if poweroff.search(text):
        return ("planned_shutdown", 0.6)
    if reboot.search(text):
        return ("planned_reboot", 0.6)
    if generic_stop.search(msg):
        return ("planned_reboot", 0.3)  # a clean stop; reboot or power-off is not said
    return None


# wtmp records (`last -x`) near a boot's end: `shutdown system down ...` is written at every
# clean stop, reboot and power-off alike; SysV-style shutdowns add `runlevel (to lvl 0)` or
# `(to lvl 6)`. A runlevel record to any other level is written while a system BOOTS (recorded
# on Debian 12: `runlevel (to lvl 5)` 20 s after `reboot system boot`), so it says nothing about
# how a short boot ended. A session cut by `crash` only shows that no clean stop was recorded.
def wtmp_signal(text: str) -> Signal | None:
    if " crash" in text:
        return ("context", 0.0)
    if text.startswith("runlevel"):
        if "(to lvl 0)" in text:
            return ("planned_shutdown", 0.3)
        return ("planned_reboot", 0.3) if "(to lvl 6)" in text else None
    return ("planned_reboot", 0.3)


# Kernel log lines (`journalctl -k`), x86 and arm64 shapes:
#   `Kernel panic - not syncing: Fatal exception in interrupt`
#   `Kernel panic - not syncing: Fatal machine check`            -> hardware
#   `Kernel panic - not syncing: Fatal hardware error!`          -> hardware (APEI GHES)
#   `Oops: 0002 [#1] PREEMPT SMP NOPTI`                          x86
#   `Internal error: Oops: 0000000096000004 [#1] PREEMPT SMP`   arm64
#   `BUG: kernel NULL pointer dereference, address: 0000000000000008`
#   `watchdog: Watchdog detected hard LOCKUP on cpu 12`          (`NMI watchdog: ...` before 4.x)
#   `watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:123]`
#   `INFO: task kworker/u16:2:123 blocked for more than 122 seconds.`
#   `watchdog: watchdog0: watchdog did not stop!`                 a hardware watchdog left armed
#   `mce: [Hardware Error]: CPU 0: Machine Check Exception: 5 Bank 4: b200000000070f0f`
#   `{1}[Hardware Error]: event severity: fatal`                  APEI GHES (x86, arm64)
#   `EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0`
#   `SError Interrupt on CPU3, code 0x00000000be000011 -- SError` arm64 asynchronous abort
#   `thermal thermal_zone0: critical temperature reached (105 C), shutting down`
_KERNEL: list[tuple[str | tuple[str, int], str, float]] = [
    ((r"Kernel panic - not syncing: .*(machine check|hardware error)", re.I),
     "hardware_fault", 0.8),
    (r"Kernel panic - not syncing", "kernel_panic", 0.8),
    (r"(^|: )Oops: [0-9a-fx]+ \[#\d+\]|Internal error: Oops", "kernel_panic", 0.4),
    (r"BUG: (kernel NULL pointer|unable to handle)|kernel BUG at ", "kernel_panic", 0.4),
    (r"Watchdog detected hard LOCKUP", "watchdog_reset", 0.5),
    (r"BUG: soft lockup - CPU#\d+ stuck", "watchdog_reset", 0.3),
    (r"blocked for more than \d+ seconds", "watchdog_reset", 0.2),
    (r"watchdog\d*: watchdog did not stop!", "watchdog_reset", 0.3),
    (r"Machine Check Exception|\[Hardware Error\]: event severity: fatal",
     "hardware_fault", 0.7),
    (r"EDAC MC\d+: \d+ UE ", "hardware_fault", 0.5),
    (r"SError Interrupt on CPU", "hardware_fault", 0.5),
    ((r"critical temperature reached.*shutting down", re.I), "hardware_fault", 0.7),
]  # fmt: skip

# `NVRM: Xid (PCI:0000:3b:00): 79, pid=0, name=..., GPU has fallen off the bus.`
XID = re.compile(r"NVRM: Xid \((?:PCI:)?([0-9a-fA-F:.]+)\): (\d+),")

# What the collector keeps of a kernel log (filtered on the host): everything the rules above,
# the shutdown markers or the Xid pattern could match.
KERNEL_KEEP = (
    r"panic|Oops|BUG|LOCKUP|lockup|blocked for more than|watchdog|Hardware Error|"
    r"Machine Check|EDAC|SError|critical temperature|NVRM: Xid|reboot:|Restarting system|"
    r"Power down"
)


@cache
def _rules(table: str) -> list[tuple[re.Pattern[str], str, float]]:
    rules = _KERNEL if table == "kernel" else _SEL
    return [(_compile(pattern), reason, weight) for pattern, reason, weight in rules]


def kernel_signal(msg: str) -> Signal | None:
    for rx, reason, weight in _rules("kernel"):
        if rx.search(msg):
            return (reason, weight)
    return None


# pstore records are named by the reason the kernel dumped its log (kmsg_dump):
#   `dmesg-ramoops-0`, `dmesg-efi-171234567801001`, `dmesg-erst-7357925394432163841`; the text
#   starts `Panic#1 Part1` or `Oops#1 Part1` (also `Emergency#`, `Restart#`, `Halt#`, ...).
_PSTORE_HEAD = (r"^(Panic|Oops)#\d+ Part\d+", re.M)


def pstore_signal(name: str, head: str) -> Signal | None:
    m = _compile(_PSTORE_HEAD).search(head)  # re's own cache keeps it
    if m:
        return ("kernel_panic", 0.7 if m.group(1) == "Panic" else 0.4)
    if name.startswith("dmesg-") and not head:
        return ("kernel_panic", 0.3)  # a dmesg dump whose header we could not read
    return None


# IPMI SEL descriptions (`ipmitool sel elist`, the fields after the time):
#   `Power Unit #0x01 | AC lost | Asserted`   `Power Supply #0x51 | Power Supply AC lost | Asserted`
#   `Watchdog2 #0x00 | Hard reset | Asserted` `Processor #0x01 | IERR | Asserted`
#   `Memory #0x02 | Uncorrectable ECC | Asserted`
#   `Temperature #0x30 | Upper Critical going high | Asserted`
_SEL: list[tuple[str | tuple[str, int], str, float]] = [
    ((r"AC lost|Power Supply AC lost|Under-Voltage|Power input lost", re.I),
     "power_loss", 0.7),
    ((r"Watchdog.*\|\s*(Hard reset|Power cycle|Power down|Timer expired)", re.I),
     "watchdog_reset", 0.7),
    ((r"IERR|Uncorrectable (ECC|machine check)|Critical Interrupt|Bus Fatal|"
      r"Upper (Critical|Non-recoverable) going high|Failure detected", re.I),
     "hardware_fault", 0.6),
]  # fmt: skip


def sel_signal(text: str) -> Signal | None:
    if "Deasserted" in text:
        return None
    for rx, reason, weight in _rules("sel"):
        if rx.search(text):
            return (reason, weight)
    return None


# Watchdog bootstatus bits (linux/watchdog.h WDIOF_*): why the watchdog last reset the board.
WDIOF: dict[int, tuple[str, str, float]] = {
    0x0001: ("OVERHEAT", "hardware_fault", 0.6),
    0x0002: ("FANFAULT", "hardware_fault", 0.6),
    0x0010: ("POWERUNDER", "power_loss", 0.6),
    0x0020: ("CARDRESET", "watchdog_reset", 0.8),
    0x0040: ("POWEROVER", "hardware_fault", 0.5),
}
