"""`python -m diag.cli`: the same as the `diagctl` console script."""

from diag.cli.entry import main

main()
