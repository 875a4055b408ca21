"""The ``fsmf-check`` command line (docs/reference/cli.md). The only module that imports click.

Each command parses its arguments, calls one library function that returns an
:class:`~fsmf_check.commands.outcome.Outcome`, and renders it (human text, or one JSON object with
``--json``). Exit codes (docs/reference/cli.md): 0 ran / property holds, 1 refuted or an
expectation failed, 2 bad input or usage (one ``Error:`` line on stderr), 3 undecided, 4
internal error (one line; ``--debug`` prints the traceback), 130 interrupted.
"""

from __future__ import annotations

import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

import click

from fsmf_check.commands.outcome import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, Outcome
from fsmf_check.errors import ExactnessError, FsmfError, InvalidInputError, NotApplicableError
from fsmf_check.report.envelope import dumps, envelope

__all__ = ["cli", "main"]

_CASE = click.Path(exists=True, dir_okay=False, path_type=Path)


class _Group(click.Group):
    """A click group that turns every failure into one line and a SPEC exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,  # noqa: ANN001, ANN201
             **extra):
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        if not debug:
            # numerical RuntimeWarnings are not for the user: a result or one Error line is
            warnings.simplefilter("ignore", RuntimeWarning)
        try:
            rv = super().main(args=argv, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt):
            # Ctrl-C: every output is written atomically, so nothing partial is left behind
            click.echo("Error: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as exc:
            click.echo(f"Error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code if exc.exit_code in (1, 2, 3, 4) else EXIT_USAGE)
        except (InvalidInputError, ExactnessError) as exc:
            click.echo(f"Error: {_one_line(str(exc))}", err=True)
            sys.exit(EXIT_USAGE)
        except NotApplicableError as exc:
            # a valid input the command does not apply to (e.g. landscape on a chain): usage
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
        except OSError as exc:
            # a path the user gave cannot be used (name too long, permissions, ...): bad input
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: cannot use {_one_line(str(where))}{exc.strerror or exc}",
                       err=True)
            sys.exit(EXIT_USAGE)
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
    """Add the docs/reference/cli.md ``--json`` and ``--quiet`` options to a command."""
    func = click.option("--quiet", "-q", is_flag=True, help="No progress or human text.")(func)
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON object on stdout.")(func)


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
@click.option("--max-memory", default=None, metavar="SIZE",
              help="Memory budget, e.g. 2G or 1500M (default: $FSMF_CHECK_MAX_MEMORY, else 4G). "
                   "Work estimated above it is refused at once with exit 2.")
def cli(debug: bool, max_memory: str | None) -> None:
    """Decide and certify properties of fixed-support matrix factorizations.

    Example: fsmf-check analyze cases/e4-lu-2x2.toml
    """
    from fsmf_check._limits import max_memory as current
    from fsmf_check._limits import set_max_memory

    set_max_memory(max_memory)
    current()  # a malformed FSMF_CHECK_MAX_MEMORY is a usage error before any work


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
              help="Write the factors to this file (atomically): .npz, .json (lazylinop) or "
                   ".mat (pyfaust).")
@click.option("--format", "save_format", type=click.Choice(["npz", "json", "mat"]),
              default=None, help="Factor-file layout (default: from the --save suffix).")
@click.option("--tree", type=click.Choice(["left", "right", "balanced"]), default=None,
              help="Chains: factor-bracketing tree (T7) [default: the first certified "
                   "of left, right, balanced].")
@click.option("--orthonormalize/--no-orthonormalize", default=True, show_default=True,
              help="Chains: orthonormalized variant (T7).")
@json_quiet
def solve(case: Path, save: Path | None, save_format: str | None, tree: str | None,
          orthonormalize: bool, as_json: bool, quiet: bool) -> int:
    """Solve a case numerically: global optimum (certified two-factor) or hierarchical (chain).

    Example: fsmf-check solve cases/e1-dto-singletons.toml --save factors.npz

    Chains: fsmf-check solve cases/butterfly-16-standard.toml --tree balanced --no-orthonormalize
    """
    from fsmf_check.commands.solve import solve_case
    from fsmf_check.errors import NotApplicableError
    from fsmf_check.inputs.cases import load_case

    started = time.perf_counter()
    loaded = load_case(case)
    bar = _progress("solve", as_json, quiet)
    try:
        outcome = solve_case(loaded, save=save, progress=bar, save_format=save_format,
                             tree=tree, orthonormalize=orthonormalize)
    except NotApplicableError as exc:
        msg = f"solve: {exc}"
        raise click.UsageError(msg) from None
    finally:
        if bar is not None:
            bar.close()
    return _emit(outcome, as_json, quiet, started)


@cli.command("butterfly")
@click.argument("matrix")
@click.option("--tree", type=click.Choice(["left", "right", "balanced"]), default="left",
              show_default=True, help="Factor-bracketing tree (T7).")
@click.option("--chain", "chain_spec", default="square-dyadic", show_default=True,
              metavar="SPEC",
              help="Factor supports: square-dyadic | monarch[:P:Q] | a,b,c,d;a,b,c,d;... "
                   "(Kronecker patterns I_a x 1_{b x c} x I_d left to right, as lazylinop).")
@click.option("--order", type=click.Choice(["standard", "reversed"]), default="standard",
              show_default=True, help="Square-dyadic factor order (docs/theory.md §1).")
@click.option("--bitrev", is_flag=True, help="Bit-reverse the columns first (DFT).")
@click.option("--perm", default=None, metavar="FILE|auto",
              help="Column permutation file (.npy or text): factorize A[:, perm]; 'auto' "
                   "finds the permutation (docs/permutations.md).")
@click.option("--orthonormalize/--no-orthonormalize", default=True, show_default=True,
              help="Orthonormalized variant (T7).")
@click.option("--cross-check", is_flag=True,
              help="Also run the exact path (integer/DFT inputs) and compare the factors.")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the factors and the permutation (atomically): .npz, .json "
                   "(lazylinop) or .mat (pyfaust).")
@click.option("--format", "save_format", type=click.Choice(["npz", "json", "mat"]),
              default=None, help="Factor-file layout (default: from the --save suffix).")
@json_quiet
def butterfly_cmd(matrix: str, chain_spec: str, tree: str, order: str, bitrev: bool,
                  perm: str | None, orthonormalize: bool, cross_check: bool, save: Path | None,
                  save_format: str | None, as_json: bool, quiet: bool) -> int:
    """Factorize a matrix file or generator spec into butterfly factors (hierarchical).

    MATRIX is a .npy/.npz/.mtx file or dft:N, hadamard:N, random-butterfly:N[:seed][:noise=EPS].

    Example: fsmf-check butterfly dft:1024 --bitrev --tree left

    Other chains: fsmf-check butterfly M.npy --chain monarch:4:8 (or --chain "1,4,8,4;8,4,8,1")

    Cross-checked against the exact engine: fsmf-check butterfly hadamard:64 --cross-check
    """
    from fsmf_check.commands.solve import butterfly_matrix
    from fsmf_check.errors import NotApplicableError

    started = time.perf_counter()
    if cross_check and chain_spec.strip() != "square-dyadic":
        msg = "butterfly: --cross-check needs --chain square-dyadic"
        raise click.UsageError(msg)
    bar = _progress("butterfly", as_json, quiet)
    try:
        outcome = butterfly_matrix(matrix, tree=tree, order=order, bitrev_columns=bitrev,
                                   perm=perm, orthonormalize=orthonormalize, progress=bar,
                                   save=save, save_format=save_format, chain=chain_spec)
    except NotApplicableError as exc:
        msg = f"butterfly: {exc}"
        raise click.UsageError(msg) from None
    finally:
        if bar is not None:
            bar.close()
    if cross_check:
        from fsmf_check.commands.certify import butterfly_cross_check

        if perm is not None:
            msg = "butterfly: --cross-check does not take --perm"
            raise click.UsageError(msg)
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
@click.option("--certificate", "certificate", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the membership certificate to FILE (and the "
              "identifiability certificate to FILE's .identifiability twin).")
@json_quiet
def certify(case: Path, tree: str, backend: str, certificate: Path | None, as_json: bool,
            quiet: bool) -> int:
    """Certify exactly whether the case's target is a product, and whether it is identifiable.

    Exit 0: member (certificate), 1: not a member (refutation), 3: undecided.

    Example: fsmf-check certify cases/e4-lu-2x2.toml --json
    """
    from fsmf_check.commands.certify import certify_case
    from fsmf_check.inputs.cases import load_case

    started = time.perf_counter()
    return _emit(certify_case(load_case(case), backend=backend, tree=tree,
                              certificate=certificate), as_json, quiet, started)


@cli.command()
@click.argument("case", type=_CASE)
@click.option("--qe/--no-qe", default=None,
              help="Also try the z3 quantifier-elimination decision (theory §3.4) on tiny "
                   "undecided instances (default: when z3 is installed).")
@click.option("--qe-timeout", type=click.FloatRange(min=0.1, max=3600), default=30.0,
              show_default=True, help="Wall-clock safety net for z3, in seconds (the verdict "
                                      "is bounded by a deterministic step budget).")
@click.option("--certificate", "certificate", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the non-closedness certificate to FILE.")
@json_quiet
def closedness(case: Path, qe: bool | None, qe_timeout: float, certificate: Path | None,
               as_json: bool, quiet: bool) -> int:
    """Decide whether the set of products is closed: theorem, exact witness, or unknown.

    Exit 0 closed, 1 not closed (with an exactly verified witness), 3 unknown.

    Example: fsmf-check closedness cases/nonclosed-lu-3x3.toml --json
    """
    from fsmf_check.commands.closedness import closedness_outcome

    started = time.perf_counter()
    return _emit(closedness_outcome(case, qe="auto" if qe is None else qe,
                                    qe_timeout_s=qe_timeout, certificate=certificate),
                 as_json, quiet, started)


@cli.command()
@click.argument("cert", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_quiet
def verify(cert: Path, as_json: bool, quiet: bool) -> int:
    """Re-check a certificate file by exact arithmetic only (no engine is imported).

    Exit 0 verified, 1 refuted (the claim does not follow from the evidence), 2 malformed.

    Example: fsmf-check verify out/lu/closedness.cert.json
    """
    from fsmf_check.commands.verify import verify_file

    started = time.perf_counter()
    return _emit(verify_file(cert), as_json, quiet, started)


@cli.command()
@click.argument("case", type=_CASE)
@click.option("--starts", type=click.IntRange(min=1, max=10000), default=20, show_default=True,
              help="Number of seeded starts of the local search.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the starts (start s uses numpy.random.default_rng([seed, s])).")
@click.option("--certificate", "certificate", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the certificate of a spurious local minimum (schema "
                                 "fsmf-check/certificate/2) to this file.")
@json_quiet
def landscape(case: Path, starts: int, seed: int, certificate: Path | None, as_json: bool,
              quiet: bool) -> int:
    """Search local minima of 1/2||A - XY^T||^2 and certify spurious ones (T10).

    Exit 0 disjoint-or-identical supports (no spurious minima), 1 a spurious local minimum is
    certified, 3 none found.

    Example: fsmf-check landscape cases/landscape-e7-sparse-network.toml --certificate c.json
    """
    from fsmf_check.commands.landscape import landscape_outcome

    started = time.perf_counter()
    return _emit(landscape_outcome(case, starts=starts, seed=seed, certificate=certificate),
                 as_json, quiet, started)


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


@cli.command()
@click.argument("sweep_file", metavar="SWEEP.toml",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: results.jsonl, summary.json, summary.md (resumed if present).")
@click.option("--workers", type=click.IntRange(min=1, max=4096), default=1, show_default=True,
              help="Worker processes (local pool, or local Dask cluster).")
@click.option("--scheduler", default=None, metavar="dask|ADDRESS",
              help="'dask' for a local dask.distributed cluster, or a running scheduler's "
                   "address (tcp://host:port); default: a local process pool.")
@click.option("--pictures/--no-pictures", default=True, show_default=True,
              help="Draw verdicts.png.")
@json_quiet
def sweep(sweep_file: Path, out_dir: Path, workers: int, scheduler: str | None, pictures: bool,
          as_json: bool, quiet: bool) -> int:
    """Classify every case of a sweep file (enumerated or sampled supports, or random chains).

    Example: fsmf-check sweep sweeps/two-factor-2x2x2.toml -o out/sweep --workers 2
    """
    from fsmf_check.report.sweep import write_sweep

    started = time.perf_counter()
    show = not quiet and not as_json

    def progress(done: int, total: int) -> None:
        if show:
            width = 30
            filled = width * done // max(total, 1)
            click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", err=True,
                       nl=done >= total)

    outcome = write_sweep(sweep_file, out_dir, workers=workers, scheduler=scheduler,
                          pictures=pictures, progress=progress)
    return _emit(outcome, as_json, quiet, started)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="fsmf-check")
