r"""Tractability of two-factor FSMF from the rank-one supports alone (THEORY T1, T2, T3, T6).

The rank-one supports are ``S_k = R_k x C_k`` with ``R_k = rows(I[:, k])`` and
``C_k = rows(J[:, k])``. Columns with identical supports form equivalence classes (T1); a class
``P`` is complete iff ``|P| >= min(|R_P|, |C_P|)``. The verdict is

* ``tractable`` / ``disjoint-or-identical`` when the class rectangles are pairwise disjoint
  (T2, Theorem 1 of [LZRG-ICASSP]: Algorithm 1 is optimal);
* ``tractable`` / ``cec-reduction`` when the complete-equivalence-class reduction of T3
  (derived) leaves rectangular, pairwise disjoint representative supports;
* ``not-certified`` otherwise, with a witness pair of overlapping, non-identical supports and
  the reason the CEC reduction stopped. This is never called "intractable": only the general
  problem is NP-hard (T4).

Method choice (measured on the 2-core dev box, docs/benchmarks.md): grouping columns by a
byte key of their index lists is O(nnz) and beat hashing with ``np.unique`` on padded arrays;
overlap detection groups rows (or columns, whichever is cheaper) by the set of classes that
contain them and checks each distinct group once, so no pair of the r supports is compared.
Structured Kronecker pairs are decided in closed form in O(r).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse as sp

from fsmf_check.model.supports import SupportPattern

__all__ = [
    "SupportClass",
    "TractabilityResult",
    "decide_tractability",
    "is_tractable",
    "find_overlap",
    "overlap_graph",
    "MAX_LISTED_CLASSES",
    "CEC_AREA_LIMIT",
]

#: Classes are listed one by one in JSON output only up to this count (counts are always given).
MAX_LISTED_CLASSES = 64
#: Index lists longer than this are summarized (count and arithmetic runs) in the output.
MAX_LISTED_INDICES = 1024
#: At most this many arithmetic runs are listed in a summarized index set.
MAX_LISTED_RUNS = 64
#: The overlap graph is built (all overlapping class pairs) only up to this many classes.
MAX_GRAPH_CLASSES = 5000
#: The CEC reduction works on local dense masks of the non-complete classes that meet a
#: complete rectangle; above this total area it reports ``not-certified`` (size limit).
CEC_AREA_LIMIT = 20_000_000


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.int64)
    a.flags.writeable = False
    return a


def index_set(indices: np.ndarray) -> list[int] | dict[str, object]:
    """JSON form of a sorted index set: the list itself, or a summary when it is long.

    Sets of at most ``MAX_LISTED_INDICES`` indices are listed. Longer ones become
    ``{"count": n, "runs": [[start, stop, step], ...]}`` (each run is ``range(start, stop,
    step)``; together they are exactly the set) when at most ``MAX_LISTED_RUNS`` arithmetic
    runs suffice, else ``{"count": n, "first": [...], "last": i}`` (not the whole set).

    Examples
    --------
    >>> index_set(np.array([0, 2, 5]))
    [0, 2, 5]
    >>> index_set(np.arange(0, 4096, 2))
    {'count': 2048, 'runs': [[0, 4096, 2]]}
    """
    idx = np.asarray(indices, dtype=np.int64)
    if idx.size <= MAX_LISTED_INDICES:
        return idx.tolist()
    runs: list[list[int]] = []
    start = 0
    while start < idx.size and len(runs) <= MAX_LISTED_RUNS:
        if start + 1 == idx.size:
            runs.append([int(idx[start]), int(idx[start]) + 1, 1])
            break
        step = int(idx[start + 1] - idx[start])
        diffs = np.diff(idx[start:])
        bad = np.flatnonzero(diffs != step)
        end = start + 1 + (int(bad[0]) if bad.size else diffs.size)  # last index of the run
        runs.append([int(idx[start]), int(idx[end - 1]) + step, step])
        start = end
    if len(runs) <= MAX_LISTED_RUNS:
        return {"count": int(idx.size), "runs": runs}
    return {"count": int(idx.size), "first": idx[:16].tolist(), "last": int(idx[-1])}


@dataclass(frozen=True, eq=False)
class SupportClass:
    """An equivalence class of rank-one supports: the rectangle ``rows x cols`` and its columns.

    For a CEC representative, ``rows``/``cols`` are the reduced rectangle and ``members`` the
    merged columns of every original class with that representative.
    """

    rows: np.ndarray
    cols: np.ndarray
    members: np.ndarray
    complete: bool

    @property
    def size(self) -> int:
        """``|P|``, the number of rank-one terms in the class."""
        return int(self.members.size)

    @property
    def area(self) -> int:
        """``|R_P| * |C_P|``."""
        return int(self.rows.size * self.cols.size)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (0-based indices; long index sets summarized, see index_set)."""
        return {"rows": index_set(self.rows), "cols": index_set(self.cols),
                "members": index_set(self.members), "size": self.size, "complete": self.complete}


@dataclass(frozen=True, eq=False)
class TractabilityResult:
    """Verdict of :func:`decide_tractability` with its evidence (THEORY T1-T3).

    ``classes`` are the equivalence classes of the non-empty rank-one supports, ordered by their
    smallest member. ``covered`` lists the complete rectangles removed by the CEC reduction and
    ``representatives`` the reduced classes (both empty for the T2 rule).
    """

    verdict: str
    rule: str | None
    theorem: str | None
    explanation: str
    pattern: SupportPattern
    empty_columns: np.ndarray
    n_classes: int
    class_sizes: np.ndarray
    class_complete: np.ndarray
    class_rep: np.ndarray
    class_of: np.ndarray
    covered: tuple[SupportClass, ...] = ()
    representatives: tuple[SupportClass, ...] = ()
    irrelevant: tuple[int, ...] = ()
    rounds: int = 0
    witness: dict[str, object] | None = None
    reason: str | None = None
    method: str = "generic"
    evidence: dict[str, object] = field(default_factory=dict)

    @property
    def tractable(self) -> bool:
        """True iff the verdict is ``tractable``."""
        return self.verdict == "tractable"

    def support_class(self, c: int) -> SupportClass:
        """Class ``c`` (0 <= c < n_classes) with its rectangle and members."""
        k = int(self.class_rep[c])
        members = np.flatnonzero(self.class_of == c)
        return SupportClass(_ro(self.pattern.rows(k)), _ro(self.pattern.cols(k)), _ro(members),
                            bool(self.class_complete[c]))

    @cached_property
    def classes(self) -> tuple[SupportClass, ...]:
        """All equivalence classes (materialized on first access)."""
        order = np.argsort(self.class_of[self.class_of >= 0], kind="stable")
        cols = np.flatnonzero(self.class_of >= 0)[order]
        bounds = np.searchsorted(self.class_of[cols], np.arange(self.n_classes + 1))
        out = []
        for c in range(self.n_classes):
            k = int(self.class_rep[c])
            out.append(SupportClass(_ro(self.pattern.rows(k)), _ro(self.pattern.cols(k)),
                                    _ro(cols[bounds[c] : bounds[c + 1]]),
                                    bool(self.class_complete[c])))
        return tuple(out)

    def to_dict(self) -> dict[str, object]:
        """SPEC §5 result object (deterministic)."""
        sizes, counts = np.unique(self.class_sizes, return_counts=True)
        out: dict[str, object] = {
            "verdict": self.verdict,
            "rule": self.rule,
            "theorem": self.theorem,
            "explanation": self.explanation,
            "exact": True,
            "method": self.method,
            "rank_one_supports": int(self.pattern.r),
            "empty_supports": self.empty_columns.tolist()[:MAX_LISTED_CLASSES],
            "n_empty_supports": int(self.empty_columns.size),
            "n_classes": self.n_classes,
            "class_size_histogram": {str(int(s)): int(c) for s, c in zip(sizes, counts,
                                                                         strict=True)},
            "n_complete_classes": int(self.class_complete.sum()),
        }
        if self.n_classes <= MAX_LISTED_CLASSES:
            out["classes"] = [c.to_dict() for c in self.classes]
        else:
            out["classes"] = None
            out["classes_omitted"] = (f"{self.n_classes} classes (more than "
                                      f"{MAX_LISTED_CLASSES}); counts above are complete")
        if self.rule == "cec-reduction" or self.covered or self.reason:
            out["cec"] = {
                "rounds": self.rounds,
                "covered_rectangles": [{"rows": index_set(c.rows), "cols": index_set(c.cols)}
                                       for c in self.covered[:MAX_LISTED_CLASSES]],
                "representatives": [c.to_dict() for c in
                                    self.representatives[:MAX_LISTED_CLASSES]],
                "irrelevant_classes": list(self.irrelevant),
                "stopped_because": self.reason,
            }
        out["witness"] = self.witness
        out["overlap_graph"] = self.overlap_summary()
        out.update(self.evidence)
        return out

    def overlap_summary(self) -> dict[str, object]:
        """Edges and connected components of the class overlap graph G_ov (THEORY T1)."""
        if self.rule == "disjoint-or-identical":
            return {"n_edges": 0, "n_components": self.n_classes, "edges": [],
                    "note": "no edges: the class rectangles are pairwise disjoint (T2)"}
        if self.n_classes > MAX_GRAPH_CLASSES:
            return {"n_edges": None, "n_components": None, "edges": None,
                    "note": f"not built: {self.n_classes} classes > MAX_GRAPH_CLASSES = "
                            f"{MAX_GRAPH_CLASSES}"}
        G = overlap_graph(self)
        comps = sorted(sorted(c) for c in nx.connected_components(G))
        out: dict[str, object] = {
            "n_edges": G.number_of_edges(), "n_components": len(comps),
            "edges": [[a, b, list(G.edges[a, b]["entry"])] for a, b in
                      sorted(G.edges())][:MAX_LISTED_CLASSES]}
        if len(comps) <= MAX_LISTED_CLASSES:
            out["components"] = [c for c in comps if len(c) > 1]
        return out


def is_tractable(pattern: SupportPattern) -> bool:
    """Return True iff :func:`decide_tractability` certifies the pattern (cheap predicate).

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> is_tractable(families.lu(2)), is_tractable(families.butterfly_split(16, 2))
    (False, True)
    """
    return decide_tractability(pattern).tractable


# --------------------------------------------------------------------------------------------
# rectangle overlap detection without all-pairs comparisons


def _incidence(sets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transpose "rectangle -> items" into "item -> sorted rectangles" (CSC, counting sort)."""
    counts = np.fromiter((x.size for x in sets), dtype=np.int64, count=len(sets))
    ptr = np.r_[0, np.cumsum(counts)]
    flat = np.concatenate(sets)
    width = int(flat.max()) + 1
    # 32-bit indices when they fit: the C transpose then moves half the bytes
    itype = np.int32 if max(width, flat.size) < 2**31 else np.int64
    M = sp.csr_array((np.ones(flat.size, dtype=np.int8), flat.astype(itype, copy=False),
                      ptr.astype(itype)), shape=(len(sets), width))
    T = M.tocsc()
    return counts, T.indptr, T.indices


def _signatures(ptr: np.ndarray, idx: np.ndarray) -> tuple[list[np.ndarray], list[int]]:
    """Distinct owner lists (with 2+ owners) and one item carrying each."""
    sigs: dict[bytes, int] = {}
    out_sig: list[np.ndarray] = []
    out_item: list[int] = []
    multi = np.flatnonzero(np.diff(ptr) >= 2)
    for item in multi.tolist():
        sig = idx[ptr[item] : ptr[item + 1]]
        key = sig.tobytes()
        if key not in sigs:
            sigs[key] = item
            out_sig.append(sig)
            out_item.append(item)
    return out_sig, out_item


def find_overlap(rows: list[np.ndarray], cols: list[np.ndarray],
                 all_pairs: bool = False) -> list[tuple[int, int, int, int]]:
    r"""Find rectangles ``rows[a] x cols[a]`` and ``rows[b] x cols[b]`` that intersect.

    Returns a list of ``(a, b, i, j)`` with ``(i, j)`` in both rectangles: the first one found
    (``all_pairs=False``) or every intersecting pair once (``all_pairs=True``). An empty list
    means the rectangles are pairwise disjoint. Rectangles are assumed distinct and their
    index arrays sorted without repeats.

    Notes
    -----
    THEORY T1/T2 (the class overlap graph G_ov). Items (rows) are grouped by the set of
    rectangles containing them, via a sparse transpose (a counting sort); for each distinct
    group the column sets of its rectangles must be pairwise disjoint, checked with one
    ``bincount``. Cost O(sum |R| + sum |C| + sum over distinct groups of sum |C|), grouping
    the side with fewer incidences; never a comparison of all pairs of rectangles. Exact.

    Examples
    --------
    >>> a = np.array([0, 1]); b = np.array([1, 2])
    >>> find_overlap([a, b], [a, b])
    [(0, 1, 1, 1)]
    >>> find_overlap([a, np.array([2])], [a, b])
    []
    """
    if len(rows) < 2:
        return []
    # Group the side with fewer incidences (one sparse transpose instead of two).
    transpose = sum(x.size for x in cols) < sum(x.size for x in rows)
    _, ptr, idx = _incidence(cols if transpose else rows)
    sigs, items = _signatures(ptr, idx)
    other = rows if transpose else cols
    found: set[tuple[int, int, int, int]] = set()
    seen: set[tuple[int, int]] = set()
    for sig, item in zip(sigs, items, strict=True):
        vals = np.concatenate([other[o] for o in sig.tolist()])
        hits = np.bincount(vals)
        dups = np.flatnonzero(hits > 1)
        for v in dups.tolist():
            owners = [o for o in sig.tolist() if _contains(other[o], v)]
            for x in range(len(owners)):
                for y in range(x + 1, len(owners)):
                    a, b = owners[x], owners[y]
                    if (a, b) in seen:
                        continue
                    seen.add((a, b))
                    i, j = (v, item) if transpose else (item, v)
                    found.add((a, b, int(i), int(j)))
                    if not all_pairs:
                        return sorted(found)
    return sorted(found)


def _contains(sorted_arr: np.ndarray, v: int) -> bool:
    k = int(np.searchsorted(sorted_arr, v))
    return k < sorted_arr.size and int(sorted_arr[k]) == v


def overlap_graph(result: TractabilityResult) -> nx.Graph:
    """Class overlap graph G_ov (THEORY T1): one node per class, an edge per overlapping pair.

    DTO holds iff the graph has no edge (T2). Node attributes: ``size``, ``complete``.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> G = overlap_graph(decide_tractability(families.lu(3)))
    >>> G.number_of_nodes(), sorted(G.edges())
    (3, [(0, 1), (0, 2), (1, 2)])
    """
    G = nx.Graph()
    for c in range(result.n_classes):
        G.add_node(c, size=int(result.class_sizes[c]), complete=bool(result.class_complete[c]))
    if result.n_classes > 1 and result.method != "kronecker-closed-form":
        cls = result.classes
        for a, b, i, j in find_overlap([c.rows for c in cls], [c.cols for c in cls],
                                       all_pairs=True):
            G.add_edge(a, b, entry=(i, j))
    return G


# --------------------------------------------------------------------------------------------
# the decision


def _explain_dto(res_classes: int, r: int, n_complete: int, structured: bool) -> str:
    how = ("the Kronecker structure makes every two distinct classes use disjoint rows or "
           "disjoint columns (THEORY T6, derived), " if structured else "")
    return (f"The {r} rank-one supports form {res_classes} equivalence classes that are "
            f"pairwise disjoint or identical ({how}THEORY T2), so FSMF is solved to global "
            f"optimality by one truncated SVD per class ({n_complete} complete classes are "
            "filled exactly).")


def decide_tractability(pattern: SupportPattern) -> TractabilityResult:
    r"""Decide whether two-factor FSMF with this support pattern is solvable by block SVDs.

    Parameters
    ----------
    pattern : SupportPattern
        Masks ``I`` (m x r) and ``J`` (n x r), explicit or structured.

    Returns
    -------
    TractabilityResult
        ``verdict`` (``tractable`` | ``not-certified``), ``rule``, the THEORY ``theorem``,
        the equivalence classes and, when not certified, a witness and the reason.

    Notes
    -----
    THEORY T1 (classes, completeness), T2 (disjoint-or-identical), T3 (CEC reduction, iterated
    until stable; derived), T6 (Kronecker pairs). Exact and combinatorial: no arithmetic on
    entries. Explicit masks: O(nnz(I) + nnz(J)) to group columns, then the overlap search of
    :func:`find_overlap`; structured Kronecker pairs: O(r) in closed form.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> res = decide_tractability(SupportPattern(["10", "01"], ["10", "01"]))
    >>> res.verdict, res.rule, res.theorem
    ('tractable', 'disjoint-or-identical', 'T2')
    >>> res = decide_tractability(families.lu(2))
    >>> res.verdict, res.witness["supports"], res.witness["entry"]
    ('not-certified', [0, 1], [1, 1])
    """
    if pattern.is_structured:
        return _decide_kronecker(pattern)
    return _decide_explicit(pattern)


def _decide_kronecker(pattern: SupportPattern) -> TractabilityResult:
    left, right = pattern.kronecker  # type: ignore[misc]
    r = pattern.r
    la, ld = left.col_keys()
    ra, rd = right.row_keys()
    lkey = la * left.d + ld
    rkey = ra * right.d + rd
    n_rkeys = right.a * right.d
    combined = lkey * n_rkeys + rkey
    uniq, first, inverse, counts = np.unique(combined, return_index=True, return_inverse=True,
                                             return_counts=True)
    # order classes by smallest member (first occurrence), as for explicit patterns
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    class_of = rank[inverse.ravel()]
    sizes = counts[order]
    complete = sizes >= min(left.b, right.c)
    n_classes = int(uniq.size)
    return TractabilityResult(
        verdict="tractable", rule="disjoint-or-identical", theorem="T2",
        explanation=_explain_dto(n_classes, r, int(complete.sum()), structured=True),
        pattern=pattern, empty_columns=_ro(np.empty(0)), n_classes=n_classes,
        class_sizes=_ro(sizes), class_complete=complete, class_rep=_ro(first[order]),
        class_of=_ro(class_of), method="kronecker-closed-form",
        evidence={"kronecker": {"I": list(left.as_tuple()), "J_transposed":
                                list(right.as_tuple())}},
    )


def _group_columns(pattern: SupportPattern) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                      np.ndarray]:
    I, J = pattern.I, pattern.J
    nnz_i, nnz_j = np.diff(I.indptr), np.diff(J.indptr)
    empty = np.flatnonzero((nnz_i == 0) | (nnz_j == 0))
    class_of = np.full(pattern.r, -1, dtype=np.int64)
    keys: dict[bytes, int] = {}
    reps: list[int] = []
    i_idx, i_ptr = I.indices.astype(np.int32), I.indptr
    j_idx, j_ptr = J.indices.astype(np.int32), J.indptr
    nonempty = np.flatnonzero((nnz_i > 0) & (nnz_j > 0))
    for k in nonempty.tolist():
        key = (i_idx[i_ptr[k] : i_ptr[k + 1]].tobytes() + b"|" +
               j_idx[j_ptr[k] : j_ptr[k + 1]].tobytes())
        c = keys.get(key)
        if c is None:
            c = keys[key] = len(reps)
            reps.append(k)
        class_of[k] = c
    sizes = np.bincount(class_of[class_of >= 0], minlength=len(reps))
    return empty, class_of, np.asarray(reps, dtype=np.int64), sizes


def _decide_explicit(pattern: SupportPattern) -> TractabilityResult:
    empty, class_of, reps, sizes = _group_columns(pattern)
    if reps.size == 0:
        # T2 with no class at all: the set of products is {0}
        return TractabilityResult(
            verdict="tractable", rule="disjoint-or-identical", theorem="T2",
            explanation=("Every rank-one support is empty (each column k has I[:, k] = 0 or "
                         "J[:, k] = 0), so the only product is the zero matrix: X = Y = 0 is "
                         "optimal with value ||A||_F^2 (THEORY T2 with no class)."),
            pattern=pattern, empty_columns=_ro(empty), n_classes=0,
            class_sizes=_ro(np.empty(0)), class_complete=np.zeros(0, dtype=bool),
            class_rep=_ro(np.empty(0)), class_of=_ro(class_of))
    rows = [pattern.rows(int(k)) for k in reps]
    cols = [pattern.cols(int(k)) for k in reps]
    complete = np.array([sizes[c] >= min(rows[c].size, cols[c].size) for c in range(reps.size)])
    base = dict(pattern=pattern, empty_columns=_ro(empty), n_classes=int(reps.size),
                class_sizes=_ro(sizes), class_complete=complete, class_rep=_ro(reps),
                class_of=_ro(class_of))
    overlap = find_overlap(rows, cols)
    if not overlap:
        return TractabilityResult(
            verdict="tractable", rule="disjoint-or-identical", theorem="T2",
            explanation=_explain_dto(int(reps.size), pattern.r, int(complete.sum()), False),
            **base)
    a, b, i, j = overlap[0]
    witness = {"supports": [int(reps[a]), int(reps[b])], "classes": [a, b], "entry": [i, j],
               "note": "S_k1 and S_k2 share this entry but are not identical"}
    order = np.argsort(class_of, kind="stable")
    order = order[class_of[order] >= 0]
    bounds = np.searchsorted(class_of[order], np.arange(reps.size + 1))
    members = [order[bounds[c] : bounds[c + 1]] for c in range(reps.size)]
    cec = _cec_reduction(rows, cols, members, complete)
    if cec["ok"]:
        n_cov = len(cec["covered"])
        expl = (f"The rank-one supports overlap (e.g. S_{witness['supports'][0]} and "
                f"S_{witness['supports'][1]} at {tuple(witness['entry'])}), but after removing "
                f"{n_cov} complete rectangles the {len(cec['reps'])} representative supports "
                "are pairwise disjoint or identical, so FSMF is solved exactly by block SVDs "
                f"plus exact fills (THEORY T3, derived; {cec['rounds']} round(s)).")
        return TractabilityResult(
            verdict="tractable", rule="cec-reduction", theorem="T3", explanation=expl,
            covered=cec["covered"], representatives=cec["reps"], irrelevant=cec["irrelevant"],
            rounds=cec["rounds"], witness=witness, **base)
    expl = (f"Rank-one supports S_{witness['supports'][0]} and S_{witness['supports'][1]} "
            f"overlap at {tuple(witness['entry'])} without being identical and the CEC "
            f"reduction stopped ({cec['reason']}), so no tractability certificate applies; "
            "only the general problem is known to be NP-hard (THEORY T4), not this instance.")
    return TractabilityResult(
        verdict="not-certified", rule=None, theorem=None, explanation=expl,
        covered=cec["covered"], representatives=cec["reps"], irrelevant=cec["irrelevant"],
        rounds=cec["rounds"], witness=witness, reason=cec["reason"],
        evidence={"cec_failure": cec.get("failure")}, **base)


def _cec_reduction(rows: list[np.ndarray], cols: list[np.ndarray], members: list[np.ndarray],
                   complete: np.ndarray) -> dict[str, object]:
    """THEORY T3 algorithm (CEC-FSMF) steps 2-5, iterated until stable.

    Classes are indexed by c; ``members[c]`` are their columns. Returned rectangles carry the
    (merged) columns as members.
    """
    sizes = np.array([m.size for m in members], dtype=np.int64)

    def cols_of(class_ids: list[int]) -> np.ndarray:
        return np.sort(np.concatenate([members[c] for c in class_ids]))

    out: dict[str, object] = {"ok": False, "covered": (), "reps": (), "irrelevant": (),
                              "rounds": 0}
    if not complete.any():
        out["reason"] = ("no equivalence class is complete, so the CEC reduction (T3) has "
                         "nothing to remove")
        return out
    cov_rows = [rows[c] for c in np.flatnonzero(complete)]
    cov_cols = [cols[c] for c in np.flatnonzero(complete)]
    cov_members: list[list[int]] = [[int(c)] for c in np.flatnonzero(complete)]
    active = [int(c) for c in np.flatnonzero(~complete)]
    area = sum(rows[c].size * cols[c].size for c in active)
    if area > CEC_AREA_LIMIT:
        out["reason"] = (f"the non-complete classes cover {area} entries, above the CEC "
                         f"size limit CEC_AREA_LIMIT = {CEC_AREA_LIMIT}")
        return out
    rounds = 0
    irrelevant: list[int] = []
    while True:
        rounds += 1
        reduced: dict[bytes, tuple[np.ndarray, np.ndarray, list[int]]] = {}
        still: list[int] = []
        # row -> complete rectangles containing it, so each class meets only its neighbours
        by_row: dict[int, list[int]] = {}
        for t, TR in enumerate(cov_rows):
            for i in TR.tolist():
                by_row.setdefault(i, []).append(t)
        for c in active:
            R, C = rows[c], cols[c]
            mask = np.ones((R.size, C.size), dtype=bool)
            near = sorted({t for i in R.tolist() for t in by_row.get(i, ())})
            for TR, TC in ((cov_rows[t], cov_cols[t]) for t in near):
                ri = np.flatnonzero(np.isin(R, TR, assume_unique=True))
                if ri.size == 0:
                    continue
                ci = np.flatnonzero(np.isin(C, TC, assume_unique=True))
                if ci.size:
                    mask[np.ix_(ri, ci)] = False
            if not mask.any():
                irrelevant.append(c)
                continue
            keep_r, keep_c = mask.any(axis=1), mask.any(axis=0)
            sub = mask[np.ix_(keep_r, keep_c)]
            if not sub.all():
                bad = np.argwhere(~sub)[0]
                Rk, Ck = R[keep_r], C[keep_c]
                i, j = int(Rk[bad[0]]), int(Ck[bad[1]])
                out.update(rounds=rounds, irrelevant=tuple(irrelevant), failure={
                    "class": c, "uncovered_rows": Rk.tolist(), "uncovered_cols": Ck.tolist(),
                    "covered_entry": [i, j]})
                out["covered"] = tuple(SupportClass(_ro(r_), _ro(c_), _ro(cols_of(m_)), True)
                                       for r_, c_, m_ in zip(cov_rows, cov_cols, cov_members,
                                                             strict=True))
                out["reason"] = (f"after removing the complete rectangles, the rest of class "
                                 f"{c}'s support is not a rectangle: entry ({i}, {j}) is "
                                 "covered while its row and column still have free entries")
                return out
            Rk, Ck = R[keep_r], C[keep_c]
            key = Rk.astype(np.int64).tobytes() + b"|" + Ck.astype(np.int64).tobytes()
            if key in reduced:
                reduced[key][2].append(c)
            else:
                reduced[key] = (Rk, Ck, [c])
            still.append(c)
        newly = [key for key, (Rk, Ck, merged) in reduced.items()
                 if sum(int(sizes[m]) for m in merged) >= min(Rk.size, Ck.size)]
        if not newly:
            break
        for key in newly:
            Rk, Ck, merged = reduced.pop(key)
            cov_rows.append(Rk)
            cov_cols.append(Ck)
            cov_members.append(merged)
            for m in merged:
                still.remove(m)
        active = still
    reps = [SupportClass(_ro(Rk), _ro(Ck), _ro(cols_of(ms)), False)
            for Rk, Ck, ms in reduced.values()]
    covered = tuple(SupportClass(_ro(r_), _ro(c_), _ro(cols_of(m_)), True)
                    for r_, c_, m_ in zip(cov_rows, cov_cols, cov_members, strict=True))
    out.update(rounds=rounds, covered=covered, irrelevant=tuple(sorted(irrelevant)))
    clash = find_overlap([p.rows for p in reps], [p.cols for p in reps])
    if clash:
        a, b, i, j = clash[0]
        out["reps"] = tuple(reps)
        out["reason"] = (f"the representative supports of classes {reps[a].members.tolist()} "
                         f"and {reps[b].members.tolist()} still overlap at ({i}, {j})")
        out["failure"] = {"representatives": [a, b], "entry": [i, j]}
        return out
    out["ok"] = True
    out["reps"] = tuple(reps)
    return out
