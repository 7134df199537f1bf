"""The diagctl config file (`/etc/diagctl/config.yaml`, `~/.config/diagctl/config.yaml`, or
`--config FILE`): defaults for options, like `ansible.cfg`. Every key is optional; a flag on the
command line wins over it. The same keys are read from `DIAGCTL_<KEY>` environment variables.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from schemas.envelope import Strict

Text = Annotated[str, Field(min_length=1)]


class ConfigFile(Strict):
    """Option defaults; null or absent means the built-in default. Strict: `forks: "8"` in a
    file is an error; environment variables are text and are read with strict=False."""

    model_config = ConfigDict(extra="forbid", strict=True)

    inventory: Text | None = Field(default=None, description="-i: inventory file.")
    known_hosts: Text | None = Field(default=None, description="--known-hosts file.")
    identity: Text | None = Field(default=None, description="--identity: private key file.")
    user: Text | None = Field(default=None, description="--user: default SSH user.")
    policy: Text | None = Field(default=None, description="--policy YAML.")
    host_class: Text | None = Field(default=None, description="--host-class.")
    forks: Annotated[int, Field(ge=1, le=4096)] | None = Field(
        default=None, description="-f/--forks: hosts in flight at once."
    )
    transport: Literal["asyncssh", "fabric"] | None = Field(
        default=None, description="--transport: SSH implementation."
    )
    connect_timeout: Annotated[float, Field(ge=0.5, allow_inf_nan=False)] | None = Field(
        default=None, description="--connect-timeout in seconds."
    )
    probe_state: Text | None = Field(default=None, description="probe run --state file.")
    probe_audit: Text | None = Field(default=None, description="probe run --audit log.")
    registry: Text | None = Field(
        default=None, description="lifecycle --registry: SQLite file or database URL."
    )
