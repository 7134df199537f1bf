"""`diagctl airgap …`: carry diagctl into a closed site (docs/airgap.md). The library is the
`airgap` package; everything heavy (pip, jinja2, cyclonedx) is imported inside the commands."""

from __future__ import annotations

import json
from pathlib import Path

import click

from diag.cli.options import CliError, comma_list, examples, guarded

SITE = "http://mirror.site"


@click.group(epilog=examples("diagctl airgap build --out dist/airgap", "diagctl airgap --help"))
def airgap() -> None:
    """Offline bundle, on-prem mirror configuration and cloud-init for air-gapped sites."""


def _default_source() -> Path:
    import diag

    return Path(diag.__file__).resolve().parent.parent


@airgap.command(
    epilog=examples(
        "diagctl airgap build --out dist/airgap",
        "diagctl airgap build --out dist/airgap --platform x86_64-3.11 --platform aarch64-3.12",
        "diagctl airgap build --out dist/airgap --index-url https://pypi.site/simple --json",
    )
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="New empty directory.")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    callback=comma_list,
    metavar="ARCH-PYTHON",
    help="x86_64|aarch64 and 3.10|3.11|3.12, e.g. x86_64-3.11 (repeatable) [default: all six].",
)
@click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),
    help="The diagctl checkout to build from [default: the one this diagctl runs from].",
)
@click.option("--index-url", default="https://pypi.org/simple", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@guarded
def build(
    out: Path, platforms: tuple[str, ...], source: Path | None, index_url: str, as_json: bool
) -> None:
    """Build the bundle (wheelhouse, SBOM, SHA256SUMS, install.sh) and its tar.gz archive."""
    from airgap import bundle
    from airgap import wheelhouse as wh

    plats = tuple(wh.parse_platform(p) for p in platforms) or tuple(wh.all_platforms())
    args = bundle.BuildArgs(
        out, source or _default_source(), tuple(dict.fromkeys(plats)), index_url
    )
    res = bundle.build(args)
    info = {
        "bundle": str(res.bundle_dir),
        "archive": str(res.archive),
        "archive_bytes": res.archive_bytes,
        "archive_sha256": res.archive_sha256,
        "sums_sha256": res.sums_sha256,
        "platform_wheel_bytes": res.platform_bytes,
    }
    if as_json:
        click.echo(json.dumps(info))
        return
    click.echo(f"archive  {res.archive}  {res.archive_bytes / 1e6:.1f} MB")
    click.echo(f"         sha256 {res.archive_sha256}  (also in {res.archive.name}.sha256)")
    for plat, size in res.platform_bytes.items():
        click.echo(f"platform {plat:<12} {size / 1e6:.1f} MB of wheels")
    click.echo(f"bundle digest (sha256 of SHA256SUMS) {res.sums_sha256}")
    click.echo(f"install: {res.bundle_dir.name}/install.sh --expect-sha256 {res.sums_sha256}")


@airgap.command(
    "mirror-config",
    epilog=examples(
        f"diagctl airgap mirror-config --apt-url {SITE}/ubuntu --apt-suites noble,noble-updates "
        f"--pip-url {SITE}/pypi/simple --fwupd-url {SITE}/lvfs/firmware.xml.gz --out mirrors",
        f"diagctl airgap mirror-config --apt-url {SITE}/debian --apt-suites bookworm "
        "--apt-components main,non-free-firmware --apt-key site.asc "
        f"--pip-url {SITE}/pypi/simple --trust-host "
        f"--fwupd-url {SITE}/lvfs/firmware.xml.gz --out mirrors",
    ),
)
@click.option("--apt-url", required=True, help="The apt mirror (http or https).")
@click.option("--apt-suites", required=True, multiple=True, callback=comma_list)
@click.option("--apt-components", multiple=True, callback=comma_list, help="[default: main]")
@click.option(
    "--apt-signed-by",
    default="/etc/apt/keyrings/diagctl-mirror.asc",
    show_default=True,
    help="Keyring path on the node (deb822 Signed-By).",
)
@click.option(
    "--apt-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The mirror's public key (ASCII-armoured), copied for --apt-signed-by.",
)
@click.option("--pip-url", required=True, help="The pip index (…/simple).")
@click.option("--trust-host", is_flag=True, help="Write trusted-host (a plain-http mirror).")
@click.option("--fwupd-url", required=True, help="Metadata URI of the LVFS mirror.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@guarded
def mirror_config(
    apt_url: str,
    apt_suites: tuple[str, ...],
    apt_components: tuple[str, ...],
    apt_signed_by: str,
    apt_key: Path | None,
    pip_url: str,
    trust_host: bool,
    fwupd_url: str,
    out: Path,
) -> None:
    """apt (deb822 .sources), pip.conf and an fwupd remote for the on-prem mirrors, plus
    apply.sh, which moves the public sources aside (never deletes them)."""
    from airgap import mirrors
    from diag.files import read_text

    apt: dict[str, object] = {"url": apt_url, "suites": list(apt_suites)}
    apt |= {"signed_by": apt_signed_by, "components": list(apt_components or ("main",))}
    raw = {
        "apt": apt,
        "pip": {"url": pip_url, "trust_host": trust_host},
        "fwupd": {"url": fwupd_url},
    }
    model = mirrors.mirrors_from(raw)
    key = read_text(apt_key, "--apt-key") if apt_key else None
    for path in mirrors.write_mirror_config(model, key, out):
        click.echo(str(path))


@airgap.command(
    "cloud-init",
    epilog=examples(
        "diagctl airgap cloud-init --class gpu-h100 --values site-values.yaml --out user-data",
        "diagctl airgap cloud-init --class cpu-only --values site-values.yaml --out cpu.yaml",
    ),
)
@click.option("--class", "node_class", required=True, help="A node class of the values file.")
@click.option("--values", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The user-data file to write; - for stdout.",
)
@guarded
def cloud_init(node_class: str, values: Path, out: Path) -> None:
    """cloud-init user-data for one node class: mirrors, drivers, diagctl, registration."""
    from airgap import cloudinit
    from diag.files import atomic_write

    text = cloudinit.render(cloudinit.load_values(values), node_class)
    if str(out) == "-":
        click.echo(text, nl=False)
        return
    try:
        atomic_write(out, text.encode())
    except OSError as exc:
        raise CliError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    click.echo(str(out))
