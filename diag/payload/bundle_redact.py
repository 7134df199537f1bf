# diagctl bundle redaction: runs ON THE TARGET HOST as part of the bundle payload (stdlib only,
# Python 3.8+). diag/bundle_payload.py concatenates bundle_redact.py, bundle_capture.py and
# bundle_collector.py into the one program sent to `python3 -I -`.
import re

MASK = "***"

# ---- Redaction. The shapes and SECRET_NAMES mirror diag/redact.py (a unit test proves they
# agree); the host adds what logs and config files hold: private key blocks, cloud key ids,
# JWTs, vendor tokens, and `name = value` assignments whose name contains a secret word. ----
SECRET_NAMES = frozenset(
    {
        "api_key", "apikey", "key", "token", "access_token", "refresh_token", "id_token",
        "auth", "auth_token", "authorization", "proxy_authorization", "password", "passwd",
        "pwd", "secret", "client_secret", "sig", "signature", "x_api_key", "x_auth_token",
        "cookie", "set_cookie", "session", "sessionid", "credential", "credentials",
        "private_token", "x_goog_signature", "x_amz_signature", "x_amz_security_token",
    }
)  # fmt: skip
SECRET_WORDS = ("password", "passwd", "secret", "token", "apikey", "api_key", "credential",
                "private_key", "access_key", "cookie", "authorization")  # fmt: skip

_NAME = r"[A-Za-z][A-Za-z0-9_.-]*"
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s\"'<>]*@")
_PARAM = re.compile(r"(?<![A-Za-z0-9_.-])(" + _NAME + r")=([^&#\s\"'<>;,]*)")
_HEADER = re.compile(r"(?im)^([ \t]*)(" + _NAME + r")([ \t]*:[ \t]*)([^\r\n]*)")
_PAIR = re.compile(r"([\"'])(" + _NAME + r")\1(\s*:\s*)([\"'])((?:\\.|(?!\4).)*)\4")
_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}")
_ASSIGN = re.compile(
    r"(?<![A-Za-z0-9_.-])(" + _NAME + r")([ \t]*[=:][ \t]*)(\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',;&]+)"
)
_PEM = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.S
)
_TOKENS = re.compile(
    r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"  # AWS access key ids
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWTs
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
    r"|\bxox[abposr]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|\bglpat-[A-Za-z0-9_-]{16,}"  # GitLab tokens
    r"|\bhf_[A-Za-z0-9]{30,}"  # Hugging Face tokens
)


def is_secret_name(name):
    return name.lower().replace("-", "_") in SECRET_NAMES


def _secretish(name):
    low = name.lower().replace("-", "_")
    return low in SECRET_NAMES or any(w in low for w in SECRET_WORDS)


def redact_text(value):
    """`value` with every secret shape masked, and how many were masked."""
    count = [0]

    def sub(pattern, repl, text):
        def fn(m):
            out = repl(m)
            if out != m.group(0):
                count[0] += 1
            return out

        return pattern.sub(fn, text)

    value = sub(_PEM, lambda m: "-----BEGIN %sPRIVATE KEY----- %s" % (m.group(1), MASK), value)
    value = sub(_TOKENS, lambda m: MASK, value)
    value = sub(_USERINFO, lambda m: m.group(1) + MASK + "@", value)
    value = sub(_SCHEME_TOKEN, lambda m: m.group(1) + m.group(2) + MASK, value)
    value = sub(_PARAM, _param, value)
    value = sub(_HEADER, _header, value)
    value = sub(_PAIR, _pair, value)
    value = sub(_ASSIGN, _assign, value)
    return value, count[0]


def _param(m):
    return "%s=%s" % (m.group(1), MASK) if is_secret_name(m.group(1)) else m.group(0)


def _header(m):
    if not is_secret_name(m.group(2)) or m.group(4) in ("", MASK):
        return m.group(0)
    return m.group(1) + m.group(2) + m.group(3) + MASK


def _pair(m):
    if not _secretish(m.group(2)) or m.group(5) == MASK:
        return m.group(0)
    q, name, colon, vq = m.group(1), m.group(2), m.group(3), m.group(4)
    return "%s%s%s%s%s%s%s" % (q, name, q, colon, vq, MASK, vq)


def _assign(m):
    val = m.group(3).strip("\"'")
    if not _secretish(m.group(1)) or val in ("", MASK) or val.startswith(MASK):
        return m.group(0)
    return m.group(1) + m.group(2) + MASK


def redact_bytes(data):
    # surrogateescape: bytes that are not UTF-8 pass through unchanged, never fatal.
    text, n = redact_text(data.decode("utf-8", "surrogateescape"))
    return (text.encode("utf-8", "surrogateescape") if n else data), n
