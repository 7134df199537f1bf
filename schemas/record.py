"""Stdlib dataclasses that pydantic can still validate and publish as JSON Schema.

The checks build findings, captures and GPU snapshots on the `--local` fast path, which never
imports pydantic. Those types are plain dataclasses (`kw_only`: constructed by keyword, as the
models were). pydantic reads `__pydantic_config__` (a plain dict, no import needed) when one is
a field of a model or behind a `TypeAdapter`: unknown keys stay errors, attribute docstrings
become the schema's descriptions. `Record` gives them the model methods their users call;
each imports pydantic only when called.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import TypeAdapter
    from typing_extensions import Self

# What every record tells pydantic: unknown keys are errors; `"""doc"""` under a field
# describes it in the JSON Schema.
RECORD_CONFIG: dict[str, Any] = {"extra": "forbid", "use_attribute_docstrings": True}


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def adapter(cls: type) -> TypeAdapter[Any]:
    """pydantic's validator and serializer for `cls`, built on first use."""
    if cls not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


class Record:
    """`model_validate`, `model_dump`, `model_dump_json` and `model_copy` for a dataclass."""

    __slots__ = ()

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """Untrusted input into this type, checked as pydantic checks a model."""
        return adapter(cls).validate_python(data)  # type: ignore[no-any-return]

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> Self:
        return adapter(cls).validate_json(text)  # type: ignore[no-any-return]

    def model_dump(self, **kw: Any) -> dict[str, Any]:
        return adapter(type(self)).dump_python(self, **kw)  # type: ignore[no-any-return]

    def model_dump_json(self, **kw: Any) -> str:
        return adapter(type(self)).dump_json(self, **kw).decode()

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self:
        new = copy.deepcopy(self) if deep else copy.copy(self)
        return dataclasses.replace(new, **(update or {}))  # type: ignore[type-var]
