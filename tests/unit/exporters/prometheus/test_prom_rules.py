"""The shipped alerting rules and Grafana dashboard: promtool checks and unit-tests the rules,
and every metric either file queries is one the exporter writes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from exporters.prometheus.metrics import CATALOGUE, exposed_names
from tests.support.components import require_binaries

DEPLOY = Path(__file__).parents[4] / "deploy"
RULES = DEPLOY / "prometheus" / "diagctl-rules.yml"
RULES_TEST = DEPLOY / "prometheus" / "diagctl-rules.test.yml"
DASHBOARD = DEPLOY / "grafana" / "diagctl-dashboard.json"
METRIC = re.compile(r"\bdiagctl_[a-z0-9_]+")
EXPORTED = {n for name in CATALOGUE for n in exposed_names(name)}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    require_binaries("promtool", why="apt-get install prometheus (promtool checks the rules)")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip


def test_promtool_check_rules() -> None:
    res = promtool("check", "rules", str(RULES))
    assert res.returncode == 0, res.stderr
    assert "SUCCESS: 13 rules found" in res.stdout


def test_promtool_test_rules() -> None:
    res = promtool("test", "rules", str(RULES_TEST))
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip().endswith("SUCCESS")


def rule_exprs() -> list[str]:
    doc = yaml.safe_load(RULES.read_text())
    return [r["expr"] for g in doc["groups"] for r in g["rules"]]


def dashboard_exprs() -> list[str]:
    doc = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in doc["panels"] for t in p["targets"]]


@pytest.mark.parametrize("source", [rule_exprs, dashboard_exprs], ids=["rules", "dashboard"])
def test_queries_name_only_exported_metrics(source) -> None:  # type: ignore[no-untyped-def]
    exprs = source()
    assert exprs
    for expr in exprs:
        names = set(METRIC.findall(expr))
        assert names and names <= EXPORTED, (expr, names - EXPORTED)


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    """promtool has no query linter; a rule file built from the panels' queries checks them."""
    rules = {"groups": [{"name": "dash", "rules": [
        {"record": f"diagctl:dashboard_panel_{i}", "expr": e}
        for i, e in enumerate(dashboard_exprs())]}]}  # fmt: skip
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    res = promtool("check", "rules", str(path))
    assert res.returncode == 0, res.stdout + res.stderr
