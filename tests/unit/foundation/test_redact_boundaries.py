"""diag.redact boundary tables: whole values, for the edges a mutant would move (the length
floor, empty values, longest-first replacement, non-string values under secret keys)."""

from __future__ import annotations

import base64

import pytest

from diag import redact


@pytest.mark.parametrize(
    ("secret", "want"),
    [
        ("abc", set()),  # under MIN_LITERAL: never searched for in free text
        ("abcd", {"abcd"}),
        ("a b/c", {"a b/c", "a%20b%2Fc", "a+b%2Fc"}),
        ('p"w\\d', {'p"w\\d', "p%22w%5Cd", 'p\\"w\\\\d'}),
        ("p%40ss", {"p%40ss", "p%2540ss", "p@ss"}),
        ("a b", {"a%20b"}),  # only the percent-encoded form is long enough
    ],
)
def test_variants(secret: str, want: set[str]) -> None:
    assert redact.variants(secret) == want


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("http://h/", set()),
        ("http://u@h/", set()),  # a user without a password holds no secret
        ("http://u:@h/", set()),
        ("http://u:p%40ss@h/", {"p%40ss", _b64("u:p@ss")}),
        ("http://u%20x:pw@h/", {"pw", _b64("u x:pw")}),
        ("http://h/?api_key=K&x=1&token=", {"K"}),  # an empty value is nothing to find
        ("http://h/?x=K", set()),
        ("http://u:pw@h/?sig=S", {"pw", _b64("u:pw"), "S"}),
        ("http://u:p@ss@h/", {"p@ss", _b64("u:p@ss")}),  # the last '@' ends the userinfo
        ("http://[::1", set()),  # urlsplit raises ValueError: nothing found, no exception
    ],
)
def test_url_secrets(url: str, want: set[str]) -> None:
    assert redact.url_secrets(url) == want


@pytest.mark.parametrize(
    ("value", "secrets", "want"),
    [
        ("xabcdefx", ["abcd", "abcdef"], "x***x"),  # longest first: no "x***efx"
        ("xabcdefx", ["abcdef", "abcd"], "x***x"),
        ("xabcdefx", ["bcde", "abcdef"], "x***x"),  # by length, not by alphabet
        ("abc abcd", [""], "abc abcd"),  # an empty secret masks nothing
        ("abc abcd", ["abc"], "abc abcd"),  # too short to search for
        ("k=sk-1234 sk-1234", ["sk-1234"], "k=*** ***"),
        ("Authorization: Bearer abcdefgh", [], "Authorization: ***"),
        ("Bearer abcdef and basic  abcdefg", [], "Bearer *** and basic  ***"),
        ("Bearer abcde", [], "Bearer abcde"),  # 5 characters: not a token shape
        ('{"token": "v", "x": "y"}', [], '{"token": "***", "x": "y"}'),
        ("{'password' : 'a\\'b'}", [], "{'password' : '***'}"),
        ("ftp://u:p@h ok", [], "ftp://***@h ok"),
    ],
)
def test_text(value: str, secrets: list[str], want: str) -> None:
    assert redact.text(value, secrets) == want


def test_known_values_apply_inside_the_block_only() -> None:
    with redact.known(["sk-abcd", ""]):
        assert redact.text("echo sk-abcd") == "echo ***"
        with redact.known(["tok-9999"]):
            assert redact.text("sk-abcd tok-9999") == "*** ***"
        assert redact.text("tok-9999") == "tok-9999"
    assert redact.text("echo sk-abcd") == "echo sk-abcd"


def test_headers() -> None:
    got = redact.headers(
        {"Authorization": "Bearer x", "X-Api-Key": "k", "Accept": "sk-abcd", "Empty": ""},
        ["sk-abcd"],
    )
    assert got == {"Authorization": "***", "X-Api-Key": "***", "Accept": "***", "Empty": ""}


def test_obj() -> None:
    value = {
        "token": "t",
        "password": "",  # nothing to hide: kept as it is
        "secret": 42,  # not a string: redacted as a value, i.e. kept
        "api_key": ["k1"],  # a list under a secret key: its strings are redacted by value
        1: "sk-abcd",
        "nested": ({"auth": "a"}, "url http://u:p@h"),
        "n": None,
        "list": ["sk-abcd", 1],
    }
    assert redact.obj(value, ["sk-abcd", "k1xx"]) == {
        "token": "***",
        "password": "",
        "secret": 42,
        "api_key": ["k1"],
        1: "***",
        "nested": [{"auth": "***"}, "url http://***@h"],
        "n": None,
        "list": ["***", 1],
    }
