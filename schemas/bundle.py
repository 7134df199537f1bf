"""`diagctl bundle`: the manifest inside every bundle, and the envelope (kind `bundle`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Envelope, Strict

ArtifactStatus = Literal["ok", "failed", "missing", "skipped"]


class ManifestFile(Strict):
    path: str = Field(description="Member name inside the tar.gz.")
    sha256: str
    bytes: int = Field(description="Size of the member as stored (after caps and redaction).")
    source: str = Field(description="The command (argv joined) or file that made it.")
    status: ArtifactStatus = Field(
        description="ok; failed (non-zero exit, timeout, unreadable); missing (tool or file "
        "absent); skipped (total cap or deadline reached before it ran)."
    )
    exit_code: int | None = Field(description="None: it did not run, or was killed.")
    duration_ms: int
    keep: Literal["head", "tail"] = Field(description="Which end a cut kept.")
    truncated_bytes: int = Field(description="Bytes the cap cut (0: nothing was cut).")
    redactions: int = Field(description="Secrets masked in this file, on the host.")
    error: str = Field(default="", description="Why it failed, redacted; stderr's tail.")


class ManifestCaps(Strict):
    artifact_cap: int = Field(description="Bytes kept per artifact.")
    total_cap: int = Field(description="Bytes kept for the whole bundle (uncompressed).")
    command_timeout_s: float


class ManifestHost(Strict):
    hostname: str
    kernel: str
    arch: str
    boot_id: str


class Manifest(Strict):
    """`manifest.json`, the last member of every bundle."""

    manifest_version: Literal[1]
    host: ManifestHost
    created_at: str
    duration_ms: int
    caps: ManifestCaps
    since_hours: float
    remote_path: str = Field(description="Copy left on the host (--keep-remote), else empty.")
    files: list[ManifestFile]
    complete: bool


class BundleData(Strict):
    path: str = Field(default="", description="Where the bundle landed; empty if nothing came.")
    complete: bool = Field(
        default=False,
        description="True only when the whole bundle arrived and every member "
        "matched the manifest (then the file is bundle-<ts>.tar.gz, else *.incomplete.tar.gz).",
    )
    sha256: str = ""
    bytes: int = 0
    artifacts: int = 0
    failed: int = Field(default=0, description="Artifacts failed or missing (tool, file).")
    skipped: int = Field(default=0, description="Artifacts skipped by the total cap/deadline.")
    truncated: int = Field(default=0, description="Artifacts the caps cut.")
    truncated_bytes: int = 0
    redacted: int = Field(default=0, description="Artifacts with at least one secret masked.")
    redactions: int = Field(default=0, description="Secrets masked on the host (never shown).")
    cut: list[str] = Field(default_factory=list, description="Paths of the artifacts cut.")
    remote_path: str = ""
    caps: ManifestCaps | None = None
    problem: str = Field(default="", description="Why the bundle is incomplete.")


class BundleEnvelope(Envelope):
    """Envelope of kind ``bundle`` with its data typed."""

    data: BundleData = Field(default_factory=BundleData)  # type: ignore[assignment]
