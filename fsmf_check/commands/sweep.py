r"""``fsmf-check sweep SWEEP.toml -o DIR``: classify a family of supports (exit 0 when it ran).

Runs the missing cases (:func:`fsmf_check.sweep.run.run_sweep`), then summarizes every line of
``DIR/results.jsonl`` into ``DIR/summary.json``; :mod:`fsmf_check.report.sweep` adds
``summary.md`` and the plots. Verdicts are data here, not exit codes: a sweep that finds
counterexamples still exits 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsmf_check.commands.outcome import EXIT_OK, Outcome
from fsmf_check.files import atomic_write_text
from fsmf_check.sweep.run import Progress, SweepRun, read_results, run_sweep
from fsmf_check.sweep.spec import SweepSpec, load_sweep
from fsmf_check.sweep.summary import summarize

__all__ = ["SweepData", "sweep_command"]


@dataclass(frozen=True, slots=True)
class SweepData:
    """What the sweep command computed: the run, the summary and the outcome to render."""

    run: SweepRun
    summary: dict[str, Any]
    outcome: Outcome


def _text(run: SweepRun, summary: dict[str, Any]) -> str:
    lines = [f"sweep {summary['name']}: {run.total} cases ({run.resumed} already done, "
             f"{run.computed} computed) -> {run.out_dir}"]
    for q, counts in summary["counts"].items():
        shown = ", ".join(f"{v} {k}" for k, v in counts.items())
        lines.append(f"  {q}: {shown}")
    if summary["counterexamples"]:
        lines.append(f"  counterexamples: {len(summary['counterexamples'])} files in "
                     f"{run.out_dir / 'counterexamples'}")
    return "\n".join(lines)


def sweep_command(sweep: Path | str | SweepSpec, out_dir: Path | str, *, workers: int = 1,
                  scheduler: str | None = None, progress: Progress | None = None) -> SweepData:
    r"""Library entry point of ``fsmf-check sweep`` (writes results.jsonl and summary.json).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "s.toml").write_text('name = "lu"\nkind = "two-factor"\n'
    ...     'questions = ["closedness"]\n[enumerate]\nshape = [2, 2, 2]\n'
    ...     'symmetry = "permutations"\n')
    >>> data = sweep_command(d / "s.toml", d / "out")
    >>> data.summary["counts"]
    {'closedness': {'closed': 57, 'not-closed': 1}}
    >>> data.summary["pair_counts"]
    {'closedness': {'closed': 248, 'not-closed': 8}}
    """
    spec = sweep if isinstance(sweep, SweepSpec) else load_sweep(sweep)
    out = Path(out_dir)
    run = run_sweep(spec, out, workers=workers, scheduler=scheduler, progress=progress)
    summary = summarize(spec, read_results(out))
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False,
                                                        allow_nan=False) + "\n")
    outcome = Outcome(command="sweep", results={"sweep": summary}, text=_text(run, summary),
                      exit_code=EXIT_OK,
                      case={"name": spec.name, "source": None if isinstance(sweep, SweepSpec)
                            else str(sweep)},
                      shape=None if spec.kind == "chain" else
                      {"m": spec.shape[0], "n": spec.shape[2], "r": spec.shape[1]},
                      extra={"run": {"workers": workers, "scheduler": run.scheduler,
                                     "resumed": run.resumed, "computed": run.computed}})
    return SweepData(run=run, summary=summary, outcome=outcome)
