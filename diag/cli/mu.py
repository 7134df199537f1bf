"""`diagctl mu calibrate|report|sql|decay`: Model-Unit accounting (docs/model-units.md).

pandas, numpy, duckdb and jinja2 are imported inside the command bodies: `diagctl --help` and
the other tools never pay for them, and a missing `mu` extra is one line naming it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from diag.cli.options import CliError, examples, format_options, guarded, wants_human

MISSING = "diagctl mu needs the optional mu extra: pip install 'diagctl[mu]' ({why})"


def need_extra() -> None:
    try:
        import jinja2  # noqa: F401
        import numpy  # noqa: F401
        import pandas  # noqa: F401
    except ImportError as exc:
        raise CliError(MISSING.format(why=exc)) from None


def emit_json(doc: str) -> None:
    click.echo(doc)


@click.group(
    epilog=examples(
        "diagctl mu report --usage requests.jsonl --calibration mu.yaml --by tenant,model",
        "diagctl mu calibrate --url http://10.0.0.7:8000 --model llama-8b --hardware h100 "
        "--out mu.yaml",
        "diagctl mu sql --dialect trino --calibration mu.yaml --table usage",
        "diagctl mu decay --url http://10.0.0.7:8000 --model llama-8b --hardware h100 "
        "--node gpu-7 --calibration mu.yaml",
    )
)
def mu() -> None:
    """Model Units: calibrate prefill/decode cost, account usage, capacity, headroom, decay."""


BY_HELP = "Group by these keys (comma list of tenant, model, node, hardware)."


@mu.command(
    "report",
    epilog=examples(
        "diagctl mu report --usage requests.jsonl --calibration mu.yaml",
        "diagctl mu report --usage a.parquet --usage b.csv --calibration mu.yaml "
        "--by tenant,model --bucket 1h --reservations tenants.yaml --human",
        "diagctl mu report --usage spend.csv --calibration mu.yaml --naive-tz Europe/Paris "
        "--default-hardware h100",
    ),
)
@click.option(
    "--usage",
    "usage",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Usage file: .jsonl, .csv or .parquet (repeatable).",
)
@click.option(
    "--calibration",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Calibration file (YAML or JSON).",
)
@click.option("--by", default="tenant", show_default=True, help=BY_HELP)
@click.option("--bucket", default=None, help="Time bucket, e.g. 15min, 1h, 1d [default: none].")
@click.option(
    "--reservations",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Per-tenant reserved MU/s (YAML): over-reservation and unknown-tenant findings.",
)
@click.option(
    "--naive-tz",
    default=None,
    help="Zone of timestamps written without one [default: such rows are rejected].",
)
@click.option("--default-hardware", default="", help="Hardware of rows that name none.")
@click.option(
    "--spike-factor",
    default=3.0,
    show_default=True,
    type=click.FloatRange(min=1.0),
    help="A bucket over this many times its series' median is a spike.",
)
@click.option(
    "--chunk-rows",
    default=500_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows read at a time (bounds memory).",
)
@format_options
@guarded
def mu_report(
    usage: tuple[Path, ...],
    calibration: Path,
    by: str,
    bucket: str | None,
    reservations: Path | None,
    naive_tz: str | None,
    default_hardware: str,
    spike_factor: float,
    chunk_rows: int,
    human: bool | None,
) -> None:
    """Price request logs in Model Units and aggregate them by keys and time bucket."""
    need_extra()
    from diag.cli.mu_render import report_table
    from diag.exitcodes import exit_code
    from lifecycle.accounting import calibration as cal_file
    from lifecycle.accounting.report import ReportOptions, run
    from lifecycle.accounting.reservations import load_reservations
    from lifecycle.accounting.usage import IngestOptions

    cal = cal_file.load(calibration)
    opts = ReportOptions(
        usage=usage,
        calibration_name=str(calibration),
        by=tuple(k.strip() for k in by.split(",") if k.strip()),
        bucket=bucket,
        ingest=IngestOptions(
            naive_tz=naive_tz, default_hardware=default_hardware, chunk_rows=chunk_rows
        ),
        reservations=load_reservations(reservations) if reservations else None,
        spike_factor=spike_factor,
    )
    env = run(cal, opts)
    if wants_human(human):
        click.echo(report_table(env))
    else:
        emit_json(env.model_dump_json())
    sys.exit(int(exit_code([env])))


def _int_list(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        items = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise CliError(f"{param.opts[-1]} {value!r}: a comma list of integers") from None
    if any(i < 1 for i in items):
        raise CliError(f"{param.opts[-1]} {value!r}: every length must be >= 1")
    return items


@mu.command(
    "calibrate",
    epilog=examples(
        "diagctl mu calibrate --url http://10.0.0.7:8000 --model llama-8b --hardware h100 "
        "--out mu.yaml",
        "diagctl mu calibrate --vllm-bench result.json --model llama-8b --hardware h200 "
        "--scale 1.6 --out mu.yaml",
        "diagctl mu calibrate --csv timings.csv --model llama-8b --hardware a100 --out mu.yaml",
    ),
)
@click.option("--url", help="OpenAI-compatible endpoint to sweep (base URL).")
@click.option(
    "--vllm-bench",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Import `vllm bench serve --save-result --save-detailed` JSON instead.",
)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Import prompt_tokens,output_tokens,ttft_ms,e2e_ms rows instead.",
)
@click.option("--model", required=True, help="Model name as usage logs spell it.")
@click.option("--hardware", required=True, help="Hardware name as usage logs spell it.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Calibration file to write (.yaml or .json); other pairs in it are kept.",
)
@click.option(
    "--reference", default="", help="Reference GPU name [default: kept, else --hardware]."
)
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Reference GPUs this hardware is worth (1: it is the reference).",
)
@click.option(
    "--prompt-words",
    default="16,64,256",
    show_default=True,
    callback=_int_list,
    help="Prompt lengths of the sweep, in words.",
)
@click.option(
    "--output-tokens",
    default="8,32,96",
    show_default=True,
    callback=_int_list,
    help="Output lengths of the sweep (max_tokens).",
)
@click.option("--repeat", default=2, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--ignore-eos", is_flag=True, help="Send ignore_eos (vLLM, SGLang) for exact lengths."
)
@click.option("--api-key-env", default="", help="Env var holding the endpoint's bearer token.")
@click.option(
    "--cached-ratio",
    default=0.1,
    show_default=True,
    type=click.FloatRange(min=0),
    help="a_cached as a fraction of a_in (prefix-cache hits are not measured).",
)
@click.option(
    "--min-r2",
    default=0.8,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Refuse a fit whose prefill or decode R² is lower.",
)
@guarded
def mu_calibrate(
    url: str | None,
    vllm_bench: Path | None,
    csv_file: Path | None,
    model: str,
    hardware: str,
    out: Path,
    reference: str,
    scale: float,
    prompt_words: tuple[int, ...],
    output_tokens: tuple[int, ...],
    repeat: int,
    ignore_eos: bool,
    api_key_env: str,
    cached_ratio: float,
    min_r2: float,
) -> None:
    """Fit a_in / a_out for a model × hardware pair and write them with their provenance."""
    need_extra()
    from lifecycle.accounting.calibrate import CalibrateRequest, calibrate

    given = [n for n, v in (("--url", url), ("--vllm-bench", vllm_bench), ("--csv", csv_file)) if v]
    if len(given) != 1:
        raise CliError("give exactly one of --url, --vllm-bench, --csv")
    req = CalibrateRequest(
        url=url,
        vllm_bench=vllm_bench,
        csv=csv_file,
        model=model,
        hardware=hardware,
        out=out,
        reference=reference,
        scale=scale,
        prompt_words=prompt_words,
        output_tokens=output_tokens,
        repeat=repeat,
        ignore_eos=ignore_eos,
        api_key_env=api_key_env,
        cached_ratio=cached_ratio,
        r2_min=min_r2,
    )
    pair, warnings = calibrate(req, progress=lambda m: click.echo(f"diagctl: {m}", err=True))
    from diag.cli.options import one_line_error

    for w in warnings:
        click.echo(one_line_error(f"warning: {w}"), err=True)
    click.echo(
        one_line_error(
            f"{out}: {pair.model} × {pair.hardware}: a_in {pair.a_in:.4g}, "
            f"a_out {pair.a_out:.4g} MU/token (R² prefill "
            f"{pair.provenance.r2_prefill}, decode {pair.provenance.r2_decode})"
        )
    )


@mu.command(
    "decay",
    epilog=examples(
        "diagctl mu decay --url http://10.0.0.7:8000 --model llama-8b --hardware h100 "
        "--node gpu-7 --calibration mu.yaml",
        "diagctl mu decay --probes probe-results.jsonl --hardware h100 --calibration mu.yaml "
        "--threshold 0.7 --human",
    ),
)
@click.option(
    "--calibration",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Calibration file (YAML or JSON).",
)
@click.option("--url", help="Endpoint to time with a short sweep (needs --model and --node).")
@click.option(
    "--probes",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="JSONL of probe.result envelopes (decode timings) instead of a sweep.",
)
@click.option("--model", default="", help="Model served at --url.")
@click.option("--node", default="", help="Node name of --url.")
@click.option("--hardware", required=True, help="Hardware of the node(s).")
@click.option(
    "--threshold",
    default=0.8,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Below this fraction of calibrated MU/s: warn.",
)
@click.option(
    "--prompt-words",
    default="32,128",
    show_default=True,
    callback=_int_list,
    help="Prompt lengths of the --url sweep, in words.",
)
@click.option(
    "--output-tokens",
    default="16,64",
    show_default=True,
    callback=_int_list,
    help="Output lengths of the --url sweep.",
)
@click.option("--repeat", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--api-key-env", default="", help="Env var holding the endpoint's bearer token.")
@format_options
@guarded
def mu_decay(
    calibration: Path,
    url: str | None,
    probes: Path | None,
    model: str,
    node: str,
    hardware: str,
    threshold: float,
    prompt_words: tuple[int, ...],
    output_tokens: tuple[int, ...],
    repeat: int,
    api_key_env: str,
    human: bool | None,
) -> None:
    """Compare the MU/s a node delivers now with its calibration (gray-failure signal)."""
    need_extra()
    from diag.cli.mu_render import decay_table
    from diag.exitcodes import PROBE_POLICY, exit_code
    from lifecycle.accounting import calibration as cal_file
    from lifecycle.accounting.decay import judge, probe_points

    if (url is None) == (probes is None):
        raise CliError("give exactly one of --url, --probes")
    if url is not None and not (model and node):
        raise CliError("--url needs --model and --node")
    cal = cal_file.load(calibration)
    pairs = cal_file.pair_index(cal)
    if url is not None:
        from lifecycle.accounting.sweep import SweepSpec, run_sweep

        spec = SweepSpec(
            url=url.rstrip("/"),
            model=model,
            prompt_words=prompt_words,
            output_tokens=output_tokens,
            repeat=repeat,
            api_key_env=api_key_env,
        )
        series = {(node, model): run_sweep(spec)}
    else:
        assert probes is not None
        series, skipped = probe_points(probes)
        if skipped:
            click.echo(
                f"diagctl: {probes}: {skipped} lines were not usable probe results", err=True
            )
    envs = [
        judge(n, m, hardware, pairs.get((m, hardware)), pts, str(calibration), threshold)
        for (n, m), pts in sorted(series.items())
    ]
    if not envs:
        raise CliError(f"{probes}: no probe.result envelope with two or more tokens")
    if wants_human(human):
        click.echo(decay_table(envs))
    else:
        for env in envs:
            emit_json(env.model_dump_json())
    sys.exit(int(exit_code(envs, policy=PROBE_POLICY)))


@mu.command(
    "sql",
    epilog=examples(
        "diagctl mu sql --dialect duckdb --calibration mu.yaml --table usage --by tenant,model",
        "diagctl mu sql --dialect spark --calibration mu.yaml --table lake.llm.usage --bucket 1h",
        "diagctl mu sql --dialect trino --calibration mu.yaml --table hive.llm.usage "
        "--by tenant --bucket 1d",
    ),
)
@click.option("--dialect", required=True, type=click.Choice(["duckdb", "spark", "trino"]))
@click.option(
    "--calibration",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Calibration file (YAML or JSON): inlined as a VALUES table.",
)
@click.option(
    "--table", default="usage", show_default=True, help="The usage table ([catalog.][schema.]name)."
)
@click.option("--by", default="tenant", show_default=True, help=BY_HELP)
@click.option("--bucket", default=None, help="Time bucket, e.g. 15min, 1h, 1d [default: none].")
@guarded
def mu_sql(dialect: str, calibration: Path, table: str, by: str, bucket: str | None) -> None:
    """Print `mu report`'s aggregation as SQL for a warehouse (DuckDB, Spark, Trino)."""
    need_extra()
    from lifecycle.accounting import calibration as cal_file
    from lifecycle.accounting.report import bucket_seconds
    from lifecycle.accounting.sqlgen import render

    cal = cal_file.load(calibration)
    keys = tuple(k.strip() for k in by.split(",") if k.strip())
    secs = int(bucket_seconds(bucket)) if bucket else 0
    click.echo(render(cal, dialect, table, keys, secs, str(calibration)), nl=False)  # type: ignore[arg-type]
