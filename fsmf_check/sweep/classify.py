r"""Answer a sweep's questions for one case (or a chunk of cases) with the engines.

Each question is answered by the same engine the single-case commands use:

=================  ========================================================================
question           engine
=================  ========================================================================
tractability       :func:`fsmf_check.analysis.tractability.decide_tractability` (T1-T3)
closedness         :func:`fsmf_check.closure.decide.decide_closedness` (T5), QE only if
                   the sweep file says ``qe = true``
membership         :func:`fsmf_check.exact.decide_membership` on the case's exact target
identifiability    :func:`fsmf_check.exact.decide_identifiability` (the target's
                   factorization, or the pattern when the sweep has no targets; T8)
landscape          :func:`fsmf_check.landscape.search.search_local_minima` (T10, numeric)
=================  ========================================================================

Chain sweeps (``kind = "chain"``, :func:`classify_chain_case`) use the chain engines:

=================  ========================================================================
question           engine
=================  ========================================================================
tractability       :func:`fsmf_check.analysis.chains.decide_chain` (every split and the
                   left, right and balanced trees; T6, T7)
closedness         :func:`fsmf_check.closure.decide.decide_closedness` on the chain (T5)
membership         :func:`fsmf_check.exact.decide_chain_membership` on the exact target
                   (T7, T9)
identifiability    :func:`fsmf_check.exact.decide_chain_identifiability` (T8), from the
                   membership answer
=================  ========================================================================

A results line keeps a summary of each answer (verdict, theorem, rule or method, the witness
indices); counterexamples (``not-closed``, ``not-identifiable``, ``spurious-local-minimum``)
are returned in full, witness included, for the counterexample files. Nothing here depends on
timing or on which process runs the case, so the lines are reproducible byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from fsmf_check.model.numbers import format_exact
from fsmf_check.model.supports import Chain, SupportPattern
from fsmf_check.sweep.chains import ChainCase
from fsmf_check.sweep.enumeration import SweepCase
from fsmf_check.sweep.spec import SweepSpec

__all__ = ["CaseResult", "COUNTEREXAMPLE_VERDICTS", "classify_case", "classify_chain_case",
           "classify_chunk", "plain"]

#: The verdicts whose full result is kept as a counterexample file.
COUNTEREXAMPLE_VERDICTS = {"closedness": "not-closed", "identifiability": "not-identifiable",
                           "landscape": "spurious-local-minimum"}


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One results line (JSON-ready) and the full results of its counterexamples."""

    index: int
    line: dict[str, Any]
    counterexamples: dict[str, dict[str, Any]] = field(default_factory=dict)


def plain(obj: object) -> object:
    """JSON-ready copy: exact numbers as strings, numpy scalars as Python numbers.

    Examples
    --------
    >>> plain({"a": (np.int64(2), Fraction(1, 3)), "b": np.float64(0.5)})
    {'a': [2, '1/3'], 'b': 0.5}
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj)
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, Fraction) or hasattr(obj, "to_exact_string"):
        return format_exact(obj)
    if hasattr(obj, "to_dict"):
        return plain(obj.to_dict())
    return str(obj)


def _masks(case: SweepCase) -> tuple[np.ndarray, np.ndarray]:
    Im = np.array([[c == "1" for c in row] for row in case.I], dtype=np.int8)
    Jm = np.array([[c == "1" for c in row] for row in case.J], dtype=np.int8)
    return Im, Jm


def _tractability(pattern: SupportPattern) -> tuple[dict[str, Any], Any]:
    from fsmf_check.analysis.tractability import decide_tractability

    res = decide_tractability(pattern)
    d = res.to_dict()
    out = {"verdict": d["verdict"], "theorem": d["theorem"], "rule": d["rule"],
           "exact": d["exact"], "n_classes": d["n_classes"]}
    w = d.get("witness")
    if isinstance(w, dict):
        out["witness"] = {"supports": w["supports"], "entry": w["entry"]}
    return out, res


def _closedness(pattern: SupportPattern | Chain, spec: SweepSpec) -> tuple[dict[str, Any], dict]:
    from fsmf_check.closure.decide import decide_closedness

    d = plain(decide_closedness(pattern, qe=spec.qe).to_dict())
    assert isinstance(d, dict)
    ev = d.get("evidence") or {}
    out = {"verdict": d["verdict"], "theorem": d["theorem"], "exact": d["exact"],
           "rule": ev.get("rule") or ev.get("method")}
    return out, d


def _membership(pattern: SupportPattern, A: Sequence[Sequence[int]], tract: Any
                ) -> tuple[dict[str, Any], Any]:
    from fsmf_check.exact import decide_membership

    res = decide_membership([list(row) for row in A], pattern, tract=tract)
    return {"verdict": res.verdict, "theorem": res.theorem, "exact": True,
            "method": res.method}, res


def _identifiability(pattern: SupportPattern, A: Sequence[Sequence[int]] | None,
                     membership: Any, tract: Any) -> tuple[dict[str, Any], dict]:
    from fsmf_check.exact import decide_identifiability

    target = None if A is None else [list(row) for row in A]
    res = decide_identifiability(target, pattern, membership=membership, tract=tract)
    full = plain(res.to_dict())
    assert isinstance(full, dict)
    return {"verdict": res.verdict, "theorem": res.theorem, "exact": True,
            "method": res.method, "scope": res.scope, "up_to": res.up_to}, full


def _landscape(case: SweepCase, spec: SweepSpec, Im: np.ndarray, Jm: np.ndarray
               ) -> tuple[dict[str, Any], dict]:
    from fsmf_check.landscape.search import search_local_minima

    m, r, n = spec.shape
    if not Im.any() and not Jm.any():
        # no free entry: the only product is 0, so there is one point and nothing spurious
        # (the search itself needs at least one parameter)
        out = {"verdict": "none-found", "theorem": "T10", "exact": True, "numeric": False,
               "rule": "no-free-entries"}
        return out, dict(out)
    if case.target is not None:
        Y = np.array(case.target, dtype=float)
        source = f"the case target ({spec.target})"
    else:
        Y = np.random.default_rng([spec.landscape_seed, case.index, 2]).standard_normal((m, n))
        source = f"standard normal, numpy.random.default_rng([{spec.landscape_seed}, " \
                 f"{case.index}, 2])"
    res = search_local_minima(Y, np.eye(n), Im.astype(float), Jm.T.astype(float),
                              n_starts=spec.landscape_starts, seed=spec.landscape_seed,
                              max_iter=spec.landscape_max_iter)
    full = plain(res.to_dict())
    assert isinstance(full, dict)
    full["target"] = {"source": source, "A": Y.tolist()}
    out = {"verdict": full["verdict"], "theorem": "T10", "exact": False, "numeric": True,
           "n_starts": res.n_starts, "n_stationary": res.n_stationary,
           "losses": [mn.loss for mn in res.minima],
           "spurious_losses": [mn.loss for mn in res.spurious]}
    return out, full


def classify_case(spec: SweepSpec, case: SweepCase) -> CaseResult:
    """Answer every question of ``spec`` for one case.

    Returns
    -------
    CaseResult
        ``line`` is the results line (``index``, ``supports`` with ``X`` = I and ``Y`` = J as
        0/1 row strings, ``orbit_size`` and ``target`` when present, ``results`` per question);
        ``counterexamples`` maps a question to its full result when the verdict is one of
        :data:`COUNTEREXAMPLE_VERDICTS`.

    Notes
    -----
    Tractability T1-T3, closedness T5, membership T2/T3/T8, identifiability T8 (exact);
    landscape T10 (numeric, labeled ``exact: false``). Cost: that of the engines on one
    small pattern.

    Examples
    --------
    >>> from fsmf_check.sweep.spec import parse_sweep
    >>> spec = parse_sweep({"name": "x", "kind": "two-factor",
    ...                     "questions": ["tractability", "closedness"],
    ...                     "enumerate": {"shape": [2, 2, 2]}})
    >>> res = classify_case(spec, SweepCase(187, ("10", "11"), ("10", "11")))
    >>> res.line["results"]["closedness"]["verdict"], sorted(res.counterexamples)
    ('not-closed', ['closedness'])
    """
    Im, Jm = _masks(case)
    pattern = SupportPattern(Im, Jm)
    results: dict[str, Any] = {}
    full: dict[str, dict[str, Any]] = {}
    tract = membership = None
    for q in spec.questions:
        if q == "tractability":
            results[q], tract = _tractability(pattern)
        elif q == "closedness":
            results[q], full[q] = _closedness(pattern, spec)
        elif q == "membership":
            assert case.target is not None
            results[q], membership = _membership(pattern, case.target, tract)
        elif q == "identifiability":
            results[q], full[q] = _identifiability(pattern, case.target, membership, tract)
        else:
            results[q], full[q] = _landscape(case, spec, Im, Jm)
    line: dict[str, Any] = {"index": case.index,
                            "supports": {"X": list(case.I), "Y": list(case.J)}}
    if case.orbit_size is not None:
        line["orbit_size"] = case.orbit_size
    if case.target is not None:
        line["target"] = [list(row) for row in case.target]
    line["results"] = results
    counter = {q: full[q] for q, bad in COUNTEREXAMPLE_VERDICTS.items()
               if q in full and results[q]["verdict"] == bad}
    return CaseResult(index=case.index, line=line, counterexamples=counter)


def _chain_tractability(chain: Chain) -> dict[str, Any]:
    from fsmf_check.analysis.chains import decide_chain

    res = decide_chain(chain)
    ok = [s.s for s in res.splits if s.result.tractable]
    return {"verdict": res.verdict, "theorem": res.theorem, "rule": res.rule, "exact": True,
            "certified_trees": [t.tree for t in res.trees if t.all_tractable],
            "certified_splits": len(ok), "splits": len(res.splits), "tractable_splits": ok}


def _chain_membership(chain: Chain, target: Any) -> tuple[dict[str, Any], Any]:
    from fsmf_check.exact import decide_chain_membership

    res = decide_chain_membership(target, chain)
    return {"verdict": res.verdict, "theorem": res.theorem, "exact": True,
            "method": res.method}, res


def _chain_identifiability(chain: Chain, target: Any, membership: Any
                           ) -> tuple[dict[str, Any], dict]:
    from fsmf_check.exact import decide_chain_identifiability

    res = decide_chain_identifiability(target, chain, membership)
    full = plain(res.to_dict())
    assert isinstance(full, dict)
    return {"verdict": res.verdict, "theorem": res.theorem, "exact": True,
            "method": res.method, "scope": res.scope, "up_to": res.up_to}, full


def classify_chain_case(spec: SweepSpec, case: ChainCase) -> CaseResult:
    """Answer every question of a chain sweep for one random chain.

    Returns
    -------
    CaseResult
        ``line`` is the results line: ``index``, ``chain`` (``{"factors": [[row strings],
        ...]}`` or ``{"patterns": [[a, b, c, d], ...], "chainable": bool}``), ``target`` when
        present, ``results`` per question; ``counterexamples`` maps ``closedness`` /
        ``identifiability`` to its full result when ``not-closed`` / ``not-identifiable``.

    Notes
    -----
    Tractability T6/T7 (a tree is certified when every node's two-factor split is, T1-T3),
    closedness T5, membership T7/T9, identifiability T8; all exact. The exact target is the
    case's integer target (``as_exact_matrix``); identifiability is decided from the
    membership answer (computed even when membership is not asked).

    Examples
    --------
    >>> from fsmf_check.sweep.spec import parse_sweep
    >>> spec = parse_sweep({"name": "x", "kind": "chain", "questions": ["closedness"],
    ...     "sample": {"family": "explicit", "factors": 2, "dims": 2, "count": 1}})
    >>> lu = ChainCase(0, factors=(("10", "11"), ("11", "01")))
    >>> res = classify_chain_case(spec, lu)
    >>> res.line["results"]["closedness"]["verdict"], sorted(res.counterexamples)
    ('not-closed', ['closedness'])
    """
    chain = case.chain()
    results: dict[str, Any] = {}
    full: dict[str, dict[str, Any]] = {}
    target = membership = None
    if case.target is not None:
        from fsmf_check.exact.targets import as_exact_matrix

        target = as_exact_matrix([list(row) for row in case.target])
    for q in spec.questions:
        if q == "tractability":
            results[q] = _chain_tractability(chain)
        elif q == "closedness":
            results[q], full[q] = _closedness(chain, spec)
        elif q == "membership":
            results[q], membership = _chain_membership(chain, target)
        else:
            if membership is None:
                _, membership = _chain_membership(chain, target)
            results[q], full[q] = _chain_identifiability(chain, target, membership)
    line: dict[str, Any] = {"index": case.index, "chain": case.to_json()}
    if case.target is not None:
        line["target"] = [list(row) for row in case.target]
    line["results"] = results
    counter = {q: full[q] for q, bad in COUNTEREXAMPLE_VERDICTS.items()
               if q in full and results[q]["verdict"] == bad}
    return CaseResult(index=case.index, line=line, counterexamples=counter)


def classify_chunk(spec: SweepSpec, cases: Sequence[SweepCase | ChainCase]) -> list[CaseResult]:
    """Classify a chunk of cases in one task (one round trip per chunk, not per case)."""
    return [classify_chain_case(spec, case) if isinstance(case, ChainCase)
            else classify_case(spec, case) for case in cases]
