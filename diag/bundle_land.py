"""Where a bundle lands on the jump host, and how it is proven whole.

The stream goes to `DIR/hosts/<enc>/bundle-<ts>.tar.gz.partial` as it arrives. At the end it
is verified against its own manifest; only then is it renamed to `bundle-<ts>.tar.gz`.
Anything else (a disconnect, a timeout, a corrupt or short stream, Ctrl-C) is renamed to
`bundle-<ts>.incomplete.tar.gz` and kept as evidence; a write that fails (disk full) leaves
at most that, or the `.partial`, never a name that looks complete.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from diag.bundle_stream import StopStream
from schemas.bundle import Manifest

MANIFEST = "manifest.json"
MANIFEST_MAX = 16 << 20


class BundleInvalid(Exception):
    """The bundle does not match its manifest, or is cut short; the message says how."""


@dataclass
class Landing:
    hdir: Path
    stamp: str
    limit: int
    received: int = 0
    error: str = ""
    sha: Any = field(default_factory=hashlib.sha256)
    fh: IO[bytes] | None = None

    @property
    def partial(self) -> Path:
        return self.hdir / f"bundle-{self.stamp}.tar.gz.partial"

    @property
    def final(self) -> Path:
        return self.hdir / f"bundle-{self.stamp}.tar.gz"

    @property
    def incomplete(self) -> Path:
        return self.hdir / f"bundle-{self.stamp}.incomplete.tar.gz"

    def open(self) -> None:
        self.hdir.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.partial, "wb")  # noqa: SIM115 - closed by seal()

    def write(self, chunk: bytes) -> None:
        """The sink of the stream: raises StopStream on the byte cap or a failed write."""
        if self.received + len(chunk) > self.limit:
            self.error = f"host sent more than {self.limit} bytes; stream stopped"
            raise StopStream(self.error)
        assert self.fh is not None
        try:
            self.fh.write(chunk)
        except OSError as exc:
            self.error = f"cannot write {self.partial}: {exc.strerror or exc}"
            raise StopStream(self.error) from None
        self.sha.update(chunk)
        self.received += len(chunk)

    def _close(self) -> None:
        if self.fh is None:
            return
        fh, self.fh = self.fh, None
        try:
            fh.flush()
            os.fsync(fh.fileno())
        except OSError as exc:
            self.error = self.error or f"cannot write {self.partial}: {exc.strerror or exc}"
        finally:
            with contextlib.suppress(OSError):
                fh.close()

    def seal(self, problem: str) -> tuple[Path | None, Manifest | None, str]:
        """Close, verify and rename: (landed path or None, manifest if whole, problem)."""
        self._close()
        problem = self.error or problem
        manifest = None
        if not problem:
            try:
                manifest = verify(self.partial)
            except BundleInvalid as exc:
                problem = str(exc)
        if manifest is None and self.received == 0:
            with contextlib.suppress(OSError):
                self.partial.unlink()
            return None, None, problem or "the host sent nothing"
        target = self.final if manifest is not None else self.incomplete
        try:
            os.replace(self.partial, target)
            _fsync_dir(self.hdir)
        except OSError as exc:
            return self.partial, None, problem or f"cannot rename {self.partial}: {exc.strerror}"
        return target, manifest, problem


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _member_hash(tar: tarfile.TarFile, member: tarfile.TarInfo) -> tuple[str, bytes]:
    fh = tar.extractfile(member)
    if fh is None:
        raise BundleInvalid(f"member {member.name!r} has no data")
    sha, head = hashlib.sha256(), bytearray()
    while chunk := fh.read(1 << 20):
        sha.update(chunk)
        if member.name == MANIFEST and len(head) <= MANIFEST_MAX:
            head += chunk
    return sha.hexdigest(), bytes(head)


def _members(path: Path) -> tuple[dict[str, tuple[str, int]], bytes]:
    """Every member's (sha256, size) and the manifest's bytes; the manifest must come last."""
    seen: dict[str, tuple[str, int]] = {}
    manifest: bytes | None = None
    try:
        with gzip.open(path, "rb") as gz, tarfile.open(fileobj=gz, mode="r:") as tar:
            for m in tar:
                if manifest is not None:
                    raise BundleInvalid(f"member {m.name!r} after {MANIFEST}")
                if not m.isfile() or m.name.startswith("/") or ".." in m.name.split("/"):
                    raise BundleInvalid(f"member {m.name!r} is not a plain relative file")
                if m.name in seen:
                    raise BundleInvalid(f"member {m.name!r} appears twice")
                digest, head = _member_hash(tar, m)
                if m.name == MANIFEST:
                    manifest = head
                else:
                    seen[m.name] = (digest, m.size)
            while gz.read(1 << 20):  # to the gzip trailer: its CRC and length prove the end
                pass
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BundleInvalid(f"cut short or corrupt: {exc}") from None
    if manifest is None:
        raise BundleInvalid(f"no {MANIFEST}: the stream ended before it")
    return seen, manifest


def verify(path: Path) -> Manifest:
    """The bundle's manifest, once every member matches it exactly (names, sizes, sha256)."""
    members, raw = _members(path)
    try:
        manifest = Manifest.model_validate_json(raw)
    except ValidationError as exc:
        raise BundleInvalid(f"{MANIFEST} invalid: {str(exc).splitlines()[0]}") from None
    listed = {f.path: (f.sha256, f.bytes) for f in manifest.files}
    if len(listed) != len(manifest.files):
        raise BundleInvalid(f"{MANIFEST} lists a path twice")
    for name in sorted(set(listed) ^ set(members)):
        where = "missing from the tar" if name in listed else "not in the manifest"
        raise BundleInvalid(f"{name}: {where}")
    for name, want in sorted(listed.items()):
        if members[name] != want:
            raise BundleInvalid(f"{name}: sha256/size differ from the manifest")
    if not manifest.complete:
        raise BundleInvalid(f"{MANIFEST} says the bundle is not complete")
    return manifest
