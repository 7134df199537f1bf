"""HTTPS and bearer auth against a real llama.cpp server started with --ssl_certfile/keyfile and
--api_key (a throwaway self-signed certificate made with openssl)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from probes.client import probe
from probes.verdict import judge
from schemas.probe import GroupConfig, ProbeTarget, Verdict
from tests.support.components import require_binaries

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    require_binaries("openssl", why="apt-get install openssl")
    crt, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(crt), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return crt, key


def verdict(t: ProbeTarget) -> tuple[Verdict, str]:
    out = asyncio.run(probe(t, 5, 2))
    return judge(out, t, GroupConfig())


def test_https_with_ca_and_bearer_token(llama, cert, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    srv = llama(tls=cert, api_key="k-123")
    assert srv.url.startswith("https://")
    monkeypatch.setenv("DGP_KEY", "k-123")
    base = ProbeTarget(
        name="t",
        url=srv.url,
        model="tiny",
        node="n",
        api_key_env="DGP_KEY",
        tls_ca_file=str(cert[0]),
        extra_body={"logit_bias": {"2": -100}},
    )
    assert verdict(base)[0] is Verdict.HEALTHY
    v, why = verdict(base.model_copy(update={"tls_ca_file": ""}))  # system CAs: not trusted
    assert v is Verdict.DOWN and "CERTIFICATE_VERIFY_FAILED" in why
    assert verdict(base.model_copy(update={"tls_ca_file": "", "tls_verify": False}))[0] is (
        Verdict.HEALTHY
    )
    monkeypatch.setenv("DGP_KEY", "wrong")
    v, why = verdict(base)
    assert v is Verdict.ZOMBIE and "HTTP 401" in why
