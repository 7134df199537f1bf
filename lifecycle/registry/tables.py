"""The registry's tables as SQLAlchemy Core metadata (no ORM). Migrations create them; this
module only describes them for queries. Portable types only: it runs on SQLite and PostgreSQL.

Timestamps are RFC 3339 UTC text (sortable, identical on both engines); JSON columns are text
written and read by pydantic, so no engine-specific JSON type is involved.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

assets = Table(
    "assets",
    metadata,
    Column("host_id", String(255), primary_key=True),
    Column("name", String(255), nullable=False, default=""),
    Column("host_class", String(255), nullable=False, default=""),
    Column("serials", Text, nullable=False, default="[]"),  # JSON list
    Column("inventory", Text, nullable=False, default="{}"),  # JSON: schemas.lifecycle.Inventory
    Column("phase", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host_id", String(255), ForeignKey("assets.host_id"), nullable=False, index=True),
    Column("entry", String(16), nullable=False),  # transition | action
    Column("at", String(40), nullable=False),
    Column("who", String(512), nullable=False),
    Column("from_phase", String(32)),
    Column("to_phase", String(32)),
    Column("action", String(64), nullable=False, default=""),
    Column("outcome", String(16), nullable=False, default="pass"),
    Column("reason", Text, nullable=False, default=""),
    Column("forced", Boolean, nullable=False, default=False),
    Column("missing", Text, nullable=False, default="[]"),  # JSON list
    Column("evidence", Text, nullable=False, default="[]"),  # JSON: list[EvidencePointer]
)
