"""`--local` payloads travel as the collector's code object (diag/payload/compiled.py): the same
captures as the source form, from a bytecode cache that follows the source, spec kept as data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from diag.checks.base import Source
from diag.payload import (
    PYTHON_ARGV,
    build_for,
    build_local,
    build_python,
    build_sh,
    local_argv,
    local_path,
    python_program,
)
from diag.payload.compiled import BOOT, module_code, program
from diag.reset.sources import build_local as reset_local
from diag.reset.sources import build_payload as reset_source
from diag.reset.sources import payload_for

SOURCE_ARGV = (sys.executable, *PYTHON_ARGV[1:])


def _doc(argv: tuple[str, ...], stdin: bytes) -> dict[str, object]:
    res = subprocess.run(argv, input=stdin, capture_output=True, timeout=60, check=True)
    doc: dict[str, object] = json.loads(res.stdout.splitlines()[-1])
    return doc


def _without_times(node: object) -> object:
    if isinstance(node, dict):
        return {k: _without_times(v) for k, v in node.items() if k != "duration_ms"}
    return node


def test_local_argv_is_this_interpreter_isolated_without_site_running_boot() -> None:
    assert local_argv() == (sys.executable, "-I", "-S", "-c", BOOT)


def test_builders_by_argv() -> None:
    assert build_for(local_argv()) is build_local
    assert build_for(("python3", "-I", "-")) is build_python
    assert build_for(("sh", "-s")) is build_sh


def test_compiled_and_source_payloads_capture_the_same(tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_bytes(b"first\n\xff line\n" + b"x" * 300)
    sources = [
        Source("file", "file", path=str(f), cap=64),
        Source("tail", "file", path=str(f), cap=64, tail=True),
        Source("echo", "cmd", argv=("printf", "%s\\n", "a'b;$(x)"), cap=1024),
        Source("absent", "file", path=str(tmp_path / "absent"), cap=64),
    ]
    compiled = _doc(local_argv(), build_local(sources, 10.0))
    source = _doc(SOURCE_ARGV, build_python(sources, 10.0))
    assert _without_times(compiled) == _without_times(source)
    assert compiled["captures"]["echo"]["stdout"] == "a'b;$(x)\n"  # type: ignore[index]


def test_wire_format_is_length_code_then_the_spec_as_json() -> None:
    captures = [{"name": "x", "type": "cmd", "argv": ["true"]}]
    spec = {"deadline_s": 3.0, "captures": captures}
    code = module_code(local_path("collector.py"))
    assert python_program(captures, 3.0).startswith(b"# diagctl payload collector")
    stdin = program(local_path("collector.py"), spec)
    assert stdin == b"%d\n" % len(code) + code + json.dumps(spec).encode()


def test_the_same_program_twice_is_byte_identical() -> None:
    """BlockingLocal adopts an early payload only when its stdin is byte-identical."""
    assert build_local([Source("a", "file", path="/etc/hostname")], 5.0) == build_local(
        [Source("a", "file", path="/etc/hostname")], 5.0
    )
    assert reset_local(3600, 5.0) == reset_local(3600, 5.0)


def test_an_edited_collector_is_recompiled_not_read_from_a_stale_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as an installed diagctl runs
    path = tmp_path / "collector.py"
    path.write_text("import json\ndef main(spec):\n    print(json.dumps({'v': 1}))\n")
    argv = (sys.executable, "-I", "-S", "-c", BOOT)
    assert _doc(argv, program(str(path), {})) == {"v": 1}
    assert list((tmp_path / "__pycache__").glob("collector.*.pyc"))  # the cache was written
    path.write_text("import json\ndef main(spec):\n    print(json.dumps({'v': 22, **spec}))\n")
    module_code.cache_clear()
    assert _doc(argv, program(str(path), {"k": "v"})) == {"v": 22, "k": "v"}


def test_a_read_only_package_still_gets_its_code(tmp_path: Path) -> None:
    src = tmp_path / "ro" / "collector.py"
    src.parent.mkdir()
    shutil.copy(local_path("collector.py"), src)
    os.chmod(src.parent, 0o555)
    try:
        module_code.cache_clear()
        code = module_code(str(src))
    finally:
        os.chmod(src.parent, 0o755)
    assert code and not (src.parent / "__pycache__").exists()


@pytest.mark.parametrize("value", ["__import__('os').system('false')", "'''", "\\n)\nexit(9)"])
def test_spec_values_are_data_never_code(value: str) -> None:
    sources = [Source("echo", "cmd", argv=("printf", "%s", value), cap=1024)]
    doc = _doc(local_argv(), build_local(sources, 10.0))
    assert doc["captures"]["echo"]["stdout"] == value  # type: ignore[index]


def test_reset_payload_by_command() -> None:
    assert payload_for(local_argv(), 600, 5.0) == reset_local(600, 5.0)
    assert payload_for(("python3", "-I", "-"), 600, 5.0) == reset_source(600, 5.0)
    local = _doc(local_argv(), reset_local(600, 5.0, "/nonexistent/intents.jsonl"))
    source = _doc(SOURCE_ARGV, reset_source(600, 5.0, "/nonexistent/intents.jsonl"))
    assert sorted(local["captures"]) == sorted(source["captures"])  # type: ignore[call-overload]
    assert local["captures"]["intents"] == source["captures"]["intents"] | {  # type: ignore[index]
        "duration_ms": local["captures"]["intents"]["duration_ms"]  # type: ignore[index]
    }
