"""Scheduler safety: one node name is one node, the blast-radius breaker at its boundaries,
and text from an endpoint never runs in a hook's shell."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from diag.errors import UsageError as ProbeUsageError
from probes.app import load_targets
from probes.backends import Outcome
from probes.backends.command import CommandBackend, expand, quote_script, script_index
from probes.backends.kube import KubeBackend
from probes.backends.slurm import SlurmBackend
from probes.plan import cordon_limit, decide, guard
from schemas.probe import (
    ActionKind,
    ActionResult,
    GroupConfig,
    NodeState,
    ProbeTarget,
    StateFile,
    TargetsFile,
    Verdict,
    node_name_problem,
)

HOSTLIST = "looks like a Slurm hostlist ('[', ']' or ','): one target, one node"


@pytest.mark.parametrize(
    ("node", "problem"),
    [
        ("gpu-node-1", ""),
        ("rtn2", ""),
        ("a.b_c-9", ""),
        ("_x", ""),
        ("n" * 253, ""),
        ("rtn[2-4]", f"'rtn[2-4]' is not one node name: {HOSTLIST}"),
        ("gpu[001-512]", f"'gpu[001-512]' is not one node name: {HOSTLIST}"),
        ("a,b", f"'a,b' is not one node name: {HOSTLIST}"),
        ("rtn]", f"'rtn]' is not one node name: {HOSTLIST}"),
        ("a b", "'a b' is not one node name: contains whitespace"),
        ("n1\n", "'n1\\n' is not one node name: contains whitespace"),
        ("\tn1", "'\\tn1' is not one node name: contains whitespace"),
        ("-n1", "'-n1' is not one node name: starts with '-'"),
        ("--help", "'--help' is not one node name: starts with '-'"),
        ("n1;touch", "'n1;touch' is not one node name: has characters outside A-Z a-z 0-9 . _ -"),
        ("$(id)", "'$(id)' is not one node name: has characters outside A-Z a-z 0-9 . _ -"),
        ("n*", "'n*' is not one node name: has characters outside A-Z a-z 0-9 . _ -"),
        ("n" * 254, f"{'n' * 60!r} is not one node name: is longer than 253 characters"),
        ("", "must not be empty"),
        (["a", "b"], "must be one node name (a string), not list"),
        (7, "must be one node name (a string), not int"),
    ],
)
def test_node_name_problem(node: object, problem: str) -> None:
    assert node_name_problem(node) == problem


def _targets_file(tmp_path: Path, node: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(f"targets:\n  - {{name: ok, url: 'http://h:1', model: m, node: n1}}\n"
                    f"  - {{name: rack, url: 'http://h:2', model: m, node: {node}}}\n")  # fmt: skip
    return path


@pytest.mark.parametrize(
    ("yaml_node", "why"),
    [
        ('"rtn[2-4]"', f"'rtn[2-4]' is not one node name: {HOSTLIST}"),
        ('"a,b"', f"'a,b' is not one node name: {HOSTLIST}"),
        ("[a, b]", "must be one node name (a string), not list"),
        ('"-x"', "'-x' is not one node name: starts with '-'"),
    ],
)
def test_hostlist_node_is_exit_2_naming_file_target_and_field(
    tmp_path: Path, yaml_node: str, why: str
) -> None:
    path = _targets_file(tmp_path, yaml_node)
    with pytest.raises(ProbeUsageError) as err:
        load_targets(path)
    assert err.value.exit_code == 2
    assert err.value.message == f"{path}: targets[1] 'rack': node: {why}"


def test_node_validation_is_in_the_model() -> None:
    with pytest.raises(ValidationError, match="not one node name"):
        ProbeTarget(name="a", url="http://h:1", model="m", node="rtn[2-4]")


def _logging_tool(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "called.log"
    tool = tmp_path / "tool.sh"
    tool.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    tool.chmod(0o755)
    return tool, log


REFUSED = Outcome(ActionResult.FAILED, f"refused: node 'rtn[2-4]' is not one node name: {HOSTLIST}")


def test_every_backend_refuses_a_hostlist_before_building_a_command(tmp_path: Path) -> None:
    tool, log = _logging_tool(tmp_path)

    class NoApi:  # any call into the Kubernetes API would raise AttributeError
        pass

    backends = [SlurmBackend(str(tool)), CommandBackend([str(tool), "{node}"], [str(tool)]),
                KubeBackend(NoApi())]  # fmt: skip
    for b in backends:
        assert b.cordon("rtn[2-4]", "zombie") == REFUSED, b.name
        assert b.uncordon("rtn[2-4]") == REFUSED, b.name
    slurm = SlurmBackend(str(tool))
    assert slurm._update("a,b", ["State=DRAIN"], ours=True).result is ActionResult.FAILED
    assert not log.exists()  # nothing was run, nothing drained


# ---- the blast-radius breaker -------------------------------------------------------------


def fleet(n: int, **group: object) -> TargetsFile:
    rows = [{"name": f"t{i}", "url": f"http://h{i}:1", "model": "m", "node": f"n{i}",
             "group": "g"} for i in range(n)]  # fmt: skip
    return TargetsFile.model_validate(
        {"targets": rows, "groups": {"g": {"fail_threshold": 1, **group}}}
    )


@pytest.mark.parametrize(
    ("held", "wanted", "limit", "tripped"),
    [
        (0, 0, 2, False),
        (0, 1, 2, False),
        (0, 2, 2, False),  # exactly at the limit: allowed (a `>=` here would trip)
        (0, 3, 2, True),
        (1, 1, 2, False),
        (1, 2, 2, True),
        (2, 0, 2, False),  # nothing wanted: never tripped, even when full
        (2, 1, 2, True),
        (3, 1, 2, True),  # over the limit already (limit lowered since)
        (0, 1, 1, False),
        (0, 1, 0, True),  # max_cordon_count 0: no cordon at all
        (4, 5, 9, False),
        (4, 6, 9, True),
    ],
)
def test_breaker_boundaries(held: int, wanted: int, limit: int, tripped: bool) -> None:
    f = fleet(20, max_cordon_fraction=1.0, max_cordon_count=limit)
    st = StateFile(nodes={f"n{i}": NodeState(cordoned_by_us=True) for i in range(held)})
    verdicts = {f"n{i}": Verdict.ZOMBIE for i in range(held, held + wanted)}
    verdicts |= {f"n{i}": Verdict.HEALTHY for i in range(held + wanted, 20)}
    plans = decide(f, st, verdicts, 100.0)
    (g,) = guard(f, st, plans, 100.0)
    assert (g.used, g.wanted, g.limit, g.tripped) == (held, wanted, limit, tripped)
    assert [p.node for p in plans if p.blocked] == (g.nodes if tripped else [])
    assert all(p.action is ActionKind.CORDON for p in plans if p.node in g.nodes)


@pytest.mark.parametrize(
    ("frac", "size", "limit"),
    [
        (0.29, 100, 29),  # 0.29 * 100 = 28.999999999999996 in floating point
        (0.57, 100, 57),  # 56.99999999999999
        (0.3, 10, 3),  # 3.0000000000000004
        (0.7, 10, 7),  # 7.000000000000001
        (0.15, 20, 3),
        (0.1, 19, 1),  # 1.9 rounds down
        (0.1, 9, 1),  # 0.9 rounds to 0: one node may still go
        (0.0, 100, 1),
        (0.5, 1, 1),
        (1.0, 512, 512),
        (0.25, 4, 1),
        (0.26, 4, 1),
        (0.5, 4, 2),
    ],
)
def test_cordon_limit_fraction_rounding(frac: float, size: int, limit: int) -> None:
    assert (
        cordon_limit(GroupConfig(max_cordon_fraction=frac, max_cordon_count=10**6), size) == limit
    )


def test_cordon_limit_count_caps_the_fraction() -> None:
    cfg = GroupConfig(max_cordon_fraction=0.5, max_cordon_count=3)
    assert [cordon_limit(cfg, n) for n in (1, 4, 6, 7, 100)] == [1, 2, 3, 3, 3]


# ---- hook templates: endpoint text never runs ---------------------------------------------

HOSTILE = """diagctl: zombie x1: t: $(touch pwned) `touch pwned2` "dq" 'sq' \\ ; | & > x"""


@pytest.mark.parametrize(
    ("argv", "index"),
    [
        (["/bin/sh", "-c", "x"], 2),
        (["sh", "-ec", "x"], 2),
        (["/usr/bin/env", "bash", "-c", "x", "name"], 3),
        (["sudo", "-n", "/bin/sh", "-c", "x"], 4),
        (["hook", "-c", "{reason}"], -1),  # -c of a program that is not a shell
        (["/bin/sh", "script.sh", "{reason}"], -1),
        (["/bin/sh", "-c"], -1),
    ],
)
def test_script_index(argv: list[str], index: int) -> None:
    assert script_index(argv) == index


def test_plain_argv_fields_stay_inside_their_element() -> None:
    argv = expand(["hook", "--node={node}", "{reason}", "{reason}{node}"], "n1", HOSTILE)
    assert argv == ["hook", "--node=n1", HOSTILE, HOSTILE + "n1"]


@pytest.mark.parametrize(
    "script",
    [
        'printf "%s\\n" "{reason}" > {out}',  # inside double quotes (the reported template)
        "printf '%s\\n' '{reason}' > {out}",  # inside single quotes
        "printf '%s\\n' {reason} > {out}",  # unquoted
        'printf "%s\\n" "$(echo "{reason}")" > {out}',  # nested in $( ) and quotes
        "printf '%s\\n' \"prefix: {reason} :suffix\" > {out}",
    ],
)
def test_shell_template_gets_the_reason_literally(tmp_path: Path, script: str) -> None:
    out = tmp_path / "reason.txt"
    argv = expand(["/bin/sh", "-c", script.replace("{out}", str(out))], "n1", HOSTILE)
    res = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=10, check=False
    )
    assert res.returncode == 0, res.stderr
    want = f"prefix: {HOSTILE} :suffix" if "prefix" in script else HOSTILE
    assert out.read_text() == want + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reason.txt"]  # no pwned, no x


def test_quote_script_examples() -> None:
    f = {"node": "n1", "reason": "a'b\"c$d"}
    assert quote_script('x "{reason}"', f) == 'x "a\'b\\"c\\$d"'
    assert quote_script("x '{reason}'", f) == "x 'a'\\''b\"c$d'"
    assert quote_script("x {reason} {node}", f) == "x 'a'\"'\"'b\"c$d' n1"


def test_command_backend_strips_control_characters_and_limits_length(tmp_path: Path) -> None:
    out = tmp_path / "r.txt"
    b = CommandBackend(["/bin/sh", "-c", f'printf "%s" "{{reason}}" > {out}'], ["true"])
    res = b.cordon("n1", "zombie\x1b]0;pwned\x07\nline2 " + "y" * 300)
    assert res == Outcome(ActionResult.DONE, "/bin/sh exited 0", ours=True)
    text = out.read_text()
    assert text == ("diagctl: zombie ]0;pwned line2 " + "y" * 300)[:120]
