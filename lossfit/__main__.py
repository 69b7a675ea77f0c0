"""`python -m lossfit` runs the command line."""

from lossfit.cli import main

main()
