"""The exact bytes and remote command line diagctl sends for a tool, for other engines to send.

`diagctl payload show KIND` prints them; the Ansible playbooks (playbooks/) push them to every
host with Ansible's own fan-out, so a host sees the same program whether diagctl or AWX ran it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from diag.errors import PolicyError

Kind = Literal["health", "reset-reason"]
KINDS: tuple[Kind, ...] = ("health", "reset-reason")
ENVELOPE_KIND: dict[Kind, str] = {"health": "health.l1", "reset-reason": "reset_reason"}


@dataclass(frozen=True)
class PayloadSpec:
    kind: Kind
    timeout_s: float = 30.0
    check_ids: tuple[str, ...] = ()
    since_s: int = 7 * 86400
    become: bool = False


def payload_argv(spec: PayloadSpec) -> tuple[str, ...]:
    """What the host runs: `sh -s` for health over SSH (python3 or the sh fallback)."""
    from diag.payload import PYTHON_ARGV, SH_ARGV

    return SH_ARGV if spec.kind == "health" else PYTHON_ARGV


def payload_bytes(spec: PayloadSpec) -> bytes:
    """The stdin `diagctl health` / `diagctl reset-reason` sends over SSH with these options."""
    deadline = max(1.0, spec.timeout_s - 2.0)  # as the tools compute it from --timeout
    if spec.kind == "health":
        from diag.checks import REGISTRY, sources_for
        from diag.payload import build_sh

        unknown = [c for c in spec.check_ids if c not in REGISTRY]
        if unknown:
            raise PolicyError(f"unknown check id(s) {unknown}; see `diagctl checks list`")
        checks = (
            [REGISTRY[c] for c in spec.check_ids] if spec.check_ids else list(REGISTRY.values())
        )
        return build_sh(sources_for(checks), deadline)
    from diag.reset.sources import build_payload

    return build_payload(spec.since_s, deadline)


def command_line(spec: PayloadSpec) -> str:
    """The line sshd hands to the login shell, as diagctl's SSH transports build it."""
    from diag.transport.ssh_common import remote_command

    return remote_command(payload_argv(spec), spec.timeout_s, True, spec.become)
