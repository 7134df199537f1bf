"""`python -m diag.cli`: the same as the `diagctl` console script."""

from diag.cli.main import main

main()
