"""The registry API: assets keyed by host_id, their phase, and an append-only history.

    reg = open_registry(url)                     # migrates a new or older file first
    asset = reg.register(AssetInfo(...), who)    # new assets start in phase receive
    reg.record(host_id, "l1", "pass", who, evidence=[EvidencePointer(...)])
    reg.move(host_id, Phase.PROVISION, asset.version, decision, who, reason="...")
    reg.assets(phase=Phase.MONITOR); reg.history(host_id); reg.get("gpu-a-01")

Every method is one transaction. `move` is an optimistic compare-and-set on the asset's
version: a writer that read an older version gets ConflictError and nothing is written.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import Connection, Engine, Row, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from diag.envelope import utc_now
from lifecycle.phases import Decision, Phase
from lifecycle.registry import engine as eng
from lifecycle.registry.errors import ConflictError, RegistryError, UnknownAsset
from lifecycle.registry.tables import assets, history
from schemas.lifecycle import Asset, EvidencePointer, HistoryEntry, Inventory

T = TypeVar("T")
Outcome = Literal["pass", "warn", "fail", "unknown"]
_POINTERS = TypeAdapter(list[EvidencePointer])


def actor() -> str:
    """Who writes: `user@host pid N` of this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (containers)
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


@dataclass(frozen=True)
class AssetInfo:
    """What a receive run learned of a machine: identity and inventory."""

    host_id: str
    name: str = ""
    host_class: str = ""
    serials: list[str] = field(default_factory=list)
    inventory: Inventory = field(default_factory=Inventory)


def _asset(row: Row[Any]) -> Asset:
    m = row._mapping
    return Asset(
        host_id=m["host_id"],
        name=m["name"],
        host_class=m["host_class"],
        serials=json.loads(m["serials"]),
        inventory=Inventory.model_validate_json(m["inventory"]),
        phase=m["phase"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _entry(row: Row[Any]) -> HistoryEntry:
    m = dict(row._mapping)
    m["forced"] = bool(m["forced"])
    m["missing"] = json.loads(m["missing"])
    m["evidence"] = _POINTERS.validate_json(m["evidence"])
    return HistoryEntry.model_validate(m)


class Registry:
    def __init__(self, engine: Engine, url: str, wait_s: float) -> None:
        self.engine, self.url, self.wait_s = engine, url, wait_s

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except DBAPIError as exc:
            raise eng.translate(exc, self.url, self.wait_s) from None

    def _write(self, fn: Callable[[Connection], T]) -> T:
        with self._guard(), eng.writing(self.engine) as conn:
            return fn(conn)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        with self._guard(), self.engine.connect() as conn, conn.begin():
            return fn(conn)

    def get(self, key: str) -> Asset:
        """The asset whose host_id, or else name, is `key`."""
        return self._read(lambda c: _find(c, key))

    def assets(self, phase: Phase | None = None) -> list[Asset]:
        q = select(assets).order_by(assets.c.name, assets.c.host_id)
        if phase is not None:
            q = q.where(assets.c.phase == phase.value)
        return self._read(lambda c: [_asset(r) for r in c.execute(q)])

    def history(self, key: str) -> list[HistoryEntry]:
        def run(c: Connection) -> list[HistoryEntry]:
            host_id = _find(c, key).host_id
            q = select(history).where(history.c.host_id == host_id).order_by(history.c.id)
            return [_entry(r) for r in c.execute(q)]

        return self._read(run)

    def register(self, info: AssetInfo, who: str) -> Asset:
        """Insert a new asset in phase receive (with its first transition), or refresh the
        identity and inventory of a known one (its phase is left alone)."""
        return self._write(lambda c: _register(c, info, who))

    def record(
        self,
        host_id: str,
        action: str,
        outcome: Outcome,
        who: str,
        reason: str = "",
        evidence: list[EvidencePointer] | None = None,
    ) -> HistoryEntry:
        """Append an action (a step's result and its evidence); the phase does not change."""
        row = _row(host_id, "action", who, action=action, outcome=outcome, reason=reason)
        row["evidence"] = _POINTERS.dump_json(evidence or []).decode()
        return self._write(lambda c: _append(c, row, require=host_id))

    def move(
        self,
        host_id: str,
        to: Phase,
        expected_version: int,
        decision: Decision,
        who: str,
        reason: str = "",
        evidence: list[EvidencePointer] | None = None,
    ) -> HistoryEntry:
        """Set the phase if the asset is still at `expected_version`; append the transition."""
        if not decision.moves:
            raise RegistryError(f"{host_id}: refusing to record a move the gate refused")

        def run(c: Connection) -> HistoryEntry:
            now = _find(c, host_id)
            done = c.execute(
                update(assets)
                .where(assets.c.host_id == host_id, assets.c.version == expected_version)
                .values(phase=to.value, version=assets.c.version + 1, updated_at=utc_now())
            )
            if done.rowcount != 1:
                raise conflict(_find(c, host_id), expected_version)  # as committed now
            row = _row(
                host_id, "transition", who, reason=reason, forced=decision.verdict.value == "forced"
            )
            row.update(
                from_phase=now.phase, to_phase=to.value, missing=json.dumps(list(decision.missing))
            )
            row["evidence"] = _POINTERS.dump_json(evidence or []).decode()
            return _append(c, row)

        return self._write(run)


def conflict(now: Asset, expected_version: int) -> ConflictError:
    return ConflictError(
        f"asset {now.host_id}: changed by another writer (read version {expected_version}, "
        f"now {now.version} in phase {now.phase}); nothing written: re-read and retry"
    )


def _find(c: Connection, key: str) -> Asset:
    q = select(assets).where(or_(assets.c.host_id == key, assets.c.name == key))
    rows = list(c.execute(q.order_by(assets.c.host_id)))
    exact = [r for r in rows if r._mapping["host_id"] == key]
    if exact:
        return _asset(exact[0])
    if len(rows) > 1:
        ids = ", ".join(r._mapping["host_id"] for r in rows)
        raise UnknownAsset(f"{key!r} names {len(rows)} assets ({ids}): give the host_id")
    if not rows:
        raise UnknownAsset(f"no asset with host_id or name {key!r} in the registry")
    return _asset(rows[0])


def _row(host_id: str, entry: str, who: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "host_id": host_id,
        "entry": entry,
        "at": utc_now(),
        "who": who,
        "from_phase": None,
        "to_phase": None,
        "action": "",
        "outcome": "pass",
        "reason": "",
        "forced": False,
        "missing": "[]",
        "evidence": "[]",
    }
    base.update(kw)
    return base


def _append(c: Connection, row: dict[str, Any], require: str = "") -> HistoryEntry:
    if require:
        _find(c, require)
    new_id = c.execute(insert(history).values(**row)).inserted_primary_key
    assert new_id is not None
    return _entry(c.execute(select(history).where(history.c.id == new_id[0])).one())


def _register(c: Connection, info: AssetInfo, who: str) -> Asset:
    now = utc_now()
    values = {
        "name": info.name,
        "host_class": info.host_class,
        "serials": json.dumps(info.serials),
        "inventory": info.inventory.model_dump_json(),
        "updated_at": now,
    }
    eng.lock_asset(c, info.host_id)
    found = c.execute(select(assets).where(assets.c.host_id == info.host_id)).first()
    if found is None:
        phase = Phase.RECEIVE.value
        c.execute(
            insert(assets).values(
                host_id=info.host_id, phase=phase, version=1, created_at=now, **values
            )
        )
        _append(c, _row(info.host_id, "transition", who, to_phase=phase, reason="registered"))
    else:
        c.execute(
            update(assets)
            .where(assets.c.host_id == info.host_id)
            .values(version=assets.c.version + 1, **values)
        )
    return _find(c, info.host_id)


def open_registry(url: str, wait_s: float = 10.0, migrate: bool = True) -> Registry:
    """The registry at `url`, its schema brought to the newest revision first (`migrate`)."""
    engine = eng.make_engine(url, wait_s)
    reg = Registry(engine, url, wait_s)
    if migrate:
        with reg._guard():
            eng.migrate(engine, url)
    return reg
