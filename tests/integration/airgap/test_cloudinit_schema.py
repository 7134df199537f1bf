"""Every cloud-init rendering passes the real `cloud-init schema` (Debian's cloud-init), and a
deliberately broken template's output is rejected by it: the validator is really judging."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from airgap.cloudinit import load_values, render, template_text
from tests.support.components import require_binaries

pytestmark = [pytest.mark.integration]
VALUES = Path(__file__).parents[2] / "fixtures" / "airgap" / "values.yaml"


def _schema(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    require_binaries("cloud-init", why="Debian package cloud-init (cloud-init schema)")
    path = tmp_path / "user-data"
    path.write_text(text)
    return subprocess.run(["cloud-init", "schema", "--config-file", str(path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.parametrize("node_class", sorted(load_values(VALUES).classes))
def test_every_class_is_valid_cloud_config(node_class: str, tmp_path: Path) -> None:
    proc = _schema(render(load_values(VALUES), node_class), tmp_path)
    assert (proc.returncode, proc.stdout) == (0, f"Valid cloud-config: {tmp_path}/user-data\n")


def test_a_broken_template_is_rejected(tmp_path: Path) -> None:
    broken = template_text().replace("package_update: true", "package_update: {{ name | q }}")
    proc = _schema(render(load_values(VALUES), "gpu-h100", broken), tmp_path)
    assert proc.returncode == 1
    assert "Cloud config schema errors: package_update: 'gpu-h100' is not of type 'boolean'" in (
        proc.stdout + proc.stderr
    )
