r"""Collect everything ``fsmf-check report CASE -o DIR`` shows about one case.

Collects every answer the tool can give about one case — tractability (T1-T3, T6),
closedness (T5) with its independently re-checked witness, the exact membership /
identifiability certificate (fsmf_check.exact, when available), the numeric optimum
(fsmf_check.numeric, when available) and landscape facts (T10) — and writes
``report.json`` (the SPEC §5 envelope, command ``report``), ``report.md`` and PNG pictures,
all atomically. Everything outside the ``run`` section is deterministic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fsmf_check.inputs.cases import Case, load_case
from fsmf_check.errors import ExactnessError, InvalidInputError, NotApplicableError, SizeLimitError

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


def _is_e7(case: Case) -> bool:
    from fsmf_check.landscape.search import E7_TARGET

    if case.pattern is None or case.target is None or not case.target.is_exact:
        return False
    if case.pattern.shape != (3, 3, 2) or case.target.entries is None:
        return False
    e7 = np.array([[1, 0], [1, 1], [0, 1]])
    same_masks = (np.array_equal(case.pattern.I_dense(), e7)
                  and np.array_equal(case.pattern.J_dense(), e7))
    return same_masks and all(case.target.entries[i][j] == E7_TARGET[i][j]
                              for i in range(3) for j in range(3))


def _landscape(case: Case, tract: dict[str, Any], clo: dict[str, Any],
               omitted: dict[str, str]) -> dict[str, Any] | None:
    from fsmf_check.landscape.search import e7_certificate, lu_divergence, search_local_minima

    if case.pattern is None:
        omitted["landscape"] = "landscape facts are computed for two-factor cases only"
        return None
    if _is_e7(case):
        return e7_certificate().to_dict()
    P = case.pattern
    if P.shape == (2, 2, 2) and np.array_equal(P.I_dense(), [[1, 0], [1, 1]]) and \
            np.array_equal(P.J_dense(), [[1, 0], [1, 1]]):
        out = lu_divergence(steps=20000)
        return out.to_dict()
    if tract.get("rule") == "disjoint-or-identical":
        return {"verdict": "benign", "theorem": "T10",
                "explanation": ("The supports are disjoint or identical, so every local minimum "
                                "is global and there is no spurious valley ([LRG-SIMAX], "
                                "THEORY T10 §2.5): the loss decouples into independent "
                                "unconstrained low-rank problems."),
                "exact": True}
    t = case.target
    if t is None or t.entries is None:
        omitted["landscape"] = "no explicit target to probe the landscape with"
        return None
    if P.m * P.n > 400 or P.r > 12:
        omitted["landscape"] = "pattern too large for the seeded landscape probe (m*n > 400)"
        return None
    try:
        A = np.array([[float(x) if not hasattr(x, "im") else complex(float(x.re), float(x.im))
                       for x in row] for row in t.entries])
    except TypeError:
        omitted["landscape"] = "the target is not real"
        return None
    if np.iscomplexobj(A):
        omitted["landscape"] = "the landscape probe handles real targets only"
        return None
    res = search_local_minima(A, np.eye(P.n), P.I_dense().astype(float),
                              P.J_dense().T.astype(float), n_starts=8, seed=0, max_iter=1000)
    d = res.to_dict()
    d["inputs"] = {"target": "case target (as float64)", "X": "identity",
                   "starts": "numpy.random.default_rng([0, s]), s = 0..7",
                   "max_iter": 1000}
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
