"""The targets file is validated at load: one line naming the file, the entry and the field,
exit 2, never the secret; a target that still fails at run time is that target's result."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from diag.errors import UsageError as ProbeUsageError
from probes.app import load_targets
from probes.client import probe
from schemas.probe import ProbeTarget, check_url

PW = "S3cr3tPw"
AT = "has '@' or '#' after the host: percent-encode '/', '?', '#' and '@' in a user name or " \
     "password (%2F %3F %23 %40); no #fragment"  # fmt: skip
V6 = "IPv6 host must be a valid address in brackets, e.g. http://[::1]:8000"
PORT = "port must be a number from 1 to 65535"


@pytest.mark.parametrize(
    "url,error",
    [
        ("http://h", None),
        ("https://h.example.com:1/base", None),
        ("HTTP://h:65535", None),
        ("http://h:", None),  # empty port: the scheme's default
        ("http://[::1]:8000", None),
        (f"http://admin:{PW}@10.0.0.7:8000", None),
        (f"http://admin:{PW}%23x@h", None),  # an encoded '#' is fine
        (f"http://admin:p@{PW}@h", None),  # '@' in a password: the last '@' ends it
        ("http://h:0", PORT),
        ("http://h:65536", PORT),
        ("http://h:99999", PORT),
        ("http://h:8o", PORT),
        ("http://[::1", V6),
        ("http://[::1]8000", V6),
        ("http://[10.0.0.1]:80", V6),
        ("http://::1:8000", "IPv6 host must be in brackets, e.g. http://[::1]:8000"),
        (f"http://admin:{PW}#x@h", AT),
        (f"http://admin:{PW}/x@h", AT),
        (f"http://admin:{PW}?x@h", AT),
        ("http://h/#frag", AT),
        ("http://", "has no valid host name"),
        (f"http://u:{PW}@", "has no valid host name"),
        ("http://h..x", "has no valid host name"),
        ("ftp://h", "must start with http:// or https://"),
        ("h:8000", "must start with http:// or https://"),
        ("http://h :1", "has a space, control or non-ASCII character (percent-encode it)"),
        (
            "http://h\r\nX-Injected: 1",
            "has a space, control or non-ASCII character (percent-encode it)",
        ),
        ("http://hé", "has a space, control or non-ASCII character (percent-encode it)"),
    ],
)
def test_url_boundaries(url: str, error: str | None) -> None:
    if error is None:
        assert check_url(url) == url
        return
    with pytest.raises(ValueError) as info:
        check_url(url)
    assert str(info.value) == error
    assert PW not in str(info.value)


def _load(tmp_path: Path, doc: object | str) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    with pytest.raises(ProbeUsageError) as info:
        load_targets(path)
    assert info.value.exit_code == 2
    msg = info.value.message
    assert "\n" not in msg and PW not in msg and "tok-" not in msg
    return msg.removeprefix(f"{path}: ")


def _t(**kw: object) -> dict[str, object]:
    return {"name": "a", "url": "http://h:1", "model": "m", "node": "n1", **kw}


@pytest.mark.parametrize(
    "url",
    ["http://[::1", f"http://u:{PW}@h:99999", f"http://admin:{PW}#x@h",
     f"http://admin:{PW}/x@h", f"http://admin:{PW}?x@h"],
)  # fmt: skip
def test_bad_url_names_target_and_field_without_secret(tmp_path: Path, url: str) -> None:
    msg = _load(tmp_path, {"targets": [_t(), _t(name="b", url=url)]})
    assert msg.startswith("targets[1] 'b': url: ")


@pytest.mark.parametrize(
    "doc,message",
    [
        ({"targets": [_t(adress="x")]}, "targets[0] 'a': adress: Extra inputs are not permitted"),
        ({"targets": [_t(group="gpu")]},
         "targets[0] 'a': group: 'gpu' is not listed under groups (listed: none)"),
        ({"targets": [_t(group="gpuu")], "groups": {"gpu": {}}},
         "targets[0] 'a': group: 'gpuu' is not listed under groups (listed: gpu)"),
        ({"targets": [_t(), _t(node="n2")]}, "targets[1] 'a': name: duplicate of targets[0]"),
        ({"targets": [_t(model=["m"])]}, "targets[0] 'a': model: Input should be a valid string"),
        ({"targets": [_t(node=["n1", "n2"])]},
         "targets[0] 'a': node: must be one node name (a string), not list"),
        ({"targets": [_t(min_tokens=9, max_tokens=8)]},
         "targets[0] 'a': min_tokens 9 > max_tokens 8: never healthy"),
        ({"targets": [_t(metrics_url="http://h:99999/metrics")]},
         f"targets[0] 'a': metrics_url: {PORT}"),
        ({"targets": [_t()], "groups": {"default": {"deadline_s": float("nan")}}},
         "groups.default.deadline_s: Input should be a finite number"),
        ({"targets": [_t()], "groups": {"default": {"ttft_budget_ms": float("inf")}}},
         "groups.default.ttft_budget_ms: Input should be a finite number"),
        ({"targets": [_t()], "groups": {"default": {"window_s": float("inf")}}},
         "groups.default.window_s: Input should be a finite number"),
        ({"targets": [_t()], "groups": {"default": {"deadline_s": -1}}},
         "groups.default.deadline_s: Input should be greater than 0"),
        ({"targets": [_t()], "groups": {"default": {"max_cordon_count": -1}}},
         "groups.default.max_cordon_count: Input should be greater than or equal to 0"),
        ({"targets": [_t()], "groups": {"default": {"deadline_s": 2, "connect_timeout_s": 3}}},
         "groups.default: connect_timeout_s: 3 is beyond deadline_s 2: "
         "the deadline always ends the probe first"),
        ({"targets": [_t()], "groups": {"default": {"deadline_s": 2, "ttft_budget_ms": 2001}}},
         "groups.default: ttft_budget_ms: 2001 is beyond deadline_s 2: "
         "the deadline always ends the probe first"),
        ({"targets": [_t()], "groups": {"default": {"deadline_s": 2, "itl_budget_ms": 5000}}},
         "groups.default: itl_budget_ms: 5000 is beyond deadline_s 2: "
         "the deadline always ends the probe first"),
        ({"targets": [_t()], "groups": {"g": {"colour": 1}}},
         "groups.g.colour: Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_strict_targets_file(tmp_path: Path, doc: dict[str, object], message: str) -> None:
    assert _load(tmp_path, doc) == message


@pytest.mark.parametrize(
    "deadline,budget,ok", [(2, 2000, True), (2, 2000.5, False), (0.5, None, True)]
)
def test_budget_at_the_deadline_boundary(deadline: float, budget: float | None, ok: bool) -> None:
    from pydantic import ValidationError

    from schemas.probe import GroupConfig

    kw = {"deadline_s": deadline} | ({"ttft_budget_ms": budget} if budget else {})
    if ok:  # a default budget beyond a short deadline is inert, not an error
        GroupConfig.model_validate(kw)
    else:
        with pytest.raises(ValidationError):
            GroupConfig.model_validate(kw)


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = "targets:\n  - name: a\n    url: http://h:1\n    model: m\n    url: http://x:2\n" \
           "    node: n1\n"  # fmt: skip
    assert _load(tmp_path, text) == ("not valid YAML: found duplicate key 'url' (line 5, column 5)")


def test_yaml_error_does_not_quote_the_line(tmp_path: Path) -> None:
    text = f"targets:\n  - name: a\n    url: http://u:{PW}@h:1 : [\n"
    msg = _load(tmp_path, text)
    assert msg.startswith("not valid YAML: ") and "line 3" in msg


@pytest.mark.parametrize(
    "data,message",
    [
        (b"targets: []\n\xff\xfe", "not UTF-8 text (byte offset 12)"),
        (b"targets:\x00\n", "binary file (NUL byte at offset 8)"),
        (bytes(range(256)), "binary file (NUL byte at offset 0)"),
        (bytes(range(1, 256)), "not UTF-8 text (byte offset 127)"),
    ],
    ids=["utf8", "nul", "all-bytes", "no-nul"],
)
def test_binary_targets_file(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(data)
    with pytest.raises(ProbeUsageError) as info:
        load_targets(path)
    assert info.value.message == f"targets {path}: {message}"


def test_run_time_failure_is_the_targets_result() -> None:
    """A host name the IDNA codec refuses (a 64-character label) raised UnicodeError out of
    the round; now it is this probe's error and the others still run."""
    t = ProbeTarget(name="a", url=f"http://u:{PW}@{'x' * 64}.invalid:1", model="m", node="n")
    out = asyncio.run(probe(t, 2.0, 1.0))
    assert not out.connected
    assert out.timings.error.startswith("probe failed: UnicodeError: ")
    assert PW not in out.timings.error
