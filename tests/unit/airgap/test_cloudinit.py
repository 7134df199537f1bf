"""`diagctl airgap cloud-init`: the whole rendering (a golden file, `--regen` rewrites it), and
values files that are wrong in one place each. cloud-init's own validator runs in
tests/integration/airgap/test_cloudinit_schema.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from diag.cli.main import cli

FIX = Path(__file__).parents[2] / "fixtures" / "airgap"
VALUES = FIX / "values.yaml"


@pytest.mark.parametrize("node_class", ["gpu-h100", "cpu-only"])
def test_rendering_matches_golden(
    request: pytest.FixtureRequest, tmp_path: Path, node_class: str
) -> None:
    out = tmp_path / "user-data"
    res = CliRunner().invoke(
        cli,
        ["airgap", "cloud-init", "--class", node_class, "--values", str(VALUES), "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert res.output == f"{out}\n"
    golden = FIX / f"user-data.{node_class}.yaml"
    if request.config.getoption("--regen"):
        golden.write_text(out.read_text())
    assert out.read_text() == golden.read_text()


def test_values_survive_the_yaml_round_trip() -> None:
    from airgap.cloudinit import load_values, render

    values = load_values(VALUES)
    doc = yaml.safe_load(render(values, "gpu-h100"))
    files = {f["path"]: f["content"] for f in doc["write_files"]}
    assert yaml.safe_load(files["/etc/diagctl/policy.yaml"]) == values.classes["gpu-h100"].policy
    assert files["/etc/apt/keyrings/site-mirror.asc"] == values.mirrors.apt.key
    assert doc["packages"] == values.classes["gpu-h100"].driver_packages


def _values(tmp_path: Path, edit: str, new: str) -> Path:
    text = VALUES.read_text()
    assert edit in text
    path = tmp_path / "values.yaml"
    path.write_text(text.replace(edit, new, 1))
    return path


@pytest.mark.parametrize(
    "edit,new,message",
    [
        ("    trust_host: true", "    trust_host: true\n    mirror: x",
         "mirrors.pip.mirror: Extra inputs are not permitted"),
        ("driver_packages: [nvidia-driver-570-server,", "driver_packages: ['x; reboot',",
         "classes.gpu-h100.driver_packages.0: String should match pattern"),
        ("  sha256: 65d8", "  sha256: 65D8", "bundle.sha256: String should match pattern"),
        ("register_hook: [/usr/local/sbin/diagctl-register, --phase, receive]",
         "register_hook: []", "classes.gpu-h100.register_hook: List should have at least 1 item"),
        ("    signed_by: /etc/apt/keyrings/site-mirror.asc\n", "",
         "mirrors.apt.signed_by: Field required"),
    ],
)  # fmt: skip
def test_bad_values_name_file_and_field(tmp_path: Path, edit: str, new: str, message: str) -> None:
    path = _values(tmp_path, edit, new)
    res = CliRunner().invoke(
        cli, ["airgap", "cloud-init", "--class", "gpu-h100", "--values", str(path), "--out", "-"]
    )
    assert res.exit_code == 2
    assert res.output.startswith(f"Error: values file {path}: {message}"), res.output


def test_unknown_class(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli, ["airgap", "cloud-init", "--class", "dgx", "--values", str(VALUES), "--out", "-"]
    )
    assert res.exit_code == 2
    assert (
        res.output == "Error: --class 'dgx': not in the values file (classes: cpu-only, gpu-h100)\n"
    )


def test_hook_words_are_quoted_for_the_shell(tmp_path: Path) -> None:
    from airgap.cloudinit import load_values, render

    path = _values(tmp_path, "--phase, receive]", "--note, 'a b;$(reboot)']")
    doc = yaml.safe_load(render(load_values(path), "gpu-h100"))
    chain = doc["runcmd"][0][2]
    assert chain.endswith(
        "env DIAGCTL_NODE_CLASS=gpu-h100 /usr/local/sbin/diagctl-register --note 'a b;$(reboot)'"
    )
