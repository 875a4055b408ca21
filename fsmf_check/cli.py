"""The ``fsmf-check`` command line (SPEC §4). The only module that imports click.

Each command parses its arguments, calls one library function that returns an
:class:`~fsmf_check.commands.outcome.Outcome`, and renders it (human text, or one JSON object with
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

from fsmf_check.commands.outcome import EXIT_INTERNAL, EXIT_USAGE, Outcome
from fsmf_check.report.envelope import dumps, envelope
from fsmf_check.errors import ExactnessError, FsmfError, InvalidInputError

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


class _ProgressBar:
    """A click progress bar on stderr for runs that last more than about a second.

    Created only when stderr is a terminal and neither --json nor --quiet is given; the bar
    appears at the first step reported after 0.7 s (short runs stay silent).
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.perf_counter()
        self.bar: object | None = None
        self.shown = 0

    def __call__(self, done: int, total: int, message: str) -> None:
        if self.bar is None:
            if time.perf_counter() - self.started < 0.7:
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                         show_eta=True, show_pos=True,
                                         item_show_func=lambda m: (m or "")[:48])
            self.bar.__enter__()  # type: ignore[attr-defined]
        self.bar.update(done - self.shown, message)  # type: ignore[attr-defined]
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)  # type: ignore[attr-defined]
            self.bar = None


def _progress(label: str, as_json: bool, quiet: bool) -> _ProgressBar | None:
    if as_json or quiet or not sys.stderr.isatty():
        return None
    return _ProgressBar(label)


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

    Example: fsmf-check analyze cases/e4-lu-2x2.toml
    """


@cli.command()
@click.argument("case", type=_CASE)
@json_quiet
def analyze(case: Path, as_json: bool, quiet: bool) -> int:
    """Report rank-one supports, classes, tractability and closedness of a case.

    Example: fsmf-check analyze cases/butterfly-16-standard.toml --json
    """
    from fsmf_check.commands.analyze import analyze_case
    from fsmf_check.inputs.cases import load_case

    started = time.perf_counter()
    return _emit(analyze_case(load_case(case)), as_json, quiet, started)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@json_quiet
def check(paths: tuple[Path, ...], as_json: bool, quiet: bool) -> int:
    """Run every case (default: the shipped cases/) and compare with its [expect] block.

    Example: fsmf-check check cases/
    """
    from fsmf_check.commands.check import check_paths

    started = time.perf_counter()
    outcome = check_paths(list(paths))
    code = _emit(outcome, as_json, quiet, started)
    bad = [c for c in outcome.results["check"]["cases"] if c["status"] == "invalid"]
    if bad:
        first = bad[0]["checks"][0].removeprefix("invalid case: ")
        if Path(bad[0]["path"]).name not in first:
            first = f"{bad[0]['path']}: {first}"
        more = f" (and {len(bad) - 1} more, see the 'invalid case' lines)" if len(bad) > 1 else ""
        click.echo(f"Error: invalid case {_one_line(first)}{more}; fix and rerun", err=True)
    return code


@cli.command()
@click.argument("case", type=_CASE)
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the factors to this .npz file (atomically).")
@json_quiet
def solve(case: Path, save: Path | None, as_json: bool, quiet: bool) -> int:
    """Solve a case numerically: global optimum (certified two-factor) or hierarchical (chain).

    Example: fsmf-check solve cases/e1-dto-singletons.toml --save factors.npz
    """
    from fsmf_check.inputs.cases import load_case
    from fsmf_check.errors import NotApplicableError
    from fsmf_check.commands.solve import solve_case

    started = time.perf_counter()
    loaded = load_case(case)
    bar = _progress("solve", as_json, quiet)
    try:
        outcome = solve_case(loaded, save=save, progress=bar)
    except NotApplicableError as exc:
        raise click.UsageError(f"solve: {exc}") from None
    finally:
        if bar is not None:
            bar.close()
    return _emit(outcome, as_json, quiet, started)


@cli.command("butterfly")
@click.argument("matrix")
@click.option("--tree", type=click.Choice(["left", "right", "balanced"]), default="left",
              show_default=True, help="Factor-bracketing tree (THEORY T7).")
@click.option("--order", type=click.Choice(["standard", "reversed"]), default="standard",
              show_default=True, help="Butterfly factor order (SPEC §2).")
@click.option("--bitrev", is_flag=True, help="Bit-reverse the columns first (DFT).")
@click.option("--perm", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Column permutation file (.npy or text): factorize A[:, perm].")
@click.option("--orthonormalize/--no-orthonormalize", default=True, show_default=True,
              help="Orthonormalized variant (THEORY T7).")
@click.option("--cross-check", is_flag=True,
              help="Also run the exact path (integer/DFT inputs) and compare the factors.")
@json_quiet
def butterfly_cmd(matrix: str, tree: str, order: str, bitrev: bool, perm: Path | None,
                  orthonormalize: bool, cross_check: bool, as_json: bool, quiet: bool) -> int:
    """Factorize a matrix file or generator spec into butterfly factors (hierarchical).

    MATRIX is a .npy/.npz/.mtx file or dft:N, hadamard:N, random-butterfly:N[:seed][:noise=EPS].

    Example: fsmf-check butterfly dft:1024 --bitrev --tree left

    Cross-checked against the exact engine: fsmf-check butterfly hadamard:64 --cross-check
    """
    from fsmf_check.errors import NotApplicableError
    from fsmf_check.commands.solve import butterfly_matrix

    started = time.perf_counter()
    bar = _progress("butterfly", as_json, quiet)
    try:
        outcome = butterfly_matrix(matrix, tree=tree, order=order, bitrev_columns=bitrev,
                                   perm=perm, orthonormalize=orthonormalize, progress=bar)
    except NotApplicableError as exc:
        raise click.UsageError(f"butterfly: {exc}") from None
    finally:
        if bar is not None:
            bar.close()
    if cross_check:
        from fsmf_check.commands.certify import butterfly_cross_check

        if perm is not None:
            raise click.UsageError("butterfly: --cross-check does not take --perm")
        result, lines = butterfly_cross_check(matrix, tree=tree, order=order,
                                              bitrev_columns=bitrev,
                                              orthonormalize=orthonormalize)
        outcome.results["cross_check"] = result
        outcome.text += "\n" + "\n".join(lines)
    return _emit(outcome, as_json, quiet, started)


@cli.command()
@click.argument("case", type=_CASE)
@click.option("--tree", type=click.Choice(["balanced", "left", "right"]), default="balanced",
              show_default=True, help="Factor-bracketing tree of the exact chain recovery.")
@click.option("--backend", type=click.Choice(["flint", "sympy"]), default="flint",
              show_default=True, help="Exact arithmetic backend.")
@json_quiet
def certify(case: Path, tree: str, backend: str, as_json: bool, quiet: bool) -> int:
    """Certify exactly whether the case's target is a product, and whether it is identifiable.

    Exit 0: member (certificate), 1: not a member (refutation), 3: undecided.

    Example: fsmf-check certify cases/e4-lu-2x2.toml --json
    """
    from fsmf_check.inputs.cases import load_case
    from fsmf_check.commands.certify import certify_case

    started = time.perf_counter()
    return _emit(certify_case(load_case(case), backend=backend, tree=tree), as_json, quiet,
                 started)


@cli.command()
@click.argument("case", type=_CASE)
@click.option("--qe/--no-qe", default=None,
              help="Also try the z3 quantifier-elimination decision (THEORY 3.4) on tiny "
                   "undecided instances (default: when z3 is installed).")
@click.option("--qe-timeout", type=click.FloatRange(min=0.1, max=3600), default=5.0,
              show_default=True, help="Time limit for z3, in seconds.")
@json_quiet
def closedness(case: Path, qe: bool | None, qe_timeout: float, as_json: bool,
               quiet: bool) -> int:
    """Decide whether the set of products is closed: theorem, exact witness, or unknown.

    Exit 0 closed, 1 not closed (with an exactly verified witness), 3 unknown.

    Example: fsmf-check closedness cases/nonclosed-lu-3x3.toml --json
    """
    from fsmf_check.commands.closedness import closedness_outcome

    started = time.perf_counter()
    return _emit(closedness_outcome(case, qe="auto" if qe is None else qe,
                                    qe_timeout_s=qe_timeout), as_json, quiet, started)


@cli.command()
@click.argument("case", type=_CASE)
@click.option("-o", "--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for report.md, report.json and the PNG pictures.")
@click.option("--pictures/--no-pictures", default=True, show_default=True,
              help="Draw the PNG pictures.")
@click.option("--qe/--no-qe", default=None,
              help="Let the closedness section try z3 quantifier elimination (default: when "
                   "z3 is installed).")
@json_quiet
def report(case: Path, out_dir: Path, pictures: bool, qe: bool | None, as_json: bool,
           quiet: bool) -> int:
    """Write report.md, report.json and pictures for a case (every verdict, witness, re-check).

    Example: fsmf-check report cases/e4-lu-2x2.toml -o out/lu
    """
    from fsmf_check.report import write_report

    started = time.perf_counter()
    return _emit(write_report(case, out_dir, pictures=pictures,
                              qe="auto" if qe is None else qe), as_json, quiet, started)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="fsmf-check")
