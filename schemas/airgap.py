"""Air-gap documents: the bundle manifest (`manifest.json`, read by the bundle's install.sh) and
the values file of `diagctl airgap cloud-init` (one site's mirrors, bundle and node classes)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.envelope import Strict

Arch = Literal["x86_64", "aarch64"]
PyVersion = Literal["3.10", "3.11", "3.12"]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
# One line, no spaces or quotes: these go into apt/pip/fwupd files and shell commands.
Url = Annotated[str, Field(pattern=r"^https?://[^\s\"'`$\\]+$", max_length=2048)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")]
AbsPath = Annotated[str, Field(pattern=r"^/[A-Za-z0-9._/+-]{1,1023}$")]


class BundlePlatform(Strict):
    """One target: the wheels pip resolved for this CPU and CPython (manylinux, glibc)."""

    arch: Arch
    python: PyVersion
    manylinux: str = Field(description="Newest manylinux tag accepted, e.g. manylinux_2_28.")
    wheels: list[str] = Field(description="File names under wheels/ that this target installs.")


class BundleManifest(Strict):
    """`manifest.json` at the top of a bundle."""

    kind: Literal["airgap.manifest"] = "airgap.manifest"
    diagctl_version: str
    requirement: str = Field(description="What install.sh installs, e.g. diagctl[airgap]==0.1.0.")
    built_at: str
    glibc_min: str = Field(description="glibc the manylinux wheels need at least.")
    platforms: list[BundlePlatform]
    build_backend: list[str] = Field(description="setuptools and wheel, to build an sdist.")


class AptMirror(Strict):
    url: Url
    suites: list[Name] = Field(min_length=1)
    components: list[Name] = Field(default_factory=lambda: ["main"], min_length=1)
    signed_by: AbsPath = Field(description="Keyring path on the node (deb822 Signed-By).")
    key: str | None = Field(
        default=None, description="ASCII-armoured public key written to signed_by."
    )


class PipMirror(Strict):
    url: Url
    trust_host: bool = Field(default=False, description="Add trusted-host (plain-http mirrors).")


class FwupdMirror(Strict):
    url: Url = Field(description="Metadata URI of the LVFS mirror (firmware.xml.gz or .zst).")


class Mirrors(Strict):
    apt: AptMirror
    pip: PipMirror
    fwupd: FwupdMirror


class Bundle(Strict):
    url: Url = Field(description="Where nodes fetch the airgap archive (the site mirror).")
    sha256: Sha256 = Field(description="sha256 of the archive (build prints it).")
    sums_sha256: Sha256 = Field(description="sha256 of its SHA256SUMS (install --expect-sha256).")


class Baseline(Strict):
    """What a node of the class must run after its first boot (`lifecycle provision --verify`).
    Empty: not checked. A value matches itself or a longer version that continues it after a
    `.`, `-`, `+` or `~` (`550` matches `550.54.15`; `6.1.0-18` matches `6.1.0-18-amd64`)."""

    driver: str = ""
    cuda: str = ""
    vbios: str = Field(default="", description="Every GPU's VBIOS.")
    kernel: str = ""


class NodeClass(Strict):
    baseline: Baseline = Field(default_factory=Baseline)
    driver_packages: list[Name] = Field(default_factory=list, description="apt packages.")
    policy: dict[str, object] | None = Field(
        default=None, description="Written to /etc/diagctl/policy.yaml."
    )
    config: dict[str, object] | None = Field(
        default=None, description="Written to /etc/diagctl/config.yaml."
    )
    register_hook: list[str] = Field(
        default_factory=lambda: ["/usr/local/sbin/diagctl-register"],
        min_length=1,
        description="argv of the hook that registers the node for the receive phase.",
    )


class CloudInitValues(Strict):
    """The values file of `diagctl airgap cloud-init --values FILE`."""

    mirrors: Mirrors
    bundle: Bundle
    classes: dict[Name, NodeClass] = Field(min_length=1)
