"""`diagctl report --html` in a real headless Chromium (Debian's `chromium`), run in a network
namespace with no interface up (`unshare -n`), so the page cannot reach anything even if it
tried. The test decodes the screenshot (tests/support/png.py) and Chromium's net log."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.components import require_binaries, require_root
from tests.support.png import read_png
from tests.unit.exporters.cmdb_inputs import jsonl
from tests.unit.exporters.report_inputs import run

FAIL_RGB = (0xD6, 0x27, 0x28)  # exporters/report/html.py COLOURS["fail"]
PASS_RGB = (0x2C, 0xA0, 0x2C)
CELL_PX = 22 * 22
# Chromium's own background services (component updater, network time): requests the browser
# makes whatever the page is, never the page's. Everything else in the net log is a failure.
BROWSER_OWN = frozenset({"update.googleapis.com", "clients2.google.com", "redirector.gvt1.com"})
QUIET = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
)


def test_report_renders_in_headless_chromium_without_network(tmp_path: Path) -> None:
    require_binaries("chromium", "unshare", why="apt-get install chromium util-linux")
    require_root("unshare -n needs root (CAP_SYS_ADMIN) to cut the browser off the network")
    page, png, netlog = tmp_path / "r.html", tmp_path / "r.png", tmp_path / "net.json"
    subprocess.run(
        [sys.executable, "-m", "diag.cli", "report", "--html", "--out", str(page)],
        input=jsonl(run()),
        text=True,
        check=True,
        timeout=60,
    )
    argv = ["unshare", "-n", "chromium", "--headless", "--no-sandbox", "--disable-gpu", *QUIET]
    argv += [f"--screenshot={png}", "--window-size=1000,900", f"--log-net-log={netlog}"]
    res = subprocess.run(
        [*argv, f"--user-data-dir={tmp_path / 'profile'}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert png.exists(), res.stderr[-2000:]
    width, height, pixels = read_png(png.read_bytes())
    colours = Counter(pixels)
    assert (width, height) == (1000, 900)
    # two failing heatmap cells and the failing action cells; passing cells too
    assert colours[FAIL_RGB] >= 2 * CELL_PX, colours.most_common(8)
    assert colours[PASS_RGB] >= 2 * CELL_PX, colours.most_common(8)
    assert len(colours) > 20  # text and SVG were drawn: not a blank page
    requested = set()
    for event in json.loads(netlog.read_text())["events"]:
        url = (event.get("params") or {}).get("url")
        if isinstance(url, str) and not url.startswith(("file:", "data:", "chrome")):
            requested.add(urlsplit(url).hostname)
    assert requested <= BROWSER_OWN, requested
