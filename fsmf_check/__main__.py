"""Run the command-line interface: ``python -m fsmf_check``."""

from .cli import main

main()
