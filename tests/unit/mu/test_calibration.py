"""The calibration file contract: strict keys, non-negative coefficients, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from diag.cli import cli
from lifecycle.accounting import calibration
from lifecycle.accounting.calibration import CalibrationError
from schemas.mu import CalibrationFile, Pair

FIXTURES = Path(__file__).parents[2] / "fixtures" / "mu"
PAIR = "  - {model: m, hardware: h, a_in: 0.1, a_cached: 0.01, a_out: 0.5%s}\n"
R = "reference: r\npairs:\n  - {model: m, hardware: h, "


def _write(tmp_path: Path, text: str, name: str = "cal.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "body,message",
    [
        (
            "reference: r\npairs:\n" + PAIR % ", colour: red",
            "pairs[0] (m × h): colour: unknown key",
        ),
        (
            "reference: r\npairs:\n" + PAIR % ", provenance: {who: a, why: b}",
            "pairs[0] (m × h): provenance.why: unknown key",
        ),
        ("reference: r\nextra: 1\npairs:\n" + PAIR % "", "extra: unknown key"),
        (
            R + "a_in: -0.1, a_cached: 0, a_out: 1}\n",
            "pairs[0] (m × h): a_in: Input should be greater than or equal to 0 (got -0.1)",
        ),
        (
            R + "a_in: 0, a_cached: -1e-9, a_out: 1}\n",
            "pairs[0] (m × h): a_cached: Input should be greater than or equal to 0 (got '-1e-9')",
        ),
        (
            R + "a_in: 0, a_cached: 0, a_out: .nan}\n",
            "pairs[0] (m × h): a_out: Input should be a finite number (got nan)",
        ),
        (
            "reference: r\npairs:\n" + PAIR % ", capacity_mu_per_s: 0",
            "pairs[0] (m × h): capacity_mu_per_s: Input should be greater than 0 (got 0)",
        ),
        (
            "reference: r\npairs:\n" + PAIR % ", context: {threshold_tokens: 10, factor: 0.9}",
            "pairs[0] (m × h): context.factor: "
            "Input should be greater than or equal to 1 (got 0.9)",
        ),
        (
            R + "a_in: 0, a_out: 1}\n",
            "pairs[0] (m × h): a_cached: Field required",
        ),
        (
            "reference: r\npairs:\n" + PAIR % "" + PAIR % "",
            "document: Value error, pairs[1] repeats m × h of pairs[0]",
        ),
        (
            "reference: r\npairs: []\n",
            "pairs: List should have at least 1 item after validation, not 0",
        ),
        ("- 1\n", "expected a mapping with reference and pairs"),
    ],
)
def test_bad_calibration_is_one_line_naming_file_pair_field(
    tmp_path: Path, body: str, message: str
) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(CalibrationError) as exc:
        calibration.load(path)
    assert str(exc.value) == f"calibration {path}: {message}"
    res = CliRunner().invoke(
        cli,
        ["mu", "report", "--usage", str(FIXTURES / "requests.jsonl"), "--calibration", str(path)],
    )
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr == f"Error: calibration {path}: {message}\n"


@pytest.mark.parametrize("coef,ok", [(0.0, True), (1e-12, True), (-1e-12, False)])
def test_coefficient_boundary(coef: float, ok: bool) -> None:
    raw = {
        "reference": "r",
        "pairs": [{"model": "m", "hardware": "h", "a_in": coef, "a_cached": coef, "a_out": coef}],
    }
    if ok:
        assert calibration.parse(raw, "x").pairs[0].a_in == coef
    else:
        with pytest.raises(CalibrationError):
            calibration.parse(raw, "x")


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "reference: r\nreference: s\npairs: []\n")
    with pytest.raises(Exception) as exc:
        calibration.load(path)
    assert str(exc.value) == (
        f"calibration {path}: not valid YAML: found duplicate key 'reference' (line 2, column 1)"
    )


@pytest.mark.parametrize("name", ["cal.yaml", "cal.json"])
def test_save_then_load_round_trips(tmp_path: Path, name: str) -> None:
    cal = calibration.load(FIXTURES / "calibration.yaml")
    calibration.save(tmp_path / name, cal)
    assert calibration.load(tmp_path / name) == cal


def test_merge_replaces_the_same_pair_and_keeps_others() -> None:
    old = calibration.load(FIXTURES / "calibration.yaml")
    new = CalibrationFile(
        reference="x", pairs=[Pair(model="llama-8b", hardware="h100", a_in=1, a_cached=0, a_out=2)]
    )
    got = calibration.merged(old, new)
    assert [(p.model, p.hardware, p.a_in) for p in got.pairs] == [
        ("llama-70b", "h100", 0.001),
        ("llama-8b", "h100", 1.0),
    ]
    assert got.reference == "x"
