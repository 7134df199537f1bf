"""`export siem --send` over TLS, the server certificate verified against `--ca-file`:

- syslog `tls://` into a real rsyslogd (Debian `rsyslog` + `rsyslog-gnutls`: imtcp with
  StreamDriver gtls), started by the test with a throwaway CA and server certificate;
- Splunk HEC over `https://` into the loopback HEC stand-in of test_siem_hec.py (Splunk cannot
  run here; the stand-in validates the documented request format), wrapped in TLS with the
  same throwaway CA.

A CA that did not sign the server certificate is refused: nothing reaches the receiver, the
events wait in the spool, and stderr says the certificate did not verify.
"""

from __future__ import annotations

import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.exporters.test_siem_hec import TOKEN, Handler, Hec, golden
from tests.integration.exporters.test_siem_rsyslog import GOLDEN, lines_of, running_rsyslogd
from tests.integration.exporters.tls_certs import Pki, make_pki
from tests.support.components import require, require_binaries
from tests.support.net import free_port
from tests.unit.exporters import siem_cases as cases

pytestmark = pytest.mark.integration
GTLS = Path("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so")
CONF = """
global(workDirectory="{d}"
       DefaultNetstreamDriver="gtls"
       DefaultNetstreamDriverCAFile="{pki.ca}"
       DefaultNetstreamDriverCertFile="{pki.cert}"
       DefaultNetstreamDriverKeyFile="{pki.key}")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="raw" type="string" string="%rawmsg%\\n")
action(type="omfile" file="{d}/raw.log" template="raw")
"""
UNVERIFIED = "certificate verify failed: unable to get local issuer certificate"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    (tmp_path / "pki").mkdir()
    return make_pki(tmp_path / "pki")


@pytest.fixture
def rsyslog_tls(tmp_path: Path, pki: Pki) -> Iterator[tuple[int, Path]]:
    require_binaries("rsyslogd", why="apt-get install rsyslog")
    require("rsyslog-gnutls", GTLS.exists(), "apt-get install rsyslog-gnutls")
    port = free_port()
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(CONF.format(d=tmp_path, pki=pki, port=port))
    with running_rsyslogd(conf, port):
        yield port, tmp_path


def siem(fmt: str, url: str, ca: Path, spool: Path, *extra: str) -> tuple[int, str]:
    argv = [sys.executable, "-m", "diag.cli", "export", "siem", "--format", fmt, "--send", url,
            "--ca-file", str(ca), "--retries", "0", "--spool", str(spool), *extra]  # fmt: skip
    out = subprocess.run(argv, input=cases.jsonl(), capture_output=True, timeout=60)
    return out.returncode, out.stderr.decode()


def test_syslog_over_tls_reaches_rsyslog_whole(rsyslog_tls: tuple[int, Path], pki: Pki) -> None:
    port, d = rsyslog_tls
    code, err = siem("syslog", f"tls://127.0.0.1:{port}", pki.ca, d / "spool")
    assert (code, err) == (0, "diagctl: export siem: sent 10\n")
    assert lines_of(d / "raw.log", 10) == GOLDEN.read_text().splitlines()


def test_syslog_tls_with_the_wrong_ca_is_refused_and_spooled(
    rsyslog_tls: tuple[int, Path], pki: Pki
) -> None:
    port, d = rsyslog_tls
    code, err = siem("syslog", f"tls://127.0.0.1:{port}", pki.other_ca, d / "spool")
    assert code == 4
    assert err.startswith(f"diagctl: export siem: sent 0, spooled 10 in {d}/spool ")
    assert UNVERIFIED in err
    assert not (d / "raw.log").exists() or (d / "raw.log").read_text() == ""


@pytest.fixture
def hec_tls(pki: Pki) -> Iterator[Hec]:
    srv = Hec(("127.0.0.1", 0), Handler)
    srv.events, srv.problems = [], []
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.cert, pki.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.mark.parametrize("good_ca", [True, False])
def test_hec_over_https_verifies_the_server(
    hec_tls: Hec, pki: Pki, tmp_path: Path, good_ca: bool
) -> None:
    (tmp_path / "token").write_text(TOKEN)
    url = f"https://127.0.0.1:{hec_tls.server_address[1]}"
    ca = pki.ca if good_ca else pki.other_ca
    code, err = siem("hec", url, ca, tmp_path / "spool", "--token-file", str(tmp_path / "token"))
    assert TOKEN not in err
    if good_ca:
        assert (code, err, hec_tls.problems) == (0, "diagctl: export siem: sent 10\n", [])
        assert hec_tls.events == golden()
        return
    assert code == 4 and UNVERIFIED in err
    assert (hec_tls.requests, hec_tls.events) == (0, [])
