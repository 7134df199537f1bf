"""Alembic environment: always run programmatically by lifecycle.registry.migrate, which hands
over an open connection (inside its own write transaction) in `config.attributes`."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
