"""`python -m ops.cli`: the same command line as `anjian`."""

from ops.cli import main

main()
