"""`diagctl export prometheus` output: whole golden files, label escaping, promtool, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporters.prometheus.kinds.common import enum_label, epoch, number
from exporters.prometheus.metrics import CATALOGUE, SampleSet
from exporters.prometheus.render import LABEL_MAX, collect, label_value, render
from tests.support.components import require_binaries
from tests.support.envelopes import envelope
from tests.support.prom_inputs import HOSTILE, fleet, health_envelopes, jsonl, probe_envelopes

GOLDEN = Path(__file__).parents[3] / "golden" / "prometheus"
DIAGCTL = [sys.executable, "-m", "diag.cli"]


def export(stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*DIAGCTL, "export", "prometheus", *args], input=stdin,
                          capture_output=True, timeout=60, check=False)  # fmt: skip


def golden(name: str, got: bytes, regen: bool) -> None:
    path = GOLDEN / name
    if regen:
        path.write_bytes(got)
    assert got.decode() == path.read_text()


def promtool_check(text: bytes) -> None:
    require_binaries("promtool", why="apt-get install prometheus (promtool lints exposition text)")
    res = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                         timeout=30, check=False)  # fmt: skip
    assert res.returncode == 0 and not res.stdout and not res.stderr, res


@pytest.mark.parametrize(
    "name,envs",
    [("fleet.prom", fleet), ("health.prom", health_envelopes), ("probe.prom", probe_envelopes)],
)
def test_whole_output_is_golden_and_lints(name: str, envs, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    res = export(jsonl(envs()))
    golden(name, res.stdout, request.config.getoption("--regen"))
    promtool_check(res.stdout)


def test_unknown_kind_counted_and_noted_not_a_crash() -> None:
    res = export(jsonl(fleet()))
    assert res.returncode == 0
    assert res.stderr.decode() == (
        "diagctl: export prometheus: skipped 1 envelopes of kinds with no metrics: "
        "airgap.check x1\n"
    )
    assert b'diagctl_export_envelopes{result="skipped_kind"} 1.0\n' in res.stdout


def test_malformed_lines_skipped_counted_exit_1() -> None:
    stdin = b"{not json\n" + jsonl(health_envelopes()[:1]) + b"[1]\n"
    res = export(stdin)
    assert res.returncode == 1
    assert b'diagctl_export_envelopes{result="skipped_bad"} 2.0\n' in res.stdout
    assert b'diagctl_export_envelopes{result="exported"} 1.0\n' in res.stdout
    assert res.stderr.decode().splitlines()[-1] == (
        "diagctl: export: skipped 2 of 3 inputs (first: <stdin>:1: not JSON (Expecting property "
        "name enclosed in double quotes: line 1 column 2 (char 1)))"
    )


def test_hostile_label_round_trips_escaped() -> None:
    """Quotes, backslash and newline are escaped by the format and parse back to the value;
    ESC is made visible (diag.textsafe); unicode stays unicode."""
    text = render_hostile()
    line = next(
        ln for ln in text.splitlines() if ln.startswith("diagctl_host_status{") and "pass" in ln
    )
    assert line == (
        'diagctl_host_status{host="gpu \\"7\\"\\nrack\\\\2 \u00e9\u4e2d\\\\x1b[31m",'
        'kind="health.l1",status="pass"} 1.0'
    )
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    hosts = {s.labels["host"] for s in fams["diagctl_host_status"].samples}
    assert hosts == {HOSTILE.replace("\x1b", "\\x1b")}
    promtool_check(text.encode())


def render_hostile() -> str:
    env = envelope(host={"name": HOSTILE}, status="pass")
    return render(collect([env]).samples).decode()


@pytest.mark.parametrize(
    "value,label",
    [
        ("plain", "plain"),
        ("a\nb", "a\nb"),
        ("\x1b]0;t\x07", "\\x1b]0;t\\x07"),
        ("\u202egpu", "\\u202egpu"),
        ("x" * LABEL_MAX, "x" * LABEL_MAX),
        ("x" * (LABEL_MAX + 1), "x" * (LABEL_MAX - 1) + "…"),
        ("http://u:hunter2@h:1/v1", "http://***@h:1/v1"),
    ],
)
def test_label_value(value: str, label: str) -> None:
    assert label_value(value) == label


@pytest.mark.parametrize(
    "value,out",
    [("watchdog", "watchdog"), ("power_loss", "power_loss"), ("a" * 40, "a" * 40),
     ("a" * 41, "other"), ("Power", "other"), ("a b", "other"), ("", "other"), (3, "other"),
     (None, "other")],
)  # fmt: skip
def test_enum_label(value: object, out: str) -> None:
    assert enum_label(value) == out


@pytest.mark.parametrize(
    "value,out",
    [(1, 1.0), (0.5, 0.5), (True, None), ("3", None), (float("nan"), None),
     (float("inf"), None), (None, None), ([1], None)],
)  # fmt: skip
def test_number(value: object, out: float | None) -> None:
    assert number(value) == out


@pytest.mark.parametrize(
    "stamp,out",
    [("2026-11-22T20:00:00Z", 1795377600.0), ("2026-11-22T21:00:00+01:00", 1795377600.0),
     ("2026-11-22T20:00:00", None), ("yesterday", None), ("", None)],
)  # fmt: skip
def test_epoch(stamp: str, out: float | None) -> None:
    assert epoch(stamp) == out


def test_newest_envelope_per_host_wins_whatever_the_order() -> None:
    old, new = health_envelopes()[:2]
    for order in ([old, new], [new, old]):
        s = collect(order).samples.series["diagctl_host_status"]
        assert s[("health.l1", "gpu-node-1", "fail")] == 1.0


def test_counters_add_gauges_replace_and_labels_must_match() -> None:
    s = SampleSet()
    s.add("diagctl_gpu_xid", ("h", "g", "reset"), 2)
    s.add("diagctl_gpu_xid", ("h", "g", "reset"), 3)
    s.add("diagctl_probe_tokens", ("t", "n", "g", "m"), 2)
    s.add("diagctl_probe_tokens", ("t", "n", "g", "m"), 3)
    assert s.series["diagctl_gpu_xid"] == {("h", "g", "reset"): 5}
    assert s.series["diagctl_probe_tokens"] == {("t", "n", "g", "m"): 3}
    with pytest.raises(ValueError, match="diagctl_probe_tokens: 1 label values"):
        s.add("diagctl_probe_tokens", ("t",), 1)


def test_catalogue_naming_rules() -> None:
    """One prefix; counters never carry _total in the catalogue (the client adds it); units
    are base units; metadata gauges end in _info."""
    for name, spec in CATALOGUE.items():
        assert name.startswith("diagctl_") and not name.endswith("_total"), name
        assert not any(u in name for u in ("_ms", "_milliseconds", "_kib", "_mb")), name
        if name.endswith("_info"):
            assert spec.type == "gauge"
        assert not {"message", "reason_text", "path", "sha256"} & set(spec.labels), name


def test_probe_run_prom_and_export_agree() -> None:
    """`probe run --prom` renders through the exporter's probe table: same series."""
    from probes.prom import render as probe_render
    from schemas.probe import ProbeData

    envs = [e for e in probe_envelopes() if e.kind == "probe.result"]
    text = probe_render([ProbeData.model_validate(e.data) for e in envs]).decode()
    exported = render(collect(envs).samples).decode()
    probe_lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert probe_lines and all(ln in exported.splitlines() for ln in probe_lines)


def test_promtool_is_not_fooled_by_our_escaping() -> None:
    """A sanity anchor for the lint: promtool rejects a raw newline inside a label value."""
    require_binaries("promtool", why="apt-get install prometheus")
    bad = b'# TYPE x gauge\nx{a="1\n2"} 1\n'
    res = subprocess.run(["promtool", "check", "metrics"], input=bad, capture_output=True,
                         timeout=30, check=False)  # fmt: skip
    assert res.returncode != 0
