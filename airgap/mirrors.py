"""On-prem mirror configuration: apt (deb822), pip and fwupd, as file contents.

The same text goes into `diagctl airgap mirror-config --out DIR` and into cloud-init user-data.

Field notes on the outside world:
- Ubuntu 24.04 and Debian 12+ ship their sources as deb822 files
  (`/etc/apt/sources.list.d/ubuntu.sources`, `debian.sources`); older releases use
  `/etc/apt/sources.list`. A mirror line added next to them leaves the public archive enabled,
  so the public files are moved aside (`<file>.diagctl-disabled`), never deleted.
- `Signed-By` in a deb822 stanza pins the mirror to one keyring instead of every trusted key.
- pip reads `/etc/pip.conf`; `trusted-host` turns off TLS verification for that host, so it is
  written only when asked for (a plain-http mirror).
- fwupd reads remotes from `/etc/fwupd/remotes.d/*.conf`; `lvfs` and `lvfs-testing` are the
  public ones, disabled with `Enabled=false` in their own files (what `fwupdmgr disable-remote`
  writes).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import urlsplit

from schemas.airgap import AptMirror, FwupdMirror, Mirrors, PipMirror

SOURCES_PATH = "/etc/apt/sources.list.d/diagctl-mirror.sources"
PIP_CONF_PATH = "/etc/pip.conf"
FWUPD_REMOTE_PATH = "/etc/fwupd/remotes.d/diagctl-mirror.conf"
PUBLIC_APT_SOURCES = (
    "/etc/apt/sources.list",
    "/etc/apt/sources.list.d/ubuntu.sources",
    "/etc/apt/sources.list.d/debian.sources",
)
PUBLIC_FWUPD_REMOTES = (
    "/etc/fwupd/remotes.d/lvfs.conf",
    "/etc/fwupd/remotes.d/lvfs-testing.conf",
)
DISABLED_SUFFIX = ".diagctl-disabled"


def apt_sources(apt: AptMirror) -> str:
    return (
        "# diagctl airgap: the on-prem apt mirror (deb822)\n"
        "Types: deb\n"
        f"URIs: {apt.url}\n"
        f"Suites: {' '.join(apt.suites)}\n"
        f"Components: {' '.join(apt.components)}\n"
        f"Signed-By: {apt.signed_by}\n"
    )


def pip_conf(pip: PipMirror) -> str:
    lines = ["# diagctl airgap: the on-prem Python package index", "[global]"]
    lines.append(f"index-url = {pip.url}")
    if pip.trust_host:
        lines.append(f"trusted-host = {urlsplit(pip.url).hostname}")
    return "\n".join(lines) + "\n"


def fwupd_remote(fwupd: FwupdMirror) -> str:
    return (
        "# diagctl airgap: the on-prem LVFS mirror\n"
        "[fwupd Remote]\n"
        "Enabled=true\n"
        "Title=On-prem LVFS mirror (diagctl airgap)\n"
        f"MetadataURI={fwupd.url}\n"
        "ApprovalRequired=false\n"
    )


def disable_public_script() -> str:
    """POSIX sh: move the public apt sources aside and switch the public fwupd remotes off.
    Idempotent; nothing is deleted (`mv -n` never overwrites an earlier `.diagctl-disabled`)."""
    apt = " ".join(shlex.quote(p) for p in PUBLIC_APT_SOURCES)
    fw = " ".join(shlex.quote(p) for p in PUBLIC_FWUPD_REMOTES)
    return (
        f'for f in {apt}; do if [ -e "$f" ]; then mv -n "$f" "$f{DISABLED_SUFFIX}"; fi; done; '
        f'for f in {fw}; do if [ -f "$f" ]; then '
        "sed -i 's/^Enabled=.*/Enabled=false/' \"$f\"; fi; done"
    )


def mirror_files(mirrors: Mirrors, key: str | None) -> dict[str, str]:
    """`--out DIR` relative path -> content (the installed path is in apply.sh and the docs)."""
    files = {
        "apt/diagctl-mirror.sources": apt_sources(mirrors.apt),
        "apt/disable-public.txt": "".join(f"{p}\n" for p in PUBLIC_APT_SOURCES),
        "pip/pip.conf": pip_conf(mirrors.pip),
        "fwupd/diagctl-mirror.conf": fwupd_remote(mirrors.fwupd),
        "fwupd/disable-public.txt": "".join(f"{p}\n" for p in PUBLIC_FWUPD_REMOTES),
        "apply.sh": apply_script(mirrors, key is not None),
    }
    if key is not None:
        files["apt/keyring.asc"] = key
    return files


def apply_script(mirrors: Mirrors, with_key: bool) -> str:
    """What an admin runs (as root) on a node to switch it to the mirrors."""
    q = shlex.quote
    key = (
        f'install -D -m 0644 "$here/apt/keyring.asc" {q(mirrors.apt.signed_by)}\n'
        if with_key
        else ""
    )
    return (
        "#!/bin/sh\n"
        "# Written by `diagctl airgap mirror-config`: run as root on a node to use the on-prem\n"
        "# mirrors only. Public sources are moved aside as <file>.diagctl-disabled.\n"
        "set -eu\n"
        'here=$(cd "$(dirname "$0")" && pwd)\n'
        f"{key}"
        f'install -D -m 0644 "$here/apt/diagctl-mirror.sources" {q(SOURCES_PATH)}\n'
        f'install -D -m 0644 "$here/pip/pip.conf" {q(PIP_CONF_PATH)}\n'
        f'install -D -m 0644 "$here/fwupd/diagctl-mirror.conf" {q(FWUPD_REMOTE_PATH)}\n'
        f"{disable_public_script()}\n"
    )


OPTION_OF = {
    ("apt", "url"): "--apt-url",
    ("apt", "suites"): "--apt-suites",
    ("apt", "components"): "--apt-components",
    ("apt", "signed_by"): "--apt-signed-by",
    ("pip", "url"): "--pip-url",
    ("fwupd", "url"): "--fwupd-url",
}


def mirrors_from(raw: dict[str, object]) -> Mirrors:
    """The options as a model; a bad value is a UsageError that names the option."""
    from pydantic import ValidationError

    from diag.errors import UsageError

    try:
        return Mirrors.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(str(p) for p in err["loc"][:2])
        option = OPTION_OF.get(loc, ".".join(loc))  # type: ignore[arg-type]
        raise UsageError(f"{option}: {err['msg']}") from None


def write_mirror_config(mirrors: Mirrors, key: str | None, out: Path) -> list[Path]:
    """Every file under `out` (checked before the first write), atomically; the paths."""
    from diag.errors import UsageError
    from diag.files import atomic_write

    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    written = []
    try:
        for rel, text in mirror_files(mirrors, key).items():
            path = out / rel
            atomic_write(path, text.encode())
            path.chmod(0o755 if rel.endswith(".sh") else 0o644)
            written.append(path)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    return written
