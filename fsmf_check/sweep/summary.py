r"""Summarize the results lines of a sweep: counts per verdict, smallest examples, counterexamples.

Everything is computed from ``results.jsonl`` alone (no timing), so ``summary.json`` is as
reproducible as the results. With ``symmetry = "permutations"`` each line stands for an orbit;
``pair_counts`` weighs it by its orbit size (the number of support pairs it represents).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fsmf_check.sweep.spec import SweepSpec

__all__ = ["SUMMARY_SCHEMA", "summarize", "nnz_of"]

SUMMARY_SCHEMA = "fsmf-check/sweep-summary/1"


def nnz_of(line: dict[str, Any]) -> int:
    """Count the nonzeros of ``I`` and ``J`` together (the size used for "smallest").

    For a chain line, the ones of all factor masks (``a*b*c*d`` per Kronecker pattern).

    Examples
    --------
    >>> nnz_of({"chain": {"patterns": [[1, 2, 2, 1], [2, 1, 1, 1]]}})
    6
    >>> nnz_of({"chain": {"factors": [["10", "11"], ["1", "0"]]}})
    4
    """
    if "chain" in line:
        chain = line["chain"]
        if "patterns" in chain:
            return sum(a * b * c * d for a, b, c, d in chain["patterns"])
        return sum(row.count("1") for rows in chain["factors"] for row in rows)
    return sum(row.count("1") for side in ("X", "Y") for row in line["supports"][side])


def _case_of(line: dict[str, Any]) -> dict[str, Any]:
    return {"chain": line["chain"]} if "chain" in line else {"supports": line["supports"]}


def summarize(spec: SweepSpec, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Count verdicts per question, rules, combined tractability/closedness classes.

    Returns
    -------
    dict
        ``counts`` (cases per verdict), ``pair_counts`` (support pairs per verdict, for
        symmetric enumerations), ``rules``, ``combined`` (``tractable/closed`` ...),
        ``smallest`` (per question and verdict, the case with the fewest nonzeros, first in
        enumeration order among ties) and ``counterexamples`` (index, question, file).
        Chain sweeps have ``chain`` (the sampled family) instead of ``shape``, and
        ``trees`` (cases whose left, right, balanced tree is certified at every node),
        ``certified_splits`` (cases per number of certified top-level splits, as
        ``"k/L-1"``) and, for Kronecker chains, ``chainable`` (cases per chainability).

    Examples
    --------
    >>> from fsmf_check.sweep.spec import parse_sweep
    >>> spec = parse_sweep({"name": "x", "kind": "two-factor", "questions": ["closedness"],
    ...                     "enumerate": {"shape": [1, 1, 1]}})
    >>> line = {"index": 0, "supports": {"X": ["0"], "Y": ["0"]},
    ...         "results": {"closedness": {"verdict": "closed", "rule": "output-dimension-1"}}}
    >>> summarize(spec, [line])["counts"]
    {'closedness': {'closed': 1}}
    """
    m, r, n = spec.shape
    chain_kind = spec.kind == "chain"
    trees: Counter[str] = Counter()
    splits: Counter[str] = Counter()
    chainable: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = {q: Counter() for q in spec.questions}
    pairs: dict[str, Counter[str]] = {q: Counter() for q in spec.questions}
    rules: dict[str, Counter[str]] = {q: Counter() for q in spec.questions
                                      if q in ("tractability", "closedness")}
    combined: Counter[str] = Counter()
    smallest: dict[str, dict[str, Any]] = {q: {} for q in spec.questions}
    counter: list[dict[str, Any]] = []
    for line in lines:
        weight = int(line.get("orbit_size", 1))
        size = nnz_of(line)
        res = line["results"]
        for q in spec.questions:
            v = res[q]["verdict"]
            counts[q][v] += 1
            pairs[q][v] += weight
            if q in rules:
                rules[q][str(res[q].get("rule") or "none")] += 1
            best = smallest[q].get(v)
            if best is None or size < best["nnz"]:
                smallest[q][v] = {"index": line["index"], "nnz": size, **_case_of(line)}
            if "certificate" in res[q]:
                counter.append({"index": line["index"], "question": q,
                                "verdict": v, "file": res[q]["certificate"]})
        if chain_kind:
            if "tractability" in res:
                trees.update(res["tractability"]["certified_trees"])
                splits[f"{res['tractability']['certified_splits']}/"
                       f"{res['tractability']['splits']}"] += 1
            if "chainable" in line["chain"]:
                chainable["chainable" if line["chain"]["chainable"] else "not-chainable"] += 1
        if "tractability" in res and "closedness" in res:
            combined[f"{res['tractability']['verdict']}/{res['closedness']['verdict']}"] += 1
    out: dict[str, Any] = {
        "schema": SUMMARY_SCHEMA, "name": spec.name, "description": spec.description,
        "mode": spec.mode}
    if chain_kind:
        fam: dict[str, Any] = {"family": spec.family, "factors": list(spec.factors)}
        if spec.family == "explicit":
            fam.update(dims=list(spec.dims), density=spec.density)
        else:
            fam.update({k: list(v) for k, v in zip("abcd", spec.kron, strict=True)},
                       chainable_only=spec.chainable)
        out["kind"] = "chain"
        out["chain"] = fam
    else:
        out["shape"] = {"m": m, "r": r, "n": n}
    out.update({"questions": list(spec.questions), "cases": len(lines),
                "counts": {q: dict(sorted(c.items())) for q, c in counts.items()}})
    if chain_kind:
        if "tractability" in spec.questions:
            out["trees"] = {t: trees[t] for t in ("left", "right", "balanced")}
            out["certified_splits"] = dict(sorted(splits.items()))
        if chainable:
            out["chainable"] = dict(sorted(chainable.items()))
    if spec.mode == "enumerate":
        out["symmetry"] = spec.symmetry
        out["pairs"] = 2**((m + n) * r)
        if spec.symmetry == "permutations":
            out["pairs_covered"] = sum(int(line.get("orbit_size", 1)) for line in lines)
            out["pair_counts"] = {q: dict(sorted(c.items())) for q, c in pairs.items()}
    else:
        out["sample"] = {"count": spec.count, "density": spec.density, "seed": spec.seed}
        if chain_kind and spec.family == "kronecker":
            del out["sample"]["density"]
    if spec.target != "none":
        out["target"] = spec.target
    out["rules"] = {q: dict(sorted(c.items())) for q, c in rules.items()}
    if combined:
        out["combined"] = dict(sorted(combined.items()))
    out["smallest"] = {q: dict(sorted(s.items())) for q, s in smallest.items()}
    out["counterexamples"] = counter
    out["numeric_questions"] = [q for q in spec.questions if q == "landscape"]
    return out
