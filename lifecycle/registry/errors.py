"""Registry errors: one line naming the registry, exit 2 (nothing was written)."""

from __future__ import annotations

from diag.errors import UsageError


class RegistryError(UsageError):
    """The registry cannot be opened, read or written: locked, read-only, corrupted, absent."""


class ConflictError(RegistryError):
    """Another writer changed the asset between our read and our write; nothing was written."""


class UnknownAsset(RegistryError):
    """No asset has that host_id or name."""
