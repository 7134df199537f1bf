"""Running a playbook of playbooks/ under real ansible-playbook or ansible-runner (the AWX
execution model) for the integration tests of this package."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.integration.ansible_playbooks.test_ansible_ingest import BIN, ROOT, _env
from tests.support.components import require_binaries


def require_ansible(runner: bool = False) -> None:
    require_binaries(str(BIN / "ansible-playbook"), why="pip install -e '.[dev]' (ansible-core)")
    if runner:
        require_binaries(str(BIN / "ansible-runner"), why="pip install -e '.[dev]'")


def play(
    tmp: Path, book: str, inv: Path, extra: dict[str, Any], runner: bool = False, forks: int = 4
) -> str:
    """Run playbooks/BOOK with these extra vars; its output (for assertion messages)."""
    if not runner:
        argv = [str(BIN / "ansible-playbook"), "-i", str(inv), "-f", str(forks)]
        argv += [str(ROOT / "playbooks" / book), "-e", json.dumps(extra)]
        res = subprocess.run(argv, capture_output=True, text=True, env=_env(tmp), timeout=90)
        return res.stdout + res.stderr
    pdd = tmp / f"runner-{book}-{len(list(tmp.glob('runner-*')))}"
    shutil.copytree(ROOT / "playbooks", pdd / "project", ignore=shutil.ignore_patterns("*.pyc"))
    (pdd / "inventory").mkdir(parents=True)
    shutil.copy(inv, pdd / "inventory" / "hosts")
    (pdd / "env").mkdir()
    (pdd / "env" / "extravars").write_text(json.dumps(extra))
    (pdd / "env" / "envvars").write_text(json.dumps({"ANSIBLE_HOST_KEY_CHECKING": "True"}))
    argv = [str(BIN / "ansible-runner"), "run", str(pdd), "-p", book, "--forks", str(forks)]
    res = subprocess.run(argv, capture_output=True, text=True, env=_env(tmp), timeout=90)
    return res.stdout + res.stderr


def jsonl(stdout: str) -> dict[str, dict[str, Any]]:
    """Envelopes on stdout by host name (the last one per host wins)."""
    envs = [json.loads(ln) for ln in stdout.splitlines() if ln.startswith("{")]
    return {e["host"]["name"]: e for e in envs}
