"""The docs stay true: the README is a short landing page with two Quick start commands (CI runs
the same test command), it links every page of docs/ and only pages that exist, every docs page
opens with a summary that links back, every relative link and anchor resolves, and every
`diagctl ...` line in a console/bash block of README.md or docs/*.md names commands and options
that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from diag.cli import cli

ROOT = Path(__file__).parents[3]
README = (ROOT / "README.md").read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]
MAX_README_LINES = 200
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block, "Quick start needs a console block"
    return [ln for ln in block.group(1).splitlines() if ln.strip()]


def test_quick_start_is_exactly_two_commands() -> None:
    assert _quick_start() == ["bash scripts/install.sh", "bash scripts/test-all.sh"]
    assert (ROOT / "scripts" / "install.sh").is_file()
    assert (ROOT / "scripts" / "test-all.sh").is_file()


def test_ci_runs_the_readme_test_command() -> None:
    test_cmd = _quick_start()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci or test_cmd.replace("bash ", "") in ci, (test_cmd, ci)


def test_install_script_runs_health_local() -> None:
    script = (ROOT / "scripts" / "install.sh").read_text()
    assert "diagctl health --local" in script


def test_readme_is_a_landing_page() -> None:
    lines = README.count("\n")
    assert lines < MAX_README_LINES, f"README.md has {lines} lines; reference belongs in docs/"


def _links(path: Path) -> list[str]:
    """Link targets outside code blocks (a `](x)` inside a code sample is not a link)."""
    prose = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return [t for t in LINK.findall(prose) if not re.match(r"[a-z]+:", t)]


def _readme_docs() -> set[str]:
    return {t.split("#")[0] for t in _links(ROOT / "README.md") if t.startswith("docs/")}


def test_readme_links_every_docs_page_and_only_existing_ones() -> None:
    linked = _readme_docs()
    present = {_rel(p) for p in DOCS}
    assert sorted(linked - present) == [], "README links docs pages that do not exist"
    assert sorted(present - linked) == [], "docs pages the README does not link"


# architecture.md is the team's design record, kept in its own shape.
@pytest.mark.parametrize("page", [p for p in DOCS if p.name != "architecture.md"], ids=_rel)
def test_docs_page_opens_with_a_summary_that_links_back(page: Path) -> None:
    text = page.read_text()
    assert text.startswith("# "), f"{_rel(page)}: first line must be the '# ' title"
    summary = text.split("\n\n", 2)[1]
    assert not summary.startswith(("#", "```", "|")), f"{_rel(page)}: no summary paragraph"
    assert "../README.md" in summary, f"{_rel(page)}: summary does not link back to the README"


def _anchors(path: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens."""
    prose = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    heads = re.findall(r"^#{1,6} (.+)$", prose, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def _link_cases() -> list[tuple[Path, str]]:
    return [(page, target) for page in PAGES for target in _links(page)]


@pytest.mark.parametrize(
    "page,target", _link_cases(), ids=lambda v: _rel(v) if isinstance(v, Path) else v
)
def test_relative_links_and_anchors_resolve(page: Path, target: str) -> None:
    file_part, _, anchor = target.partition("#")
    dest = (page.parent / file_part).resolve() if file_part else page
    assert dest.exists(), f"{_rel(page)}: link {target} points to a missing file"
    if anchor:
        assert anchor in _anchors(dest), f"{_rel(page)}: link {target}: no such heading"


def _commands(block: str) -> list[str]:
    """A block's command lines: those after a `$ ` prompt when it has any (the rest is output)."""
    lines = [ln.strip() for ln in block.splitlines()]
    prompted = [ln.removeprefix("$ ") for ln in lines if ln.startswith("$ ")]
    return prompted or lines


def _diagctl_lines(page: Path) -> list[list[str]]:
    lines = []
    for block in re.findall(r"```(?:console|bash|sh)\n(.*?)```", page.read_text(), re.S):
        for ln in _commands(block):
            m = re.search(r"(?:^|&& |\| )(diagctl .*?)(?:$| \||&&)", ln)
            if m:
                lines.append(shlex.split(m.group(1).split(" #")[0]))
    return lines


def test_readme_has_diagctl_examples() -> None:
    assert len(_diagctl_lines(ROOT / "README.md")) >= 5


def _command_cases() -> list[tuple[str, list[str]]]:
    return [(_rel(page), argv) for page in PAGES for argv in _diagctl_lines(page)]


@pytest.mark.parametrize(
    "page,argv", _command_cases(), ids=lambda v: v if isinstance(v, str) else " ".join(v)
)
def test_docs_command_names_real_options(page: str, argv: list[str]) -> None:
    cmd: click.Command = cli
    words = argv[1:]
    root = {o: p for p in cli.params for o in p.opts}
    while words and words[0] in root:  # global options before the command (`--config F`)
        takes_value = isinstance(root[words[0]], click.Option) and not root[words[0]].is_flag
        words = words[2:] if takes_value else words[1:]
    while isinstance(cmd, click.Group) and words and words[0] in cmd.commands:
        cmd = cmd.commands[words.pop(0)]
    assert not isinstance(cmd, click.Group) or not words or words[0].startswith("-"), (page, argv)
    known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
    known |= {o for p in cli.params for o in p.opts}
    for w in words:
        if w.startswith("-"):
            assert w.split("=")[0] in known, f"{page}: {w} is not an option of {' '.join(argv[:2])}"
