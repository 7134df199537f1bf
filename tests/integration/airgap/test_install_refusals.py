"""Everything install.sh refuses, each against a real earlier install that must stay exactly
as it was (same tree, same links, diagctl still runs): a corrupted wheel, an edited
SHA256SUMS (carelessly, and consistently with a swapped wheel), a wheel slipped in, the wrong
CPU or Python, a half-copied archive, a second install at once, a target it cannot write, and
a foreign `diagctl` on the PATH."""

from __future__ import annotations

import fcntl
import json
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.airgap.conftest import (
    FOREIGN,
    HOST,
    Built,
    extract,
    install,
    python_of,
    rewrite_sums,
    snapshot,
)
from tests.support.components import require

pytestmark = [pytest.mark.integration]
TAIL = " (a corrupted, tampered or half-copied bundle)"


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real install; world-readable, so `nobody` can read the bundle and the tree."""
    root = Path(tempfile.mkdtemp(prefix="diagctl-airgap-"))
    root.chmod(0o755)
    b = extract(built.archive, root / "pristine")
    proc = install(b, "--prefix", str(root / "opt"), "--bin-dir", str(root / "bin"))
    assert proc.returncode == 0, proc.stderr
    yield root
    subprocess.run(["rm", "-rf", str(root)], check=True)


@pytest.fixture
def tree(installed: Path) -> Iterator[Path]:
    before = snapshot(installed / "opt"), snapshot(installed / "bin")
    yield installed
    assert (snapshot(installed / "opt"), snapshot(installed / "bin")) == before
    out = subprocess.run([str(installed / "bin" / "diagctl"), "version", "--json"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert json.loads(out.stdout)["diagctl"] == "0.1.0"


def _bundle(installed: Path, name: str) -> Path:
    dest = installed / name
    subprocess.run(["cp", "-a", str(installed / "pristine" / "diagctl-0.1.0-airgap"), str(dest)],
                   check=True)  # fmt: skip
    return dest


def _refused(tree: Path, bundle: Path, *args: str, user: str | None = None) -> str:
    where = ["--prefix", str(tree / "opt"), "--bin-dir", str(tree / "bin")]
    proc = install(bundle, *where, *args, user=user)
    assert proc.returncode == 2, proc.stderr
    return proc.stderr.splitlines()[-1]


def _host_wheel(bundle: Path) -> Path:
    tag = "cp" + HOST.split("-")[1].replace(".", "")
    return next((bundle / "wheels").glob(f"pydantic_core-*-{tag}-*{HOST.split('-')[0]}*.whl"))


def test_corrupted_wheel(tree: Path) -> None:
    b = _bundle(tree, "corrupt")
    whl = _host_wheel(b)
    data = bytearray(whl.read_bytes())
    data[len(data) // 2] ^= 0xFF
    whl.write_bytes(bytes(data))
    rel = whl.relative_to(b)
    assert _refused(tree, b) == f"install.sh: refused: checksum mismatch: {rel}: FAILED{TAIL}"


def test_edited_sums_line(tree: Path) -> None:
    b = _bundle(tree, "edited")
    sums = b / "SHA256SUMS"
    lines = sums.read_text().splitlines()
    i = next(n for n, ln in enumerate(lines) if ln.endswith("manifest.json"))
    lines[i] = "0" * 64 + "  manifest.json"
    sums.write_text("\n".join(lines) + "\n")
    assert (
        _refused(tree, b) == f"install.sh: refused: checksum mismatch: manifest.json: FAILED{TAIL}"
    )


def test_consistent_edit_is_caught_by_the_anchor(built: Built, tree: Path) -> None:
    b = _bundle(tree, "swapped")
    (b / "templates" / "user-data.yaml.j2").write_text("#cloud-config\nruncmd: [[reboot]]\n")
    digest = rewrite_sums(b)
    assert _refused(tree, b, "--expect-sha256", built.sums_sha256) == (
        f"install.sh: refused: SHA256SUMS has sha256 {digest}, not the expected "
        f"{built.sums_sha256}: the bundle was edited or is another build"
    )


def test_unlisted_wheel(tree: Path) -> None:
    b = _bundle(tree, "extra")
    (b / "wheels" / "evil-1.0-py3-none-any.whl").write_bytes(b"PK")
    assert _refused(tree, b) == (
        "install.sh: refused: file not listed in SHA256SUMS: wheels/evil-1.0-py3-none-any.whl"
    )


def test_wrong_python(tree: Path) -> None:
    other = "3.12" if HOST.split("-")[1] != "3.12" else "3.10"
    py = python_of(other)
    require(f"CPython {other}", py is not None, "a second CPython to be the wrong one")
    b = _bundle(tree, "wrongpy")
    assert _refused(tree, b, "--python", str(py)) == (
        f"install.sh: refused: this bundle has no wheels for {HOST.split('-')[0]} with CPython "
        f"{other} ({py}); it was built for: {HOST} {FOREIGN}"
    )


def test_wrong_arch(tree: Path) -> None:
    """A consistent bundle built for the other CPU only (manifest and sums rewritten)."""
    b = _bundle(tree, "wrongarch")
    manifest = json.loads((b / "manifest.json").read_text())
    manifest["platforms"] = [
        p for p in manifest["platforms"] if f"{p['arch']}-{p['python']}" == FOREIGN
    ]
    (b / "manifest.json").write_text(json.dumps(manifest))
    rewrite_sums(b)
    arch, py = HOST.split("-")
    line = _refused(tree, b)
    assert re.fullmatch(
        rf"install\.sh: refused: this bundle has no wheels for {arch} with CPython {py} "
        rf"\(/\S+\); it was built for: {FOREIGN}",
        line,
    ), line


def test_half_copied_archive(built: Built, tree: Path) -> None:
    half = tree / "half.tar.gz"
    half.write_bytes(built.archive.read_bytes()[: built.archive.stat().st_size // 2])
    sidecar = built.archive.with_name(built.archive.name + ".sha256").read_text()
    (tree / "half.tar.gz.sha256").write_text(sidecar.replace(built.archive.name, "half.tar.gz"))
    check = subprocess.run(["sha256sum", "-c", "half.tar.gz.sha256"], cwd=tree,
                           capture_output=True, text=True)  # fmt: skip
    assert (check.returncode, check.stdout) == (1, "half.tar.gz: FAILED\n")
    dest = tree / "half"
    dest.mkdir()
    untar = subprocess.run(["tar", "-xzf", str(half), "-C", str(dest)], capture_output=True)
    assert untar.returncode != 0  # tar says so too; an operator may not read it
    line = _refused(tree, dest / "diagctl-0.1.0-airgap")
    assert re.fullmatch(
        r"install\.sh: refused: checksum mismatch: (sha256sum: )?wheels/\S+\.whl: "
        r"(FAILED|No such file or directory)" + re.escape(TAIL),
        line,
    ), line


def test_second_install_at_once(tree: Path) -> None:
    b = _bundle(tree, "second")
    with open(tree / "opt" / ".install.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        line = _refused(tree, b)
    opt = tree / "opt"
    assert line == (
        f"install.sh: refused: another install.sh is running on {opt} "
        f"(it holds {opt}/.install.lock)"
    )


def test_target_not_writable(tree: Path) -> None:
    b = _bundle(tree, "nowrite")
    proc = install(b, "--prefix", str(tree / "opt" / "x"), "--bin-dir", "/tmp", user="nobody")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f"install.sh: refused: {tree}/opt/x: {tree}/opt is not writable by nobody"
    )


def test_foreign_diagctl_on_path(tree: Path, tmp_path: Path) -> None:
    b = _bundle(tree, "foreign")
    (tmp_path / "diagctl").write_text("#!/bin/sh\n")
    proc = install(b, "--prefix", str(tree / "opt"), "--bin-dir", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f"install.sh: refused: {tmp_path}/diagctl exists and is not this installer's link to "
        f"{tree}/opt/current/bin/diagctl; move it away first"
    )
