"""Connection vars an inventory may set on a host or a group (diagctl names and Ansible's).

The diagctl YAML inventory allows exactly these keys (a typo such as `adress:` is an error,
not a host silently resolved by its name). Ansible inventories allow any var; only the ones
diagctl reads are checked, for their type.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StrictInt, StrictStr

from schemas.envelope import Strict

Port = Annotated[StrictInt, Field(ge=1, le=65535)]
Text = StrictStr | None


class HostVars(Strict):
    """Vars of a host, a group or the whole diagctl inventory; null means unset."""

    model_config = ConfigDict(extra="forbid")

    address: Text = Field(default=None, description="Name or IP to connect to (default: its name).")
    user: Text = None
    port: Port | None = None
    key: Text = Field(default=None, description="Private key file.")
    jump: Text = Field(default=None, description="One jump host, [user@]host[:port].")
    host_class: Text = Field(default=None, description="Selects the policy's per-class overrides.")
    node: Text = Field(default=None, description="health --act: scheduler node (default: name).")
    slurm_node: Text = Field(default=None, description="Same as node (NHC-style name); node wins.")
    identity: Text = None
    proxy_jump: Text = None
    ansible_host: Text = None
    ansible_ssh_host: Text = None
    ansible_user: Text = None
    ansible_ssh_user: Text = None
    ansible_port: Port | None = None
    ansible_ssh_port: Port | None = None
    ansible_ssh_private_key_file: Text = None


class AnsibleVars(HostVars):
    """The same fields in an Ansible inventory, where any other var is Ansible's business."""

    model_config = ConfigDict(extra="ignore")
