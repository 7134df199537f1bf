"""Disk space and inodes on / and /var, from statvfs(3) taken by the payload."""

from __future__ import annotations

from collections.abc import Mapping

from diag.checks.base import (
    Check,
    Context,
    Rules,
    Source,
    capture_problem,
    crossed,
    finding,
    graded,
    unknown,
)
from schemas.capture import Capture
from schemas.enums import Status, worst
from schemas.finding import Finding
from schemas.record import record

ID = "host.disk_space"
PATHS = ("/", "/var")


@record(frozen=True)
class FsUsage:
    path: str
    size_bytes: int
    avail_bytes: int
    files: int
    files_free: int
    read_only: bool

    @property
    def used_pct(self) -> float:
        # Like df: used / (used + available to unprivileged users); root's reserve counts as used.
        return (
            0.0
            if self.size_bytes <= 0
            else round(100.0 * (1 - self.avail_bytes / self.size_bytes), 1)
        )

    @property
    def inodes_used_pct(self) -> float | None:
        # btrfs and some network filesystems report 0 inodes: "no inode limit", not 100% used.
        return None if self.files <= 0 else round(100.0 * (1 - self.files_free / self.files), 1)


def parse(stdout: str) -> list[FsUsage]:
    """Tab-separated lines: path frsize blocks bfree bavail files ffree favail ro."""
    out = []
    for line in stdout.splitlines():
        f = line.split("\t")
        if len(f) != 9:
            raise ValueError(f"statvfs line has {len(f)} fields, expected 9")
        frsize, blocks, _bfree, bavail, files, ffree = (int(x) for x in f[1:7])
        out.append(FsUsage(f[0], frsize * blocks, frsize * bavail, files, ffree, f[8] == "1"))
    return out


def _one(fs: FsUsage, rules: Rules) -> Finding:
    space = graded(fs.used_pct, rules["warn_used_pct"], rules["fail_used_pct"])
    ino = fs.inodes_used_pct
    inode = (
        Status.PASS
        if ino is None
        else graded(ino, rules["warn_inodes_used_pct"], rules["fail_inodes_used_pct"])
    )
    return finding(
        ID,
        worst((space, inode)),
        rules,
        entity=fs.path,
        observed={
            "used_pct": fs.used_pct,
            "inodes_used_pct": ino,
            "size_bytes": fs.size_bytes,
            "avail_bytes": fs.avail_bytes,
        },
        message=f"{fs.path}: {fs.used_pct}% space used"
        + crossed(space, rules["warn_used_pct"], rules["fail_used_pct"], "%")
        + ", "
        + (
            "inodes unlimited"
            if ino is None
            else f"{ino}% inodes used"
            + crossed(inode, rules["warn_inodes_used_pct"], rules["fail_inodes_used_pct"], "%")
        ),
    )


def evaluate(caps: Mapping[str, Capture], rules: Rules, ctx: Context) -> list[Finding]:
    problem = capture_problem(ID, caps, "statvfs", rules)
    if problem:
        return [problem]
    seen = {fs.path: fs for fs in parse(caps["statvfs"].stdout)}
    findings = [
        _one(seen[p], rules)
        if p in seen
        else unknown(ID, f"statvfs({p}) failed: {caps['statvfs'].stderr[:200]}", rules, p)
        for p in PATHS
    ]
    return findings


CHECK = Check(
    ID,
    "Disk space and inodes",
    "statvfs(/), statvfs(/var)",
    (Source("statvfs", "statvfs", paths=PATHS, cap=4096),),
    evaluate,
)
