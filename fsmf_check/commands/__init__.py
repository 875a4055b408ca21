"""One module per CLI command: load inputs, run the engines, cross-check, decide exit codes.

Each command returns an :class:`~fsmf_check.commands.outcome.Outcome`; the CLI and
:mod:`fsmf_check.report` render it. This is the only layer that sees several engines at once
(for example the numeric and exact engines in ``butterfly --cross-check``).
"""
