"""The one YAML loader: libyaml speed, duplicate keys refused, files named in every error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from diag.files import UniqueKeyLoader, YamlFileError, load_yaml, load_yaml_file


@pytest.mark.parametrize(
    "text, problem",
    [
        ("a: 1\na: 2\n", "found duplicate key 'a' (line 2, column 1)"),
        ("x:\n  p: 1\n  q: 2\n  p: 3\n", "found duplicate key 'p' (line 4, column 3)"),
        ("- {a: 1, a: 1}\n", "found duplicate key 'a' (line 1, column 10)"),
        ("1: a\n1: b\n", "found duplicate key 1 (line 2, column 1)"),
    ],
)
def test_duplicate_keys_are_an_error(text: str, problem: str) -> None:
    with pytest.raises(yaml.YAMLError) as err:
        load_yaml(text)
    mark = err.value.problem_mark  # type: ignore[attr-defined]
    assert f"{err.value.problem} (line {mark.line + 1}, column {mark.column + 1})" == problem  # type: ignore[attr-defined]


def test_same_key_in_different_mappings_is_fine() -> None:
    doc = "a: {x: 1}\nb: {x: 2}\nbase: &b {k: 1}\nc: {<<: *b, j: 2}\n"
    assert load_yaml(doc) == {"a": {"x": 1}, "b": {"x": 2}, "base": {"k": 1}, "c": {"k": 1, "j": 2}}


def test_keeps_libyaml_when_present() -> None:
    if hasattr(yaml, "CSafeLoader"):
        assert issubclass(UniqueKeyLoader, yaml.CSafeLoader)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"a: 1\na: 2\n", "targets F: not valid YAML: found duplicate key 'a' (line 2, column 1)"),
        (
            b"a: [1\n",
            "targets F: not valid YAML: did not find expected ',' or ']' (line 2, column 1)",
        ),
        (b"\x00\x01", "targets F: binary file (NUL byte at offset 0)"),
        (b"a: \xff\n", "targets F: not UTF-8 text (byte offset 3)"),
    ],
)
def test_load_yaml_file_errors_name_the_file(tmp_path: Path, data: bytes, message: str) -> None:
    f = tmp_path / "t.yaml"
    f.write_bytes(data)
    with pytest.raises(YamlFileError) as err:
        load_yaml_file(f, "targets")
    assert str(err.value).replace(str(f), "F") == message


def test_load_yaml_file_missing(tmp_path: Path) -> None:
    with pytest.raises(YamlFileError) as err:
        load_yaml_file(tmp_path / "nope.yaml", "targets")
    assert (
        str(err.value)
        == f"targets {tmp_path / 'nope.yaml'}: cannot read: No such file or directory"
    )
