r"""Collect everything ``fsmf-check report CASE -o DIR`` shows about one case.

Collects every answer the tool can give about one case — tractability (T1-T3, T6),
closedness (T5) with its independently re-checked witness, the exact membership /
identifiability certificate (fsmf_check.exact, when available), the numeric optimum
(fsmf_check.numeric, when available) and landscape facts (T10) — and writes
``report.json`` (the JSON envelope, command ``report``), ``report.md`` and PNG pictures,
all atomically. Everything outside the ``run`` section is deterministic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsmf_check.errors import ExactnessError, NotApplicableError, SizeLimitError
from fsmf_check.inputs.cases import Case, load_case

__all__ = ["ReportData", "collect_report", "collect_results"]

def _tractability(case: Case) -> dict[str, Any]:
    from fsmf_check.commands.analyze import tractability_of_case

    return tractability_of_case(case)

def _closedness(case: Case, qe: bool | str) -> dict[str, Any]:
    from fsmf_check.closure.decide import decide_closedness
    from fsmf_check.verify.closedness import verify_closedness

    res = decide_closedness(case, qe=qe).to_dict()
    check = verify_closedness(res)
    res["independent_check"] = {"checker": "fsmf_check.verify.closedness",
                                "verified": check.verified, "checks": list(check.checks)}
    return res

def _optional_engines(case: Case, omitted: dict[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if case.target is None:
        omitted["membership"] = "the case has no [target]"
        omitted["solve"] = "the case has no [target]"
        return out
    from fsmf_check.commands.certify import certify_case
    from fsmf_check.commands.solve import solve_case

    if not case.target.is_exact:
        omitted["membership"] = ("the target is numeric (floats); exact certificates need exact "
                                 "entries (integers, p/q, a+bi)")
    else:
        try:
            out.update(certify_case(case).results)
        except (NotApplicableError, SizeLimitError, ExactnessError) as exc:
            omitted["membership"] = f"the exact engine does not apply: {exc}"
    try:
        out.update(solve_case(case).results)
    except (NotApplicableError, SizeLimitError) as exc:
        omitted["solve"] = f"the numeric solver does not apply: {exc}"
    return out

def _landscape(case: Case, tract: dict[str, Any], clo: dict[str, Any],
               omitted: dict[str, str]) -> dict[str, Any] | None:
    from fsmf_check.commands.landscape import landscape_of_case

    try:
        d = landscape_of_case(case, starts=8, seed=0).to_dict()
    except (NotApplicableError, SizeLimitError) as exc:
        omitted["landscape"] = f"the landscape certifier does not apply: {exc}"
        return None
    if clo.get("verdict") == "not-closed":
        d["note"] = ("the set of products is not closed (T5), so minimizing sequences may "
                     "diverge; only converged stationary points are listed")
    return d

def collect_results(case: Case, *, qe: bool | str = "auto") -> tuple[dict[str, dict[str, Any]],
                                                                     dict[str, str]]:
    """Compute every result of the report; return (results, omitted sections with reasons)."""
    omitted: dict[str, str] = {}
    results: dict[str, dict[str, Any]] = {}
    results["tractability"] = _tractability(case)
    results["closedness"] = _closedness(case, qe)
    results.update(_optional_engines(case, omitted))
    land = _landscape(case, results["tractability"], results["closedness"], omitted)
    if land is not None:
        results["landscape"] = land
    return results, omitted

def _overlap_edges(classes: list[dict[str, Any]] | None) -> list[tuple[int, int]]:
    if not classes:
        return []
    edges = []
    for a in range(len(classes)):
        for b in range(a + 1, len(classes)):
            ra, rb = set(classes[a]["rows"]), set(classes[b]["rows"])
            ca, cb = set(classes[a]["cols"]), set(classes[b]["cols"])
            if ra & rb and ca & cb:
                edges.append((a, b))
    return edges

@dataclass(frozen=True, slots=True, kw_only=True)
class ReportData:
    """Everything a report shows about one case, computed; :mod:`fsmf_check.report` renders it."""

    case: Case
    results: dict[str, dict[str, Any]]
    omitted: dict[str, str]
    overlap_edges: list[tuple[int, int]]
    elapsed_s: float

def collect_report(case: Case | Path | str, *, qe: bool | str = "auto") -> ReportData:
    r"""Compute every answer a report shows for a case (a Case or a case-file path).

    Examples
    --------
    >>> from fsmf_check.inputs.cases import parse_case
    >>> data = collect_report(parse_case({"name": "e1", "supports": {"I": ["10", "01"],
    ...                                                              "J": ["10", "01"]}}))
    >>> data.results["closedness"]["verdict"], data.overlap_edges
    ('closed', [])
    """
    started = time.perf_counter()
    case = case if isinstance(case, Case) else load_case(case)
    results, omitted = collect_results(case, qe=qe)
    edges = _overlap_edges(results["tractability"].get("classes"))
    return ReportData(case=case, results=results, omitted=omitted, overlap_edges=edges,
                      elapsed_s=time.perf_counter() - started)
