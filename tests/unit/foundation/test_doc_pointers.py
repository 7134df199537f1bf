"""Comments, docstrings and help text point at sections that exist: `docs/<page>.md, "<Heading>"`
names a real page and a real heading of it, and nothing points into the README, which is a
landing page without reference sections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
TREES = ("diag", "probes", "schemas", "lifecycle", "exporters", "bench", "scripts", "tests")
POINTER = re.compile(r'docs/([a-z_-]+)\.md(?:#[a-z0-9_-]+)?(?:\)?,\s*"([^"]+)")?')
README_SECTION = re.compile(r'README[,\s]\s*"[A-Z][^"]*"')


def _sources() -> list[Path]:
    return sorted(
        p
        for tree in TREES
        for p in (ROOT / tree).rglob("*")
        if p.suffix in (".py", ".sh") and "fixtures" not in p.relative_to(ROOT).parts
    )


def _flat(path: Path) -> str:
    """The file on one line, comment marks and docstring line breaks folded away."""
    return " ".join(re.sub(r"^\s*#\s?", "", line) for line in path.read_text().splitlines())


def _headings(page: str) -> list[str]:
    text = (ROOT / "docs" / f"{page}.md").read_text()
    return [m.group(1).strip() for m in re.finditer(r"^#+\s+(.+)$", text, re.M)]


SOURCES = _sources()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pointers_name_real_pages_and_headings(path: Path) -> None:
    text = re.sub(r"\s+", " ", _flat(path))
    bad = []
    for m in POINTER.finditer(text):
        page, section = m.group(1), m.group(2)
        if not (ROOT / "docs" / f"{page}.md").is_file():
            bad.append(f"docs/{page}.md: no such page")
        elif section and not any(section in h for h in _headings(page)):
            bad.append(f'docs/{page}.md: no heading "{section}"')
    assert bad == []


def test_nothing_points_at_a_readme_section() -> None:
    stale = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in SOURCES
        if p.name != "test_doc_pointers.py"
        for m in README_SECTION.finditer(re.sub(r"\s+", " ", _flat(p)))
    ]
    assert stale == []


def test_the_pointer_pattern_reads_a_folded_docstring() -> None:
    text = re.sub(r"\s+", " ", 'measured: docs/benchmarks.md,\n"Fleet fan-out:\nbench/fanout.py")')
    (m,) = POINTER.finditer(text)
    assert (m.group(1), m.group(2)) == ("benchmarks", "Fleet fan-out: bench/fanout.py")
