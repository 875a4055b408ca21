"""The explicit tractability decision against a straightforward reference (T1-T3).

The reference groups columns with Python tuples in a dict, counts the classes covering every
entry in a dict, and takes the CEC verdict from ``brute_force`` (sets, the definitions of T2
and T3). It shares no code with the engine (no hashing, sorting or sparse transposes), so it is
an independent oracle for the verdict, the classes (rows, columns, members, completeness, their
order by smallest member), the empty columns and the overlap witness. The witness is the one
the engine documents: the doubly covered entry smallest in (grouped side, other side) order,
where the grouped side is the one with fewer class incidences (columns on a tie go second), and
the two smallest classes covering it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.analysis import decide_tractability
from fsmf_check.analysis import tractability as tr
from fsmf_check.model import families
from fsmf_check.model.supports import SupportPattern

from .test_tractability import brute_force


def reference(I: np.ndarray, J: np.ndarray) -> dict[str, Any]:
    """Verdict, rule, classes, class_of, empty columns and witness straight from T1-T3."""
    r = I.shape[1]
    groups: dict[tuple[tuple[int, ...], tuple[int, ...]], list[int]] = {}
    for k in range(r):
        R = tuple(np.flatnonzero(I[:, k]).tolist())
        C = tuple(np.flatnonzero(J[:, k]).tolist())
        if R and C:
            groups.setdefault((R, C), []).append(k)
    classes = sorted(groups.items(), key=lambda kv: kv[1][0])
    class_of = np.full(r, -1, dtype=np.int64)
    for c, (_, members) in enumerate(classes):
        class_of[members] = c
    out: dict[str, Any] = {
        "classes": [(list(R), list(C), members, len(members) >= min(len(R), len(C)))
                    for (R, C), members in classes],
        "class_of": class_of.tolist(),
        "empty": np.flatnonzero(class_of < 0).tolist(),
        "witness": None,
    }
    cover: dict[tuple[int, int], list[int]] = {}
    for c, ((R, C), _) in enumerate(classes):
        for i in R:
            for j in C:
                cover.setdefault((i, j), []).append(c)
    doubly = [e for e, cs in cover.items() if len(cs) > 1]
    if not doubly:
        out["verdict"], out["rule"] = "tractable", "disjoint-or-identical"
        return out
    by_cols = sum(len(C) for (_, C), _ in classes) < sum(len(R) for (R, _), _ in classes)
    entry = min(doubly, key=lambda e: (e[1], e[0]) if by_cols else e)
    a, b = cover[entry][:2]
    out["witness"] = {"supports": [classes[a][1][0], classes[b][1][0]], "classes": [a, b],
                      "entry": list(entry)}
    out["verdict"], out["rule"] = brute_force(I, J)
    return out


def assert_matches_reference(I: np.ndarray, J: np.ndarray) -> None:
    ref = reference(I, J)
    res = decide_tractability(SupportPattern(I, J))
    assert (res.verdict, res.rule) == (ref["verdict"], ref["rule"])
    got = [(c.rows.tolist(), c.cols.tolist(), c.members.tolist(), c.complete)
           for c in res.classes]
    assert got == ref["classes"]
    assert res.class_of.tolist() == ref["class_of"]
    assert res.empty_columns.tolist() == ref["empty"]
    d = res.to_dict()
    sizes = [len(c[2]) for c in ref["classes"]]
    assert d["class_size_histogram"] == {str(s): sizes.count(s) for s in sorted(set(sizes))}
    assert d["n_empty_supports"] == len(ref["empty"])
    if ref["witness"] is None:
        assert res.witness is None
    else:
        assert {k: res.witness[k] for k in ("supports", "classes", "entry")} == ref["witness"]


@st.composite
def repeated_columns(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Masks whose r columns are drawn from a small pool, so many supports coincide."""
    m, n = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    pool = draw(st.integers(1, 6))
    bits = draw(st.lists(st.booleans(), min_size=(m + n) * pool, max_size=(m + n) * pool))
    P = np.array(bits, dtype=np.int8).reshape(m + n, pool)
    cols = draw(st.lists(st.integers(0, pool - 1), min_size=1, max_size=40))
    return P[:m, cols], P[m:, cols]


@given(repeated_columns())
def test_small_patterns_match_the_reference(masks: tuple[np.ndarray, np.ndarray]) -> None:
    assert_matches_reference(*masks)


def _coarse_hash(bits: int) -> Any:
    real = tr._segment_hash

    def coarse(ptr: np.ndarray, idx: np.ndarray, sel: np.ndarray, salt: int) -> np.ndarray:
        return real(ptr, idx, sel, salt) & np.uint64((1 << bits) - 1)

    return coarse


@settings(max_examples=25)
@given(repeated_columns(), st.sampled_from([0, 1, 3]))
def test_hash_collisions_are_regrouped_exactly(masks: tuple[np.ndarray, np.ndarray],
                                               bits: int) -> None:
    # 0 bits: every segment collides (one run, regrouped exactly); 1-3 bits: runs that mix
    # different supports next to pure ones
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tr, "_segment_hash", _coarse_hash(bits))
        assert_matches_reference(*masks)


def _shuffled(I: sp.sparray, J: sp.sparray, r: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense masks with r columns drawn (with repeats) from the columns of I and J."""
    cols = np.random.default_rng(seed).integers(0, I.shape[1], r)
    return I.toarray()[:, cols], J.toarray()[:, cols]


def _blocks(n_blocks: int, block_i: list[str], block_j: list[str]) -> tuple[sp.sparray,
                                                                          sp.sparray]:
    Bi = np.array([[int(ch) for ch in row] for row in block_i], dtype=np.int8)
    Bj = np.array([[int(ch) for ch in row] for row in block_j], dtype=np.int8)
    return sp.block_diag([Bi] * n_blocks, format="csc"), sp.block_diag([Bj] * n_blocks,
                                                                        format="csc")


def test_mid_size_random_patterns_match_the_reference() -> None:
    for seed in (0, 1):
        P = families.random_pattern(300, 300, 2**14, density=1 / 300, seed=seed)
        assert_matches_reference(P.I.toarray(), P.J.toarray())


def test_mid_size_disjoint_pattern_with_repeated_columns_matches_the_reference() -> None:
    S = families.butterfly_split(256, 4)
    I, J = _shuffled(S.I, S.J, 2048, seed=2)
    assert_matches_reference(I, J)
    assert decide_tractability(SupportPattern(I, J)).rule == "disjoint-or-identical"


def test_mid_size_cec_patterns_match_the_reference() -> None:
    # 150 copies of a one-round CEC block, and the same with a two-round block appended
    Bi, Bj = _blocks(150, ["110", "100", "100", "001"], ["110", "110", "110", "001"])
    I, J = _shuffled(Bi, Bj, 900, seed=3)
    assert_matches_reference(I, J)
    assert decide_tractability(SupportPattern(I, J)).rule == "cec-reduction"
    Ci, Cj = _blocks(100, ["11", "10"], ["11", "11"])
    I2, J2 = _shuffled(sp.block_diag([Bi, Ci], format="csc"),
                       sp.block_diag([Bj, Cj], format="csc"), 1200, seed=4)
    assert_matches_reference(I2, J2)


def test_mid_size_pattern_with_all_hashes_colliding_matches_the_reference() -> None:
    P = families.random_pattern(120, 100, 3000, density=1 / 60, seed=5)
    I, J = P.I.toarray(), P.J.toarray()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tr, "_segment_hash", _coarse_hash(2))
        assert_matches_reference(I, J)
