"""Run in a child process by tests/unit/speed/test_cheap_records.py: describe every record
class the `--local` fast paths load, as `cheap` (generic, schemas/record.py's cheap_records())
or `real` (dataclasses) records, as one JSON document on stdout.

`describe MODE`: per class, its fields and what a fixed set of calls does (the value's repr or
the exception's type and message), equality, hashing and frozenness.
`envelopes MODE FILE`: the health and reset fast paths' envelope line for each input in FILE
(JSON: {"health": [[name, stdout]...], "reset": [...]}), with the clock frozen, and whether the
records were still generic then.
`materialize`: cheap records built, then `import pydantic`: are they real dataclasses now, the
same classes, and what do the instances built before dump as?

Imports nothing of the project before the mode is set, and (cheap `describe`) asserts that
`dataclasses` was never loaded, so the generic code is what ran.
"""

from __future__ import annotations

import json
import sys

MODULES = [
    "schemas.capture",
    "schemas.finding",
    "schemas.gpu",
    "schemas.reset_records",
    "diag.checks.base",
    "diag.checks.gpu.view",
    "diag.checks.host.disk_space",
    "diag.checks.host.readonly_mounts",
    "diag.exitcodes",
    "diag.transport.base",
    "diag.reset.correlate",
    "diag.reset.decide",
    "diag.reset.evidence",
    "diag.reset.parse",
]


def _outcome(fn: object) -> str:
    try:
        return "ok " + repr(fn())  # type: ignore[operator]
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def _classes() -> list[type]:
    import importlib

    out = []
    for name in MODULES:
        mod = importlib.import_module(name)
        out += [
            v
            for v in vars(mod).values()
            if isinstance(v, type) and v.__module__ == name and "__record__" in vars(v)
        ]
    return out


def describe(cls: type) -> dict[str, object]:
    names = list(cls.__record__)  # type: ignore[attr-defined]
    full = {n: f"v{i}" for i, n in enumerate(names)}
    other = dict(full, **{names[0]: "different"}) if names else full
    calls = {
        "no args": lambda: cls(),
        "one positional": lambda: cls("p"),
        "all positional": lambda: cls(*full.values()),
        "too many positional": lambda: cls(*full.values(), "x", "y"),
        "unknown keyword": lambda: cls(**full, zz=1),
        "positional and keyword": lambda: cls("p", **full),
        "all keywords": lambda: cls(**full),
    }
    desc: dict[str, object] = {"fields": names, "match_args": list(cls.__match_args__)}
    desc.update({k: _outcome(v) for k, v in calls.items()})
    # Each required field alone left out: the defaults filled in, the message for what is missing.
    for n in names:
        partial = {k: v for k, v in full.items() if k != n}
        desc[f"without {n}"] = _outcome(lambda partial=partial: cls(**partial))
    try:
        a, b, c = cls(**full), cls(**full), cls(**other)
    except Exception as exc:
        desc["instances"] = f"{type(exc).__name__}: {exc}"
        return desc
    desc["eq"] = [a == b, a == c, a != c, a == object(), (a == a)]
    desc["hash"] = _outcome(lambda: hash(a) == hash(b))
    desc["hashable class"] = cls.__hash__ is not None
    desc["setattr"] = _outcome(lambda: setattr(a, names[0], "w") if names else None)
    desc["delattr"] = _outcome(lambda: delattr(b, names[-1]) if names else None)
    desc["after"] = repr(a)
    # defaults: every field that may be omitted (as the calls above found), omitted;
    # factories give fresh objects
    required = [n for n in names if str(desc[f"without {n}"]).startswith("TypeError")]
    minimal = {n: full[n] for n in required}
    try:
        d1, d2 = cls(**minimal), cls(**minimal)
        desc["defaults"] = repr(d1)
        desc["fresh defaults"] = [
            getattr(d1, n) is not getattr(d2, n)
            for n in names
            if isinstance(getattr(d1, n), (list, dict, set))
        ]
    except Exception as exc:
        desc["defaults"] = f"{type(exc).__name__}: {exc}"
    return desc


def envelopes(path: str) -> dict[str, list[object]]:
    """Each input's line (None: Unusual) and whether records were still generic when it was
    judged. A logged Xid loads the XID table, whose pydantic import materializes the records
    (as it does in a real run), so those inputs go last."""
    import time

    time.monotonic = lambda: 100.0  # the parent freezes the clock the same way
    from diag.fastpath import health, reset_judge
    from diag.fastpath.argv import LocalHealth
    from diag.fastpath.doc import Unusual
    from diag.fastpath.reset_argv import LocalReset
    from diag.transport.base import CommandResult, Target

    reset_judge.utc_now = lambda: "2025-01-01T00:00:00.000Z"  # type: ignore[attr-defined]
    with open(path, encoding="utf-8") as fh:
        inputs = json.load(fh)
    target, started = Target(name="gpu-01"), "2025-01-01T00:00:00.000Z"

    def health_line(res: CommandResult) -> str | None:
        try:
            return health.envelope(target, res, LocalHealth(), started, 100.0)[0].decode()
        except (Unusual, ValueError, RecursionError):
            return None

    def reset_line(res: CommandResult) -> str | None:
        try:
            return reset_judge.envelope(target, res, LocalReset(), started, 100.0)[0].decode()
        except Exception:  # as diag/fastpath/reset.py: the model path answers these
            return None

    out: dict[str, list[object]] = {}
    for kind, judge in (("health", health_line), ("reset", reset_line)):
        items = inputs.get(kind, [])
        results: list[object] = [None] * len(items)
        for i in sorted(range(len(items)), key=lambda i: "Xid" in items[i][1]):
            res = CommandResult(0, stdout=items[i][1].encode("utf-8", "surrogateescape"))
            results[i] = [judge(res), "dataclasses" not in sys.modules]
        out[kind] = results
    return out


def materialize() -> dict[str, object]:
    from schemas.capture import Capture
    from schemas.enums import Status
    from schemas.finding import Finding
    from schemas.gpu import GpuInfo, GpuSnapshot

    finding = Finding(check_id="x", status=Status.PASS, evidence=["e"])
    snap = GpuSnapshot(backend="nvml", gpus=[GpuInfo(index=0, uuid="GPU-1")])  # type: ignore[call-arg]
    capture = Capture(source="/proc/x", stdout="a")
    before = "dataclasses" in sys.modules
    import dataclasses

    import pydantic  # noqa: F401

    from schemas import finding as finding_mod

    return {
        "dataclasses before": before,
        "same class": finding_mod.Finding is Finding and type(finding) is Finding,
        "is_dataclass": [dataclasses.is_dataclass(c) for c in (Finding, Capture, GpuSnapshot)],
        "fields": [f.name for f in dataclasses.fields(Finding)],
        "dumps": [finding.model_dump_json(), snap.model_dump_json(), capture.model_dump_json()],
        "copy": repr(finding.model_copy(update={"message": "m"})),
        "validate": repr(Finding.model_validate({"check_id": "y", "status": "warn"})),
        "new instance": repr(Finding(check_id="z", status=Status.FAIL)),
    }


def main() -> None:
    command, mode = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "cheap"
    if mode == "cheap" or command == "materialize":
        from schemas.record import cheap_records

        cheap_records()
    if command == "describe":
        result: object = {f"{c.__module__}.{c.__qualname__}": describe(c) for c in _classes()}
    elif command == "envelopes":
        result = envelopes(sys.argv[3])
    else:
        result = materialize()
    if mode == "cheap" and command == "describe":
        assert "dataclasses" not in sys.modules, "cheap records did not stay cheap"
    json.dump(result, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
