"""The asset registry: SQLAlchemy Core over SQLite (default) or PostgreSQL, Alembic migrations.

Import `lifecycle.registry.store` for the API; this package itself imports nothing heavy.
"""
