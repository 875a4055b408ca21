"""Two-factor exact membership (T2, T3, T8) and identifiability, on both backends."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.model import families
from fsmf_check.analysis.tractability import decide_tractability
from fsmf_check.errors import ExactnessError, ShapeError
from fsmf_check.exact._backend import Field, get_backend, parse_scalar
from fsmf_check.exact.targets import ExactTarget
from fsmf_check.exact.twofactor import (
    decide_identifiability,
    decide_membership,
    equivalent_up_to_scaling,
    two_factor_scalings,
)
from fsmf_check.verify.certificates import verify_certificate
from fsmf_check.model.numbers import GaussianRational
from fsmf_check.model.supports import SupportPattern

from ..strategies import two_factor_masks
from ._helpers import planted

BACKENDS = ["flint", "sympy"]
F = Fraction


def _target(A: np.ndarray, bk) -> ExactTarget:
    return ExactTarget(A, bk.field, bk, "test")


# ---- E1-E4 reference values ---------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_e1_dto_singletons(backend):
    P = SupportPattern(["10", "01"], ["10", "01"])
    res = decide_membership([[1, 2], [3, 4]], P, backend=backend)
    assert res.verdict == "not-member" and res.method == "entry-outside-supports"
    assert res.certificate.data["entry"] == {"row": 0, "col": 1, "value": "2"}
    assert verify_certificate(res.certificate, backend=backend)
    # the optimal product diag(1, 4) is a member, identifiable up to scaling
    mem = decide_membership([[1, 0], [0, 4]], P, backend=backend)
    assert mem.verdict == "member"
    ident = decide_identifiability([[1, 0], [0, 4]], P, backend=backend, membership=mem)
    assert (ident.verdict, ident.method, ident.up_to) == ("identifiable", "disjoint-supports",
                                                           "column scaling")
    assert verify_certificate(ident.certificate, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_e2_eckart_young_is_not_a_member(backend):
    P = SupportPattern(["1", "1", "1"], ["1", "1", "1"])
    res = decide_membership([[3, 0, 0], [0, 2, 0], [0, 0, 1]], P, backend=backend)
    minor = res.certificate.data["minor"]
    assert (res.verdict, minor["rows"], minor["cols"], minor["value"],
            minor["supports_meeting"]) == ("not-member", [0, 1], [0, 1], "6", 1)
    assert verify_certificate(res.certificate, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_e3_complete_class(backend):
    P = SupportPattern(["11", "11"], ["11", "11"])
    A = [[1, 2], [3, 4]]
    mem = decide_membership(A, P, backend=backend)
    assert mem.verdict == "member"
    X, Y = mem.public_factors()
    assert (np.array(X, dtype=object) @ np.array(Y, dtype=object).T).tolist() == A
    ident = decide_identifiability(A, P, backend=backend, membership=mem)
    assert (ident.verdict, ident.method, ident.evidence["G"]) == (
        "not-identifiable", "class-gl", [[1, 1], [0, 1]])
    X2, Y2 = ident.second_factors
    bk = mem.backend
    assert bk.equal(bk.matmul(X2, Y2.T.copy()), bk.array(A))
    assert not equivalent_up_to_scaling(*mem.factors, X2, Y2, bk)
    assert verify_certificate(ident.certificate, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_e4_lu_member_by_completion(backend):
    res = decide_membership([[1, 2], [3, 4]], families.lu(2), backend=backend)
    assert (res.verdict, res.method, res.theorem) == ("member", "rank-one-completion", "T8")
    X, Y = res.public_factors()
    assert X == [[1, 0], [3, 1]]  # L
    assert [list(r) for r in zip(*Y, strict=True)] == [[1, 2], [0, -2]]  # U = Y^T
    assert verify_certificate(res.certificate, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_e4_antidiagonal_is_refuted_by_groebner(backend):
    res = decide_membership([[0, 1], [1, 0]], families.lu(2), backend=backend)
    assert (res.verdict, res.method) == ("not-member", "groebner")
    assert verify_certificate(res.certificate, backend=backend)


def test_undecided_records_what_was_tried():
    # a 3x3 wlra gadget with a generic target: LU-type completion fails (zero pivot), the
    # Gröbner system is feasible: no decision is claimed
    P = SupportPattern(["11", "10", "10"], ["11", "10", "10"])
    res = decide_membership([[0, 1, 1], [1, 1, 1], [1, 1, 0]], P)
    assert res.verdict in ("undecided", "not-member")
    if res.verdict == "undecided":
        assert any("Gröbner" in t for t in res.tried)
    else:
        assert verify_certificate(res.certificate)


# ---- tractable planted models -------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=15, deadline=None)
@given(two_factor_masks(max_m=5, max_n=5, max_r=4), st.integers(0, 2**16))
def test_planted_members_are_certified(backend, masks, seed):
    I, J = masks
    pattern = SupportPattern(I, J)
    bk = get_backend(backend, Field(1))
    rng = np.random.default_rng(seed)
    X, Y = planted(I, bk, rng), planted(J, bk, rng)
    A = bk.matmul(X, Y.T.copy())
    tract = decide_tractability(pattern) if (I.any(axis=0) & J.any(axis=0)).any() else None
    if tract is None:
        return
    res = decide_membership(_target(A, bk), pattern, backend=backend, tract=tract)
    if tract.tractable:
        assert res.verdict == "member"
    if res.verdict == "member":
        cert = res.certificate.to_dict()
        assert verify_certificate(cert, backend=backend)
        X2, Y2 = res.factors
        assert bk.equal(bk.matmul(X2, Y2.T.copy()), A)
    else:
        assert res.verdict == "undecided"


@pytest.mark.parametrize("backend", BACKENDS)
def test_perturbation_by_one_seventh_is_refuted(backend):
    pattern = families.block_diagonal([[3, 3, 1], [2, 3, 2]])
    bk = get_backend(backend, Field(1))
    rng = np.random.default_rng(7)
    X, Y = planted(pattern.I_dense(), bk, rng), planted(pattern.J_dense(), bk, rng)
    A = bk.matmul(X, Y.T.copy())
    assert decide_membership(_target(A, bk), pattern, backend=backend).verdict == "member"
    A[1, 2] = A[1, 2] + bk.scalar(F(1, 7))
    res = decide_membership(_target(A, bk), pattern, backend=backend)
    minor = res.certificate.data["minor"]
    assert res.verdict == "not-member" and minor["supports_meeting"] == 1
    rows, cols = minor["rows"], minor["cols"]
    assert 1 in rows and 2 in cols
    sub = A[np.ix_(rows, cols)]
    value = sub[0, 0] * sub[1, 1] - sub[0, 1] * sub[1, 0]
    assert bk.to_public(value) == parse_scalar(minor["value"], Field(1)) != 0
    assert verify_certificate(res.certificate, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cec_pattern_members_and_refutation(backend):
    # column 0: rows {0,1,2} x cols {0,1,2}; column 1 complete singleton row {0}; column 2 {3}x{3}
    pattern = SupportPattern(["110", "100", "100", "001"], ["110", "110", "110", "001"])
    bk = get_backend(backend, Field(1))
    A = [[5, -1, 2, 0], [1, 2, 3, 0], [2, 4, 6, 0], [0, 0, 0, 7]]
    res = decide_membership(A, pattern, backend=backend)
    assert res.verdict == "member" and res.method == "tractable-cec-reduction"
    assert verify_certificate(res.certificate, backend=backend)
    A[2][2] = 7  # rows {1,2} x cols {0,1,2} is now of rank 2
    res = decide_membership(A, pattern, backend=backend)
    assert res.verdict == "not-member" and res.certificate.data["minor"]["supports_meeting"] == 1
    assert verify_certificate(res.certificate, backend=backend)
    assert bk.field.N == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_gaussian_target(backend):
    P = SupportPattern(["1", "1"], ["1", "1"])
    i = GaussianRational(F(0), F(1))
    one = GaussianRational(F(1), F(0))
    res = decide_membership([[one, i], [i, -one]], P, backend=backend)
    assert res.verdict == "member" and res.field.name == "Q(i)"
    assert verify_certificate(res.certificate, backend=backend)
    res = decide_membership([[one, i], [i, one]], P, backend=backend)
    assert res.verdict == "not-member"
    assert res.certificate.data["minor"]["value"] == "2"
    assert verify_certificate(res.certificate, backend=backend)


def test_bad_inputs():
    P = SupportPattern(["1", "1"], ["1", "1"])
    with pytest.raises(ExactnessError, match="float"):
        decide_membership([[0.5, 1.0], [1.0, 2.0]], P)
    with pytest.raises(ShapeError, match="shape"):
        decide_membership([[1, 2, 3]], P)


# ---- identifiability ----------------------------------------------------------------------


def test_degenerate_column_is_not_identifiable():
    P = SupportPattern(["10", "01"], ["10", "01"])
    res = decide_identifiability([[1, 0], [0, 0]], P)
    assert (res.verdict, res.method) == ("not-identifiable", "degenerate-column")
    assert verify_certificate(res.certificate)


def test_lu_target_is_identifiable_by_completion():
    res = decide_identifiability([[1, 2], [3, 4]], families.lu(2))
    assert (res.verdict, res.method, res.scope) == ("identifiable", "rank-one-completion",
                                                     "target")
    assert res.evidence["completion_order"] == [0, 1]
    assert verify_certificate(res.certificate)


def test_pattern_level_answer_when_not_a_member():
    res = decide_identifiability([[1, 2], [3, 4]], SupportPattern(["10", "01"], ["10", "01"]))
    assert (res.verdict, res.scope) == ("identifiable", "pattern")
    assert verify_certificate(res.certificate)


def test_scalings_between_factorizations():
    bk = get_backend("flint", Field(1))
    X, Y = bk.array([[1, 0], [2, 0], [0, 3]]), bk.array([[1, 0], [0, 5]])
    X2, Y2 = bk.array([[0, 2], [0, 4], [F(1, 3), 0]]), bk.array([[0, F(1, 2)], [45, 0]])
    perm, d = two_factor_scalings(X, Y, X2, Y2, bk)
    assert perm == [1, 0] and [bk.to_public(v) for v in d] == [2, F(1, 9)]
    assert two_factor_scalings(X, Y, X2, bk.array([[0, 1], [15, 0]]), bk) is None


def test_verifier_rejects_tampering():
    res = decide_membership([[1, 2], [3, 4]], families.lu(2))
    cert = res.certificate.to_dict()
    bad = dict(cert, evidence=dict(cert["evidence"], factors=[
        cert["evidence"]["factors"][0], {"shape": [2, 2], "entries": [[0, 0, "1"], [1, 1, "-2"]]}]))
    assert not verify_certificate(bad)
    bad = dict(cert, schema="other")
    assert not verify_certificate(bad)
    ref = decide_membership([[1, 2], [3, 4]], SupportPattern(["10", "01"], ["10", "01"]))
    c2 = ref.certificate.to_dict()
    c2["evidence"]["entry"] = {"row": 0, "col": 0, "value": "1"}
    assert not verify_certificate(c2)


def test_all_supports_empty_and_certificate_round_trip():
    from fsmf_check.exact.certificates import Certificate

    P = SupportPattern(["10", "00"], ["00", "01"])
    assert decide_membership([[0, 0], [0, 0]], P).verdict == "member"
    res = decide_membership([[0, 1], [0, 0]], P)
    assert res.verdict == "not-member"
    back = Certificate.from_dict(res.certificate.to_dict())
    assert back == res.certificate and verify_certificate(back)


def test_refutation_names_the_block():
    P = families.block_diagonal([[2, 2, 1]])
    res = decide_membership([[1, 2], [3, 4]], P)
    assert res.certificate.data["minor"]["block"] == {"rows": [0, 1], "cols": [0, 1]}
    assert res.certificate.data["minor"]["value"] == "-2"
