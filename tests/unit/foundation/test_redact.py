"""diag.redact: credential shapes and known literal values, masked wherever they appear."""

from __future__ import annotations

import pytest

from diag import redact


@pytest.mark.parametrize(
    "url,shown",
    [
        ("http://h:8000", "http://h:8000"),
        ("http://u:pw@h:8000/x", "http://***@h:8000/x"),
        ("https://u@h", "https://***@h"),
        ("http://u:p@ss@h", "http://***@h"),  # an unencoded '@': the last one ends the userinfo
        ("http://admin:4321#x@h", "http://***@h"),  # ambiguous: mask more, never less
        ("http://h/?api_key=K1&x=1", "http://h/?api_key=***&x=1"),
        ("http://h/?API-KEY=K1", "http://h/?API-KEY=***"),
        ("http://h/?x=1&Token=T&sig=S&Signature=S2", "http://h/?x=1&Token=***&sig=***&Signature=***"),
        ("http://h/?access_token=A&password=P&secret=S&auth=Q", "http://h/?access_token=***&password=***&secret=***&auth=***"),
        ("http://h/?max_tokens=8&monkey=1", "http://h/?max_tokens=8&monkey=1"),
        ("http://[::1", "http://[::1"),  # not a URL Python parses: still never raises
    ],
)  # fmt: skip
def test_url(url: str, shown: str) -> None:
    assert redact.url(url) == shown


@pytest.mark.parametrize(
    "text,secrets,shown",
    [
        ("invalid key sk-abc123 given", ["sk-abc123"], "invalid key *** given"),
        ("key p%40ss or p@ss", ["p%40ss"], "key *** or ***"),  # raw and decoded forms
        ('{"msg": "bad \\"q\\"uote"}', ['bad "q"uote'], '{"msg": "***"}'),  # JSON-escaped form
        ("abc abc", ["abc"], "abc abc"),  # below MIN_LITERAL: not searched in free text
        ("Authorization: Bearer abcdef123", [], "Authorization: ***"),
        ("got bearer abcdef123 here", [], "got bearer *** here"),
        ("X-Api-Key: k\ncookie: c=1\nContent-Type: text/plain", [],
         "X-Api-Key: ***\ncookie: ***\nContent-Type: text/plain"),
        ("{'api_key': 'zz', 'model': 'm'}", [], "{'api_key': '***', 'model': 'm'}"),
        ('{"token": "zz", "tokens": 3}', [], '{"token": "***", "tokens": 3}'),
        ("GET /x?token=abc&y=2 HTTP/1.1", [], "GET /x?token=***&y=2 HTTP/1.1"),
        ("see http://u:pw@h/ for details", [], "see http://***@h/ for details"),
        ("8 tokens, TTFT 12 ms", [], "8 tokens, TTFT 12 ms"),
    ],
)  # fmt: skip
def test_text(text: str, secrets: list[str], shown: str) -> None:
    assert redact.text(text, secrets) == shown


def test_known_scope_applies_inside_only() -> None:
    with redact.known(["tok-planted-1"]):
        assert redact.text("echo tok-planted-1") == "echo ***"
        with redact.known(["other-2222"]):
            assert redact.text("tok-planted-1 other-2222") == "*** ***"
        assert redact.text("other-2222") == "other-2222"
    assert redact.text("echo tok-planted-1") == "echo tok-planted-1"


def test_url_secrets_include_basic_auth_form() -> None:
    assert redact.url_secrets("http://u:p%40ss@h/?token=TT&x=1") == {
        "p%40ss", "dTpwQHNz", "TT"  # base64("u:p@ss"): what an echoed Authorization shows
    }  # fmt: skip


def test_obj_and_headers() -> None:
    doc = {"api_key": "v", "nested": [{"x": "Bearer abcdefgh"}], "n": 3, "token": {"a": 1}}
    assert redact.obj(doc) == {
        "api_key": "***", "nested": [{"x": "Bearer ***"}], "n": 3, "token": {"a": 1}
    }  # fmt: skip
    assert redact.headers({"Authorization": "x", "Accept": "sk-9999"}, ["sk-9999"]) == {
        "Authorization": "***", "Accept": "***"
    }  # fmt: skip
