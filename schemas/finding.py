"""One judged fact about a host: what a check found, against which threshold, what to do.

A stdlib dataclass (schemas/record.py) so the checks build findings without pydantic; the
envelope models hold it as a field and validate it like a model of their own.
"""

from __future__ import annotations

from typing import Any, ClassVar

from schemas.enums import Action, Severity, Status
from schemas.record import RECORD_CONFIG, Record, field, record


@record(kw_only=True)
class Finding(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = RECORD_CONFIG

    check_id: str
    status: Status
    severity: Severity = Severity.INFO
    entity: str = ""
    """What the finding is about: a mount, a GPU UUID."""
    observed: Any = None
    threshold: Any = None
    threshold_source: str = ""
    message: str = ""
    action: Action = Action.NONE
    evidence: list[str] = field(default_factory=list)
    """Short excerpts of raw input."""
