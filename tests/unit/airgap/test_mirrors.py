"""`diagctl airgap mirror-config`: the whole file set and every file's whole text."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli.main import cli

SITE = "http://mirror.site"
BASE = [
    "airgap", "mirror-config", "--apt-url", f"{SITE}/ubuntu",
    "--apt-suites", "noble,noble-updates", "--pip-url", f"{SITE}/pypi/simple",
    "--fwupd-url", f"{SITE}/lvfs/firmware.xml.gz",
]  # fmt: skip

SOURCES = """\
# diagctl airgap: the on-prem apt mirror (deb822)
Types: deb
URIs: http://mirror.site/ubuntu
Suites: noble noble-updates
Components: main
Signed-By: /etc/apt/keyrings/diagctl-mirror.asc
"""
PIP_CONF = """\
# diagctl airgap: the on-prem Python package index
[global]
index-url = http://mirror.site/pypi/simple
"""
FWUPD = """\
# diagctl airgap: the on-prem LVFS mirror
[fwupd Remote]
Enabled=true
Title=On-prem LVFS mirror (diagctl airgap)
MetadataURI=http://mirror.site/lvfs/firmware.xml.gz
ApprovalRequired=false
"""
DISABLE = (
    "for f in /etc/apt/sources.list /etc/apt/sources.list.d/ubuntu.sources "
    '/etc/apt/sources.list.d/debian.sources; do if [ -e "$f" ]; then mv -n "$f" '
    '"$f.diagctl-disabled"; fi; done; for f in /etc/fwupd/remotes.d/lvfs.conf '
    '/etc/fwupd/remotes.d/lvfs-testing.conf; do if [ -f "$f" ]; then '
    "sed -i 's/^Enabled=.*/Enabled=false/' \"$f\"; fi; done\n"
)
APPLY = (
    "#!/bin/sh\n"
    "# Written by `diagctl airgap mirror-config`: run as root on a node to use the on-prem\n"
    "# mirrors only. Public sources are moved aside as <file>.diagctl-disabled.\n"
    "set -eu\n"
    'here=$(cd "$(dirname "$0")" && pwd)\n'
    'install -D -m 0644 "$here/apt/diagctl-mirror.sources" '
    "/etc/apt/sources.list.d/diagctl-mirror.sources\n"
    'install -D -m 0644 "$here/pip/pip.conf" /etc/pip.conf\n'
    'install -D -m 0644 "$here/fwupd/diagctl-mirror.conf" '
    "/etc/fwupd/remotes.d/diagctl-mirror.conf\n" + DISABLE
)


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_default_file_set_and_texts(tmp_path: Path) -> None:
    out = tmp_path / "m"
    res = CliRunner().invoke(cli, [*BASE, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _tree(out) == {
        "apt/diagctl-mirror.sources": SOURCES,
        "apt/disable-public.txt": "/etc/apt/sources.list\n/etc/apt/sources.list.d/ubuntu.sources\n"
        "/etc/apt/sources.list.d/debian.sources\n",
        "pip/pip.conf": PIP_CONF,
        "fwupd/diagctl-mirror.conf": FWUPD,
        "fwupd/disable-public.txt": "/etc/fwupd/remotes.d/lvfs.conf\n"
        "/etc/fwupd/remotes.d/lvfs-testing.conf\n",
        "apply.sh": APPLY,
    }
    assert (out / "apply.sh").stat().st_mode & 0o777 == 0o755


def test_trust_host_key_and_components(tmp_path: Path) -> None:
    key = tmp_path / "site.asc"
    key.write_text(
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n"
    )
    out = tmp_path / "m"
    args = [*BASE, "--trust-host", "--apt-key", str(key), "--apt-components", "main,universe"]
    res = CliRunner().invoke(
        cli, [*args, "--apt-signed-by", "/etc/apt/keyrings/s.asc", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    tree = _tree(out)
    assert tree["pip/pip.conf"] == PIP_CONF + "trusted-host = mirror.site\n"
    assert tree["apt/keyring.asc"] == key.read_text()
    assert tree["apt/diagctl-mirror.sources"] == SOURCES.replace(
        "Components: main", "Components: main universe"
    ).replace("diagctl-mirror.asc", "s.asc")
    assert tree["apply.sh"] == APPLY.replace(
        'here=$(cd "$(dirname "$0")" && pwd)\n',
        'here=$(cd "$(dirname "$0")" && pwd)\n'
        'install -D -m 0644 "$here/apt/keyring.asc" /etc/apt/keyrings/s.asc\n',
    )


@pytest.mark.parametrize(
    "option,value,message",
    [
        ("--apt-url", "ftp://mirror.site/ubuntu", "--apt-url: String should match pattern"),
        ("--apt-url", "http://mirror.site/ubuntu main", "--apt-url: String should match pattern"),
        ("--pip-url", "http://m/simple\nextra-index-url = http://evil", "--pip-url: String should"),
        ("--pip-url", "https://m/$(reboot)", "--pip-url: String should match pattern"),
        ("--fwupd-url", "http://m/'x'", "--fwupd-url: String should match pattern"),
        ("--apt-suites", "noble;reboot", "--apt-suites: String should match pattern"),
        ("--apt-signed-by", "keyring.asc", "--apt-signed-by: String should match pattern"),
    ],
)
def test_bad_values_name_the_option_and_write_nothing(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    out = tmp_path / "m"
    res = CliRunner().invoke(cli, [*BASE, option, value, "--out", str(out)])
    assert res.exit_code == 2
    assert res.output.startswith(f"Error: {message}"), res.output
    assert not out.exists()


@pytest.mark.parametrize(
    "url,ok",
    [("http://m/x", True), ("https://m:8443/simple/", True), ("http://u@m/x", True),
     ("http:/m", False), ("http://m/x y", False), ("http://m/x\\y", False), ("file:///srv", False)],
)  # fmt: skip
def test_url_boundaries(tmp_path: Path, url: str, ok: bool) -> None:
    res = CliRunner().invoke(
        cli, [*BASE, "--pip-url", url, "--out", str(tmp_path / "m")], catch_exceptions=False
    )
    assert (res.exit_code == 0) is ok, res.output


def test_out_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    res = CliRunner().invoke(cli, [*BASE, "--out", str(f)])
    assert res.exit_code == 2
    assert (
        res.output.splitlines()[-1]
        == f"Error: Invalid value for '--out': Directory '{f}' is a file."
    )
