"""`mu report` over the fixture usage files: whole envelopes pinned in golden files, and the
same numbers whatever the input format or the chunk size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli import cli
from diag.errors import UsageError
from tests.unit.mu.report_support import FIXTURES, check_golden, report


def test_jsonl_openai_usage_objects(request: pytest.FixtureRequest) -> None:
    """Nested usage objects, a duplicate id, an unpriced pair, mixed zones, and every kind of
    bad row: the whole envelope."""
    got = report(FIXTURES / "requests.jsonl", by=("tenant", "model"), bucket="1h")
    check_golden(request, "requests_tenant_model_1h", got)
    d = got["data"]
    assert (d["rows_read"], d["rows_counted"], d["duplicates"]) == (11, 5, 1)
    assert d["rejected"] == {
        "bad_json": 1,
        "cached_exceeds_prompt": 1,
        "missing_tokens": 1,
        "naive_timestamp": 1,
        "negative_tokens": 1,
    }


def test_reservations_and_unknown_tenants(request: pytest.FixtureRequest) -> None:
    got = report(FIXTURES / "requests.csv", reservations=True, naive_tz="Europe/Paris")
    check_golden(request, "requests_csv_reservations", got)


def test_csv_parquet_and_jsonl_agree(tmp_path: Path) -> None:
    import pandas as pd

    parquet = tmp_path / "requests.parquet"
    pd.read_csv(FIXTURES / "requests.csv", dtype={"request_id": str}).to_parquet(parquet)
    from_csv = report(FIXTURES / "requests.csv", by=("tenant", "node"))
    from_parquet = report(parquet, by=("tenant", "node"))
    from_jsonl = report(FIXTURES / "requests.jsonl", by=("tenant", "node"))
    assert from_csv["data"]["groups"] == from_parquet["data"]["groups"]
    # the JSONL file has one more bad row (not JSON) and the same good ones
    assert from_jsonl["data"]["groups"] == from_csv["data"]["groups"]


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 1000])
def test_chunk_size_changes_nothing(chunk_rows: int) -> None:
    """Duplicates across chunk boundaries still count once; sums are the same."""
    whole = report(FIXTURES / "requests.jsonl", by=("tenant",), bucket="1h")
    chunked = report(
        FIXTURES / "requests.jsonl", by=("tenant",), bucket="1h", chunk_rows=chunk_rows
    )
    assert chunked["data"] == whole["data"]


def test_duplicate_across_files_counts_once() -> None:
    got = report(FIXTURES / "requests.csv", FIXTURES / "requests.csv")
    assert got["data"]["duplicates"] == 1 + 6  # r2 twice in the file, then its 6 valid rows again
    assert got["data"]["groups"] == report(FIXTURES / "requests.csv")["data"]["groups"]


def test_litellm_spend_logs(request: pytest.FixtureRequest) -> None:
    got = report(FIXTURES / "litellm_spend.csv", by=("tenant", "node"), default_hardware="h100")
    check_golden(request, "litellm_spend", got)


def test_vllm_counter_deltas_with_a_reset(request: pytest.FixtureRequest) -> None:
    got = report(FIXTURES / "vllm_counters.csv", by=("node",))
    check_golden(request, "vllm_counters", got)
    groups = {g["keys"]["node"]: g for g in got["data"]["groups"]}
    assert (groups["gpu-1"]["input_tokens"], groups["gpu-1"]["output_tokens"]) == (2500, 550)
    assert groups["gpu-1"]["requests"] == 4  # 5-2, then a reset to 1
    assert got["data"]["rejected"] == {"counter_baseline": 2}


@pytest.mark.parametrize(
    "stamp,naive_tz,utc",
    [
        ("2026-12-01T10:00:00Z", None, "2026-12-01T10:00:00Z"),
        ("2026-12-01T12:00:00+02:00", None, "2026-12-01T10:00:00Z"),
        ("2026-12-01T05:00:00-0500", None, "2026-12-01T10:00:00Z"),
        ("2026-12-01T11:00:00", "Europe/Paris", "2026-12-01T10:00:00Z"),
        ("2026-12-01T10:00:00", "UTC", "2026-12-01T10:00:00Z"),
        ("2026-12-01T10:00:00", None, None),  # naive: rejected
        ("2026-03-29T02:30:00", "Europe/Paris", None),  # does not exist in Paris
        ("2026-10-25T02:30:00", "Europe/Paris", None),  # exists twice in Paris
        ("yesterday", None, None),
    ],
)
def test_timestamp_rule(tmp_path: Path, stamp: str, naive_tz: str | None, utc: str | None) -> None:
    f = tmp_path / "u.jsonl"
    f.write_text(
        json.dumps(
            {
                "request_id": "a",
                "timestamp": stamp,
                "tenant": "t",
                "model": "llama-8b",
                "node": "n",
                "hardware": "h100",
                "usage": {"prompt_tokens": 1, "completion_tokens": 1},
            }
        )
        + "\n"
    )
    got = report(f, bucket="1h", naive_tz=naive_tz)["data"]
    assert [g["bucket"] for g in got["groups"]] == ([utc] if utc else [])
    assert got["window_start"] == utc


@pytest.mark.parametrize(
    "prompt,cached,output,reason",
    [
        (10, 10, 0, None),
        (10, 11, 0, "cached_exceeds_prompt"),
        (0, 0, 0, None),
        (-1, 0, 0, "negative_tokens"),
        (1, 0, -1, "negative_tokens"),
        (1.5, 0, 1, "bad_tokens"),
        ("ten", 0, 1, "bad_tokens"),
        (None, 0, 1, "missing_tokens"),
    ],
)
def test_token_count_table(
    tmp_path: Path, prompt: object, cached: object, output: object, reason: str | None
) -> None:
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": output,
        "prompt_tokens_details": {"cached_tokens": cached},
    }
    f = tmp_path / "u.jsonl"
    f.write_text(
        json.dumps(
            {
                "request_id": "a",
                "timestamp": "2026-12-01T10:00:00Z",
                "tenant": "t",
                "model": "llama-8b",
                "node": "n",
                "hardware": "h100",
                "usage": usage,
            }
        )
        + "\n"
    )
    got = report(f)["data"]
    assert got["rejected"] == ({reason: 1} if reason else {})
    assert got["rows_counted"] == (0 if reason else 1)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--by", "tenant,colour"], "--by colour: unknown key (use tenant, model, node, hardware)"),
        (["--bucket", "1M"], "--bucket '1M': not a fixed duration such as 15min, 1h, 1d"),
        (["--bucket", "soon"], "--bucket 'soon': not a fixed duration such as 15min, 1h, 1d"),
        (["--naive-tz", "Mars/Olympus"], None),
    ],
)
def test_bad_options_are_one_line_exit_2(args: list[str], message: str | None) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "mu",
            "report",
            "--usage",
            str(FIXTURES / "requests.jsonl"),
            "--calibration",
            str(FIXTURES / "calibration.yaml"),
            *args,
        ],
    )
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1
    if message:
        assert lines[0] == f"Error: {message}"
    else:
        assert lines[0].startswith("Error: --naive-tz 'Mars/Olympus': not a time zone")


def test_unknown_usage_format_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "usage.xlsx"
    bad.write_text("x")
    with pytest.raises(UsageError) as exc:
        report(bad)
    assert str(exc.value) == f"usage {bad}: unknown format '.xlsx' (use .jsonl, .csv, .parquet)"


def test_cli_json_is_one_envelope_and_human_is_a_table() -> None:
    base = [
        "mu",
        "report",
        "--usage",
        str(FIXTURES / "requests.jsonl"),
        "--calibration",
        str(FIXTURES / "calibration.yaml"),
        "--by",
        "tenant",
    ]
    res = CliRunner().invoke(cli, [*base, "--json"])
    assert res.exit_code == 0, res.output
    (line,) = res.stdout.splitlines()
    env = json.loads(line)
    assert (env["kind"], env["status"], env["ok"]) == ("mu.report", "warn", False)
    human = CliRunner().invoke(cli, [*base, "--human"])
    assert human.stdout.splitlines()[1:5] == [
        "tenant   requests  input  cached  output  MU     unpriced  util  headroom",
        "acme     2         6000   400     300     0.989  0         0.0%  1.26e+04",
        "globex   2         2300   0       550     4      1         -     -",
        "initech  1         100    0       20      0.02   0         0.0%  1.26e+04",
    ]


def test_hostile_cell_is_escaped_on_the_terminal(tmp_path: Path) -> None:
    f = tmp_path / "u.jsonl"
    f.write_text(
        json.dumps(
            {
                "request_id": "a",
                "timestamp": "2026-12-01T10:00:00Z",
                "tenant": "evil\x1b[2J",
                "model": "llama-8b",
                "node": "n",
                "hardware": "h100",
                "usage": {"prompt_tokens": 1, "completion_tokens": 1},
            }
        )
        + "\n"
    )
    res = CliRunner().invoke(
        cli,
        [
            "mu",
            "report",
            "--usage",
            str(f),
            "--calibration",
            str(FIXTURES / "calibration.yaml"),
            "--human",
        ],
    )
    assert "\x1b" not in res.stdout
    assert "evil\\x1b[2J" in res.stdout


@pytest.mark.parametrize("chunk_rows", [1, 2, 1000])
def test_the_first_row_read_of_a_duplicate_id_counts(tmp_path: Path, chunk_rows: int) -> None:
    f = tmp_path / "u.jsonl"
    rows = [("b", 7), ("a", 1), ("b", 2), ("a", 3), ("c", 5), ("a", 4)]
    f.write_text(
        "".join(
            json.dumps(
                {
                    "request_id": rid,
                    "timestamp": "2026-12-01T10:00:00Z",
                    "tenant": "t",
                    "model": "llama-8b",
                    "node": "n",
                    "hardware": "h100",
                    "usage": {"prompt_tokens": p, "completion_tokens": 0},
                }
            )
            + "\n"
            for rid, p in rows
        )
    )
    got = report(f, chunk_rows=chunk_rows)["data"]
    assert (got["duplicates"], got["groups"][0]["input_tokens"]) == (3, 7 + 1 + 5)
