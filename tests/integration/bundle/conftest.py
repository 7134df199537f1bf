"""The real sshd test hosts of tests/integration/fleet, reused for bundles."""

from tests.integration.fleet.conftest import (  # noqa: F401 - pytest fixtures
    diagctl,
    ssh_keys,
    sshd,
    write_known_hosts,
)
