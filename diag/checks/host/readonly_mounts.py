"""Read-only mounts: a disk filesystem the kernel remounted read-only after I/O errors."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import Check, Context, Rules, Source, capture_problem, clean, finding
from schemas.capture import Capture
from schemas.enums import Action, Status
from schemas.finding import Finding
from schemas.record import record

ID = "host.readonly_mounts"


@record(frozen=True)
class Mount:
    device: str
    target: str
    fstype: str
    options: tuple[str, ...]

    @property
    def read_only(self) -> bool:
        return "ro" in self.options


def _unescape(field: str) -> str:
    # /proc/self/mounts octal-escapes space, tab, newline and backslash (\040 etc.).
    if "\\" not in field:  # the common case; keeps fleet-wide parsing cheap (bench/fanout.py)
        return field
    out, i = [], 0
    while i < len(field):
        esc = field[i + 1 : i + 4]
        if field[i] == "\\" and len(esc) == 3 and all(c in "01234567" for c in esc):
            out.append(chr(int(esc, 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse(stdout: str) -> list[Mount]:
    """fstab-format lines (`dev target type opts 0 0`); malformed lines are skipped."""
    out = []
    for line in stdout.splitlines():
        f = line.split()
        if len(f) >= 4:
            out.append(Mount(_unescape(f[0]), _unescape(f[1]), f[2], tuple(f[3].split(","))))
    return out


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID, caps, "mounts", rules)
    if problem:
        return [problem]
    mounts = parse(caps["mounts"].stdout)
    if not mounts:
        raise ValueError("no mount lines in /proc/self/mounts")
    must_rw = set(rules["must_be_rw"])
    disk_types = set(rules["disk_fstypes"])
    # The last mount on a target wins (over-mounts hide earlier ones).
    by_target = {m.target: m for m in mounts}
    findings = []
    for m in by_target.values():
        if not m.read_only:
            continue
        if m.target in must_rw:
            status = Status.FAIL
        elif m.fstype in disk_types and m.device.startswith("/dev/"):
            status = Status.WARN
        else:
            continue  # squashfs, sysfs bits, bind mounts of images: read-only by design
        findings.append(
            finding(
                ID,
                status,
                rules,
                entity=m.target,
                observed={"device": m.device, "fstype": m.fstype, "options": ",".join(m.options)},
                threshold={"must_be_rw": sorted(must_rw)},
                message=f"{m.target} ({m.fstype} on {m.device}) is mounted read-only",
                action=Action.MONITOR if status is Status.WARN else Action.REBOOT,
                evidence=[clean(f"{m.device} {m.target} {m.fstype} {','.join(m.options)}", 300)],
            )
        )
    if not findings:
        findings.append(
            finding(
                ID,
                Status.PASS,
                rules,
                entity="mounts",
                observed={"mounts": len(by_target)},
                threshold={"must_be_rw": sorted(must_rw)},
                message="no unexpected read-only mount",
            )
        )
    return findings


CHECK = Check(
    ID,
    "Read-only mounts",
    "/proc/self/mounts",
    (Source("mounts", "file", path="/proc/self/mounts", cap=262144),),
    evaluate,
)
