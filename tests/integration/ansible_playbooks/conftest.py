"""The real sshd test hosts of tests/integration/fleet, shared here."""

from tests.integration.fleet.conftest import (  # noqa: F401 - pytest finds fixtures by name
    diagctl,
    netns_hosts,
    ssh_keys,
    sshd,
    write_known_hosts,
)
