"""A throwaway CA and a server certificate for 127.0.0.1, made with Debian's `openssl` for one
test: TLS receivers (rsyslog's gtls driver, the HEC stand-in) present the server certificate and
diagctl verifies it against `--ca-file`. A second, unrelated CA is the "wrong CA" case."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.components import require_binaries

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
LEAF_EXT = (
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
    "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
)


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path
    other_ca: Path  # a CA that did not sign `cert`


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def _ca(d: Path, name: str) -> tuple[Path, Path]:
    cert, key = d / f"{name}.pem", d / f"{name}.key"
    _openssl("req", "-x509", *EC, "-keyout", str(key), "-out", str(cert),
             "-subj", f"/CN=diagctl test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    return cert, key


def make_pki(d: Path) -> Pki:
    require_binaries("openssl", why="apt-get install openssl")
    ca, ca_key = _ca(d, "ca")
    other, _ = _ca(d, "other-ca")
    key, csr, cert, ext = d / "server.key", d / "server.csr", d / "server.pem", d / "leaf.ext"
    ext.write_text(LEAF_EXT)
    _openssl("req", "-new", *EC[:5], "-nodes", "-keyout", str(key), "-out", str(csr),
             "-subj", "/CN=127.0.0.1")  # fmt: skip
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
             "-CAcreateserial", "-days", "1", "-out", str(cert), "-extfile", str(ext))  # fmt: skip
    return Pki(ca, cert, key, other)
