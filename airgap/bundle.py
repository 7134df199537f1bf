"""`diagctl airgap build`: one directory and one archive that carry diagctl into a closed site.

    DIR/diagctl-<version>-airgap/            the bundle (also packed as the archive below)
        SHA256SUMS                           sha256 of every other file in the bundle
        install.sh                           the offline installer (verifies SHA256SUMS first)
        manifest.json                        platforms and the wheels each one installs
        requirements.lock                    name==version with the sha256 of every wheel
        sbom.cdx.json                        CycloneDX 1.6 JSON (cyclonedx-py over the lock)
        wheels/*.whl                         diagctl, its dependencies, setuptools and wheel
        playbooks/ templates/                Ansible playbooks, cloud-init templates
    DIR/diagctl-<version>-airgap.tar.gz      the bundle in one file; SHA256SUMS and install.sh
    DIR/diagctl-<version>-airgap.tar.gz.sha256   come first in it, `sha256sum -c` format

SHA256SUMS protects the files against corruption; the digest of SHA256SUMS itself (printed by
the build, `install.sh --expect-sha256`) is the anchor that protects against an edited bundle.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.resources import as_file, files
from pathlib import Path

from airgap import wheelhouse as wh
from diag.errors import UsageError
from diag.files import atomic_write
from schemas.airgap import BundleManifest, BundlePlatform

FIRST_IN_ARCHIVE = ("SHA256SUMS", "install.sh", "manifest.json")
SBOM_SPEC = "1.6"


@dataclass(frozen=True)
class BuildArgs:
    out: Path
    source: Path
    platforms: tuple[wh.Platform, ...]
    index_url: str = "https://pypi.org/simple"


@dataclass(frozen=True)
class BuildResult:
    bundle_dir: Path
    archive: Path
    archive_sha256: str
    sums_sha256: str
    archive_bytes: int
    platform_bytes: dict[str, int] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_out(out: Path) -> None:
    """Before anything is fetched: --out is a new or empty directory we can write."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"--out {out}: exists and is not an empty directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".diagctl-write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write: {exc.strerror or exc}") from None


def wheel_name_version(filename: str) -> tuple[str, str]:
    """`pydantic_core-2.27.1-cp311-...whl` -> ("pydantic-core", "2.27.1") (PEP 503 name)."""
    name, version = filename.split("-")[:2]
    return name.replace("_", "-").replace(".", "-").lower(), version


def requirements_lock(wheels: Path) -> str:
    """One pinned line per package and version, with the sha256 of each of its wheels."""
    hashes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for whl in sorted(wheels.glob("*.whl")):
        hashes[wheel_name_version(whl.name)].append(sha256_file(whl))
    lines = []
    for (name, version), digests in sorted(hashes.items()):
        pins = " ".join(f"--hash=sha256:{d}" for d in sorted(digests))
        lines.append(f"{name}=={version} {pins}")
    return "\n".join(lines) + "\n"


def write_sbom(lock: Path, sbom: Path) -> None:
    """CycloneDX JSON from `cyclonedx-py requirements` (the cyclonedx-bom package)."""
    cmd = [sys.executable, "-m", "cyclonedx_py", "requirements", "--of", "JSON",
           "--sv", SBOM_SPEC, "--output-reproducible", "-o", str(sbom), str(lock)]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        proc = None
    if proc is None or proc.returncode != 0 or not sbom.is_file():
        why = "" if proc is None else (proc.stderr.strip().splitlines() or [""])[-1]
        raise UsageError(
            "SBOM: cyclonedx-py failed (install the airgap-build extra: "
            f"pip install 'diagctl[airgap-build]'): {why}"
        )


def copy_data(source: Path, root: Path) -> None:
    """install.sh, the cloud-init templates and the playbooks, next to the wheels."""
    with as_file(files("airgap")) as pkg:
        shutil.copy2(pkg / "install.sh", root / "install.sh")
        shutil.copytree(pkg / "templates", root / "templates")
    (root / "install.sh").chmod(0o755)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "__init__.py")
    shutil.copytree(source / "playbooks", root / "playbooks", ignore=skip)


def write_sums(root: Path) -> str:
    """SHA256SUMS over every file but itself (sorted, `sha256sum -c` format); its digest."""
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    for path in paths:  # atomic_write leaves 0600; the bundle is read by whoever installs it
        path.chmod(0o755 if path.suffix == ".sh" else 0o644)
    text = "".join(f"{sha256_file(p)}  {p.relative_to(root).as_posix()}\n" for p in paths)
    atomic_write(root / "SHA256SUMS", text.encode())
    (root / "SHA256SUMS").chmod(0o644)
    return hashlib.sha256(text.encode()).hexdigest()


def _tar_order(root: Path) -> list[Path]:
    first = [root / n for n in FIRST_IN_ARCHIVE]
    rest = sorted(p for p in root.rglob("*") if p not in first)
    return first + rest


def write_archive(root: Path, archive: Path) -> str:
    """A reproducible tar.gz (fixed times and owners) written atomically; its sha256."""
    buf = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.add(root, arcname=root.name, recursive=False, filter=_normalise)
        for path in _tar_order(root):
            arcname = f"{root.name}/{path.relative_to(root).as_posix()}"
            tar.add(path, arcname=arcname, recursive=False, filter=_normalise)
    data = buf.getvalue()
    atomic_write(archive, data)
    archive.chmod(0o644)
    digest = hashlib.sha256(data).hexdigest()
    atomic_write(
        archive.with_name(archive.name + ".sha256"), f"{digest}  {archive.name}\n".encode()
    )
    return digest


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    return info


def manifest(version: str, found: dict[wh.Platform, list[str]], backend: list[str]) -> str:
    platforms = [
        BundlePlatform(arch=p.arch, python=p.python, manylinux=wh.MANYLINUX[0], wheels=names)  # type: ignore[arg-type]
        for p, names in found.items()
    ]
    doc = BundleManifest(
        diagctl_version=version,
        requirement=f"diagctl[airgap]=={version}",
        built_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        glibc_min=wh.GLIBC_MIN,
        platforms=platforms,
        build_backend=backend,
    )
    return doc.model_dump_json(indent=2) + "\n"


def build(args: BuildArgs) -> BuildResult:
    check_out(args.out)
    staging = args.out / ".staging"
    wheels = staging / "wheels"
    wheels.mkdir(parents=True)
    backend = wh.build_backend(wheels, args.index_url)
    whl = wh.diagctl_wheel(args.source, wheels)
    version = wheel_name_version(whl.name)[1]
    found = wh.download(list(args.platforms), f"{whl}[airgap]", wheels, args.index_url)
    copy_data(args.source, staging)
    atomic_write(staging / "manifest.json", manifest(version, found, backend).encode())
    atomic_write(staging / "requirements.lock", requirements_lock(wheels).encode())
    write_sbom(staging / "requirements.lock", staging / "sbom.cdx.json")
    sums = write_sums(staging)
    root = args.out / f"diagctl-{version}-airgap"
    staging.rename(root)
    archive = args.out / f"{root.name}.tar.gz"
    digest = write_archive(root, archive)
    sizes = {
        f"{p.arch}-{p.python}": sum((root / "wheels" / n).stat().st_size for n in names)
        for p, names in found.items()
    }
    return BuildResult(root, archive, digest, sums, archive.stat().st_size, sizes)
