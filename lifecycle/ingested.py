"""Recording what `diagctl ingest --registry URL` judged in the lifecycle registry.

Per judged host, one transaction (so a host is either wholly recorded or not at all):
  1. lock the asset (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite; then the row
     itself, SELECT ... FOR UPDATE) so jump hosts ingesting the same machine take turns;
  2. upsert it: a machine the registry has never seen is registered in phase receive; a known
     one keeps its phase and gets the identity and inventory the envelope shows;
  3. append one action (`l1` for a health run, `reset_reason`) whose outcome is the envelope's
     status and whose evidence points at the envelope and at the collector's record, unless
     the same record (by sha256) was ingested before: re-running ingest adds nothing.

The envelope is emitted only after its transaction committed, so an envelope on stdout is an
acknowledged write. When the registry goes away mid-run, the hosts after it are still judged
and emitted, and listed as not recorded; nothing is retried behind the operator's back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from diag.envelope import utc_now
from diag.exitcodes import Exit
from diag.textsafe import safe_text
from lifecycle.acceptance import inventory_of
from lifecycle.registry import engine as eng
from lifecycle.registry.errors import RegistryError
from lifecycle.registry.store import AssetInfo, _append, _row
from lifecycle.registry.tables import assets, history
from schemas.lifecycle import EvidencePointer, Inventory

if TYPE_CHECKING:
    from lifecycle.registry.store import Registry
    from schemas.envelope import Envelope

ACTIONS = {"health.l1": "l1", "reset_reason": "reset_reason"}  # envelope kind -> action
_OUTCOMES = ("pass", "warn", "fail")  # every other status (unreachable, error...) is unknown
SHOW_LOST = 5  # not-recorded hosts named in the message; the rest are counted


@dataclass
class RecordReport:
    recorded: int = 0  # new actions appended
    already: int = 0  # this collection was ingested before: nothing appended
    no_id: list[str] = field(default_factory=list)  # no host_id (unreachable...): not recordable
    lost: list[str] = field(default_factory=list)  # judged after the registry failed
    error: str = ""

    def problem(self, url: str) -> str:
        """One line for stderr when hosts went unrecorded because of the registry, else ''."""
        if not self.lost:
            return ""
        names = ", ".join(safe_text(n) for n in self.lost[:SHOW_LOST])
        more = f" and {len(self.lost) - SHOW_LOST} more" if len(self.lost) > SHOW_LOST else ""
        return (
            f"registry {eng.shown(url)}: {len(self.lost)} host(s) judged but not recorded "
            f"({names}{more}): {self.error}; {self.recorded + self.already} recorded before "
            f"it failed are kept; re-run ingest to record the rest (already recorded hosts are "
            f"not recorded twice)"
        )


class IngestRecorder:
    """Wraps an envelope sink: record in the registry first, then pass the envelope on."""

    def __init__(
        self,
        reg: Registry,
        who: str,
        records: dict[str, Path],
        out: Path | None = None,
    ) -> None:
        """`records`: each host's collector record (DIR/hosts/<host>/collected.json)."""
        self.reg, self.who, self.records, self.out = reg, who, records, out
        self.report = RecordReport()

    def problem(self) -> str:
        return self.report.problem(self.reg.url)

    def exit_after(self, code: Exit) -> Exit:
        """The run's exit status, made non-zero when hosts went unrecorded (unless a more
        urgent status already holds: unreachable, interrupted)."""
        if self.report.lost and code in (Exit.OK, Exit.FINDINGS, Exit.WARNINGS):
            return Exit.INTERNAL
        return code

    def wrap(self, emit: Callable[[Envelope], None]) -> Callable[[Envelope], None]:
        def both(env: Envelope) -> None:
            self.record(env)
            emit(env)

        return both

    def record(self, env: Envelope) -> None:
        name, host_id = env.host.name, env.host.host_id
        if not host_id or env.kind not in ACTIONS:
            self.report.no_id.append(name)
            return
        if self.report.error:  # the registry failed earlier in this run
            self.report.lost.append(name)
            return
        pointers, key = self._pointers(env)
        try:
            new = self.reg._write(lambda c: _record_one(c, env, pointers, key, self.who))
        except (RegistryError, SQLAlchemyError) as exc:
            said = str(exc) if isinstance(exc, RegistryError) else type(exc).__name__
            prefix = f"registry {eng.shown(self.reg.url)}: "
            self.report.error = eng.redacted(said.removeprefix(prefix), self.reg.url)
            self.report.lost.append(name)
            return
        if new:
            self.report.recorded += 1
        else:
            self.report.already += 1

    def _pointers(self, env: Envelope) -> tuple[list[EvidencePointer], str]:
        body = env.model_dump_json().encode()
        path = ""
        if self.out is not None:
            from diag.artifacts import host_dir

            path = str(host_dir(self.out, env.host.name) / "envelope.json")
        note = f"{env.kind} {env.status.value} collected {env.collected_at} (ingest)"
        ptr = EvidencePointer(
            kind="envelope", path=path, sha256=hashlib.sha256(body).hexdigest(), note=note
        )
        rec_path = self.records.get(env.host.name)
        if rec_path is None:
            return [ptr], ptr.sha256
        try:
            digest = hashlib.sha256(rec_path.read_bytes()).hexdigest()
        except OSError:  # removed since it was judged: the envelope alone identifies the run
            return [ptr], ptr.sha256
        record = EvidencePointer(
            kind="output", path=str(rec_path), sha256=digest, note="the collector's record"
        )
        return [ptr, record], digest


def _record_one(
    c: Connection, env: Envelope, pointers: list[EvidencePointer], key: str, who: str
) -> bool:
    """Upsert the asset and append the action unless `key` was ingested before; True if new."""
    host_id, action = env.host.host_id, ACTIONS[env.kind]
    _upsert(c, env, who)
    seen = c.execute(
        select(history.c.id).where(
            history.c.host_id == host_id,
            history.c.action == action,
            history.c.evidence.like(f'%"sha256":"{key}"%'),
        )
    ).first()
    if seen is not None:
        return False
    status = env.status.value
    outcome = status if status in _OUTCOMES else "unknown"
    n = env.summary
    reason = f"{env.kind} {status}: {n.fail} fail, {n.warn} warn, {n.unknown} unknown"
    row = _row(host_id, "action", who, action=action, outcome=outcome, reason=reason)
    row["evidence"] = "[" + ",".join(p.model_dump_json() for p in pointers) + "]"
    _append(c, row)
    return True


def _upsert(c: Connection, env: Envelope, who: str) -> None:
    host_id = env.host.host_id
    eng.lock_asset(c, host_id)
    found = c.execute(select(assets).where(assets.c.host_id == host_id).with_for_update()).first()
    info = AssetInfo(host_id, env.host.name, serials=[host_id])
    values: dict[str, Any] = {"name": info.name}
    if env.kind == "health.l1":  # only a health run sees the inventory
        values["inventory"] = inventory_of(env).model_dump_json()
    if found is None:
        now = utc_now()
        c.execute(
            insert(assets).values(
                host_id=host_id, host_class="", serials=json.dumps(info.serials),
                phase="receive", version=1, created_at=now, updated_at=now,
                **{"inventory": Inventory().model_dump_json(), **values},
            )
        )  # fmt: skip
        _append(c, _row(host_id, "transition", who, to_phase="receive",
                        reason="registered"))  # fmt: skip
        return
    if any(found._mapping[k] != v for k, v in values.items()):
        c.execute(
            update(assets)
            .where(assets.c.host_id == host_id)
            .values(version=assets.c.version + 1, updated_at=utc_now(), **values)
        )


def open_recorder(
    given: str, wait_s: float, records: dict[str, Path], out: Path | None
) -> IngestRecorder:
    """The recorder for `--registry`: the registry opened (and migrated) before any judging."""
    from diag.config import state_dir
    from lifecycle.registry.store import actor, open_registry

    reg = open_registry(eng.resolve(given, state_dir()), wait_s)
    return IngestRecorder(reg, actor(), records, out)
