"""`diagctl export cmdb`: inventory in health envelopes, the per-kind projection, the ServiceNow
IRE / NetBox / CSV payloads (golden files under tests/golden/cmdb, `--regen` rewrites them), and
refusals of bad options before anything is read or sent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from diag.assets import dmi
from diag.cli.main import cli
from exporters.cmdb.assets import PROJECTIONS, assets
from schemas.registry import schema_of
from tests.unit.exporters.cmdb_inputs import H100, fleet, h100_inventory, jsonl

GOLDEN = Path(__file__).parents[2] / "golden" / "cmdb"
CLI = [sys.executable, "-m", "diag.cli"]

H100_INVENTORY = {
    "system_vendor": "Supermicro",
    "product_name": "SYS-821GE-TNHR",
    "product_serial": "S4211234567",
    "product_uuid": "00000000-0000-4000-8000-0000000000aa",
    "board_serial": "",
    "bios_version": "2.1a",
    "driver_version": "580.159.04",
    "cuda_version": "13.0",
    "gpu_backend": "nvml",
    "gpus": [
        {
            "index": 0,
            "uuid": "GPU-00000001-0000-4000-8000-000000000001",
            "serial": "SCRUBBED00001",
            "name": "NVIDIA H100 80GB HBM3",
            "vbios": "96.00.DA.00.0C",
            "bdf": "0000:00:06.0",
        }
    ],
}


def test_inventory_from_recorded_h100_payload() -> None:
    assert h100_inventory() == H100_INVENTORY


def test_health_replay_carries_inventory(tmp_path: Path) -> None:
    """The whole pipeline (`health --replay` of the recorded payload) fills data.inventory."""
    raw = tmp_path / "gpu-node-1" / "raw"
    raw.mkdir(parents=True)
    (raw / "payload.json").write_text(H100.read_text())
    res = subprocess.run(
        [*CLI, "health", "--replay", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    inv = json.loads(res.stdout)["data"]["inventory"]
    # the recording predates the DMI keys: those stay empty, the GPU part is the real one
    empty_dmi = dict.fromkeys(("system_vendor", "product_name", "product_serial"), "")
    empty_dmi |= dict.fromkeys(("product_uuid", "board_serial", "bios_version"), "")
    assert inv == {**H100_INVENTORY, **empty_dmi}


def test_payload_collects_dmi_inventory_keys() -> None:
    """The payload's facts capture names the DMI files the inventory reads."""
    from diag.payload import collector

    doc = json.loads(collector.cap_facts({})["stdout"])
    assert {"sys_vendor", "product_name", "bios_version", "board_serial"} <= set(doc)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("S4211234567", "S4211234567"),
        ("  S42  ", "S42"),
        ("To be filled by O.E.M.", ""),
        ("Default string", ""),
        ("System Serial Number", ""),
        ("Not Specified", ""),
        ("0", ""),
        ("00", "00"),
        ("N/A", ""),
        ("x" * 300, "x" * 256),
    ],
)
def test_dmi_placeholders_are_no_identity(raw: str, kept: str) -> None:
    assert dmi({"product_serial": raw}, "product_serial") == kept


def test_projection_merges_kinds_per_host() -> None:
    recs = {r.name: r.model_dump(mode="json") for r in assets(fleet())}
    assert list(PROJECTIONS) == [
        "health.l1", "lifecycle.phase", "lifecycle.asset", "lifecycle.transition", "mu.capacity",
        "mu.report",
    ]  # fmt: skip
    node = recs["gpu-node-1"]
    assert (node["lifecycle_phase"], node["mu_capacity"], node["serial"]) == (
        "production",
        41.5,
        "S4211234567",
    )
    assert recs["gpu-node-9"] == {
        **{k: "" for k in node if isinstance(node[k], str)},
        "name": "gpu-node-9",
        "health_status": "unreachable",
        "collected_at": "2026-11-30T01:02:03.000Z",
        "cpu_count": 0,
        "mu_capacity": None,
        "gpus": [],
    }


def test_unreachable_run_keeps_known_inventory() -> None:
    good, _, down, *_ = fleet()
    down.host.name = "gpu-node-1"
    (rec,) = assets([good, down])
    assert (rec.health_status, rec.serial, len(rec.gpus)) == ("unreachable", "S4211234567", 1)


def test_wrongly_typed_inventory_is_left_out_not_a_crash() -> None:
    env = fleet()[0]
    env.data["inventory"] = {"gpus": "many"}
    (rec,) = assets([env])
    assert (rec.serial, rec.gpus, rec.os) == ("", [], "Ubuntu 24.04.3 LTS")


@pytest.mark.parametrize(
    ("fmt", "golden", "kind"),
    [
        ("servicenow", "servicenow.jsonl", "cmdb.servicenow"),
        ("netbox", "netbox.jsonl", "cmdb.netbox"),
        ("csv", "assets.csv", None),
    ],
)
def test_golden_payloads(
    fmt: str, golden: str, kind: str | None, request: pytest.FixtureRequest
) -> None:
    res = CliRunner().invoke(cli, ["export", "cmdb", "--format", fmt], input=jsonl(fleet()))
    assert res.exit_code == 0, res.output
    path = GOLDEN / golden
    if request.config.getoption("--regen"):
        path.write_text(res.stdout)
    assert res.stdout == path.read_text(), f"{path} differs (pytest --regen rewrites it)"
    if kind:
        for line in res.stdout.splitlines():
            jsonschema.validate(json.loads(line), schema_of(kind))


def test_csv_defuses_hostile_host_names() -> None:
    res = CliRunner().invoke(cli, ["export", "cmdb", "--format", "csv"], input=jsonl(fleet()))
    row = res.stdout.splitlines()[2]
    assert row.startswith('"\'=HYPERLINK(""http://x"")\\x1b[31m<script>'), row
    assert "\x1b" not in res.stdout


def test_bad_lines_are_skipped_counted_and_the_rest_exported() -> None:
    text = "{broken\n" + jsonl(fleet()[:1])
    res = CliRunner().invoke(cli, ["export", "cmdb", "--format", "servicenow"], input=text)
    assert res.exit_code == 1
    assert json.loads(res.stdout)["items"][0]["values"]["name"] == "gpu-node-1"
    assert res.stderr == (
        "diagctl: export: skipped 1 of 2 inputs (first: <stdin>:1: not JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1)))\n"
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--format", "csv", "--push", "https://cmdb.example"],
            {},
            "--push: csv is a file format; push with --format servicenow or netbox",
        ),
        (
            ["--format", "servicenow", "--push", "ftp://cmdb.example"],
            {},
            "--push 'ftp://cmdb.example': not an http(s) URL",
        ),
        (
            ["--format", "servicenow", "--push", "https://"],
            {},
            "--push 'https://': not an http(s) URL",
        ),
        (
            ["--format", "netbox", "--push", "https://u:pw@nb.example"],
            {},
            "--push: credentials in the URL; use --token-file or $DIAGCTL_CMDB_TOKEN",
        ),
        (
            ["--format", "netbox", "--push", "https://nb.example"],
            {},
            "--push needs a token: --token-file PATH or $DIAGCTL_CMDB_TOKEN",
        ),
        (
            ["--format", "netbox", "--push", "https://nb.example"],
            {"DIAGCTL_CMDB_TOKEN": "  "},
            "--push needs a token: --token-file PATH or $DIAGCTL_CMDB_TOKEN",
        ),
    ],
)
def test_bad_push_options_exit_2_before_reading(
    args: list[str], env: dict[str, str], message: str
) -> None:
    res = CliRunner(env={"DIAGCTL_CMDB_TOKEN": "", **env}).invoke(
        cli, ["export", "cmdb", *args], input="never read"
    )
    assert (res.exit_code, res.stderr) == (2, f"Error: {message}\n")


def test_empty_token_file_is_refused(tmp_path: Path) -> None:
    tok = tmp_path / "tok"
    tok.write_text("\n")
    args = ["export", "cmdb", "--format", "netbox", "--push", "https://nb.example"]
    res = CliRunner().invoke(cli, [*args, "--token-file", str(tok)], input=jsonl(fleet()))
    assert (res.exit_code, res.stderr) == (2, f"Error: --token-file {tok}: empty\n")
