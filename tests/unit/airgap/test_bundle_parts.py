"""The pure parts of the bundle builder: platforms, pip's target arguments, the lock, the
checksums and the archive's order (what install.sh and a half-copied archive rely on)."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from airgap import bundle
from airgap import wheelhouse as wh
from diag.errors import UsageError


@pytest.mark.parametrize(
    "text,ok",
    [("x86_64-3.10", True), ("aarch64-3.12", True), ("x86_64-3.9", False),
     ("x86_64-3.13", False), ("arm64-3.11", False), ("x86_64", False), ("3.11-x86_64", False)],
)  # fmt: skip
def test_parse_platform(text: str, ok: bool) -> None:
    if ok:
        assert f"{wh.parse_platform(text).arch}-{wh.parse_platform(text).python}" == text
    else:
        with pytest.raises(UsageError, match=rf"^--platform '{text}': expected ARCH-PYTHON"):
            wh.parse_platform(text)


def test_pip_target_arguments() -> None:
    assert wh.Platform("aarch64", "3.12").pip_args() == [
        "--platform", "manylinux_2_28_aarch64", "--platform", "manylinux_2_17_aarch64",
        "--platform", "manylinux2014_aarch64", "--python-version", "3.12",
        "--implementation", "cp", "--abi", "cp312",
    ]  # fmt: skip
    assert len(wh.all_platforms()) == 6


def test_pip_env_drops_pip_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://evil/simple")
    monkeypatch.setenv("PIP_CONSTRAINT", "/etc/c.txt")
    env = wh.pip_env()
    assert sorted(k for k in env if k.startswith("PIP_")) == ["PIP_CONFIG_FILE"]
    assert env["PIP_CONFIG_FILE"] == "/dev/null"


@pytest.mark.parametrize(
    "name,expected",
    [("pydantic_core-2.27.1-cp311-cp311-manylinux_2_17_x86_64.whl", ("pydantic-core", "2.27.1")),
     ("PyYAML-6.0.2-cp312-cp312-manylinux2014_aarch64.whl", ("pyyaml", "6.0.2")),
     ("zope.interface-7.0-cp310-cp310-manylinux_2_28_x86_64.whl", ("zope-interface", "7.0"))],
)  # fmt: skip
def test_wheel_name_version(name: str, expected: tuple[str, str]) -> None:
    assert bundle.wheel_name_version(name) == expected


def test_requirements_lock_groups_hashes(tmp_path: Path) -> None:
    for name, data in [("a_b-1.0-cp311-x.whl", b"1"), ("a_b-1.0-cp312-x.whl", b"2"),
                       ("c-2.0-py3-none-any.whl", b"3")]:  # fmt: skip
        (tmp_path / name).write_bytes(data)
    h = {d: hashlib.sha256(d).hexdigest() for d in (b"1", b"2", b"3")}
    first, second = sorted([h[b"1"], h[b"2"]])
    assert bundle.requirements_lock(tmp_path) == (
        f"a-b==1.0 --hash=sha256:{first} --hash=sha256:{second}\nc==2.0 --hash=sha256:{h[b'3']}\n"
    )


@pytest.mark.parametrize("content", [None, "file"])
def test_out_must_be_new_or_empty(tmp_path: Path, content: str | None) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if content is None:
        bundle.check_out(out)
        assert list(out.iterdir()) == []
        return
    (out / content).write_text("x")
    with pytest.raises(UsageError, match=rf"^--out {out}: exists and is not an empty directory$"):
        bundle.check_out(out)


def test_sums_and_archive_order(tmp_path: Path) -> None:
    root = tmp_path / "diagctl-9-airgap"
    (root / "wheels").mkdir(parents=True)
    for rel in ("install.sh", "manifest.json", "wheels/z.whl", "a.txt"):
        (root / rel).write_text(rel)
    digest = bundle.write_sums(root)
    sums = (root / "SHA256SUMS").read_text()
    assert digest == hashlib.sha256(sums.encode()).hexdigest()
    assert sums == "".join(
        f"{hashlib.sha256(r.encode()).hexdigest()}  {r}\n"
        for r in ("a.txt", "install.sh", "manifest.json", "wheels/z.whl")
    )
    archive = tmp_path / "b.tar.gz"
    sha = bundle.write_archive(root, archive)
    assert sha == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert (tmp_path / "b.tar.gz.sha256").read_text() == f"{sha}  b.tar.gz\n"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert {m.mtime for m in tar.getmembers()} == {0}
    assert names == [
        "diagctl-9-airgap", "diagctl-9-airgap/SHA256SUMS", "diagctl-9-airgap/install.sh",
        "diagctl-9-airgap/manifest.json", "diagctl-9-airgap/a.txt", "diagctl-9-airgap/wheels",
        "diagctl-9-airgap/wheels/z.whl",
    ]  # fmt: skip
    assert bundle.write_archive(root, tmp_path / "b.tar.gz") == sha  # reproducible
