"""`diagctl mu calibrate --url` and `mu decay --url` against the real llama.cpp
OpenAI-compatible server the probe tests start (random-weight tiny model, CPU).

What is real here: the streamed requests through the probe client, the endpoint's own prompt
token counts, /v1/models for the engine, the fit, the file written with its provenance, and the
decay judgement. What is not physics: on a shared 2-core CPU a 64-wide random model's prefill
and decode times are noise, so the sweep's fit may be refused (negative coefficient) as well as
accepted; both outcomes are pinned whole. The real calibration runs on an H200
(docs/model-units.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from probes_support import run_cli

from lifecycle.accounting import calibration

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
SWEEP = ["--prompt-words", "8,40,90", "--output-tokens", "4,24", "--repeat", "2"]
REFUSED = re.compile(r"Error: fit: a_(in|out) = -[0-9.e-]+ s/token is negative: the sweep is noise")


def test_calibrate_sweeps_a_real_server(llama, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = llama()
    out = tmp_path / "mu.yaml"
    res = run_cli(
        "mu",
        "calibrate",
        "--url",
        srv.url,
        "--model",
        "tiny",
        "--hardware",
        "cpu",
        "--out",
        str(out),
        "--min-r2",
        "0",
        *SWEEP,
    )
    if res.returncode == 2:
        assert REFUSED.fullmatch(res.stderr.strip()), res.stderr
        assert not out.exists()
        return
    assert res.returncode == 0, res.stderr
    cal = calibration.load(out)
    (pair,) = cal.pairs
    prov = pair.provenance
    assert (cal.reference, pair.model, pair.hardware, pair.capacity_mu_per_s) == (
        "cpu",
        "tiny",
        "cpu",
        1.0,
    )
    assert min(pair.a_in, pair.a_out) >= 0 and pair.a_cached == pytest.approx(0.1 * pair.a_in)
    # the tiny vocabulary is one character per token: "abc " + "x " * (n - 1), plus BOS
    assert (prov.method, prov.engine, prov.engine_version, prov.endpoint, prov.points) == (
        "sweep",
        "me",
        "",
        srv.url,
        12,
    )
    assert prov.sweep == {"prompt_tokens": [20, 84, 184], "output_tokens": [4, 24]}
    assert re.fullmatch(r"\S+@\S+", prov.who) and prov.when.endswith("Z")
    assert 0 <= (prov.r2_prefill or 0) <= 1 and 0 <= (prov.r2_decode or 0) <= 1
    summary = f"{out}: tiny × cpu: a_in {pair.a_in:.4g}, a_out {pair.a_out:.4g} MU/token"
    assert res.stdout.startswith(summary)


def test_decay_warns_when_a_node_delivers_less_than_calibrated(llama, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A calibration claiming 1000 MU/s for this node: the real one delivers far less."""
    srv = llama()
    cal = tmp_path / "mu.yaml"
    cal.write_text(
        yaml.safe_dump(
            {
                "reference": "cpu",
                "pairs": [
                    {
                        "model": "tiny",
                        "hardware": "cpu",
                        "a_in": 0.0001,
                        "a_cached": 0.00001,
                        "a_out": 0.001,
                        "capacity_mu_per_s": 1000.0,
                    }
                ],
            }
        )
    )
    res = run_cli(
        "mu",
        "decay",
        "--url",
        srv.url,
        "--model",
        "tiny",
        "--node",
        "n1",
        "--hardware",
        "cpu",
        "--calibration",
        str(cal),
        "--prompt-words",
        "8,40",
        "--output-tokens",
        "8",
        "--repeat",
        "1",
        "--json",
    )
    assert res.returncode == 6, res.stderr
    import json

    (env,) = [json.loads(x) for x in res.stdout.splitlines()]
    (node,) = env["data"]["nodes"]
    (f,) = env["findings"]
    assert (env["kind"], env["status"], node["node"], node["samples"]) == (
        "mu.decay",
        "warn",
        "n1",
        2,
    )
    assert node["ratio"] < 0.8 and node["calibrated_mu_per_s"] == 1000.0
    assert f["message"] == (
        f"n1 delivers {node['measured_mu_per_s']:.4g} MU/s, {node['ratio']:.0%} of its "
        "calibrated 1000 MU/s (below 80%: capacity decay)"
    )
