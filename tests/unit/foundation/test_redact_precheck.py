"""redact._shapes skips a pattern when the value lacks a character the pattern needs. The
skip must never change a result: every case below is compared with running every pattern."""

from __future__ import annotations

import pytest

from diag import redact


def every_pattern(value: str) -> str:
    """The shapes without the pre-checks: what the guarded version must equal."""
    value = redact._USERINFO.sub(lambda m: m.group(1) + redact.MASK + "@", value)
    value = redact._SCHEME_TOKEN.sub(lambda m: m.group(1) + m.group(2) + redact.MASK, value)
    value = redact._PARAM.sub(
        lambda m: (
            f"{m.group(1)}={redact.MASK}" if redact.is_secret_name(m.group(1)) else m.group(0)
        ),
        value,
    )
    value = redact._HEADER.sub(
        lambda m: (
            m.group(1) + m.group(2) + m.group(3) + redact.MASK
            if redact.is_secret_name(m.group(2))
            else m.group(0)
        ),
        value,
    )
    return redact._PAIR.sub(redact._pair, value)


@pytest.mark.parametrize(
    "value,masked",
    [
        ("gpu-node-01", "gpu-node-01"),  # no trigger at all
        ("https://u:p@h/x", "https://***@h/x"),  # '@' and '://'
        ("u:p@h", "u:p@h"),  # '@' without '://': not a URL
        ("https://h/x", "https://h/x"),  # '://' without '@'
        ("Bearer abcdef", "Bearer ***"),
        ("BASIC abcdef", "BASIC ***"),
        ("bearer abcde", "bearer abcde"),  # five characters: too short to be a token
        # upper case only, no 'b' anywhere: the 'B' half of the precheck alone lets it through
        ("BEARER QWXYZ123", "BEARER ***"),
        ("auth BASIC QWXHZGRPNG==", "auth BASIC ***"),
        ("TOKEN QWXYZ123", "TOKEN QWXYZ123"),  # neither 'b' nor 'B': no scheme token
        ("token=x", "token=***"),  # '=' only
        ("name=x", "name=x"),
        ("Authorization: Splunk t", "Authorization: ***"),  # ':' only
        ("status: fine", "status: fine"),
        ('{"api_key": "v"}', '{"api_key": "***"}'),
        ("{'secret':'v'}", "{'secret':'***'}"),
        (
            "x-api-key:v\nkey=1 https://a:b@c Basic QWxhZGRpbg==",
            "x-api-key:***\nkey=*** https://***@c Basic ***",
        ),
        ("ſecret=1", "ſecret=1"),  # U+017F: not 's' for the names list
    ],
)
def test_precheck_changes_nothing(value: str, masked: str) -> None:
    assert redact._shapes(value) == masked
    assert every_pattern(value) == masked
