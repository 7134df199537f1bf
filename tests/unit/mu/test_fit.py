"""The least-squares fit, its rejection rules, the importers and `mu calibrate` from files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli import cli
from lifecycle.accounting import calibration
from lifecycle.accounting.fit import FitError, Point, fit
from lifecycle.accounting.model import Usage, ratio_warning, request_mu
from schemas.mu import ContextFactor, Pair

A_IN, A_OUT, OVERHEAD = 0.0002, 0.001, 0.05


def _points(noise: float = 0.0, a_out: float = A_OUT) -> list[Point]:
    pts = []
    for i, (p, o) in enumerate((p, o) for p in (100, 400, 1600) for o in (8, 32, 128)):
        wobble = noise if i % 2 else 0.0
        ttft = OVERHEAD + A_IN * p + wobble
        pts.append(Point(p, o, ttft, ttft + a_out * (o - 1)))
    return pts


def test_exact_points_recover_the_coefficients() -> None:
    f = fit(_points())
    assert (round(f.a_in, 9), round(f.a_out, 9), round(f.overhead_s, 9)) == (A_IN, A_OUT, OVERHEAD)
    assert (f.r2_prefill, f.r2_decode, f.points) == (1.0, 1.0, 9)


def test_poor_fit_is_refused() -> None:
    with pytest.raises(FitError) as exc:
        fit(_points(noise=2.0))
    assert str(exc.value) == (
        "fit: prefill R² = 0.001 below 0.8: timings do not follow token counts "
        "(busy endpoint? too short a sweep?)"
    )
    assert fit(_points(noise=2.0), r2_min=0.0).r2_decode == 1.0  # the threshold is the gate


def test_negative_coefficient_is_refused() -> None:
    pts = [Point(p, o, 1.0 - p / 1000, 2.0 - p / 1000) for p in (100, 200, 300) for o in (2, 9)]
    with pytest.raises(FitError) as exc:
        fit(pts, r2_min=0)
    assert str(exc.value) == "fit: a_in = -0.001 s/token is negative: the sweep is noise"


def test_one_length_cannot_be_fitted() -> None:
    with pytest.raises(FitError) as exc:
        fit([Point(100, o, 0.1, 0.2 + o) for o in (1, 2, 3)])
    assert str(exc.value) == (
        "fit: 3 usable measurements; need at least 2 different prompt and "
        "2 different output lengths"
    )


@pytest.mark.parametrize(
    "a_out,warned",
    [(1.99, True), (2.0, False), (10.0, False), (10.01, True), (0.5, True)],
)
def test_output_input_ratio_boundaries(a_out: float, warned: bool) -> None:
    pair = Pair(model="m", hardware="h", a_in=1.0, a_cached=0.1, a_out=a_out)
    assert bool(ratio_warning(pair)) is warned


@pytest.mark.parametrize(
    "prompt,mu",
    [
        (1000, (800 * 0.001 + 200 * 0.0001 + 10 * 0.004)),
        (1001, (801 * 0.001 + 200 * 0.0001 + 10 * 0.004) * 2),
    ],
)
def test_context_factor_applies_strictly_above_the_threshold(prompt: int, mu: float) -> None:
    pair = Pair(
        model="m",
        hardware="h",
        a_in=0.001,
        a_cached=0.0001,
        a_out=0.004,
        context=ContextFactor(threshold_tokens=1000, factor=2.0),
    )
    assert request_mu(pair, Usage(prompt, 200, 10)) == pytest.approx(mu, rel=1e-12)


def _cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(
        cli,
        [
            "mu",
            "calibrate",
            "--model",
            "llama-8b",
            "--hardware",
            "h200",
            "--out",
            str(tmp_path / "mu.yaml"),
            *args,
        ],
    )
    return res.exit_code, res.stdout, res.stderr


def test_calibrate_from_vllm_bench_json(tmp_path: Path) -> None:
    pts = _points()
    doc = {
        "backend": "vllm",
        "model_id": "meta-llama/Llama-3.1-8B",
        "input_lens": [p.prompt_tokens for p in pts],
        "output_lens": [p.output_tokens for p in pts],
        "ttfts": [p.ttft_s for p in pts],
        "itls": [
            [(p.e2e_s - p.ttft_s) / (p.output_tokens - 1)] * (p.output_tokens - 1) for p in pts
        ],
        "errors": [""] * len(pts),
    }
    src = tmp_path / "bench.json"
    src.write_text(json.dumps(doc))
    rc, out, err = _cli(tmp_path, "--vllm-bench", str(src), "--scale", "2")
    assert (rc, err) == (0, "")
    assert out == (
        f"{tmp_path}/mu.yaml: llama-8b × h200: a_in 0.0004, a_out 0.002 MU/token "
        "(R² prefill 1.0, decode 1.0)\n"
    )
    cal = calibration.load(tmp_path / "mu.yaml")
    (pair,) = cal.pairs
    assert (cal.reference, pair.capacity_mu_per_s) == ("h200", 2.0)
    assert (round(pair.a_in, 9), round(pair.a_cached, 10), round(pair.a_out, 9)) == (
        0.0004,
        0.00004,
        0.002,
    )
    prov = pair.provenance.model_dump()
    assert {k: prov[k] for k in ("method", "engine", "source", "points", "sweep", "notes")} == {
        "method": "vllm-bench",
        "engine": "vllm",
        "source": str(src),
        "points": 9,
        "sweep": {},
        "notes": ["a_cached = 0.1 × a_in (assumed: prefix-cache hits not measured)"],
    }


def test_calibrate_from_csv_and_ratio_warning(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    rows = ["prompt_tokens,output_tokens,ttft_ms,e2e_ms"]
    rows += [
        f"{p.prompt_tokens},{p.output_tokens},{p.ttft_s * 1000},{p.e2e_s * 1000}"
        for p in _points(a_out=0.01)
    ]
    src.write_text("\n".join(rows) + "\n")
    rc, out, err = _cli(tmp_path, "--csv", str(src))
    assert rc == 0
    assert err == (
        "warning: llama-8b × h200: a_out/a_in = 50, outside the publicly seen 2-10x; "
        "check the sweep\n"
    )
    assert out.startswith(f"{tmp_path}/mu.yaml: llama-8b × h200: a_in 0.0002, a_out 0.01 MU/token")
    assert calibration.load(tmp_path / "mu.yaml").pairs[0].provenance.method == "csv"


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "prompt_tokens,output_tokens,ttft_ms\n1,2,3\n",
            "columns must be prompt_tokens,output_tokens,ttft_ms,e2e_ms; missing e2e_ms",
        ),
        (
            "prompt_tokens,output_tokens,ttft_ms,e2e_ms,gpu\n",
            "columns must be prompt_tokens,output_tokens,ttft_ms,e2e_ms; unknown gpu",
        ),
        ("prompt_tokens,output_tokens,ttft_ms,e2e_ms\n1,x,3,4\n", "line 2: not a number"),
        ("prompt_tokens,output_tokens,ttft_ms,e2e_ms\n1,2,-3,4\n", "line 2: negative value"),
    ],
)
def test_bad_measurements_csv(tmp_path: Path, text: str, message: str) -> None:
    src = tmp_path / "t.csv"
    src.write_text(text)
    rc, out, err = _cli(tmp_path, "--csv", str(src))
    assert (rc, out, err) == (2, "", f"Error: measurements {src}: {message}\n")
    assert not (tmp_path / "mu.yaml").exists()


def test_exactly_one_source(tmp_path: Path) -> None:
    rc, _, err = _cli(tmp_path)
    assert (rc, err) == (2, "Error: give exactly one of --url, --vllm-bench, --csv\n")


def test_out_directory_checked_before_measuring(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "mu",
            "calibrate",
            "--model",
            "m",
            "--hardware",
            "h",
            "--out",
            str(tmp_path / "no" / "mu.yaml"),
            "--url",
            "http://127.0.0.1:9",
        ],
    )
    assert res.exit_code == 2
    assert res.stderr == (
        f"Error: --out {tmp_path}/no/mu.yaml: directory {tmp_path}/no does not "
        "exist or is not writable\n"
    )
