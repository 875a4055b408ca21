"""The integer-gauge fast path of the chain recovery (fsmf_check.exact._integers).

Random integer butterfly products are recovered with integer factors that agree with the
construction (same product; equal up to diagonal scalings when every planted entry is
nonzero), the certificates verify and tampered copies are refuted, the verdicts and refutations
equal the general path's, and the residue tests are exact where int64 products wrap.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.analysis.tractability import decide_tractability
from fsmf_check.exact import _integers
from fsmf_check.exact._backend import Field, get_backend
from fsmf_check.exact._integers import int_factor_node, moduli_for, node_product_equals
from fsmf_check.exact.chain import chain_scalings, clr_check, decide_chain_membership
from fsmf_check.exact.targets import ExactTarget, chain_product
from fsmf_check.model.certificate_schema import inputs_digest
from fsmf_check.model.families import butterfly
from fsmf_check.model.supports import SupportPattern
from fsmf_check.verify.certificates import check_certificate, verify_certificate

BK = get_backend("flint", Field(1))


def _planted(n: int, seed: int, lo: int, hi: int, zeros: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    chain = butterfly(n)
    out = []
    for i in range(chain.n_factors):
        mask = chain.factor_mask(i).toarray().astype(bool)
        vals = rng.integers(lo, hi + 1, size=mask.shape) * rng.choice([-1, 1], size=mask.shape)
        if zeros:
            vals[rng.random(mask.shape) < 0.15] = 0
        F = BK.zeros(n, n)
        for r, c in np.argwhere(mask):
            F[r, c] = BK.scalar(int(vals[r, c]))
        out.append(F)
    return out


def _target(A: np.ndarray, planted: list[np.ndarray] | None = None) -> ExactTarget:
    return ExactTarget(A, Field(1), BK, "test", planted=planted)


def _general(A: np.ndarray, chain: object) -> object:
    """Decide with the general (backend scalar) path for the same matrix."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_integers, "integer_matrix", lambda target: None)
        return decide_chain_membership(_target(A), chain)  # type: ignore[arg-type]


def _as_int(F: np.ndarray) -> np.ndarray:
    """The entries of F as Python ints (asserting that they are integers)."""
    pub = [[BK.to_public(v) for v in row] for row in F]
    assert all(getattr(v, "denominator", 1) == 1 for row in pub for v in row)
    return np.array([[int(v) for v in row] for row in pub], dtype=object)


@settings(max_examples=30)
@given(st.sampled_from([4, 8, 16, 32]), st.integers(0, 10**6), st.booleans(),
       st.sampled_from([(1, 9), (1000, 2**12), (1000, 2**20)]))
def test_integer_recovery_agrees_with_construction(n: int, seed: int, zeros: bool,
                                                   span: tuple[int, int]) -> None:
    planted = _planted(n, seed, *span, zeros)
    A = chain_product(planted, BK)
    chain = butterfly(n)
    res = decide_chain_membership(_target(A, planted), chain)
    assert res.verdict == "member" and res.factors is not None
    big = max(abs(int(BK.to_public(v))) for v in A.reshape(-1))
    for i, F in enumerate(res.factors):
        nz = BK.nonzero_mask(F)
        assert not (nz & ~chain.factor_mask(i).toarray().astype(bool)).any()
        if big < 2**62:  # the int64 path: integer factors (integer gauge), |entries| <= big
            assert max(abs(v) for v in _as_int(F).reshape(-1)) <= big
    P = chain_product(list(res.factors), BK)
    assert all(a == b for a, b in zip(P.reshape(-1), A.reshape(-1), strict=True))
    if not zeros:  # every block nonzero: unique up to diagonal scalings (T8)
        D, why = chain_scalings(list(res.factors), planted, BK)
        assert D is not None, why
    assert res.certificate is not None and verify_certificate(res.certificate)
    assert res.evidence["clr"]["verdict"] == "holds"


@settings(max_examples=30)
@given(st.sampled_from([4, 8, 16]), st.integers(0, 10**6), st.integers(0, 10**6))
def test_tampered_targets_get_the_general_paths_refutation(n: int, seed: int,
                                                            where: int) -> None:
    planted = _planted(n, seed, 1, 9, False)
    A = chain_product(planted, BK).copy()
    i, j = divmod(where % (n * n), n)
    A[i, j] = A[i, j] + BK.scalar(1)
    chain = butterfly(n)
    fast = decide_chain_membership(_target(A), chain)
    slow = _general(A, chain)
    assert fast.verdict == slow.verdict == "not-member"  # type: ignore[attr-defined]
    assert fast.certificate is not None
    assert fast.certificate.to_dict() == slow.certificate.to_dict()  # type: ignore[attr-defined]
    assert verify_certificate(fast.certificate)


def test_integer_and_general_path_agree_on_clr() -> None:
    planted = _planted(16, 3, 1, 9, False)
    A = chain_product(planted, BK).copy()
    A[5, 9] = A[5, 9] * BK.scalar(2) + BK.scalar(1)
    chain = butterfly(16)
    fast = clr_check(_target(A), chain)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_integers, "integer_matrix", lambda target: None)
        slow = clr_check(_target(A), chain)
    assert fast == slow and fast["verdict"] == "violated"


def test_member_certificate_verifies_and_tampered_copies_are_refuted() -> None:
    planted = _planted(8, 11, 1, 9, False)
    res = decide_chain_membership(_target(chain_product(planted, BK), planted), butterfly(8))
    assert res.verdict == "member" and res.certificate is not None
    cert = res.certificate.to_dict()
    assert check_certificate(cert).status == "verified"
    # one factor entry changed
    bad = copy.deepcopy(cert)
    entry = bad["evidence"]["factors"][2]["entries"][3]
    entry[2] = str(int(entry[2]) + 1)
    report = check_certificate(bad)
    assert report.status == "refuted" and "product" in report.reason
    # one target entry changed (and the input hash recomputed, so the product check decides)
    bad = copy.deepcopy(cert)
    row = bad["inputs"]["target"]["rows"][1]
    row[0] = str(int(row[0]) + 1)
    inp = bad["inputs"]
    inp["sha256"] = inputs_digest(inp["structure"], inp["target"], inp["field"])
    report = check_certificate(bad)
    assert report.status == "refuted" and "product" in report.reason


def test_factors_are_primitive_integer_columns() -> None:
    planted = _planted(8, 5, 1, 9, False)
    res = decide_chain_membership(_target(chain_product(planted, BK)), butterfly(8))
    assert res.factors is not None
    F0 = _as_int(res.factors[0])  # the leftmost leaf: columns of node matrices, primitive
    from math import gcd

    for j in range(F0.shape[1]):
        col = [int(v) for v in F0[:, j] if v]
        g = 0
        for v in col:
            g = gcd(g, v)
        assert g == 1


def test_rank_two_block_whose_defect_wraps_modulo_2_64_is_refuted() -> None:
    # B = diag(2^32, 2^32): B * b - col (x) row has 2^64 at (1, 1), which is 0 in uint64;
    # the prime modulus sees it, so the block is refuted, not factored.
    pattern = SupportPattern(np.ones((2, 1), dtype=np.int8), np.ones((2, 1), dtype=np.int8))
    tract = decide_tractability(pattern)
    H = np.array([[2**32, 0], [0, 2**32]], dtype=np.int64)
    kind, ref, _ = int_factor_node(H, tract, 1)
    assert kind == "ref" and ref == {"kind": "minor", "rows": [0, 1], "cols": [0, 1],
                                     "meeting": 1, "block": {"rows": [0, 1], "cols": [0, 1]}}
    ok = np.array([[2**31, 3 * 2**31], [2**31, 3 * 2**31]], dtype=np.int64)
    kind, X, Y = int_factor_node(ok, tract, 1)
    assert kind == "ok"
    assert X.tolist() == [[1], [1]] and Y.tolist() == [[2**31], [3 * 2**31]]
    assert node_product_equals(X, Y, ok)


def test_moduli_cover_the_bound() -> None:
    for bound in (1, 2**64, 2**100, 2**200):
        mods = moduli_for(bound)
        assert mods is not None
        prod = 2**64
        for p in mods:
            prod *= p
        assert prod > bound
    assert all(4 * (p - 1) ** 2 < 2**63 for p in moduli_for(2**130, terms=4))  # type: ignore[union-attr]


def test_a_difference_of_2_64_is_seen_by_the_prime() -> None:
    from fsmf_check.exact._integers import _outer_differs

    B = np.zeros((1, 1, 1), dtype=np.int64)
    u = np.array([[2**32]], dtype=np.int64)
    v = np.array([[2**32]], dtype=np.int64)
    assert not _outer_differs(B, u, v, ())[0]  # u v = 2^64 wraps to 0 modulo 2^64 alone
    assert _outer_differs(B, u, v, moduli_for(2**64))[0]


@given(st.integers(0, 2**64))
def test_miller_rabin_agrees_with_sympy(n: int) -> None:
    from sympy import isprime

    from fsmf_check.exact._integers import _is_prime

    assert _is_prime(n) == isprime(n)
