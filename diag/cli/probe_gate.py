"""`--probe-url/--probe-model/...`: the token probe of a phase gate, one option block shared by
the lifecycle commands whose gate reads the `probe` step (receive, incident close)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from diag.cli.options import CliError

F = TypeVar("F", bound=Callable[..., Any])
NAMES = (
    "probe_url",
    "probe_model",
    "probe_api",
    "probe_max_tokens",
    "probe_deadline",
    "probe_ttft_budget",
    "probe_key_env",
)


def probe_gate_options(fn: F) -> F:
    """The probe options, passed on as one `probe` (lifecycle.probe_step.ProbeSpec or None)."""

    @wraps(fn)  # keeps the click options already declared below this decorator
    def wrapper(*args: Any, **kw: Any) -> Any:
        vals = {n: kw.pop(n) for n in NAMES}
        kw["probe"] = spec_of(vals)
        return fn(*args, **kw)

    for opt in reversed((
        click.option("--probe-url", default="", metavar="URL",
                     help="The node's OpenAI-compatible endpoint ({host}: the host's address); "
                          "one token probe is the gate's `probe` step."),
        click.option("--probe-model", default="", help="Model name the probe asks for."),
        click.option("--probe-api", type=click.Choice(["completions", "chat"]),
                     default="completions", show_default=True, help="Endpoint kind."),
        click.option("--probe-max-tokens", type=click.IntRange(1, 256), default=8,
                     show_default=True, help="Tokens the probe asks for."),
        click.option("--probe-deadline", type=click.FloatRange(min=0.1, max=600), default=10.0,
                     show_default=True, help="Seconds for the whole request (else zombie)."),
        click.option("--probe-ttft-budget", type=click.FloatRange(min=1), default=2000.0,
                     show_default=True, help="Milliseconds to the first token (else slow)."),
        click.option("--probe-key-env", default="", metavar="VAR",
                     help="Environment variable holding a bearer token."),
    )):  # fmt: skip
        wrapper = opt(wrapper)
    return wrapper  # type: ignore[return-value]


def spec_of(vals: dict[str, Any]) -> Any:
    """A ProbeSpec, or None when no --probe-url; a model without a URL (or the reverse) is a
    usage error."""
    if not vals["probe_url"]:
        if vals["probe_model"]:
            raise CliError("--probe-model needs --probe-url")
        return None
    if not vals["probe_model"]:
        raise CliError("--probe-url needs --probe-model")
    from lifecycle.probe_step import ProbeSpec
    from schemas.probe import Api

    return ProbeSpec(
        url=vals["probe_url"],
        model=vals["probe_model"],
        api=Api(vals["probe_api"]),
        max_tokens=vals["probe_max_tokens"],
        deadline_s=vals["probe_deadline"],
        ttft_budget_ms=vals["probe_ttft_budget"],
        api_key_env=vals["probe_key_env"],
    )
