"""Manifests from purchase orders: CSV and YAML, and every bad input as one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.manifest import ManifestError, load_manifest
from schemas.lifecycle import Manifest, ManifestEntry

HEADER = "serial,name,host_class,gpu_count,gpu_model,driver,vbios\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_rows_with_empty_cells_not_compared(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "po.csv",
        HEADER + "SN1,gpu-a-01,h100,8,NVIDIA H100 80GB HBM3,550.54.15,\n SN2 ,,,,,,96.00.99\n",
    )
    assert load_manifest(p) == Manifest(
        assets=[
            ManifestEntry(
                serial="SN1",
                name="gpu-a-01",
                host_class="h100",
                gpu_count=8,
                gpu_model="NVIDIA H100 80GB HBM3",
                driver="550.54.15",
            ),
            ManifestEntry(serial="SN2", vbios="96.00.99"),
        ]
    )


def test_csv_columns_in_any_order_and_a_subset(tmp_path: Path) -> None:
    p = write(tmp_path, "po.csv", "gpu_count,serial\n4,SN9\n")
    assert load_manifest(p).assets == [ManifestEntry(serial="SN9", gpu_count=4)]


def test_yaml(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "po.yaml",
        "purchase_order: PO-117\nassets:\n"
        "  - {serial: SN1, name: a, gpu_count: 8}\n  - {serial: SN2}\n",
    )
    assert load_manifest(p) == Manifest(
        purchase_order="PO-117",
        assets=[ManifestEntry(serial="SN1", name="a", gpu_count=8), ManifestEntry(serial="SN2")],
    )


def test_gpu_serials_csv_cell_and_yaml_list(tmp_path: Path) -> None:
    csv_p = write(tmp_path, "po.csv", "serial,gpu_serials,name\nSN1, G1 ; G2 ,a\nSN2,,b\n")
    yaml_p = write(tmp_path, "po.yaml", "assets:\n  - {serial: SN1, gpu_serials: [G1, G2]}\n")
    assert load_manifest(csv_p).assets == [
        ManifestEntry(serial="SN1", name="a", gpu_serials=["G1", "G2"]),
        ManifestEntry(serial="SN2", name="b"),
    ]
    assert load_manifest(yaml_p).assets == [ManifestEntry(serial="SN1", gpu_serials=["G1", "G2"])]


@pytest.mark.parametrize(
    "name,text,message",
    [
        (
            "po.csv",
            "serial,colour\nSN1,red\n",
            "unknown column(s) 'colour'; known: serial, name, host_class, gpu_count, gpu_model, "
            "driver, vbios, gpu_serials",
        ),
        (
            "po.csv",
            "",
            "empty; expected a header row (serial,name,host_class,gpu_count,"
            "gpu_model,driver,vbios,gpu_serials)",
        ),
        (
            "po.csv",
            HEADER + "SN1,a,,,,,\nSN2,b,,,,,\nSN1,c,,,,,\n",
            "row 3: duplicate serial 'SN1' (first at row 1)",
        ),
        ("po.csv", HEADER + ",a,,,,,\n", "row 1: serial: String should have at least 1 character"),
        (
            "po.csv",
            HEADER + "SN1,a,,eight,,,\n",
            "row 1: gpu_count: Input should be a valid integer, "
            "unable to parse string as an integer",
        ),
        (
            "po.csv",
            HEADER + "SN1,a,,-1,,,\n",
            "row 1: gpu_count: Input should be greater than or equal to 0",
        ),
        ("po.csv", "serial\nSN1,extra\n", "line 2: more cells than columns"),
        (
            "po.yaml",
            "assets:\n  - {serial: SN1, colour: red}\n",
            "entry 1: colour: Extra inputs are not permitted",
        ),
        (
            "po.yaml",
            "assets:\n  - {serial: SN1}\n  - {serial: SN1}\n",
            "entry 2: duplicate serial 'SN1' (first at entry 1)",
        ),
        ("po.yaml", "po: 1\nassets: []\n", "po: Extra inputs are not permitted"),
        (
            "po.csv",
            "serial,gpu_serials\nSN1,G1;G2\nSN2,G3;G1\n",
            "row 2: gpu_serials: duplicate GPU serial 'G1' (first at row 1)",
        ),
        (
            "po.csv",
            "serial,gpu_serials\nSN1,G1;G1\n",
            "row 1: gpu_serials: duplicate GPU serial 'G1' (first at row 1)",
        ),
        (
            "po.csv",
            "serial,gpu_serials\nSN1,G1;;G2\n",
            "row 1: gpu_serials.1: String should have at least 1 character",
        ),
        (
            "po.yaml",
            "assets:\n  - {serial: SN1, gpu_serials: [G1]}\n  - {serial: SN2, gpu_serials: [G1]}\n",
            "entry 2: gpu_serials: duplicate GPU serial 'G1' (first at entry 1)",
        ),
        (
            "po.yaml",
            "assets:\n  - {serial: SN1, gpu_serials: G1}\n",
            "entry 1: gpu_serials: Input should be a valid list",
        ),
        ("po.yaml", "assets: {serial: SN1}\n", "`assets` must be a list of mappings"),
        ("po.yaml", "- SN1\n", "expected a mapping with an `assets` list"),
    ],
)
def test_bad_manifests_are_one_line_naming_file_row_and_field(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    p = write(tmp_path, name, text)
    with pytest.raises(ManifestError) as err:
        load_manifest(p)
    assert (
        str(err.value) == f"manifest {p}: {message}" or str(err.value) == f"manifest {p} {message}"
    )
    assert err.value.exit_code == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(Exception) as err:
        load_manifest(tmp_path / "nope.csv")
    assert "nope.csv" in str(err.value) and err.value.exit_code == 2  # type: ignore[attr-defined]
