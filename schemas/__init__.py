"""Pydantic v2 models for every JSON document diagctl emits or reads.

The generated JSON Schema files live in ``schemas/json/``; ``diagctl schema export DIR`` writes
them again and a test fails when the committed copies drift from these models.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the fast paths' cost)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "Envelope",
    "ErrorCode",
    "ErrorInfo",
    "Finding",
    "HostRef",
    "Replayed",
    "Severity",
    "Status",
    "Summary",
    "TruncatedField",
    "Truncation",
]


def __getattr__(name: str) -> Any:
    """`from schemas import Envelope` still works, but importing any `schemas.x` module no
    longer imports pydantic through this package (the stdlib records: schemas/record.py)."""
    if name in __all__:
        from schemas import envelope

        return getattr(envelope, name)
    raise AttributeError(f"module 'schemas' has no attribute {name!r}")
