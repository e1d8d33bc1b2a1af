"""`python -m commonground` runs the command line."""

from commonground.cli.app import main

main()
