"""Pydantic v2 models for every JSON document diagctl emits or reads.

The generated JSON Schema files live in ``schemas/json/``; ``diagctl schema export DIR`` writes
them again and a test fails when the committed copies drift from these models.
"""

from schemas.envelope import (
    SCHEMA_VERSION,
    Action,
    Envelope,
    ErrorCode,
    ErrorInfo,
    Finding,
    HostRef,
    Replayed,
    Severity,
    Status,
    Summary,
    TruncatedField,
    Truncation,
)

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
