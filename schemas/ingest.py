"""What a collector outside diagctl (the Ansible playbooks) records per host for `diagctl ingest`.

DIR/hosts/<enc>/collected.json is written last, after the raw captures it lists: a host
directory without it, or whose raw files differ from the sizes and digests listed, was not
fetched completely.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Strict

COLLECTED_VERSION = "1.0"


class CollectedHost(Strict):
    name: str = Field(description="The inventory name (Ansible's inventory_hostname).")
    address: str = Field(description="Where it was reached (ansible_host, else the name).")
    host_class: str = Field("", description="The inventory's host_class variable, if any.")


class RawFile(Strict):
    bytes: int = Field(ge=0, description="Size of DIR/hosts/<enc>/raw/<name> as written.")
    sha256: str = Field(pattern="^[0-9a-f]{64}$")


class CollectedRecord(Strict):
    schema_version: str = Field(
        COLLECTED_VERSION, description="MAJOR.MINOR; ingest refuses a newer MAJOR."
    )
    collector: Literal["ansible"] = "ansible"
    collector_version: str = Field("", description="ansible-core's version.")
    kind: Literal["health.l1", "reset_reason", "bundle", "erase_detect", "burn_in"] = Field(
        description="What was collected; erase_detect and burn_in are parts of the retire and "
        "receive playbooks, judged by `diagctl ingest --phase`."
    )
    host: CollectedHost
    collected_at: str = Field(description="UTC, RFC 3339, when the payload was started.")
    duration_ms: int = Field(ge=0, description="Connect + payload, as the collector measured.")
    outcome: Literal["ok", "failed", "unreachable"] = Field(
        description="The collector's verdict: ok (the payload ran), failed (the task failed: "
        "payload exit status, task timeout, refused privilege), unreachable (no SSH session)."
    )
    rc: int | None = Field(None, description="The payload's exit status; null when it never ran.")
    message: str = Field("", description="The collector's error text (ssh's stderr, ...).")
    command: str = Field(description="The line handed to the host's login shell.")
    payload_sha256: str = Field(pattern="^[0-9a-f]{64}$", description="Of the stdin sent.")
    raw: dict[Literal["stdout.bin", "stderr.bin"], RawFile] = Field(default_factory=dict)
