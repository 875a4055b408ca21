"""Closedness verdicts (T5).

Theorems for closed patterns, exact LU witnesses re-checked by the independent checker, and
honest ``unknown`` verdicts.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given

from fsmf_check.model import families
from fsmf_check.analysis.tractability import decide_tractability
from fsmf_check.closure.decide import (
    ClosednessResult,
    LUEmbedding,
    decide_closedness,
    decide_closedness_qe,
    find_lu_embedding,
)
from fsmf_check.verify.closedness import verify_closedness, verify_closedness_witness
from fsmf_check.errors import CertificateError, InvalidInputError
from fsmf_check.model.supports import Chain, SupportPattern
from tests.strategies import two_factor_masks

t = sympy.Symbol("t", positive=True)


def _dense_seq(entries, shape):
    M = sympy.zeros(*shape)
    for a, b, terms in entries:
        M[a, b] = sum(sympy.Rational(c) * t**e for e, c in terms)
    return M


def test_lu_2x2_witness_is_the_paper_sequence():
    res = decide_closedness(families.lu(2), qe=False)
    assert (res.verdict, res.theorem, res.exact) == ("not-closed", "T5", True)
    w = res.witness
    assert w["A"]["dense"] == [["0", "1"], ["1", "0"]]
    X = _dense_seq(w["sequence"]["X"], (2, 2))
    Y = _dense_seq(w["sequence"]["Y"], (2, 2))
    # theory §3.3: X_t = [[1,0],[t,1]], Y_t = [[1/t,0],[1,-t]]
    assert X == sympy.Matrix([[1, 0], [t, 1]])
    assert Y == sympy.Matrix([[1 / t, 0], [1, -t]])
    assert (X * Y.T).applyfunc(sympy.simplify) == sympy.Matrix([[1 / t, 1], [1, 0]])
    assert w["sequence"]["norm_squared_limit"] == "oo"
    g = w["non_membership"]["groebner"]
    assert (g["system"], g["basis"], g["method"], g["order"]) == ("full", ["1"], "buchberger",
                                                                  "grevlex")
    check = verify_closedness(res.to_dict())
    assert check.verified and any("Nullstellensatz" in c for c in check.checks)


@pytest.mark.parametrize("n", [3, 4])
def test_lu_nxn_witness(n):
    res = decide_closedness(families.lu(n), qe=False)
    assert res.verdict == "not-closed"
    w = res.witness
    assert w["embedding"] == {"k": 0, "l": 1, "i1": 0, "i2": 1, "j1": 0, "j2": 1}
    from fsmf_check.model.polynomials import GROEBNER_MAX_VARS

    # the full system has n (n + 1) unknowns; above the one Gröbner limit the local 2 x 2
    # subsystem (a subset of the equations, so still a proof) backs the witness
    full = n * (n + 1) <= GROEBNER_MAX_VARS
    assert w["non_membership"]["groebner"]["system"] == ("full" if full else "local")
    if full:
        assert len(w["non_membership"]["groebner"]["variables"]) == n * (n + 1)
    assert verify_closedness(res.to_dict()).verified
    # exact samples: distance to A* is exactly 1/t^2
    dist = {s["t"]: s["distance_squared"] for s in w["sequence"]["samples"]}
    assert dist == {"1": "1", "10": "1/100", "1000": "1/1000000"}


def test_large_lu_uses_the_local_system():
    res = decide_closedness(families.lu(7), qe=False)
    assert res.witness["non_membership"]["groebner"]["system"] == "local"
    assert verify_closedness(res.to_dict()).verified


def test_embedded_lu_subpattern():
    # a dense 2x2 rank-1 block next to an LU block placed at rows/cols 2..3, plus a DTO column
    I = ["10000", "10000", "01100", "00100", "00010"]
    J = ["10000", "10000", "01100", "00100", "00001"]
    P = SupportPattern(I, J)
    emb = find_lu_embedding(P)
    # column 2 alone covers (3,3), (3,2), (2,3); column 1 also covers (2,2)
    assert emb == LUEmbedding(k=2, l=1, i1=3, i2=2, j1=3, j2=2)
    res = decide_closedness(P, qe=False)
    assert res.verdict == "not-closed"
    assert res.witness["A"]["entries"] == [[2, 3, "1"], [3, 2, "1"]]
    assert verify_closedness(res.to_dict()).verified


def test_embedded_lu_in_a_large_pattern_carries_only_the_rows_it_needs():
    rng = np.random.default_rng(3)
    m = n = 60
    r = 40
    I = np.zeros((m, r), dtype=np.int8)
    J = np.zeros((n, r), dtype=np.int8)
    for k in range(2, r):  # disjoint singleton supports elsewhere
        I[k, k] = 1
        J[k, k] = 1
    I[[0, 1], 0] = 1
    I[1, 1] = 1
    J[[0, 1], 0] = 1
    J[1, 1] = 1
    perm_r = rng.permutation(m)
    P = SupportPattern(I[perm_r], J)
    res = decide_closedness(P, qe=False)
    assert res.verdict == "not-closed"
    assert res.witness["supports"]["form"] == "rows"
    assert verify_closedness(res.to_dict()).verified


@pytest.mark.parametrize(("pattern", "theorem"), [
    (families.butterfly_split(16, 1), "T6"),
    (families.butterfly_split(16, 2), "T6"),
    (families.butterfly_split(2**16, 8), "T6"),
    (families.monarch(4).split(1), "T6"),
    (families.block_diagonal([[2, 3, 1], [3, 2, 2], [1, 1, 1]]), "T2"),
    (SupportPattern(["10", "01"], ["10", "01"]), "T2"),
    (SupportPattern(["11", "10"], ["11", "11"]), "T3"),
    (families.full(4, 5, 2), "T5"),
    (SupportPattern(["111"], ["100", "011"]), "T5"),
])
def test_closed_families(pattern, theorem):
    res = decide_closedness(pattern, qe=False)
    assert (res.verdict, res.theorem, res.exact) == ("closed", theorem, True)
    assert verify_closedness(res.to_dict()).verified


def test_explicit_butterfly_split_is_dto():
    P = families.butterfly_split(8, 1)
    explicit = SupportPattern(P.I, P.J)
    res = decide_closedness(explicit, qe=False)
    assert (res.verdict, res.theorem) == ("closed", "T2")


@pytest.mark.parametrize("chain", [families.butterfly(16), families.butterfly(8, "reversed")])
def test_butterfly_chains_closed_by_clr(chain):
    res = decide_closedness(chain, qe=False)
    assert (res.verdict, res.theorem) == ("closed", "T9")


def test_monarch_chain_reduces_to_its_split():
    res = decide_closedness(families.monarch(3), qe=False)
    assert (res.verdict, res.theorem) == ("closed", "T6")
    assert res.evidence["reduced_to"].startswith("two-factor split")


def test_chain_with_lu_pair_and_diagonal_factor_is_proved_not_closed():
    D = np.eye(3, dtype=int)
    L = np.tril(np.ones((3, 3), dtype=int))
    res = decide_closedness(Chain([D, L, L.T]), qe=False)
    assert res.verdict == "not-closed"
    assert res.witness["kind"] == "chain-lu-embedding"
    assert res.witness["pair"] == [1, 2]
    assert verify_closedness(res.to_dict()).verified


def test_chain_heuristic_stays_unknown():
    L = np.tril(np.ones((3, 3), dtype=int))
    res = decide_closedness(Chain([L, L.T, np.ones((3, 3), dtype=int)]), qe=False)
    assert res.verdict == "unknown" and res.evidence["heuristic"] is True
    assert "heuristic only" in res.explanation


def test_unknown_lists_what_was_tried():
    six_cycle = SupportPattern(["110", "101", "011"], ["110", "101", "011"])
    res = decide_closedness(six_cycle, qe=False)
    assert res.verdict == "unknown" and res.theorem is None and res.exact is False
    assert any("LU-embedding search" in s for s in res.tried)
    assert "quantifier elimination: not requested" in res.tried


def test_round_trip_and_bad_input():
    res = decide_closedness(families.lu(2), qe=False)
    assert ClosednessResult.from_dict(res.to_dict()) == res
    with pytest.raises(InvalidInputError, match="needs a SupportPattern"):
        decide_closedness("lu")
    with pytest.raises(InvalidInputError, match="missing the key"):
        ClosednessResult.from_dict({"verdict": "closed"})


@pytest.mark.parametrize("tamper", ["limit", "support", "coverage", "cofactor"])
def test_checker_rejects_tampered_witnesses(tamper):
    w = copy.deepcopy(decide_closedness(families.lu(3), qe=False).witness)
    ev = w["certificate"]["evidence"]
    if tamper == "limit":
        # y_00 = 1/t + 1 breaks A*[0,0] = 0
        ev["sequence"]["factors"][1]["entries"][0][2] = [[-1, "1"], [0, "1"]]
    elif tamper == "support":
        ev["sequence"]["factors"][0]["entries"].append([0, 2, [[0, "1"]]])  # outside LU mask
    elif tamper == "coverage":
        w["certificate"]["inputs"]["structure"]["I"][0] = "110"  # inputs no longer match hash
    else:
        ev["not_a_product"]["cofactors"][0][0][0] = "7"
    with pytest.raises(CertificateError):
        verify_closedness_witness(w)


def test_checker_rejects_not_closed_without_witness():
    d = decide_closedness(families.lu(2), qe=False).to_dict()
    d["witness"] = None
    with pytest.raises(CertificateError, match="without a witness"):
        verify_closedness(d)


@given(two_factor_masks(max_m=4, max_n=4, max_r=3))
def test_verdicts_are_consistent_and_witnesses_verify(masks):
    I, J = masks
    P = SupportPattern(I, J)
    res = decide_closedness(P, qe=False)
    emb = find_lu_embedding(P)
    if emb is not None:
        # a pattern with an LU witness can never be certified tractable (T2/T3 imply closed)
        assert res.verdict == "not-closed"
        assert verify_closedness(res.to_dict()).verified
    if res.verdict == "closed" and res.theorem == "T2":
        # independent DTO check: rectangles pairwise disjoint or identical
        rects = [(frozenset(np.flatnonzero(I[:, k])), frozenset(np.flatnonzero(J[:, k])))
                 for k in range(I.shape[1]) if I[:, k].any() and J[:, k].any()]
        for a in rects:
            for b in rects:
                assert a == b or not (a[0] & b[0] and a[1] & b[1])
        assert decide_tractability(P).tractable


def test_qe_reports_missing_z3(monkeypatch):
    monkeypatch.setitem(sys.modules, "z3", None)
    res = decide_closedness_qe(families.lu(2))
    assert res.verdict == "unknown" and "z3 not installed" in res.explanation
    six_cycle = SupportPattern(["110", "101", "011"], ["110", "101", "011"])
    res = decide_closedness(six_cycle, qe=True)
    assert res.verdict == "unknown"
    assert "quantifier elimination: z3 not installed" in res.tried


def test_qe_decides_tiny_instances():
    pytest.importorskip("z3")
    assert decide_closedness_qe(families.lu(2), timeout_s=20).verdict == "not-closed"
    assert decide_closedness_qe(SupportPattern(["10", "01"], ["10", "01"]),
                                timeout_s=20).verdict == "closed"
    big = decide_closedness_qe(families.lu(3), max_vars=10)
    assert big.verdict == "unknown" and big.evidence["status"] == "size limit"


def test_double_cover_pattern_needs_the_completed_sequence():
    # every entry of column 1 is covered by both supports: no LU embedding, yet not closed
    P = SupportPattern(["11", "11", "11"], ["10", "11", "01"])
    assert find_lu_embedding(P) is None
    res = decide_closedness(P, qe=False)
    assert (res.verdict, res.evidence["method"]) == ("not-closed", "completed-lu-sequence")
    w = res.witness
    assert w["A"]["dense"] == [["1", "0", "1"], ["0", "1", "0"], ["0", "0", "0"]]
    assert "three_entry" not in w["non_membership"]
    assert verify_closedness(res.to_dict()).verified
    bad = copy.deepcopy(w)
    # drop the completion term: A* changes
    bad["certificate"]["evidence"]["limit"]["entries"] = [[0, 0, "1"], [1, 1, "1"]]
    with pytest.raises(CertificateError):
        verify_closedness_witness(bad)


def test_cited_closedness_of_long_kronecker_chains_is_not_exact():
    from fsmf_check.closure.decide import CHAINABLE_BASIS, ClosednessResult
    from fsmf_check.model.kronecker import KronPattern

    ternary = Chain([KronPattern(1, 3, 3, 9), KronPattern(3, 3, 3, 3), KronPattern(9, 3, 3, 1)])
    res = decide_closedness(ternary, qe=False)
    assert (res.verdict, res.theorem, res.exact) == ("closed", "T6", False)
    assert res.basis == CHAINABLE_BASIS and res.basis.startswith("cited: [LZRG-err]")
    d = res.to_dict()
    assert d["basis"] == CHAINABLE_BASIS and d["exact"] is False
    assert ClosednessResult.from_dict(d).basis == CHAINABLE_BASIS
    with pytest.raises(InvalidInputError, match="cannot be exact"):
        ClosednessResult(verdict="closed", theorem="T6", explanation="x", exact=True,
                         basis=CHAINABLE_BASIS)


def test_computed_verdicts_carry_the_computed_basis():
    for obj in (families.lu(2), families.butterfly_split(16, 2), families.butterfly(16)):
        res = decide_closedness(obj, qe=False)
        assert res.exact is True and res.to_dict()["basis"] == "computed"


def test_certificate_is_omitted_with_its_reason_above_the_mask_limit(monkeypatch):
    # an LU pattern has a checked witness; with the limit below its 8 mask entries the
    # certificate (which spells the masks out) is not built and the reason is given
    import fsmf_check.closure.decide as decide

    P = families.lu(2)
    assert "certificate" in decide.decide_closedness(P, qe=False).witness
    monkeypatch.setattr(decide, "MAX_CERTIFICATE_MASK_ENTRIES", 7)
    res = decide.decide_closedness(P, qe=False)
    assert res.verdict == "not-closed" and "certificate" not in res.witness
    assert "8 characters, above MAX_CERTIFICATE_MASK_ENTRIES = 7" in res.witness[
        "certificate_omitted"]
    from fsmf_check.commands.closedness import closedness_outcome
    from fsmf_check.inputs.cases import parse_case

    case = parse_case({"name": "lu2", "supports": {"family": "lu", "n": 2}})
    out = closedness_outcome(case, qe=False, certificate=Path("unused.json"))
    assert out.exit_code == 1 and "no certificate file: the certificate spells" in out.text
