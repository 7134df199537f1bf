"""Records: stdlib dataclasses that pydantic can still validate and publish as JSON Schema, and
that the `--local` fast paths can build without importing `dataclasses` at all.

The checks build findings, captures and GPU snapshots on the `--local` fast path, which never
imports pydantic. Those types are plain dataclasses (`kw_only`: constructed by keyword, as the
models were). pydantic reads `__pydantic_config__` (a plain dict, no import needed) when one is
a field of a model or behind a `TypeAdapter`: unknown keys stay errors, attribute docstrings
become the schema's descriptions. `Record` gives them the model methods their users call;
each imports pydantic only when called.

`@record(...)` is `@dataclasses.dataclass(...)`, except in a process that called
`cheap_records()` first (the fast paths, diag/cli/entry.py). There, a class gets the same
`__init__`, `__eq__`, `__hash__`, `__repr__` and frozenness from generic code instead of
`dataclasses`' generated source: importing `dataclasses` (and `inspect` with it) and generating
~20 classes' methods was ~40 % of the fast path's import time. Anything the generic code does
not cover (inheritance from another record, `ClassVar` fields aside from
`__pydantic_config__`, `InitVar`) is made by `dataclasses` as usual. The first import of
`dataclasses` in such a process (pydantic's, when the fast path falls back to the model path,
or anyone's) turns every generic record into the real dataclass, in place, before anything can
use one as such (`materialize`); tests/unit/speed/test_cheap_records.py holds the two kinds
equal.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the fast path's cost)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, TypeVar

    from pydantic import TypeAdapter
    from typing_extensions import Self, dataclass_transform

    T = TypeVar("T")

# What every record tells pydantic: unknown keys are errors; `"""doc"""` under a field
# describes it in the JSON Schema.
RECORD_CONFIG: dict[str, Any] = {"extra": "forbid", "use_attribute_docstrings": True}

_CHEAP = False  # cheap_records() was called: new records are generic until materialize()
_MADE: list[tuple[type, dict[str, Any], dict[str, Any]]] = []  # (class, params, fields' specs)
_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """dataclasses.FrozenInstanceError for generic records (the real one once materialized)."""


class _Field:
    """What `field()` returns while records are generic (dataclasses.field's arguments)."""

    __slots__ = ("compare", "default", "default_factory", "repr")

    def __init__(self, default: Any, default_factory: Any, compare: bool, repr: bool) -> None:
        self.default, self.default_factory = default, default_factory
        self.compare, self.repr = compare, repr


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | Any = _MISSING,
    compare: bool = True,
    repr: bool = True,
) -> Any:
    """dataclasses.field for records (the arguments records use)."""
    if not _CHEAP:
        import dataclasses

        kw: dict[str, Any] = {"compare": compare, "repr": repr}
        if default is not _MISSING:
            kw["default"] = default
        if default_factory is not _MISSING:
            kw["default_factory"] = default_factory
        return dataclasses.field(**kw)
    return _Field(default, default_factory, compare, repr)


def _is_classvar(annotation: object) -> bool:
    return isinstance(annotation, str) and annotation.split("[", 1)[0].strip() in (
        "ClassVar",
        "typing.ClassVar",
    )


def _generic_ok(cls: type) -> bool:
    """Whether the generic methods reproduce what dataclasses would make of `cls`."""
    if any("__dataclass_fields__" in vars(b) or "__record__" in vars(b) for b in cls.__mro__[1:]):
        return False  # fields inherited from another record: dataclasses' MRO rules
    for name, ann in vars(cls).get("__annotations__", {}).items():
        if not isinstance(ann, str) or "InitVar" in ann:
            return False
        if _is_classvar(ann) and name != "__pydantic_config__":
            return False
    return True


def _specs(cls: type) -> dict[str, Any]:
    """Each field's (default, factory, compare, repr), in definition order; class attributes
    that were `field()` markers are removed, as dataclasses removes them."""
    out: dict[str, Any] = {}
    for name, ann in vars(cls).get("__annotations__", {}).items():
        if _is_classvar(ann):
            continue
        value = vars(cls).get(name, _MISSING)
        if isinstance(value, _Field):
            out[name] = (value.default, value.default_factory, value.compare, value.repr)
            if value.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value.default)
        else:
            out[name] = (value, _MISSING, True, True)
    return out


def _missing(qualname: str, names: list[str], kind: str) -> str:
    """CPython's message for missing arguments: 'a', 'a' and 'b', 'a', 'b', and 'c'."""
    quoted = [repr(n) for n in names]
    if len(quoted) == 1:
        listed = quoted[0]
    elif len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    else:
        listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    plural = "s" if len(names) > 1 else ""
    return f"{qualname}.__init__() missing {len(names)} required {kind} argument{plural}: {listed}"


def _generic(cls: type, params: dict[str, Any]) -> type:
    specs = _specs(cls)
    names = tuple(specs)
    kw_only, frozen = params.get("kw_only", False), params.get("frozen", False)
    if not kw_only:
        seen_default = False
        for name, (default, factory, _c, _r) in specs.items():
            if default is not _MISSING or factory is not _MISSING:
                seen_default = True
            elif seen_default:
                raise TypeError(f"non-default argument {name!r} follows default argument")
    compared = tuple(n for n, s in specs.items() if s[2])
    shown = tuple(n for n, s in specs.items() if s[3])
    qualname = cls.__qualname__
    setter = object.__setattr__

    position = {name: i for i, name in enumerate(names)}
    required = tuple(n for n, (d, f, _c, _r) in specs.items() if d is _MISSING and f is _MISSING)
    most = 0 if kw_only else len(names)  # positional parameters, self aside
    least = 0 if kw_only else len(required)  # required ones come first (checked above)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        # The checks and messages of the function dataclasses would generate, in its order.
        if len(args) > most:
            takes = (
                f"{most + 1} positional argument{'s' if most else ''}"
                if most == least
                else f"from {least + 1} to {most + 1} positional arguments"
            )
            given = len(args) + 1
            keywords = len(kwargs.keys() & position.keys()) if kw_only else 0
            if keywords:  # CPython names the keyword-only arguments given alongside
                more = "s" if keywords > 1 else ""
                given_text = (
                    f"{given} positional arguments (and {keywords} keyword-only argument{more})"
                )
            else:
                given_text = str(given)
            raise TypeError(f"{qualname}.__init__() takes {takes} but {given_text} were given")
        for name in kwargs:
            if name not in position:
                raise TypeError(
                    f"{qualname}.__init__() got an unexpected keyword argument {name!r}"
                )
            if position[name] < len(args):
                raise TypeError(f"{qualname}.__init__() got multiple values for argument {name!r}")
        missing = [n for n in required if n not in kwargs and position[n] >= len(args)]
        if missing:
            raise TypeError(
                _missing(qualname, missing, "keyword-only" if kw_only else "positional")
            )
        for i, name in enumerate(names):
            if i < len(args):
                value = args[i]
            elif name in kwargs:
                value = kwargs[name]
            else:
                default, factory = specs[name][0], specs[name][1]
                value = factory() if factory is not _MISSING else default
            setter(self, name, value)

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self: Any, other: Any) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        # tuples, as dataclasses compares: an element identical to itself is equal (NaN)
        return tuple(getattr(self, n) for n in compared) == tuple(
            getattr(other, n) for n in compared
        )

    methods: dict[str, Any] = {"__init__": __init__, "__repr__": __repr__, "__eq__": __eq__}
    if frozen:

        def __setattr__(self: Any, name: str, value: Any) -> None:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self: Any, name: str) -> None:
            raise FrozenInstanceError(f"cannot delete field {name!r}")

        def __hash__(self: Any) -> int:
            return hash(tuple(getattr(self, n) for n in compared))

        methods.update(__setattr__=__setattr__, __delattr__=__delattr__, __hash__=__hash__)
    else:
        methods["__hash__"] = None  # eq without frozen: unhashable, as dataclasses makes it
    for name, fn in methods.items():
        if fn is not None:
            fn.__qualname__ = f"{qualname}.{name}"
        setattr(cls, name, fn)
    cls.__record__ = names  # type: ignore[attr-defined]
    cls.__match_args__ = () if kw_only else names  # type: ignore[attr-defined,misc]
    _MADE.append((cls, params, specs))
    return cls


def _real(cls: type, params: dict[str, Any]) -> type:
    import dataclasses

    made: Any = dataclasses.dataclass(cls, **params)
    made.__record__ = tuple(f.name for f in dataclasses.fields(made))
    return cls


if TYPE_CHECKING:

    @dataclass_transform(field_specifiers=(field,))
    def record(*, kw_only: bool = False, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...

else:

    def record(*, kw_only=False, frozen=False):
        """`@dataclasses.dataclass(kw_only=..., frozen=...)`; generic methods instead of
        generated ones where cheap_records() asked for them (see the module's docstring)."""
        params = {"kw_only": kw_only, "frozen": frozen}

        def wrap(cls):
            if _CHEAP and _generic_ok(cls):
                return _generic(cls, params)
            return _real(cls, params)

        return wrap


def names_of(rec: object) -> Sequence[str]:
    """The fields of a record instance or class, in order (dataclasses.fields' names)."""
    return type(rec).__record__ if not isinstance(rec, type) else rec.__record__  # type: ignore[attr-defined,no-any-return]


def is_record(obj: object) -> bool:
    return hasattr(type(obj), "__record__") and not isinstance(obj, type)


def materialize() -> None:
    """Turn every generic record into the dataclass `@dataclasses.dataclass` makes of it, in
    place (same class object, same instances), and make new records real from here on."""
    global _CHEAP
    _CHEAP = False
    import dataclasses

    while _MADE:
        cls, params, specs = _MADE.pop(0)
        for name in (
            "__init__",
            "__repr__",
            "__eq__",
            "__hash__",
            "__setattr__",
            "__delattr__",
            "__match_args__",
        ):
            if name in vars(cls):
                delattr(cls, name)
        for name, (default, factory, compare, show) in specs.items():
            if factory is not _MISSING or not (compare and show):
                kw: dict[str, Any] = {"compare": compare, "repr": show}
                if default is not _MISSING:
                    kw["default"] = default
                if factory is not _MISSING:
                    kw["default_factory"] = factory
                setattr(cls, name, dataclasses.field(**kw))
        dataclasses.dataclass(cls, **params)


class _Materializing:
    """The loader of the standard library's `dataclasses`, which, once that module has run,
    materializes the generic records: whatever imports `dataclasses` next (pydantic, or code
    calling `dataclasses.fields` on a record) finds only real dataclasses."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.loader.exec_module(module)
        materialize()

    def __getattr__(self, name: str) -> Any:  # get_source and the rest: the real loader's
        return getattr(self.loader, name)


class _Hook:
    """The meta path entry that puts _Materializing in front of `dataclasses`' loader."""

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "dataclasses":
            return None
        sys.meta_path.remove(cls)
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Materializing(spec.loader)  # type: ignore[assignment]
        return spec


def cheap_records() -> None:
    """Make records defined from now on generic (see the module's docstring): for the fast
    paths, before any record module loads. The first import of `dataclasses` (pydantic's, or
    anyone's) makes them real again. A no-op once `dataclasses` is loaded."""
    global _CHEAP
    if not _CHEAP and "dataclasses" not in sys.modules:
        _CHEAP = True
        sys.meta_path.insert(0, _Hook)


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
        import copy
        import dataclasses

        new = copy.deepcopy(self) if deep else copy.copy(self)
        return dataclasses.replace(new, **(update or {}))  # type: ignore[type-var]
