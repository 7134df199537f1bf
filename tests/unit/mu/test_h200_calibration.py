"""The calibration recorded on a real H200 (bench/device/h200.sh, `ONLY=mu`): `diagctl mu
calibrate` swept tests/device/gpu_openai_server.py serving an 8B-shaped Llama with random weights
(bf16, transformers eager, one request at a time) on the GPU, 24 requests with prompts of
514-16,386 tokens and outputs of 8-128 tokens. The file is kept as the tool wrote it; these
tests pin what it says and that every command still reads it."""

from __future__ import annotations

import json
from pathlib import Path

from lifecycle.accounting.calibration import load

HERE = Path(__file__).resolve().parents[2] / "fixtures" / "mu" / "h200"


def test_the_h200_calibration_loads_and_says_what_was_measured() -> None:
    cal = load(HERE / "calibration.yaml")
    assert cal.reference == "h200"
    (pair,) = cal.pairs
    assert (pair.model, pair.hardware) == ("llama-8b-random", "h200")
    # Prefill: ~29,000 prompt tokens/s; decode: ~14.6 tokens/s. The engine is transformers'
    # eager loop (one forward per token, Python between kernels), so decode is dominated by
    # per-step overhead: a_out / a_in ~ 2,000x, far outside the 2-10x of tuned engines, and
    # `mu calibrate` warned so (docs/model-units.md, "Calibrated on an H200").
    assert round(1 / pair.a_in) == 29008
    assert round(1 / pair.a_out, 1) == 14.6
    assert pair.a_cached == pair.a_in / 10
    prov = pair.provenance.model_dump()
    assert (prov["method"], prov["points"], prov["r2_prefill"], prov["r2_decode"]) == (
        "sweep",
        24,
        0.995,
        0.9691,
    )
    assert prov["sweep"] == {
        "prompt_tokens": [514, 2050, 8194, 16386],
        "output_tokens": [8, 48, 128],
    }


def test_the_decay_check_run_against_it_on_the_h200_passed() -> None:
    env = json.loads((HERE / "decay.jsonl").read_text().splitlines()[0])
    (finding,) = env["findings"]
    assert (finding["check_id"], finding["status"]) == ("mu.capacity_decay", "pass")
    assert finding["observed"] == {"measured_mu_per_s": 1.011557, "ratio": 1.0116}
