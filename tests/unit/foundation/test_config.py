"""Defaults from config files, DIAGCTL_* variables and flags (last wins), like ansible.cfg;
a bad file or variable is one line naming it and the key, exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import diag.config
import diag.health
from diag.cli import cli
from diag.config import KEYS

SYS, USER, ENV, FLAG = "sys", "user", "env", "flag"


class Captured(Exception):
    pass


@pytest.fixture
def layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No named config; the system file at tmp/etc, the user file under tmp/xdg."""
    monkeypatch.delenv("DIAGCTL_CONFIG")
    monkeypatch.setattr(diag.config, "SYSTEM_FILE", tmp_path / "etc" / "config.yaml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "etc").mkdir()
    (tmp_path / "xdg" / "diagctl").mkdir(parents=True)
    return tmp_path


def _health(args: list[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Any:
    """Run `diagctl health ...` in-process up to the library call; return what it was given."""
    seen: dict[str, Any] = {}

    def targets(local: bool, replay: Path | None, fleet: Any, opts: Any) -> Any:
        seen["fleet"] = fleet
        raise Captured

    def options_for(policy: Path | None, *rest: Any) -> Any:
        seen["policy"], seen["host_class"] = policy, rest[3]
        return None

    monkeypatch.setattr(diag.health, "health_targets", targets)
    monkeypatch.setattr(diag.health, "options_for", options_for)
    res = CliRunner().invoke(cli, ["--debug", "health", *args], env=env)
    assert isinstance(res.exception, Captured), res.output
    return seen


# forks set in the system file, the user file, DIAGCTL_FORKS and -f: the last layer present wins.
@pytest.mark.parametrize(
    "present,wanted",
    [
        ((), 64),
        ((SYS,), 8),
        ((USER,), 16),
        ((SYS, USER), 16),
        ((SYS, USER, ENV), 32),
        ((SYS, ENV), 32),
        ((SYS, USER, ENV, FLAG), 48),
        ((SYS, FLAG), 48),
        ((USER, FLAG), 48),
    ],
)
def test_forks_precedence(
    layers: Path, monkeypatch: pytest.MonkeyPatch, present: tuple[str, ...], wanted: int
) -> None:
    if SYS in present:
        (layers / "etc" / "config.yaml").write_text("forks: 8\n")
    if USER in present:
        (layers / "xdg" / "diagctl" / "config.yaml").write_text("forks: 16\n")
    env = {"DIAGCTL_FORKS": "32"} if ENV in present else {}
    flag = ["-f", "48"] if FLAG in present else []
    seen = _health(["-H", "h1", *flag], monkeypatch, env)
    assert seen["fleet"].forks == wanted


@pytest.mark.parametrize(
    "key,file_value,env_value,flag,flag_value,attr,expected_flag",
    [
        ("user", "ops", "admin", "--user", "root", "user", "root"),
        ("transport", "fabric", "asyncssh", "--transport", "fabric", "transport", "fabric"),
        ("connect_timeout", 3.5, "4", "--connect-timeout", "5", "connect_timeout", 5.0),
        ("known_hosts", "kh", "/e/kh", "--known-hosts", "/f/kh", "known_hosts", Path("/f/kh")),
        ("identity", "/k/id", "/e/id", "--identity", "/f/id", "identity", Path("/f/id")),
    ],
)
def test_each_fleet_key_file_env_flag(
    layers: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    file_value: Any,
    env_value: str,
    flag: str,
    flag_value: str,
    attr: str,
    expected_flag: Any,
) -> None:
    user = layers / "xdg" / "diagctl" / "config.yaml"
    user.write_text(json.dumps({key: file_value}))  # JSON is YAML
    from_file = getattr(_health(["-H", "h"], monkeypatch, {})["fleet"], attr)
    want = file_value if key != "known_hosts" else str(user.parent / "kh")  # relative to the file
    assert str(from_file) == str(want)
    env = {f"DIAGCTL_{key.upper()}": env_value}
    from_env = getattr(_health(["-H", "h"], monkeypatch, env)["fleet"], attr)
    assert str(from_env) == str(float(env_value) if key == "connect_timeout" else env_value)
    from_flag = getattr(_health(["-H", "h", flag, flag_value], monkeypatch, env)["fleet"], attr)
    assert from_flag == expected_flag


def test_policy_and_host_class_and_inventory_from_a_file(
    layers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (layers / "etc" / "config.yaml").write_text(
        "policy: site.yaml\nhost_class: dgx-h100\ninventory: ~/inv.yaml\n"
    )
    monkeypatch.setenv("HOME", str(layers / "home"))
    seen = _health([], monkeypatch, {})
    assert seen["policy"] == layers / "etc" / "site.yaml"
    assert seen["host_class"] == "dgx-h100"
    assert seen["fleet"].inventory == layers / "home" / "inv.yaml"
    flagged = _health(["--policy", "p.yaml", "--host-class", "hgx"], monkeypatch, {})
    assert (flagged["policy"], flagged["host_class"]) == (Path("p.yaml"), "hgx")


@pytest.mark.parametrize("args", [["-H", "h1"], ["--local"]])
def test_a_configured_inventory_yields_to_other_hosts(
    layers: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    (layers / "etc" / "config.yaml").write_text("inventory: /srv/inv.yaml\n")
    assert _health(args, monkeypatch, {})["fleet"].inventory is None
    assert _health(["-i", "x.yaml"], monkeypatch, {})["fleet"].inventory == Path("x.yaml")


def test_named_config_replaces_the_standard_files_and_env_still_wins(
    layers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (layers / "etc" / "config.yaml").write_text("forks: 8\nuser: sys\n")
    named = layers / "named.yaml"
    named.write_text("forks: 24\n")
    seen = _health(["-H", "h", "--config", str(named)], monkeypatch, {})
    assert (seen["fleet"].forks, seen["fleet"].user) == (24, "")
    seen = _health(["-H", "h"], monkeypatch, {"DIAGCTL_CONFIG": str(named)})
    assert seen["fleet"].forks == 24
    seen = _health(["-H", "h"], monkeypatch, {"DIAGCTL_CONFIG": str(named), "DIAGCTL_FORKS": "9"})
    assert seen["fleet"].forks == 9


def test_probe_state_and_audit_paths(layers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (layers / "etc" / "config.yaml").write_text("probe_state: s.json\nprobe_audit: /a.jsonl\n")
    from diag.cli.config import default_map

    eff = diag.config.effective(None)
    dm = default_map(cli, eff.layered())
    assert dm["probe"]["run"] == {"state": str(layers / "etc" / "s.json"), "audit": "/a.jsonl"}
    assert "state" not in dm.get("health", {})


def test_config_show_names_every_source(layers: Path) -> None:
    (layers / "etc" / "config.yaml").write_text("forks: 8\nuser: ops\n")
    (layers / "xdg" / "diagctl" / "config.yaml").write_text("forks: 16\n")
    res = CliRunner().invoke(
        cli, ["config", "show"], env={"DIAGCTL_USER": "root", "XDG_STATE_HOME": "/st"}
    )
    assert res.exit_code == 0, res.output
    sys_f, user_f = layers / "etc" / "config.yaml", layers / "xdg" / "diagctl" / "config.yaml"
    assert res.output.splitlines() == [
        "inventory        -                              default",
        "known_hosts      ~/.ssh/known_hosts             default",
        "identity         -                              default",
        "user             root                           env DIAGCTL_USER",
        "policy           -                              default",
        "host_class       -                              default",
        f"forks            16                             {user_f}",
        "transport        asyncssh                       default",
        "connect_timeout  10.0                           default",
        "probe_state      /st/diagctl/probe-state.json   default",
        "probe_audit      /st/diagctl/probe-audit.jsonl  default",
        "registry         /st/diagctl/registry.db        default",
        f"# {sys_f}: read",
        f"# {user_f}: read",
    ]
    doc = json.loads(CliRunner().invoke(cli, ["config", "show", "--json"]).output)
    assert doc["settings"]["forks"] == {"value": 16, "source": str(user_f)}
    assert doc["settings"]["user"] == {"value": "ops", "source": str(sys_f)}
    assert sorted(doc["settings"]) == sorted(KEYS)


@pytest.mark.parametrize(
    "text,message",
    [
        ("colour: red\n", "colour: unknown key (known: " + ", ".join(KEYS) + ")"),
        ('forks: "8"\n', "forks: Input should be a valid integer"),
        ("forks: 0\n", "forks: Input should be greater than or equal to 1"),
        ("connect_timeout: .nan\n", "connect_timeout: Input should be a finite number"),
        ("transport: ssh\n", "transport: Input should be 'asyncssh' or 'fabric'"),
        ("user: ''\n", "user: String should have at least 1 character"),
        ("- forks\n", "expected a mapping of settings (key: value)"),
        ("forks: 1\nforks: 2\n", "not valid YAML: found duplicate key 'forks' (line 2, column 1)"),
    ],
)
def test_bad_config_file_is_one_line_exit_2(layers: Path, text: str, message: str) -> None:
    path = layers / "xdg" / "diagctl" / "config.yaml"
    path.write_text(text)
    res = CliRunner().invoke(cli, ["health", "--local"])
    assert res.exit_code == 2
    assert res.output == f"Error: config {path}: {message}\n"


@pytest.mark.parametrize(
    "var,value,message",
    [
        (
            "DIAGCTL_FORKS",
            "many",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        ("DIAGCTL_CONNECT_TIMEOUT", "nan", "Input should be a finite number"),
        ("DIAGCTL_TRANSPORT", "ssh", "Input should be 'asyncssh' or 'fabric'"),
    ],
)
def test_bad_variable_is_one_line_exit_2(layers: Path, var: str, value: str, message: str) -> None:
    res = CliRunner().invoke(cli, ["health", "--local"], env={var: value})
    assert (res.exit_code, res.output) == (2, f"Error: environment {var}: {message}\n")


def test_named_config_that_does_not_exist(layers: Path) -> None:
    res = CliRunner().invoke(cli, ["--config", str(layers / "nope.yaml"), "config", "show"])
    assert (res.exit_code, res.output) == (
        2,
        f"Error: config {layers / 'nope.yaml'}: no such file\n",
    )


def test_empty_file_sets_nothing(layers: Path) -> None:
    (layers / "etc" / "config.yaml").write_text("# nothing yet\n")
    assert diag.config.effective(None).layered() == {}


def test_keys_are_the_schema_fields_and_defaults_are_the_options_defaults() -> None:
    from schemas.config import ConfigFile

    assert tuple(ConfigFile.model_fields) == KEYS
    health = cli.commands["health"]
    params = {p.name: p.default for p in health.params}
    defaults = diag.config.builtin_defaults({"XDG_STATE_HOME": "/st"})
    for key in ("forks", "transport", "connect_timeout"):
        assert defaults[key] == params[key], key
    from probes.app import state_dir

    assert defaults["probe_state"] == str(state_dir({"XDG_STATE_HOME": "/st"}) / "probe-state.json")


def test_an_empty_environment_does_not_import_the_schema() -> None:
    import subprocess
    import sys

    code = (
        "import sys, diag.config as c; c.read_env({}); "
        "print('schemas.config' in sys.modules, 'pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False False\n"
