"""A command dict for click groups that imports each command the first time it is looked up.

click reads a group's subcommands through `commands.get(name)` (running one) and iteration
(listing them in --help); both work on this dict unchanged, and so does `add_command`.
Listing names costs nothing; `items()`/`values()` import every command.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

import click


class LazyCommands(dict[str, click.Command]):
    def __init__(self, specs: Mapping[str, str], loaded: Mapping[str, click.Command]) -> None:
        super().__init__(loaded)
        self.specs = {k: v for k, v in specs.items() if k not in loaded}

    def _load(self, name: object) -> None:
        if not isinstance(name, str) or dict.__contains__(self, name) or name not in self.specs:
            return
        module, _, attr = self.specs[name].partition(":")
        cmd = getattr(importlib.import_module(module), attr)
        if not isinstance(cmd, click.Command):
            raise TypeError(f"{self.specs[name]} is not a click command")
        dict.__setitem__(self, name, cmd)

    def _load_all(self) -> None:
        for name in self.specs:
            self._load(name)

    def __getitem__(self, name: str) -> click.Command:
        self._load(name)
        return dict.__getitem__(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        self._load(name)
        return dict.get(self, name, default)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self.specs

    def __iter__(self) -> Iterator[str]:
        names = list(dict.keys(self))
        return iter(names + [n for n in self.specs if n not in names])

    def __len__(self) -> int:
        return len(set(dict.keys(self)) | set(self.specs))

    def keys(self) -> Any:
        self._load_all()
        return dict.keys(self)

    def values(self) -> Any:
        self._load_all()
        return dict.values(self)

    def items(self) -> Any:
        self._load_all()
        return dict.items(self)


def lazy_group(specs: Mapping[str, str]) -> type[click.Group]:
    """A click Group class whose `specs` subcommands load on first use: a subcommand module
    that imports its group's module (shared options) cannot be imported by it at load time."""

    class LazyGroup(click.Group):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.commands = LazyCommands(specs, self.commands)

    return LazyGroup
