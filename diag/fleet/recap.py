"""The end of a fleet run, collapsed: hosts that share a finding listed once, like `dshbak -c`
collapses identical pdsh output and Ansible's PLAY RECAP counts hosts per outcome.

Findings group by (status, check id, message shape). The shape is the message with every
number masked, so `5-min load 41.6 on 8 cores` and `5-min load 39.0 on 8 cores` share a line;
where members differ, the shown message keeps the numbers they share and shows `…` for the rest.
A message that names the host (`gpu-07: ...`) is judged with the name taken out. Hosts are
shown as hostlist ranges (`gpu-[01-03,07]`, as pdsh and Slurm write them). Pure: no printing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.envelope import Envelope, Status

NUMBER = re.compile(r"\d+(?:\.\d+)?")
TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)(\D*)$")
VARIES = "…"


@dataclass
class Group:
    """Hosts sharing one finding; `messages` keeps each member's (host-less) message."""

    status: Status
    check_id: str
    hosts: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def message(self) -> str:
        """The members' message: numbers they share kept, the ones that differ shown as `…`."""
        first = self.messages[0]
        columns = zip(*(NUMBER.findall(m) for m in self.messages), strict=True)
        values = iter([c[0] if len(set(c)) == 1 else VARIES for c in columns])
        return NUMBER.sub(lambda _: next(values), first)


@dataclass
class Recap:
    groups: list[Group]
    host_status: dict[Status, list[str]]


def _shape(status: Status, check_id: str, message: str) -> tuple[int, str, str]:
    return (-status.rank, check_id, NUMBER.sub("#", message))


class RecapBuilder:
    """Takes envelopes as they arrive and keeps only what the recap needs, not the envelopes."""

    def __init__(self) -> None:
        self.groups: dict[tuple[int, str, str], Group] = {}
        self.host_status: dict[Status, list[str]] = {}

    def _add(self, status: Status, check_id: str, host: str, message: str) -> None:
        if host:  # `ssh: cannot resolve gpu-07` reads the same for every host
            message = re.sub(rf"(?<![\w.-]){re.escape(host)}(?![\w.-])", "<host>", message)
        group = self.groups.setdefault(_shape(status, check_id, message), Group(status, check_id))
        if not group.hosts or group.hosts[-1] != host:
            group.hosts.append(host)
        group.messages.append(message)

    def add(self, env: Envelope) -> None:
        host = env.host.name
        self.host_status.setdefault(env.status, []).append(host)
        for f in env.findings:
            if f.status not in (Status.PASS, Status.NOT_APPLICABLE):
                self._add(f.status, f.check_id, host, f.message)
        for e in env.errors:
            status = Status.UNREACHABLE if env.status is Status.UNREACHABLE else Status.ERROR
            self._add(status, e.code.value, host, e.message)

    def build(self) -> Recap:
        return Recap([self.groups[k] for k in sorted(self.groups)], self.host_status)


def recap(envs: Iterable[Envelope]) -> Recap:
    """Every non-passing finding and host error of `envs`, grouped; hosts counted by status."""
    builder = RecapBuilder()
    for env in envs:
        builder.add(env)
    return builder.build()


def _split(name: str) -> tuple[str, str, str]:
    m = TRAILING_NUMBER.match(name)
    return (m.group(1), m.group(2), m.group(3)) if m else (name, "", "")


def _ranges(numbers: list[str]) -> str:
    """`["01", "02", "03", "07"]` → `01-03,07`; `9, 10` runs on, but a zero-padded number
    only continues a run of its own width (`1, 01, 2` stays three)."""

    def padded(n: str) -> bool:
        return len(n) > 1 and n.startswith("0")

    nums = sorted(set(numbers), key=lambda n: (int(n), len(n)))
    parts: list[str] = []
    start = prev = nums[0]
    for n in nums[1:]:
        same_width = len(n) == len(prev) or not (padded(n) or padded(prev))
        if int(n) == int(prev) + 1 and same_width:
            prev = n
            continue
        parts.append(start if start == prev else f"{start}-{prev}")
        start = prev = n
    parts.append(start if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def hostlist(names: Iterable[str], width: int = 60) -> str:
    """Names as compact ranges: `gpu-[01-03,07],login1`; cut at about `width` characters with
    `+N more` (N counts hosts). Names without a number are listed as they are, in order."""
    families: dict[tuple[str, str], list[str]] = {}
    for name in dict.fromkeys(names):
        prefix, digits, suffix = _split(name)
        families.setdefault((prefix, suffix if digits else "\0"), []).append(digits or name)
    tokens: list[tuple[str, int]] = []
    for (prefix, suffix), members in families.items():
        if suffix == "\0":
            tokens.extend((m, 1) for m in members)
        elif len(members) == 1:
            tokens.append((f"{prefix}{members[0]}{suffix}", 1))
        else:
            tokens.append((f"{prefix}[{_ranges(members)}]{suffix}", len(set(members))))
    shown: list[str] = []
    for i, (token, _) in enumerate(tokens):
        if shown and len(",".join([*shown, token])) > width:
            rest = sum(count for _, count in tokens[i:])
            return ",".join(shown) + f" +{rest} more"
        shown.append(token)
    return ",".join(shown)
