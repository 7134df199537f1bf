"""Keeping credentials out of everything diagctl writes: stdout, stderr, audit logs, state,
Prometheus textfiles, exporters. Stdlib only; no click, no printing.

Two kinds of redaction, applied together by `text()`:

- By shape: URL userinfo (`http://user:pass@host` -> `http://***@host`), query parameters
  whose name looks like a credential (`?api_key=...`, `&sig=...`), header lines and JSON keys
  of the same kind (`Authorization: ...`, `"x-api-key": "..."`), and `Bearer`/`Basic` tokens.
- By value: every literal secret the configuration is known to hold (a URL's password, the
  bearer token read from `api_key_env`), wherever it appears in free text. An endpoint that
  answers a bad key with `401 {"error": "invalid key sk-abc"}` echoes it in no recognisable
  shape; only the value itself finds it. Callers pass the values (`secrets=`), or declare them
  once for a whole run with `with known(values):` (a context variable, so asyncio tasks started
  inside see them too).

Literal values shorter than `MIN_LITERAL` characters are not searched for in free text: a
one-letter password would turn every such letter into `***`. Their shapes are still redacted.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

MASK = "***"
MIN_LITERAL = 4

# Parameter, header and JSON key names that carry credentials (compared case-insensitively,
# with `-` and `_` treated alike).
SECRET_NAMES = frozenset(
    {
        "api_key", "apikey", "key", "token", "access_token", "refresh_token", "id_token",
        "auth", "auth_token", "authorization", "proxy_authorization", "password", "passwd",
        "pwd", "secret", "client_secret", "sig", "signature", "x_api_key", "x_auth_token",
        "cookie", "set_cookie", "session", "sessionid", "credential", "credentials",
        "private_token", "x_goog_signature", "x_amz_signature", "x_amz_security_token",
    }
)  # fmt: skip

_NAME = r"[A-Za-z][A-Za-z0-9_.-]*"
# scheme://userinfo@ : everything up to the last '@' of the URL. A password with an unencoded
# '/', '?' or '#' makes the URL ambiguous; masking too much is the safe side.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s\"'<>]*@")
# name=value in a query string or a form body.
_PARAM = re.compile(rf"(?<![A-Za-z0-9_.-])({_NAME})=([^&#\s\"'<>;,]*)")
# Header line "Name: value" (to the end of the line).
_HEADER = re.compile(rf"(?im)^([ \t]*)({_NAME})([ \t]*:[ \t]*)([^\r\n]*)")
# JSON / Python-repr pair "name": "value" or 'name': 'value'.
_PAIR = re.compile(rf"([\"'])({_NAME})\1(\s*:\s*)([\"'])((?:\\.|(?!\4).)*)\4")
_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}")


@functools.lru_cache(maxsize=4096)  # the same few keys recur in every envelope
def is_secret_name(name: str) -> bool:
    return name.lower().replace("-", "_") in SECRET_NAMES


def url(value: str) -> str:
    """The URL with its userinfo replaced by `***` and credential-like query values masked.
    Never raises: a URL that does not parse is redacted by shape, as text."""
    return _shapes(value)


def variants(secret: str) -> set[str]:
    """The forms a secret takes in our outputs: as is, percent-encoded (in a URL), JSON-escaped
    (inside a serialised document)."""
    out = {secret, quote(secret, safe=""), quote_plus(secret, safe=""), unquote(secret)}
    out.add(json.dumps(secret)[1:-1])
    return {v for v in out if len(v) >= MIN_LITERAL}


def url_secrets(value: str) -> set[str]:
    """The literal secrets a URL holds: its password (raw and decoded), the basic-auth token it
    becomes, and the values of credential-like query parameters."""
    found: set[str] = set()
    try:
        parts = urlsplit(value)
        userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    except ValueError:
        return found
    if userinfo:
        user, _, password = userinfo.partition(":")
        if password:
            found.add(password)
            raw = f"{unquote(user)}:{unquote(password)}".encode()
            found.add(base64.b64encode(raw).decode())
    for m in _PARAM.finditer(parts.query):
        if is_secret_name(m.group(1)) and m.group(2):
            found.add(m.group(2))
    return found


_known: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "diag_redact_known", default=frozenset()
)


@contextlib.contextmanager
def known(secrets: Iterable[str]) -> Iterator[None]:
    """Within this block `text()` also masks these literal values (and their encodings)."""
    expanded = set(_known.get())
    for s in secrets:
        if s:
            expanded |= variants(s)
    token = _known.set(frozenset(expanded))
    try:
        yield
    finally:
        _known.reset(token)


def text(value: str, secrets: Iterable[str] = ()) -> str:
    """`value` with every known literal secret and every credential shape masked."""
    literals: frozenset[str] | set[str] = _known.get()
    for s in secrets:
        if s:
            literals = set(literals) | variants(s)
    for lit in sorted(literals, key=len, reverse=True):  # longest first: no partial leftovers
        if lit in value:
            value = value.replace(lit, MASK)
    return _shapes(value)


def _shapes(value: str) -> str:
    # Each shape needs a character (or word) without which its pattern cannot match: most
    # values (host names, check ids, numbers as text) have none, and skip the regex entirely.
    if "@" in value and "://" in value:
        value = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", value)
    if "b" in value or "B" in value:
        value = _SCHEME_TOKEN.sub(lambda m: m.group(1) + m.group(2) + MASK, value)
    if "=" in value:
        value = _PARAM.sub(lambda m: f"{m.group(1)}={MASK}" if is_secret_name(m.group(1))
                           else m.group(0), value)  # fmt: skip
    if ":" not in value:
        return value
    value = _HEADER.sub(lambda m: m.group(1) + m.group(2) + m.group(3) + MASK
                        if is_secret_name(m.group(2)) else m.group(0), value)  # fmt: skip
    return _PAIR.sub(_pair, value)


def _pair(m: re.Match[str]) -> str:
    if not is_secret_name(m.group(2)):
        return m.group(0)
    quote_, name, colon, vquote = m.group(1), m.group(2), m.group(3), m.group(4)
    return f"{quote_}{name}{quote_}{colon}{vquote}{MASK}{vquote}"


def headers(items: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """A copy of the headers with credential headers masked and other values redacted."""
    return {k: MASK if is_secret_name(k) else text(v, secrets) for k, v in items.items()}


def obj(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings, numbers) with every string redacted
    and every value under a credential-like key masked. Keys other than those stay as they are."""
    lits = tuple(secrets)
    if isinstance(value, str):
        return text(value, lits)
    if isinstance(value, Mapping):
        return {
            k: (MASK if isinstance(k, str) and is_secret_name(k) and isinstance(v, str) and v
                else obj(v, lits))
            for k, v in value.items()
        }  # fmt: skip
    if isinstance(value, list | tuple):
        return [obj(v, lits) for v in value]
    return value
