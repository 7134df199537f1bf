"""`diagctl export siem`: whole outputs per format (golden files, `--regen` rewrites them),
schema validation (our JSON Schemas and the py-ocsf-models OCSF 1.5.0 models), ids, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from exporters.siem.events import project
from exporters.siem.formats import lines
from schemas.registry import schema_of
from schemas.siem import SyslogMessage
from tests.unit.exporters import siem_cases as cases

GOLDEN = Path(__file__).parents[2] / "golden" / "siem"
FILES = {"ecs": "all.jsonl", "ocsf": "all.jsonl", "hec": "all.jsonl", "syslog": "all.log"}


def export(fmt: str, stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "diag.cli", "export", "siem", "--format", fmt, *args],
        input=stdin, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_whole_output_matches_the_golden_file(fmt: str, request: pytest.FixtureRequest) -> None:
    out = export(fmt, cases.jsonl())
    assert (out.returncode, out.stderr) == (0, b"")
    golden = GOLDEN / fmt / FILES[fmt]
    if request.config.getoption("--regen"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(out.stdout)
    assert out.stdout.decode() == golden.read_text()


SYSLOG = re.compile(
    r"<(?P<pri>\d+)>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) (?P<msgid>\S+) "
    r"\[(?P<sdid>\S+) (?P<sd>(?:[^\]\\]|\\.)*)\] (?P<msg>.*)"
)
SD_PARAM = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_syslog(line: str) -> SyslogMessage:
    m = SYSLOG.fullmatch(line)
    assert m, line
    params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in SD_PARAM.findall(m["sd"])}
    return SyslogMessage(pri=int(m["pri"]), timestamp=m["ts"], hostname=m["host"],
                         app_name=m["app"], procid=m["proc"], msgid=m["msgid"],
                         structured_data={m["sdid"]: params}, msg=m["msg"])  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("fmt", ["ecs", "ocsf", "hec"])
def test_every_json_event_validates_against_its_json_schema(fmt: str) -> None:
    schema = schema_of(f"siem.{fmt}")
    docs = [json.loads(line) for line in lines(cases.all_envelopes(), fmt)]
    assert len(docs) == 9
    for doc in docs:
        jsonschema.validate(doc, schema)


def test_ocsf_findings_validate_against_py_ocsf_models() -> None:
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding

    docs = [json.loads(line) for line in lines(cases.all_envelopes(), "ocsf")]
    findings = [d for d in docs if d["class_uid"] == 2004]
    assert [d["finding_info"]["title"] for d in findings] == [
        "gpu.memory", "host.clock_sync", "probe zombie", "cordon planned",
        "bundle complete", "reset reason gpu_xid_79", "bundle incomplete",
    ]  # fmt: skip
    for doc in findings:
        model = DetectionFinding.model_validate(doc)
        assert model.metadata.version == "1.5.0"
        assert model.type_uid == model.class_uid * 100 + model.activity_id
    inventory = [d for d in docs if d["class_uid"] == 5001]
    assert [(d["type_uid"], d["device"]["name"]) for d in inventory] == [
        (500102, "gpu-01"),
        (500102, "gpu-01"),
    ]


def test_syslog_lines_parse_back_into_the_message_schema() -> None:
    msgs = [parse_syslog(line) for line in lines(cases.all_envelopes(), "syslog")]
    warn = msgs[1]
    assert warn.pri == 16 * 8 + 4 and warn.msgid == "finding"
    assert warn.msg == 'say "hi"#012next line ü ✓ #033[31m] \\ end token=***'
    assert msgs[0].structured_data["diagctl@32473"]["entity"] == "GPU-abc"


def test_hostile_text_survives_every_json_format_unchanged_but_redacted() -> None:
    want = cases.HOSTILE + " token=***"
    for fmt, path in [("ecs", ("message",)), ("ocsf", ("message",)), ("hec", ("event", "message"))]:
        doc = json.loads(list(lines([cases.health()], fmt))[1])
        for key in path:
            doc = doc[key]
        assert doc == want, fmt


def test_event_ids_are_deterministic_and_distinct() -> None:
    first = [e.id for env in cases.all_envelopes() for e in project(env)]
    again = [e.id for env in cases.all_envelopes() for e in project(env)]
    assert first == again and len(set(first)) == len(first) == 9
    moved = cases.health().model_copy(update={"collected_at": "2026-03-01T10:05:00Z"})
    assert not {e.id for e in project(moved)} & set(first)


def test_pass_and_not_applicable_findings_are_not_events() -> None:
    assert [(e.type, e.check_id) for e in project(cases.health())] == [
        ("finding", "gpu.memory"), ("finding", "host.clock_sync"), ("host_run", ""),
    ]  # fmt: skip


def test_a_malformed_line_is_skipped_and_counted_the_rest_exported() -> None:
    stdin = cases.jsonl() + b"{broken\n" + b'{"who": "x"}\n'
    out = export("ecs", stdin)
    assert out.returncode == 1
    assert len(out.stdout.splitlines()) == 10
    assert out.stderr.decode() == (
        "diagctl: export: skipped 2 of 9 inputs (first: <stdin>:8: not JSON (Expecting "
        "property name enclosed in double quotes: line 1 column 2 (char 1)))\n"
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (["--send", "tcp://127.0.0.1:1"], "--send: format ecs is written to stdout only"),
        (["--drain"], "--drain needs --send"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    out = export("ecs", b"", *args)
    assert out.returncode == 2 and message in out.stderr.decode()
    assert len(out.stderr.splitlines()) == 1
