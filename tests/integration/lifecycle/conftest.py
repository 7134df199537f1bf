"""The real sshd test hosts of tests/integration/fleet, shared here."""

from tests.integration.fleet.conftest import (  # noqa: F401 - pytest finds fixtures by name
    diagctl,
    ssh_keys,
    sshd,
    write_known_hosts,
)
from tests.integration.probes.conftest import slurm  # noqa: F401 - real Slurm (maintain)
from tests.support.postgres import pg_cluster  # noqa: F401
