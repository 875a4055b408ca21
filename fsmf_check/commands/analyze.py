"""Library entry point of ``fsmf-check analyze``: one case in, one :class:`Outcome` out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fsmf_check._limits import check_analysis_nnz
from fsmf_check.analysis.chains import decide_chain
from fsmf_check.analysis.tractability import decide_tractability
from fsmf_check.commands.outcome import EXIT_OK, Outcome
from fsmf_check.inputs.cases import Case, as_case
from fsmf_check.model.families import TruncatedChain

__all__ = ["analyze_case", "estimate_analysis", "tractability_of_case"]


def estimate_analysis(case: Case) -> int:
    """Support nonzeros the analysis of ``case`` handles explicitly (0 when in closed form).

    Structured Kronecker patterns and chains and truncated butterflies are decided in closed
    form (T6, T11); explicit patterns cost about ``nnz(I) + nnz(J)`` (hashing and
    sorting, near-linear), explicit chains about the nonzeros of their factor masks.
    """
    if case.pattern is not None:
        return 0 if case.pattern.is_structured else int(case.pattern.nnz)
    chain = case.chain
    assert chain is not None  # noqa: S101 - a case holds a pattern or a chain
    if chain.is_structured or isinstance(chain, TruncatedChain):
        return 0
    return int(sum(f.nnz for f in chain.factors))


def tractability_of_case(case: Case) -> dict[str, object]:
    """docs/reference/json-schema.md ``tractability`` result of a case (two-factor or chain).

    Raises
    ------
    SizeLimitError
        Before any work, when the explicit support is above ``MAX_ANALYSIS_NNZ``.
    """
    check_analysis_nnz(f"case {case.name}", estimate_analysis(case))
    if case.pattern is not None:
        return decide_tractability(case.pattern).to_dict()
    assert case.chain is not None  # noqa: S101 - a case holds a pattern or a chain
    return decide_chain(case.chain).to_dict()


def _closedness(case: Case) -> dict[str, object]:
    from fsmf_check.closure.decide import decide_closedness

    return decide_closedness(case).to_dict()


def _shown(indices: object) -> str:
    """Human form of an index list, or of the summary that index_set makes of a long one."""
    if isinstance(indices, list) and len(indices) > 16:
        return f"[{', '.join(map(str, indices[:8]))}, ... ({len(indices)} indices)]"
    if isinstance(indices, dict):
        runs = indices.get("runs")
        if isinstance(runs, list) and len(runs) <= 4:
            return " + ".join(f"range({a}, {b}, {c})" for a, b, c in runs)
        return f"{indices['count']} indices"
    return str(indices)


def analyze_case(case: Case | Path | str) -> Outcome:
    """Analyze a case: rank-one supports, classes, tractability verdict, closedness verdict.

    Notes
    -----
    T1-T3, T6 (tractability) and T5 (closedness). Exact and combinatorial.

    Examples
    --------
    >>> from fsmf_check.inputs.cases import parse_case
    >>> case = parse_case({"name": "e1", "supports": {"I": ["10", "01"], "J": ["10", "01"]}})
    >>> out = analyze_case(case)
    >>> out.results["tractability"]["verdict"], out.results["closedness"]["verdict"]
    ('tractable', 'closed')
    """
    case = as_case(case)
    tract: dict[str, Any] = tractability_of_case(case)
    results: dict[str, dict[str, Any]] = {"tractability": tract,
                                             "closedness": _closedness(case)}
    lines = [f"case {case.name}: {case.description}".rstrip(": ")]
    if case.pattern is not None:
        lines.append(f"pattern: {case.pattern.describe()}")
        lines.append(f"rank-one supports: {tract['rank_one_supports']} "
                     f"({tract['n_empty_supports']} empty), {tract['n_classes']} classes, "
                     f"{tract['n_complete_classes']} complete")
        if tract.get("classes"):
            for idx, c in enumerate(tract["classes"]):  # type: ignore[arg-type]
                members = _shown(c["members"])
                lines.append(f"  class {idx}: rows {_shown(c['rows'])} x cols "
                             f"{_shown(c['cols'])}, members {members}"
                             f"{' (complete)' if c['complete'] else ''}")
    else:
        lines.append(f"chain: {case.chain.describe()}")  # type: ignore[union-attr]
        for s in tract["splits"]:  # type: ignore[union-attr]
            lines.append(f"  split after F[{s['left'][1]}]: {s['verdict']}"
                         f"{' (' + s['rule'] + ')' if s['rule'] else ''}, {s['n_classes']} "
                         "classes")
        for t in tract["trees"]:  # type: ignore[union-attr]
            status = ("all nodes certified" if t["all_tractable"]
                      else f"node {t['first_failing_node']} not certified")
            lines.append(f"  tree {t['tree']}: {status}")
        kr = tract.get("kronecker")
        if kr:
            lines.append(f"  chainable: {kr['chainable']} (orientation: {kr['orientation']}), "
                         f"redundant pairs: "
                         f"{kr['redundant_pairs']}, reduced chain: {kr['reduced']}")
    verdict = tract["verdict"]
    rule = f" ({tract['rule']})" if tract.get("rule") else ""
    lines.append(f"tractability: {verdict}{rule} [{tract['theorem'] or 'no theorem'}]")
    lines.append(f"  {tract['explanation']}")
    clo = results["closedness"]
    lines.append(f"closedness: {clo['verdict']} [{clo.get('theorem') or 'no theorem'}]")
    lines.append(f"  {clo['explanation']}")
    return Outcome("analyze", results, "\n".join(lines), EXIT_OK, case.case_ref(), case.shape)
