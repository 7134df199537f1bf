"""The full bundle: x86_64 and aarch64 for CPython 3.10, 3.11 and 3.12 (all six). Opt-in
(DIAGCTL_AIRGAP_ALL=1): it downloads ~6 platforms' wheels from PyPI (about 60 s here); CI
builds this machine's platform and one foreign one (test_bundle_contents.py) instead."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from airgap.wheelhouse import all_platforms
from tests.integration.airgap.conftest import DIAGCTL, pypi_reachable
from tests.integration.airgap.test_bundle_contents import check_bundle
from tests.support.components import require

pytestmark = [pytest.mark.integration]


@pytest.mark.skipif(os.environ.get("DIAGCTL_AIRGAP_ALL") != "1", reason="DIAGCTL_AIRGAP_ALL=1")
def test_all_six_platforms(tmp_path: Path) -> None:
    require("PyPI", pypi_reachable(), "the bundle is built from https://pypi.org")
    proc = subprocess.run([DIAGCTL, "airgap", "build", "--out", str(tmp_path / "o"), "--json"],
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    names = [f"{p.arch}-{p.python}" for p in all_platforms()]
    assert list(info["platform_wheel_bytes"]) == names
    check_bundle(Path(info["bundle"]), names)
    print(json.dumps(info["platform_wheel_bytes"]), info["archive_bytes"])
