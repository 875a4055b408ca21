"""The ``fsmf-check`` command line (SPEC §4). The only module that imports click.

Each command parses its arguments, calls one library function that returns an
:class:`~fsmf_check._output.Outcome`, and renders it (human text, or one JSON object with
``--json``). Exit codes (SPEC §4): 0 ran / property holds, 1 refuted or an expectation failed,
2 bad input or usage (one ``Error:`` line on stderr), 3 undecided, 4 internal error (one line;
``--debug`` prints the traceback).
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import click

from ._output import EXIT_INTERNAL, EXIT_USAGE, Outcome, dumps, envelope
from .errors import ExactnessError, FsmfError, InvalidInputError

__all__ = ["cli", "main"]

_CASE = click.Path(exists=True, dir_okay=False, path_type=Path)


class _Group(click.Group):
    """A click group that turns every failure into one line and a SPEC exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,  # noqa: ANN001, ANN201
             **extra):
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        try:
            rv = super().main(args=argv, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            click.echo(f"Error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code if exc.exit_code in (1, 2, 3, 4) else EXIT_USAGE)
        except (InvalidInputError, ExactnessError) as exc:
            click.echo(f"Error: {_one_line(str(exc))}", err=True)
            sys.exit(EXIT_USAGE)
        except FsmfError as exc:
            if debug:
                traceback.print_exc()
            click.echo(f"Error: {type(exc).__name__}: {_one_line(str(exc))}", err=True)
            sys.exit(EXIT_INTERNAL)
        except MemoryError:
            click.echo("Error: out of memory; try a smaller input or a structured pattern",
                       err=True)
            sys.exit(EXIT_INTERNAL)
        except KeyboardInterrupt:
            click.echo("Error: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - SPEC: internal errors are one line, exit 4
            if debug:
                traceback.print_exc()
            click.echo(f"Error: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
                       "(rerun with --debug for the traceback)", err=True)
            sys.exit(EXIT_INTERNAL)
        sys.exit(rv if isinstance(rv, int) else 0)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def json_quiet(func: Callable) -> Callable:
    """Add the SPEC §4 ``--json`` and ``--quiet`` options to a command."""
    func = click.option("--quiet", "-q", is_flag=True, help="No progress or human text.")(func)
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON object (SPEC §5) on stdout.")(func)


def _emit(outcome: Outcome, as_json: bool, quiet: bool, started: float) -> int:
    """Render an outcome and return its exit code."""
    if as_json:
        click.echo(dumps(envelope(outcome, time.perf_counter() - started)))
    elif not quiet or outcome.command == "check":
        click.echo(outcome.text)
    return outcome.exit_code


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fsmf-check")
@click.option("--debug", is_flag=True, help="Print the traceback of internal errors.")
def cli(debug: bool) -> None:
    """Decide and certify properties of fixed-support matrix factorizations.

    Example: fsmf-check analyze cases/lu-2x2.toml
    """


@cli.command()
@click.argument("case", type=_CASE)
@json_quiet
def analyze(case: Path, as_json: bool, quiet: bool) -> int:
    """Report rank-one supports, classes, tractability and closedness of a case.

    Example: fsmf-check analyze cases/butterfly-16-standard.toml --json
    """
    from .analysis.commands import analyze_case
    from .cases import load_case

    started = time.perf_counter()
    return _emit(analyze_case(load_case(case)), as_json, quiet, started)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@json_quiet
def check(paths: tuple[Path, ...], as_json: bool, quiet: bool) -> int:
    """Run every case (default: the shipped cases/) and compare with its [expect] block.

    Example: fsmf-check check cases/
    """
    from .checking import check_paths

    started = time.perf_counter()
    return _emit(check_paths(list(paths)), as_json, quiet,
                 started)


# [solve]
# [butterfly]
# [certify]
# [closedness]
# [report]
# (Anchors above: each is replaced by its command. Library entry points the commands and
# `check` use are listed in notes/HELPERS.md, "Addendum".)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="fsmf-check")
