"""From verdicts and state to a per-node action plan, through the blast-radius guard. Pure."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from probes.state import advance, prune
from probes.verdict import FAILING
from schemas.probe import (
    ActionKind,
    GroupConfig,
    NodeState,
    ProbeTarget,
    StateFile,
    TargetsFile,
    Verdict,
)

# Worst first: a node's verdict is the worst verdict of the endpoints it serves.
ORDER = [Verdict.DOWN, Verdict.ZOMBIE, Verdict.SLOW, Verdict.HEALTHY]


@dataclass
class NodePlan:
    node: str
    group: str
    verdict: Verdict | None  # None: not a probe (a health run's plan, see `label`)
    state: NodeState
    action: ActionKind = ActionKind.NONE
    restart_unit: str = ""
    blocked: bool = False
    label: str = ""  # the verdict in words for messages: "zombie", "health fail"
    fails: bool = False  # without a verdict (health): failing now

    def __post_init__(self) -> None:
        self.label = self.label or (self.verdict.value if self.verdict else "")

    @property
    def failing(self) -> bool:
        """Still failing now: a probe's zombie/down, a health run's finding at the act level."""
        return self.verdict in FAILING if self.verdict else self.fails


@dataclass(frozen=True)
class Roster:
    """What planning needs of a targets file: each node's group and each group's settings.
    Probes build it from their targets file; `health --act` from its hosts and --act-config."""

    members: frozenset[tuple[str, str]]  # (node, group); a node may serve several groups
    groups: Mapping[str, GroupConfig] = field(default_factory=dict)
    targets: tuple[ProbeTarget, ...] = ()  # probe targets (restarts); empty for health

    @classmethod
    def of(cls, tf: TargetsFile | Roster) -> Roster:
        if isinstance(tf, Roster):
            return tf
        members = frozenset((t.node, t.group) for t in tf.targets)
        return cls(members, tf.groups, tuple(tf.targets))

    def group(self, name: str) -> GroupConfig:
        return self.groups.get(name) or GroupConfig()


def want_action(st: NodeState, cfg: GroupConfig) -> ActionKind:
    """Cordon after fail_threshold failures in a row, release after pass_threshold passes."""
    if not st.cordoned_by_us and st.consecutive_fail >= cfg.fail_threshold:
        return ActionKind.CORDON
    if st.cordoned_by_us and st.consecutive_pass >= cfg.pass_threshold:
        return ActionKind.UNCORDON
    return ActionKind.NONE


@dataclass
class GroupGuard:
    """The blast-radius arithmetic of one group, for the envelope and the audit record."""

    group: str
    size: int
    limit: int
    used: int
    wanted: int
    tripped: bool
    nodes: list[str] = field(default_factory=list)


def node_verdicts(verdicts: Iterable[tuple[str, Verdict]]) -> dict[str, Verdict]:
    out: dict[str, Verdict] = {}
    for node, v in verdicts:
        cur = out.get(node)
        out[node] = v if cur is None else min(cur, v, key=ORDER.index)
    return out


def cordon_limit(cfg: GroupConfig, size: int) -> int:
    """At most max_cordon_fraction of the group and max_cordon_count nodes; a fraction that
    rounds to zero still allows one node, so a small group can lose its one zombie."""
    by_fraction = max(1, math.floor(cfg.max_cordon_fraction * size + 1e-9))
    return min(cfg.max_cordon_count, by_fraction)


def decide(
    targets: TargetsFile, state: StateFile, verdicts: dict[str, Verdict], now: float
) -> list[NodePlan]:
    """Advance each probed node's hysteresis and pick its action (before the guard)."""
    group_of = {t.node: t.group for t in targets.targets}
    unit_of = {t.node: t.restart_unit for t in targets.targets if t.restart_unit}
    plans = []
    for node in sorted(verdicts):
        group = group_of[node]
        st = advance(state.nodes.get(node, NodeState()), verdicts[node], now)
        action = want_action(st, targets.group(group))
        plans.append(NodePlan(node, group, verdicts[node], st, action, unit_of.get(node, "")))
    return plans


def guard(
    targets: TargetsFile | Roster, state: StateFile, plans: list[NodePlan], now: float
) -> list[GroupGuard]:
    """Block every cordon of a group whose planned cordons would cross its limit.

    `used` counts the other nodes diagctl holds cordoned now or cordoned within the window (a
    node cordoned again, e.g. after someone resumed it, is one node, not two);
    if used + this round's cordons > limit, none of this round's cordons happen in that group
    (a burst of failures bigger than the limit looks like a probe or network fault, not N
    independent zombies) and the breaker trips.
    """
    roster = Roster.of(targets)
    results = []
    for group in sorted({p.group for p in plans}):
        cfg = roster.group(group)
        members = {n for n, g in roster.members if g == group}
        size = len(members)
        recent = {e.node for e in prune(state.cordons.get(group, []), now, cfg.window_s)}
        held = {n for n, st in state.nodes.items() if st.cordoned_by_us and n in members}
        want = [p for p in plans if p.group == group and p.action is ActionKind.CORDON]
        used = len((recent | held) - {p.node for p in want})
        limit = cordon_limit(cfg, size)
        tripped = bool(want) and used + len(want) > limit
        if tripped:
            for p in want:
                p.blocked = True
        results.append(
            GroupGuard(group, size, limit, used, len(want), tripped, [p.node for p in want])
        )
    return results
