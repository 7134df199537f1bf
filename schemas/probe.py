"""Synthetic token-generation probes: the targets file, results, state and audit records."""

from __future__ import annotations

import ipaddress
import re
from enum import Enum
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from schemas.envelope import Envelope, Strict

# One scheduler node name: letters, digits, '.', '_', '-', not starting with '-' (an option to
# scontrol/kubectl). Slurm expands `rtn[2-4]` and `a,b` into several nodes in one scontrol
# call, which the blast-radius breaker would count as one; whitespace splits words in hooks.
NODE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,252}")


def node_name_problem(node: object) -> str:
    """Why `node` is not exactly one safe node name; "" when it is. Pure."""
    if not isinstance(node, str):
        return f"must be one node name (a string), not {type(node).__name__}"
    if NODE_NAME.fullmatch(node):
        return ""
    if not node:
        return "must not be empty"
    if any(c in node for c in "[],"):
        why = "looks like a Slurm hostlist ('[', ']' or ','): one target, one node"
    elif any(c.isspace() for c in node):
        why = "contains whitespace"
    elif node.startswith("-"):
        why = "starts with '-'"
    elif len(node) > 253:
        why = "is longer than 253 characters"
    else:
        why = "has characters outside A-Z a-z 0-9 . _ -"
    return f"{node[:60]!r} is not one node name: {why}"


class Api(str, Enum):
    COMPLETIONS = "completions"  # POST /v1/completions, text in choices[0].text
    CHAT = "chat"  # POST /v1/chat/completions, text in choices[0].delta.content


class Verdict(str, Enum):
    HEALTHY = "healthy"  # valid tokens within every budget
    SLOW = "slow"  # valid tokens, but TTFT or an inter-token gap over budget
    ZOMBIE = "zombie"  # the server accepted the connection but no valid token by the deadline
    DOWN = "down"  # no connection, or an HTTP 5xx


class Backend(str, Enum):
    SLURM = "slurm"
    KUBERNETES = "kubernetes"
    COMMAND = "command"
    NONE = "none"  # verdicts and plans only; nothing can be cordoned


class ActionKind(str, Enum):
    NONE = "none"
    CORDON = "cordon"
    UNCORDON = "uncordon"
    RESTART = "restart"
    BREAKER = "breaker"
    # A node diagctl drained was resumed by someone else while still failing: reported, and
    # diagctl no longer holds it (a new cordon goes through the breaker like any other).
    RESUMED_ELSEWHERE = "resumed_elsewhere"


class ActionResult(str, Enum):
    NONE = "none"  # nothing to do
    PLANNED = "planned"  # dry run (no --act): what would have been done
    DONE = "done"
    ALREADY = "already"  # idempotent: the node was already in the wanted state
    REFUSED = "refused"  # e.g. a drain set by a human: never cleared by diagctl
    BLOCKED = "blocked"  # the blast-radius breaker stopped it
    FAILED = "failed"


class GroupConfig(Strict):
    """Per target group; every field has a default (docs/probes.md, "Targets file", lists them)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    backend: Backend = Backend.NONE
    max_cordon_fraction: float = Field(default=0.10, ge=0, le=1)
    max_cordon_count: int = Field(default=10, ge=0)
    window_s: float = Field(default=3600, gt=0, description="Blast-radius window.")
    fail_threshold: int = Field(default=3, ge=1)
    pass_threshold: int = Field(default=3, ge=1)
    deadline_s: float = Field(default=10.0, gt=0, le=600)
    connect_timeout_s: float = Field(default=3.0, gt=0, le=600)
    ttft_budget_ms: float = Field(default=2000, gt=0)
    itl_budget_ms: float = Field(default=1000, gt=0)
    restart_wait_s: float = Field(default=30, gt=0, le=600, description="Re-probe for this long.")
    ssh_user: str = Field(default="", description="Restart over SSH: login user.")
    ssh_port: int = Field(default=22, ge=1, le=65535)
    ssh_identity: str = Field(default="", description="Private key file; empty: agent/defaults.")
    ssh_known_hosts: str = Field(default="", description="Empty: ~/.ssh/known_hosts (strict).")
    ssh_jump: str = Field(default="", description="Jump host, user@host:port.")
    restart_units: list[str] = Field(
        default_factory=list, description="Allow-list of systemd units a restart may name."
    )
    command_cordon: list[str] = Field(
        default_factory=list, description="argv for backend=command; {node} {reason} expanded."
    )
    command_uncordon: list[str] = Field(default_factory=list)
    kubeconfig: str = Field(default="", description="backend=kubernetes; empty: in-cluster/env.")
    kube_context: str = ""
    slurm_scontrol: str = Field(default="scontrol", description="backend=slurm: the binary.")

    @model_validator(mode="after")
    def _budgets_inside_deadline(self) -> GroupConfig:
        """A budget set explicitly beyond the deadline is inverted (seconds typed as ms?): it
        could never trip. Defaults beyond a short deadline are simply inert."""
        limits = {
            "connect_timeout_s": self.deadline_s,
            "ttft_budget_ms": self.deadline_s * 1000,
            "itl_budget_ms": self.deadline_s * 1000,
        }
        for name, limit in limits.items():
            value = getattr(self, name)
            if name in self.model_fields_set and value > limit:
                raise ValueError(
                    f"{name}: {value:g} is beyond deadline_s {self.deadline_s:g}: "
                    "the deadline always ends the probe first"
                )
        return self

    @model_validator(mode="after")
    def _command_needs_argv(self) -> GroupConfig:
        if self.backend is Backend.COMMAND and not (self.command_cordon and self.command_uncordon):
            raise ValueError("backend command needs command_cordon and command_uncordon argv lists")
        return self


_HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")


def check_url(v: str) -> str:
    """`v` if it is an http(s) URL that every parser reads the same way; else ValueError.

    The messages never quote the URL: it may hold a password. The ambiguous case is a password
    with an unencoded '/', '?' or '#': `http://admin:pa#ss@host` is host "admin", port "pa"
    to Python (and to curl), and the password would end up in the error text or on the wire.
    """
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in v):
        raise ValueError("has a space, control or non-ASCII character (percent-encode it)")
    if not v.lower().startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    rest = v.split("://", 1)[1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    tail = rest[len(authority) :]
    if "@" in tail or "#" in tail:
        raise ValueError(
            "has '@' or '#' after the host: percent-encode '/', '?', '#' and '@' in a "
            "user name or password (%2F %3F %23 %40); no #fragment"
        )
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        host, sep, port = hostport[1:].partition("]")
        try:
            ok = sep and ipaddress.ip_address(host).version == 6
        except ValueError:
            ok = False
        if not ok or (port and not port.startswith(":")):
            raise ValueError(
                "IPv6 host must be a valid address in brackets, e.g. http://[::1]:8000"
            )
        port = port[1:]
    else:
        host, _, port = hostport.partition(":")
        if ":" in port:
            raise ValueError("IPv6 host must be in brackets, e.g. http://[::1]:8000")
        if not _HOST_NAME.fullmatch(host):
            raise ValueError("has no valid host name")
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError("port must be a number from 1 to 65535")
    return v


class ProbeTarget(Strict):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1)
    url: str = Field(description="Base URL, e.g. http://10.0.0.7:8000 (the /v1/... is added).")
    model: str = Field(min_length=1)
    node: str = Field(min_length=1, description="Scheduler node name the endpoint runs on.")
    group: str = "default"
    api: Api = Api.COMPLETIONS
    restart_unit: str = ""
    ssh_host: str = Field(default="", description="Address to SSH to for restarts; empty: node.")
    prompt: str = "Say OK."
    max_tokens: int = Field(default=8, ge=1, le=256)
    min_tokens: int = Field(default=1, ge=1, description="Fewer valid tokens: not healthy.")
    seed: int = 0
    ignore_eos: bool = Field(default=False, description="vLLM/SGLang extension; off for others.")
    priority: int | None = Field(default=None, description="vLLM request priority, if enabled.")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="Merged into the body.")
    golden_text: str | None = Field(default=None, description="Exact text expected, if set.")
    api_key_env: str = Field(default="", description="Env var holding a bearer token.")
    tls_ca_file: str = Field(default="", description="CA bundle for https; empty: system CAs.")
    tls_verify: bool = Field(
        default=True, description="false: no certificate check (never default)"
    )
    metrics_url: str = Field(default="", description="Engine /metrics: busy engines not zombie.")

    @field_validator("node", mode="before")
    @classmethod
    def _one_node(cls, v: object) -> object:
        problem = node_name_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        return check_url(v).rstrip("/")

    @field_validator("metrics_url")
    @classmethod
    def _metrics_url(cls, v: str) -> str:
        return check_url(v) if v else v

    @model_validator(mode="after")
    def _token_range(self) -> ProbeTarget:
        if self.min_tokens > self.max_tokens:
            raise ValueError(
                f"min_tokens {self.min_tokens} > max_tokens {self.max_tokens}: never healthy"
            )
        return self


class TargetsFile(Strict):
    targets: list[ProbeTarget] = Field(min_length=1)
    groups: dict[str, GroupConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_names(self) -> TargetsFile:
        first: dict[str, int] = {}
        for i, t in enumerate(self.targets):
            if t.name in first:
                raise ValueError(
                    f"targets[{i}] {t.name!r}: name: duplicate of targets[{first[t.name]}]"
                )
            first[t.name] = i
        for i, t in enumerate(self.targets):
            if t.group != "default" and t.group not in self.groups:
                raise ValueError(
                    f"targets[{i}] {t.name!r}: group: {t.group!r} is not listed under groups "
                    f"(listed: {', '.join(sorted(self.groups)) or 'none'})"
                )
            unit = t.restart_unit
            if unit and unit not in self.group(t.group).restart_units:
                raise ValueError(
                    f"targets[{i}] {t.name!r}: restart_unit: {unit!r} is not in group "
                    f"{t.group!r} restart_units"
                )
        return self

    def group(self, name: str) -> GroupConfig:
        return self.groups.get(name) or GroupConfig()


class Timings(Strict):
    http_status: int = 0
    connect_ms: float | None = None
    ttft_ms: float | None = None
    itl_ms_max: float | None = None
    itl_ms_mean: float | None = None
    e2e_ms: float = 0
    tokens: int = Field(default=0, description="Stream chunks carrying non-empty text.")
    usage_completion_tokens: int | None = None
    finish_reason: str = ""
    text: str = Field(default="", description="Generated text, cut to 256 characters.")
    done_seen: bool = False
    error: str = ""


class NodeState(Strict):
    consecutive_fail: int = Field(default=0, ge=0)
    consecutive_pass: int = Field(default=0, ge=0)
    last_verdict: Verdict | None = None
    cordoned_by_us: bool = Field(
        default=False, description="diagctl drained this node itself; only these are resumed."
    )
    cordoned_at: float | None = None
    cordon_backend: Backend | None = Field(default=None, description="Backend that drained it.")
    cordon_reason: str = Field(default="", description="Reason text diagctl wrote.")
    last_probe_at: float | None = None


class CordonEvent(Strict):
    at: float = Field(description="Unix time diagctl cordoned the node.")
    node: str


class StateFile(Strict):
    version: int = 1
    nodes: dict[str, NodeState] = Field(default_factory=dict)
    cordons: dict[str, list[CordonEvent]] = Field(
        default_factory=dict, description="Per group: diagctl's cordons (blast-radius window)."
    )


class ProbeData(Strict):
    target: str = ""
    url: str = ""
    model: str = ""
    node: str = ""
    group: str = ""
    api: Api = Api.COMPLETIONS
    verdict: Verdict | None = Field(default=None, description="None: not judged (interrupted).")
    reason: str = ""
    skipped_busy: bool = False
    timings: Timings = Field(default_factory=Timings)
    state: NodeState = Field(default_factory=NodeState)
    action: ActionKind = ActionKind.NONE
    action_result: ActionResult = ActionResult.NONE
    action_message: str = ""
    dry_run: bool = True
    backend: Backend = Backend.NONE


class ProbeEnvelope(Envelope):
    """Envelope of kind ``probe.result``: one per target per run."""

    data: ProbeData = Field(default_factory=ProbeData)  # type: ignore[assignment]


class AuditRecord(Strict):
    """One line of the append-only audit log; also the data of a ``probe.audit`` envelope."""

    at: str = Field(description="UTC RFC 3339.")
    who: str = Field(description="user@host pid N of the diagctl process.")
    action: ActionKind
    node: str = ""
    group: str = ""
    backend: Backend = Backend.NONE
    why: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)
    dry_run: bool = True
    result: ActionResult
    message: str = ""


class AuditEnvelope(Envelope):
    """Envelope of kind ``probe.audit``: one per action, for the SIEM exporter."""

    data: AuditRecord | None = None  # type: ignore[assignment]
