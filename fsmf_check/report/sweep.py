r"""Render a sweep: ``DIR/summary.md`` and ``DIR/verdicts.png`` (renders, computes nothing).

:func:`write_sweep` runs :func:`fsmf_check.commands.sweep.sweep_command` (which writes
``results.jsonl``, the counterexample files and ``summary.json``) and renders its summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fsmf_check.commands.outcome import Outcome
from fsmf_check.commands.sweep import sweep_command
from fsmf_check.files import atomic_write_text
from fsmf_check.sweep.run import Progress

__all__ = ["write_sweep", "render_sweep_markdown"]


def _supports(s: dict[str, Any]) -> str:
    if "chain" in s:
        chain = s["chain"]
        if "patterns" in chain:
            return "patterns " + " · ".join(f"({a},{b},{c},{d})"
                                            for a, b, c, d in chain["patterns"])
        return "factors " + " · ".join(str(rows) for rows in chain["factors"])
    return f"X = {s['supports']['X']}, Y = {s['supports']['Y']}"


def _chain_family(summary: dict[str, Any]) -> str:
    ch, smp = summary["chain"], summary["sample"]
    lo, hi = ch["factors"]
    nf = f"{lo}" if lo == hi else f"{lo} to {hi}"
    if ch["family"] == "explicit":
        dl, dh = ch["dims"]
        return (f"{smp['count']} random explicit chains of {nf} factors, dimensions in "
                f"[{dl}, {dh}] (density {ch['density']}, seed {smp['seed']})")
    ranges = ", ".join(f"{k} in [{ch[k][0]}, {ch[k][1]}]" for k in "abcd")
    keep = "chainable chains only" if ch["chainable_only"] else "chainable or not"
    return (f"{smp['count']} random Kronecker chains of {nf} factors, {ranges} ({keep}, "
            f"seed {smp['seed']})")


def render_sweep_markdown(summary: dict[str, Any], picture: str | None) -> str:
    """Render the Markdown page of a sweep summary (counts, combined classes, examples, files).

    Examples
    --------
    >>> s = {"name": "x", "description": "", "mode": "enumerate",
    ...      "shape": {"m": 1, "r": 1, "n": 1}, "cases": 1, "symmetry": "none", "pairs": 4,
    ...      "counts": {"closedness": {"closed": 1}}, "rules": {}, "smallest": {},
    ...      "counterexamples": [], "numeric_questions": []}
    >>> print(render_sweep_markdown(s, None).splitlines()[0])
    # Sweep x
    """
    lines = [f"# Sweep {summary['name']}", ""]
    if summary.get("description"):
        lines += [summary["description"], ""]
    sh = summary.get("shape", {})
    if "chain" in summary:
        fam = _chain_family(summary)
    elif summary["mode"] == "enumerate":
        fam = (f"every support pair of shape m x r x n = {sh['m']} x {sh['r']} x {sh['n']} "
               f"({summary['pairs']} pairs)")
        if summary.get("symmetry") == "permutations":
            fam += (f", one per orbit under row, column and inner permutations: "
                    f"{summary['cases']} orbits covering {summary.get('pairs_covered')} pairs")
    else:
        smp = summary["sample"]
        fam = (f"{smp['count']} random support pairs of shape {sh['m']} x {sh['r']} x "
               f"{sh['n']} (density {smp['density']}, seed {smp['seed']})")
    lines += [f"Family: {fam}.", ""]
    if summary.get("target"):
        lines += [f"Targets: {summary['target']} integer matrices.", ""]
    weighted = "pair_counts" in summary
    lines += ["## Verdicts", "",
              "| question | verdict | cases |" + (" pairs |" if weighted else ""),
              "| --- | --- | --- |" + (" --- |" if weighted else "")]
    for q, counts in summary["counts"].items():
        for v, c in counts.items():
            row = f"| {q} | {v} | {c} |"
            if weighted:
                row += f" {summary['pair_counts'][q][v]} |"
            lines.append(row)
    if "landscape" in summary.get("numeric_questions", []):
        lines += ["", "Landscape verdicts are numeric (seeded local searches, T10): "
                  "`none-found` proves nothing, `spurious-local-minimum` is a numerically "
                  "certified second-order point."]
    if summary.get("trees") is not None:
        lines += ["", "## Chain tractability", "",
                  "Cases whose tree has a certified two-factor problem at every node ("
                  "T7):", "", "| tree | cases |", "| --- | --- |"]
        lines += [f"| {t} | {c} |" for t, c in summary["trees"].items()]
        lines += ["", "| certified top-level splits | cases |", "| --- | --- |"]
        lines += [f"| {k} | {c} |" for k, c in summary["certified_splits"].items()]
    if summary.get("chainable"):
        lines += ["", "Kronecker chainability (T6): " + ", ".join(
            f"{c} {k}" for k, c in summary["chainable"].items()) + "."]
    if summary.get("combined"):
        lines += ["", "## Tractability and closedness together", "",
                  "| tractability/closedness | cases |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in summary["combined"].items()]
    if summary.get("rules"):
        lines += ["", "## Rules that decided", "", "| question | rule | cases |",
                  "| --- | --- | --- |"]
        for q, rules in summary["rules"].items():
            lines += [f"| {q} | {k} | {v} |" for k, v in rules.items()]
    if summary.get("smallest"):
        lines += ["", "## Smallest example of each verdict", "",
                  "Fewest nonzeros in I and J (in all factor masks for chains), first in "
                  "enumeration order among ties.", "",
                  "| question | verdict | case | nnz | supports |",
                  "| --- | --- | --- | --- | --- |"]
        for q, per in summary["smallest"].items():
            for v, s in per.items():
                lines.append(f"| {q} | {v} | {s['index']} | {s['nnz']} | {_supports(s)} |")
    lines += ["", "## Counterexamples", ""]
    if summary["counterexamples"]:
        lines += [f"{len(summary['counterexamples'])} files (full result, witness included):",
                  ""]
        lines += [f"- case {c['index']}, {c['question']} {c['verdict']}: `{c['file']}`"
                  for c in summary["counterexamples"]]
    else:
        lines.append("None.")
    if picture:
        lines += ["", f"![verdict counts]({picture})"]
    lines += ["", "Files: `results.jsonl` (one line per case), `summary.json`.", ""]
    return "\n".join(lines)


def write_sweep(sweep: Path | str, out_dir: Path | str, *, workers: int = 1,
                scheduler: str | None = None, pictures: bool = True,
                progress: Progress | None = None) -> Outcome:
    """Run a sweep (resuming ``out_dir``) and write ``summary.md`` and ``verdicts.png``.

    Returns the command's :class:`~fsmf_check.commands.outcome.Outcome`.
    """
    data = sweep_command(sweep, out_dir, workers=workers, scheduler=scheduler,
                         progress=progress)
    out = Path(out_dir)
    picture = None
    if pictures and data.summary["counts"]:
        from fsmf_check.report import pictures as pics

        picture = "verdicts.png"
        pics.verdict_bars_png(data.summary["counts"], out / picture,
                              f"sweep {data.summary['name']}: cases per verdict")
    atomic_write_text(out / "summary.md", render_sweep_markdown(data.summary, picture))
    return data.outcome
