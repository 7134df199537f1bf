"""What the built bundle holds: a manifest whose wheels fit each platform's tags, a
SHA256SUMS over every other file, a requirements.lock with every wheel's hash, and an SBOM
that the CycloneDX library's strict validator accepts and that lists every locked package."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.integration.airgap.conftest import FOREIGN, HOST, Built

pytestmark = [pytest.mark.integration]


def check_bundle(bundle: Path, platforms: list[str]) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert [f"{p['arch']}-{p['python']}" for p in manifest["platforms"]] == platforms
    assert manifest["requirement"] == "diagctl[airgap]==0.1.0"
    for plat in manifest["platforms"]:
        tag = "cp" + plat["python"].replace(".", "")
        names = plat["wheels"]
        assert "diagctl-0.1.0-py3-none-any.whl" in names
        for name in names:
            assert (bundle / "wheels" / name).is_file()
            if not name.endswith("-none-any.whl"):  # a binary wheel: this CPython, this CPU
                assert re.search(rf"-(?:{tag}-{tag}|cp3\d+-abi3)-", name), name
                assert plat["arch"] in name and "manylinux" in name, name
        assert {n.split("-")[0].lower() for n in names} >= {
            "pydantic_core", "cryptography", "pyyaml", "jinja2", "markupsafe", "click"
        }  # fmt: skip
    assert sorted(n.split("-")[0] for n in manifest["build_backend"]) == ["setuptools", "wheel"]

    sums = dict(
        reversed(line.split("  ", 1)) for line in (bundle / "SHA256SUMS").read_text().splitlines()
    )
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert set(sums) == files - {"SHA256SUMS"}
    for rel, digest in sums.items():
        assert hashlib.sha256((bundle / rel).read_bytes()).hexdigest() == digest, rel

    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    sbom_text = (bundle / "sbom.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(sbom_text) is None
    sbom = json.loads(sbom_text)
    listed = {(c["name"], c["version"]) for c in sbom["components"]}
    lock = (bundle / "requirements.lock").read_text().splitlines()
    pinned = {tuple(line.split(" ")[0].split("==")) for line in lock}
    assert listed == pinned
    wheels = {n for p in manifest["platforms"] for n in p["wheels"]} | set(
        manifest["build_backend"]
    )
    assert {p.name for p in (bundle / "wheels").iterdir()} == wheels
    from airgap.bundle import wheel_name_version

    assert {wheel_name_version(n) for n in wheels} == pinned


def test_host_and_foreign_bundle(built: Built) -> None:
    check_bundle(Path(str(built.info["bundle"])), [HOST, FOREIGN])
    sidecar = built.archive.with_name(built.archive.name + ".sha256").read_text()
    assert sidecar == f"{built.archive_sha256}  {built.archive.name}\n"
    assert hashlib.sha256(built.archive.read_bytes()).hexdigest() == built.archive_sha256
    sums = Path(str(built.info["bundle"])) / "SHA256SUMS"
    assert hashlib.sha256(sums.read_bytes()).hexdigest() == built.sums_sha256
