"""The blast-radius breaker for the drains of the lifecycle phases (`maintain`'s waves,
`retire`): the probes' plan and guard (probes.plan), over a state file of their own.

Before any node of a wave is drained, the wave is `admit`ted under the state file's lock: the
nodes diagctl already holds drained for lifecycle work plus those it drained inside the window
count as used, the limit is `max_cordon_fraction` of the fleet (every scheduler node of the
inventory, not just the --limit group) and at most `max_cordon_count`; if the wave would cross
it, nothing of the wave is drained. One node name is one counted node, however many times it
is drained. An admitted wave is written to the state file before the drains start, so two
runs at once cannot both spend the same headroom.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from probes import state
from probes.plan import GroupGuard, NodePlan, Roster, cordon_limit, guard
from schemas.probe import ActionKind, CordonEvent, GroupConfig, NodeState

GROUP = "lifecycle"


@dataclass(frozen=True)
class Breaker:
    state_path: Path
    cfg: GroupConfig
    fleet: frozenset[str]  # the inventory's scheduler nodes
    lock_wait_s: float = 30.0

    def admit(self, nodes: Sequence[str], now: float | None = None) -> GroupGuard:
        """Whether draining `nodes` stays inside the limit; when it does, they are recorded
        as drained now (held and in the window) before the caller drains them."""
        now = time.time() if now is None else now
        with state.locked(self.state_path, self.lock_wait_s):
            st = state.load(self.state_path)
            state.clamp_future(st, now)
            held = {n for n, ns in st.nodes.items() if ns.cordoned_by_us}
            members = frozenset((n, GROUP) for n in self.fleet | held | set(nodes))
            roster = Roster(members, {GROUP: self.cfg})
            plans = [
                NodePlan(n, GROUP, None, st.nodes.get(n, NodeState()), ActionKind.CORDON)
                for n in dict.fromkeys(nodes)
            ]
            limit = cordon_limit(self.cfg, len(members))
            g = (guard(roster, st, plans, now) or [GroupGuard(GROUP, len(members), limit, 0, 0,
                                                              False)])[0]  # fmt: skip
            if not g.tripped:
                events = state.prune(st.cordons.get(GROUP, []), now, self.cfg.window_s)
                st.cordons[GROUP] = events + [CordonEvent(at=now, node=p.node) for p in plans]
                for p in plans:
                    st.nodes[p.node] = NodeState(cordoned_by_us=True, cordoned_at=now,
                                                 cordon_backend=self.cfg.backend)  # fmt: skip
                state.save(self.state_path, st)
            return g

    def release(self, nodes: Iterable[str]) -> None:
        """These nodes are no longer held by diagctl (resumed, a human's drain, a failed
        drain, or retired out of the fleet); their drains still count inside the window."""
        with state.locked(self.state_path, self.lock_wait_s):
            st = state.load(self.state_path)
            for n in nodes:
                if n in st.nodes:
                    st.nodes[n] = st.nodes[n].model_copy(update={"cordoned_by_us": False})
            state.save(self.state_path, st)


def tripped_message(g: GroupGuard) -> str:
    return (
        f"blast-radius breaker: {g.wanted} drain(s) wanted, {g.used} already held or drained "
        f"in the window, limit {g.limit} of {g.size} nodes; nothing drained"
    )
