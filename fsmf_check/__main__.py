"""Run the command-line interface: ``python -m fsmf_check``."""

from fsmf_check.cli import main

main()
