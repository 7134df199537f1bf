"""The probe reference (docs/probes.md) stays true: its targets-file reference loads, every
default it shows is the model's default; the crontab line uses only real options."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from schemas.probe import GroupConfig, ProbeTarget, TargetsFile

DOC = Path(__file__).parents[3] / "docs" / "probes.md"
REQUIRED = {"name", "url", "model", "node"}


def reference() -> dict:  # type: ignore[type-arg]
    block = re.search(r"#+ Targets file\n\n```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/probes.md lost the targets file reference"
    return yaml.safe_load(block.group(1))  # type: ignore[no-any-return]


def test_reference_loads_and_shows_the_real_defaults() -> None:
    ref = reference()
    TargetsFile.model_validate(ref)
    target, group = ref["targets"][0], ref["groups"]["gpu"]
    defaults = ProbeTarget.model_fields
    for key, value in target.items():
        if key not in REQUIRED | {"group", "restart_unit", "ssh_host"}:
            assert defaults[key].get_default(call_default_factory=True) == value, key
    assert set(target) == set(defaults), "every target field is documented"
    assert GroupConfig.model_validate(group) == GroupConfig(), "documented group = defaults"
    assert set(group) == set(GroupConfig.model_fields), "every group field is documented"


def test_cron_line_uses_real_options() -> None:
    from click.testing import CliRunner

    from diag.cli import cli

    line = re.search(r"```cron\n.*?\n(\* .*?)\n```", DOC.read_text(), re.S)
    assert line
    opts = set(re.findall(r"\s(--[a-z-]+)", line.group(1)))
    help_text = CliRunner().invoke(cli, ["probe", "run", "--help"]).output
    assert opts and all(o in help_text for o in opts)
