"""Reading the YAML files users hand us (policy, XID table, inventory, probe targets)."""

from __future__ import annotations

from typing import Any

import yaml


def load_yaml(text: str) -> Any:
    """yaml.safe_load through libyaml when PyYAML has it (about 10x faster on our policy files)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice; YAML would silently keep the last one."""


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` keys may be overridden on purpose
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue  # unhashable: the base constructor reports it
            if key in seen:
                raise DuplicateKeyError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key].line + 1})",
                    key_node.start_mark,
                )  # fmt: skip
            seen[key] = key_node.start_mark
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


def load_yaml_unique(text: str) -> Any:
    """Like `load_yaml`, but a key given twice in one mapping is a `DuplicateKeyError`."""
    return yaml.load(text, Loader=_UniqueKeyLoader)
