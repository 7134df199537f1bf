"""The exact bytes and remote command line diagctl sends for a tool, for other engines to send.

`diagctl payload show KIND` prints them; the Ansible playbooks (playbooks/) push them to every
host with Ansible's own fan-out, so a host sees the same program whether diagctl or AWX ran it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from diag.errors import PolicyError

if TYPE_CHECKING:
    from diag.bundle_payload import BundleOptions

Kind = Literal["health", "reset-reason", "bundle", "erase-detect", "burn-in"]
KINDS: tuple[Kind, ...] = ("health", "reset-reason", "bundle", "erase-detect", "burn-in")
ENVELOPE_KIND: dict[Kind, str] = {
    "health": "health.l1",
    "reset-reason": "reset_reason",
    "bundle": "bundle",
    "erase-detect": "erase_detect",
    "burn-in": "burn_in",
}
# Sent as a command line with nothing on stdin, as `lifecycle retire` (the read-only erase
# detection) and `lifecycle receive --burn-in` (the operator's command) send them.
SHELL_KINDS = ("erase-detect", "burn-in")
MIB = 1 << 20


@dataclass(frozen=True)
class PayloadSpec:
    kind: Kind
    timeout_s: float = 30.0
    check_ids: tuple[str, ...] = ()
    since_s: int = 7 * 86400
    become: bool = False
    since_hours: float = 24.0  # bundle: hours of this boot's journal
    artifact_cap_mib: int = 8  # bundle: as `diagctl bundle --artifact-cap`
    total_cap_mib: int = 64  # bundle: as `diagctl bundle --total-cap`
    burn_in: str = ""  # burn-in: the operator's command, as `lifecycle receive --burn-in`

    def bundle_options(self) -> BundleOptions:
        """What `diagctl bundle --no-l1` builds from the same options. The playbooks collect
        L1 as its own run (health.yml): a bundle's program embeds the L1 envelope diagctl
        judged moments before, which an engine that does not judge cannot have."""
        from diag.bundle_payload import BundleOptions

        return BundleOptions(
            artifact_cap=self.artifact_cap_mib * MIB,
            total_cap=max(self.total_cap_mib, self.artifact_cap_mib) * MIB,
            since_hours=self.since_hours,
            timeout_s=self.timeout_s,
            l1=False,
        )


def payload_argv(spec: PayloadSpec) -> tuple[str, ...]:
    """What the host runs: `sh -s` for health over SSH (python3 or the sh fallback); the
    others need python3, run as diag.reset_reason and diag.bundle run it over SSH."""
    from diag.payload import PYTHON_ARGV, SH_ARGV

    if spec.kind == "erase-detect":
        import secrets

        from lifecycle.erase_detect import script

        return ("sh", "-c", script("@@" + secrets.token_hex(8)))  # a fresh nonce per line
    if spec.kind == "burn-in":
        if not spec.burn_in.strip():
            raise PolicyError("payload show burn-in needs --burn-in COMMAND")
        return ("sh", "-c", spec.burn_in)
    if spec.kind == "bundle":
        from diag.bundle import PYTHON3

        return PYTHON3
    return SH_ARGV if spec.kind == "health" else PYTHON_ARGV


def payload_bytes(spec: PayloadSpec) -> bytes:
    """The stdin `diagctl health` / `diagctl reset-reason` sends over SSH with these options."""
    deadline = max(1.0, spec.timeout_s - 2.0)  # as the tools compute it from --timeout
    if spec.kind in SHELL_KINDS:
        return b""
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
    if spec.kind == "bundle":
        from diag.bundle_payload import program

        return program(spec.bundle_options())
    from diag.reset.sources import build_payload

    return build_payload(spec.since_s, deadline)


def command_line(spec: PayloadSpec) -> str:
    """The line sshd hands to the login shell, as diagctl's SSH transports build it."""
    from diag.transport.ssh_common import remote_command

    return remote_command(payload_argv(spec), spec.timeout_s, True, spec.become)
