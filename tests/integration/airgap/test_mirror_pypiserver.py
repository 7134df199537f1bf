"""The mirror path: a real `pypiserver` on loopback serves the bundle's wheelhouse, and pip,
configured only by the pip.conf that `diagctl airgap mirror-config` wrote (no other pip
configuration: PIP_* cleared, XDG_CONFIG_DIRS pointed away from /etc/xdg), installs diagctl
from it into a fresh venv. The server's log proves the wheels came from it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.airgap.conftest import DIAGCTL, Built, extract

pytestmark = [pytest.mark.integration]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def index(built: Built, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    wheels = extract(built.archive, tmp_path / "b") / "wheels"
    port, log = _free_port(), tmp_path / "pypiserver.log"
    exe = str(Path(sys.executable).parent / "pypi-server")
    with log.open("w") as fh:
        proc = subprocess.Popen([exe, "run", "-i", "127.0.0.1", "-p", str(port), "-a", ".",
                                 "-P", ".", "-v", str(wheels)], stdout=fh, stderr=fh)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/simple/", log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_pip_installs_from_the_mirror_with_rendered_pip_conf(
    index: tuple[str, Path], tmp_path: Path
) -> None:
    url, log = index
    conf_dir = tmp_path / "mirrors"
    subprocess.run(
        [DIAGCTL, "airgap", "mirror-config", "--apt-url", "http://127.0.0.1/ubuntu",
         "--apt-suites", "noble", "--pip-url", url, "--trust-host",
         "--fwupd-url", "http://127.0.0.1/lvfs/firmware.xml.gz", "--out", str(conf_dir)],
        check=True, capture_output=True,
    )  # fmt: skip
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env |= {"PIP_CONFIG_FILE": str(conf_dir / "pip" / "pip.conf"), "HOME": str(tmp_path),
            "XDG_CONFIG_DIRS": str(tmp_path / "none")}  # fmt: skip
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-cache-dir",
         "--only-binary=:all:", "diagctl[airgap]==0.1.0"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"Looking in indexes: {url}" in proc.stdout
    served = log.read_text()
    assert "GET /packages/diagctl-0.1.0-py3-none-any.whl" in served
    assert "GET /packages/pydantic_core-" in served
    out = subprocess.run([str(venv / "bin" / "diagctl"), "version"], capture_output=True,
                         text=True, check=True)  # fmt: skip
    assert out.stdout.splitlines()[0] == "diagctl 0.1.0"
