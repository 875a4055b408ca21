"""Tractability verdicts (T1-T3, T6) against references and a brute-force definition."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.model import families
from fsmf_check.analysis import decide_chain, decide_tractability, find_overlap, overlap_graph
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import SupportPattern

from ..strategies import kron_patterns, two_factor_masks


def brute_force(I: np.ndarray, J: np.ndarray) -> tuple[str, str | None]:
    """T2/T3 straight from the definitions, with Python sets and all pairs compared."""
    supports = {}
    for k in range(I.shape[1]):
        R = frozenset(np.flatnonzero(I[:, k]).tolist())
        C = frozenset(np.flatnonzero(J[:, k]).tolist())
        if R and C:
            supports.setdefault((R, C), []).append(k)
    if not supports:
        return "empty", None
    rects = {key: {(i, j) for i in key[0] for j in key[1]} for key in supports}
    if all(not (rects[a] & rects[b]) for a, b in itertools.combinations(rects, 2)):
        return "tractable", "disjoint-or-identical"
    size = {key: len(v) for key, v in supports.items()}
    T: set[tuple[int, int]] = set()
    active = {}
    for key in supports:
        if size[key] >= min(len(key[0]), len(key[1])):
            T |= rects[key]
        else:
            active[key] = size[key]
    if not T:
        return "not-certified", None
    while True:
        reps: dict[tuple[frozenset, frozenset], int] = {}
        for key, sz in active.items():
            F = rects[key] - T
            if not F:
                continue
            R2 = frozenset(i for i, _ in F)
            C2 = frozenset(j for _, j in F)
            if F != {(i, j) for i in R2 for j in C2}:
                return "not-certified", None
            reps[(R2, C2)] = reps.get((R2, C2), 0) + sz
        grown = False
        for (R2, C2), sz in list(reps.items()):
            if sz >= min(len(R2), len(C2)):
                T |= {(i, j) for i in R2 for j in C2}
                grown = True
        if not grown:
            break
        active = {}
        for key in supports:
            if size[key] < min(len(key[0]), len(key[1])):
                active[key] = size[key]
    rep_rects = [{(i, j) for i in R for j in C} for (R, C) in reps]
    if all(not (a & b) for a, b in itertools.combinations(rep_rects, 2)):
        return "tractable", "cec-reduction"
    return "not-certified", None


@given(two_factor_masks())
def test_verdict_equals_brute_force_definition(masks: tuple[np.ndarray, np.ndarray]) -> None:
    I, J = masks
    expected = brute_force(I, J)
    if expected[0] == "empty":
        res = decide_tractability(SupportPattern(I, J))
        assert (res.verdict, res.rule, res.n_classes) == ("tractable", "disjoint-or-identical", 0)
        return
    res = decide_tractability(SupportPattern(I, J))
    assert (res.verdict, res.rule) == expected
    if res.verdict == "not-certified":
        k1, k2 = res.witness["supports"]
        i, j = res.witness["entry"]
        assert I[i, k1] and J[j, k1] and I[i, k2] and J[j, k2]
        assert not (np.array_equal(I[:, k1], I[:, k2]) and np.array_equal(J[:, k1], J[:, k2]))
        assert "intractable" not in res.explanation


@given(two_factor_masks(max_m=5, max_n=5, max_r=4))
def test_classes_partition_the_nonempty_columns(masks: tuple[np.ndarray, np.ndarray]) -> None:
    I, J = masks
    if not (I.any(axis=0) & J.any(axis=0)).any():
        return
    res = decide_tractability(SupportPattern(I, J))
    members = np.concatenate([c.members for c in res.classes])
    nonempty = np.flatnonzero(I.any(axis=0) & J.any(axis=0))
    assert sorted(members.tolist()) == nonempty.tolist()
    assert sorted(res.empty_columns.tolist()) == np.flatnonzero(
        ~(I.any(axis=0) & J.any(axis=0))).tolist()
    for c in res.classes:
        for k in c.members:
            np.testing.assert_array_equal(np.flatnonzero(I[:, k]), c.rows)
            np.testing.assert_array_equal(np.flatnonzero(J[:, k]), c.cols)
        assert c.complete == (c.size >= min(c.rows.size, c.cols.size))


@given(kron_patterns(), kron_patterns())
def test_structured_kronecker_verdict_matches_explicit(left: KronPattern,
                                                       right: KronPattern) -> None:
    if left.shape[1] != right.shape[0]:
        right = KronPattern(1, left.shape[1], right.c, 1)
    S = SupportPattern.from_kronecker(left, right)
    E = SupportPattern(S.I, S.J)
    rs, re_ = decide_tractability(S), decide_tractability(E)
    assert rs.method == "kronecker-closed-form" and re_.method == "generic"
    assert (rs.verdict, rs.rule) == (re_.verdict, re_.rule) == ("tractable",
                                                               "disjoint-or-identical")
    assert rs.n_classes == re_.n_classes
    np.testing.assert_array_equal(rs.class_of, re_.class_of)
    np.testing.assert_array_equal(rs.class_complete, re_.class_complete)


def test_theory_examples_reference_verdicts() -> None:
    e1 = decide_tractability(SupportPattern(["10", "01"], ["10", "01"]))
    assert (e1.verdict, e1.rule, e1.theorem, e1.n_classes) == ("tractable",
                                                               "disjoint-or-identical", "T2", 2)
    e2 = decide_tractability(SupportPattern(["1"] * 3, ["1"] * 3))
    assert (e2.n_classes, e2.class_complete.tolist()) == (1, [False])
    e3 = decide_tractability(SupportPattern(["11", "11"], ["11", "11"]))
    assert (e3.verdict, e3.class_sizes.tolist(), e3.class_complete.tolist()) == (
        "tractable", [2], [True])
    e4 = decide_tractability(families.lu(2))
    assert e4.verdict == "not-certified" and e4.rule is None and e4.theorem is None
    assert e4.witness["supports"] == [0, 1] and e4.witness["entry"] == [1, 1]
    assert "not a rectangle" in e4.reason
    graph = e4.to_dict()["overlap_graph"]
    assert (graph["n_edges"], graph["n_components"], graph["edges"]) == (1, 1, [[0, 1, [1, 1]]])
    assert e1.to_dict()["overlap_graph"]["n_components"] == 2
    assert e4.evidence["cec_failure"]["uncovered_rows"] == [0, 1]


def test_cec_reduction_reports_representatives() -> None:
    # column 1 is complete (row 0 x cols {0,1,2}); column 0 minus it is rows {1,2} x cols {0,1,2}
    P = SupportPattern(["110", "100", "100", "001"], ["110", "110", "110", "001"])
    res = decide_tractability(P)
    assert (res.verdict, res.rule, res.theorem, res.rounds) == ("tractable", "cec-reduction",
                                                               "T3", 1)
    assert [(c.rows.tolist(), c.cols.tolist(), c.members.tolist()) for c in
            res.representatives] == [([1, 2], [0, 1, 2], [0])]
    assert sorted(c.members.tolist() for c in res.covered) == [[1], [2]]
    two = decide_tractability(SupportPattern(["11", "10"], ["11", "11"]))
    assert (two.rule, two.rounds, len(two.covered), two.representatives) == (
        "cec-reduction", 2, 2, ())


def test_np_hard_gadget_is_not_certified() -> None:
    # theory §2.2: full rank-one column + complete singleton at the unobserved entry (0, 0)
    res = decide_tractability(SupportPattern(["11", "10", "10"], ["11", "10", "10"]))
    assert res.verdict == "not-certified"
    assert "NP-hard" in res.explanation and "not this instance" in res.explanation


def test_all_empty_supports_give_the_zero_set() -> None:
    res = decide_tractability(SupportPattern(["01"], ["10"]))
    assert (res.verdict, res.n_classes, res.empty_columns.tolist()) == ("tractable", 0, [0, 1])
    assert "only product is the zero matrix" in res.explanation
    assert res.to_dict()["class_size_histogram"] == {}


@pytest.mark.parametrize("L", [2, 3, 4, 5])
@pytest.mark.parametrize("order", ["standard", "reversed"])
def test_butterfly_splits_are_disjoint_rank_one(L: int, order: str) -> None:
    """T6 / Lemma 2: every split has N disjoint 2^s x N/2^s blocks, one member each."""
    N = 2**L
    chain = families.butterfly(N, order)
    for s in range(1, L):
        res = decide_tractability(chain.split(s))
        assert (res.verdict, res.rule, res.n_classes) == ("tractable", "disjoint-or-identical", N)
        assert res.class_sizes.tolist() == [1] * N
        c = res.support_class(0)
        if order == "standard":
            # theory §4.1: R_d = {d + t N/2^s}, C_a = {a N/2^s, ..., (a+1) N/2^s - 1}
            assert c.rows.tolist() == list(range(0, N, N // 2**s))
            assert c.cols.tolist() == list(range(N // 2**s))


def test_huge_butterfly_split_is_decided_without_materializing() -> None:
    res = decide_tractability(families.butterfly_split(2**16, 8))
    assert (res.verdict, res.n_classes, res.method) == ("tractable", 2**16,
                                                        "kronecker-closed-form")
    d = res.to_dict()
    assert d["classes"] is None and d["class_size_histogram"] == {"1": 65536}


def test_overlap_graph_and_find_overlap() -> None:
    G = overlap_graph(decide_tractability(families.lu(3)))
    assert sorted(G.edges()) == [(0, 1), (0, 2), (1, 2)]
    assert G.edges[0, 1]["entry"] == (1, 1)
    rows = [np.array([0, 1]), np.array([2]), np.array([1, 2])]
    cols = [np.array([0]), np.array([0, 1]), np.array([1])]
    assert find_overlap(rows, cols, all_pairs=True) == [(1, 2, 2, 1)]


def test_chain_verdicts_per_split_and_tree() -> None:
    lu_chain = decide_chain(families.kronecker_chain([[1, 2, 2, 1]]))
    assert lu_chain.verdict == "tractable"
    from fsmf_check.model.supports import Chain

    tri = Chain([["100", "110", "111"], ["111", "011", "001"]])
    res = decide_chain(tri)
    assert res.verdict == "not-certified"
    assert [s.result.verdict for s in res.splits] == ["not-certified"]
    kal = decide_chain(families.kaleidoscope(8))
    assert kal.verdict == "tractable" and kal.rule == "disjoint-or-identical"
    d = kal.to_dict()
    assert d["kronecker"]["redundant_pairs"] == [2]
    assert [t["all_tractable"] for t in d["trees"]] == [True, True, True]


@given(st.integers(1, 40), st.integers(0, 10_000))
def test_generic_overlap_search_matches_all_pairs(nrect: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = [np.unique(rng.integers(0, 12, rng.integers(1, 5))) for _ in range(nrect)]
    cols = [np.unique(rng.integers(0, 12, rng.integers(1, 5))) for _ in range(nrect)]
    keys = {(r.tobytes(), c.tobytes()) for r, c in zip(rows, cols, strict=True)}
    if len(keys) < nrect:
        return  # rectangles must be distinct
    expected = sorted((a, b) for a, b in itertools.combinations(range(nrect), 2)
                      if np.intersect1d(rows[a], rows[b]).size
                      and np.intersect1d(cols[a], cols[b]).size)
    found = find_overlap(rows, cols, all_pairs=True)
    assert sorted((a, b) for a, b, _, _ in found) == expected
    for a, b, i, j in found:
        assert i in rows[a] and i in rows[b] and j in cols[a] and j in cols[b]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 400), st.integers(1, 7)),
                min_size=1, max_size=80))
def test_index_set_summaries_are_exact(runs: list[tuple[int, int, int]]) -> None:
    """Long index sets are summarized; a ``runs`` summary expands to exactly the set."""
    from fsmf_check.analysis.tractability import MAX_LISTED_INDICES, MAX_LISTED_RUNS, index_set

    idx = np.unique(np.concatenate([np.arange(a, a + n * s, s) for a, n, s in runs]))
    out = index_set(idx)
    if idx.size <= MAX_LISTED_INDICES:
        assert out == idx.tolist()
        return
    assert isinstance(out, dict) and out["count"] == idx.size
    if "runs" in out:
        assert len(out["runs"]) <= MAX_LISTED_RUNS
        back = np.concatenate([np.arange(a, b, s) for a, b, s in out["runs"]])
        assert back.tolist() == idx.tolist()
    else:
        assert out["first"] == idx[:16].tolist() and out["last"] == int(idx[-1])


def test_full_pattern_of_a_million_rows_is_summarized() -> None:
    res = decide_tractability(families.full(2**20, 2**20, 4)).to_dict()
    cls = res["classes"][0]
    assert cls["rows"] == {"count": 2**20, "runs": [[0, 2**20, 1]]}
    assert cls["members"] == [0, 1, 2, 3]
