"""Exact chains: DFT over Q(zeta_N), Hadamard, random butterflies, Kronecker rank > 1 (T7, T9)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.model import families
from fsmf_check.inputs.cases import parse_case
from fsmf_check.errors import ExactnessError, ShapeError
from fsmf_check.exact._backend import Field, get_backend, parse_scalar
from fsmf_check.exact.chain import (
    chain_scalings,
    clr_check,
    decide_chain_identifiability,
    decide_chain_membership,
)
from fsmf_check.exact.targets import (
    ExactTarget,
    bitrev,
    chain_product,
    dft_matrix,
    exact_target,
    hadamard_matrix,
    random_integer_factors,
)
from fsmf_check.verify.certificates import verify_certificate

from ._helpers import planted

BACKENDS = ["flint", "sympy"]


@pytest.mark.parametrize("n", [8, 16, 32])
def test_dft_bitrev_is_certified_exactly(n):
    T = dft_matrix(n, "bitrev")
    res = decide_chain_membership(T, families.butterfly(n))
    assert (res.verdict, res.theorem, res.field.name) == ("member", "T7", f"Q(zeta_{n})")
    assert res.evidence["clr"]["verdict"] == "holds"
    assert verify_certificate(res.certificate)
    ident = decide_chain_identifiability(T, families.butterfly(n), res)
    assert (ident.verdict, ident.up_to) == ("identifiable", "diagonal scaling")
    assert verify_certificate(ident.certificate)


def test_dft_natural_order_is_refuted_with_exact_minor():
    T = dft_matrix(16)
    res = decide_chain_membership(T, families.butterfly(16))
    cert = res.certificate.data
    assert res.verdict == "not-member" and cert["split"] == 1
    rows, cols = cert["minor"]["rows"], cert["minor"]["cols"]
    E = T.exponents
    # T9 integer criterion: the 2x2 minor is nonzero iff (j-j')(k-k') != 0 mod N
    assert (E[rows[0], cols[0]] + E[rows[1], cols[1]] - E[rows[0], cols[1]]
            - E[rows[1], cols[0]]) % 16 != 0
    bk = T.backend
    sub = T.A[np.ix_(rows, cols)]
    assert bk.to_public(sub[0, 0] * sub[1, 1] - sub[0, 1] * sub[1, 0]) == parse_scalar(
        cert["minor"]["value"], Field(16))
    assert verify_certificate(res.certificate.to_dict())


@pytest.mark.parametrize("backend", BACKENDS)
def test_dft8_both_backends_agree(backend):
    T = dft_matrix(8, "bitrev", backend=backend)
    res = decide_chain_membership(T, families.butterfly(8), backend=backend)
    assert res.verdict == "member"
    assert verify_certificate(res.certificate, backend=backend)
    assert verify_certificate(res.certificate, backend="flint" if backend == "sympy" else "sympy")


@pytest.mark.parametrize("order", ["standard", "reversed"])
@pytest.mark.parametrize("tree", ["balanced", "left", "right"])
def test_hadamard_all_trees_and_orders(order, tree):
    T = hadamard_matrix(16)
    res = decide_chain_membership(T, families.butterfly(16, order), tree=tree)
    assert res.verdict == "member" and verify_certificate(res.certificate)
    ident = decide_chain_identifiability(T, families.butterfly(16, order), res)
    assert ident.verdict == "identifiable"
    # the standard Hadamard factors I ⊗ [[1,1],[1,-1]] ⊗ I are a scaling of the recovered ones
    bk = T.backend
    chain = families.butterfly(16, order)
    H2 = np.array([[1, 1], [1, -1]])
    ref = [bk.array(np.kron(np.kron(np.eye(p.a, dtype=int), H2), np.eye(p.d, dtype=int))
                    .astype(object)) for p in chain.factors]
    assert bk.equal(chain_product(ref, bk), T.A)
    D, why = chain_scalings(list(res.factors), ref, bk)
    assert D is not None, why


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=4, deadline=None)
@given(st.integers(0, 2**16), st.sampled_from(["balanced", "left", "right"]))
def test_planted_rational_butterfly_recovered_up_to_scaling(backend, seed, tree):
    n = 8
    chain = families.butterfly(n)
    bk = get_backend(backend, Field(1))
    rng = np.random.default_rng(seed)
    planted_factors = [planted(chain.factor_mask(i).toarray(), bk, rng) for i in range(3)]
    A = chain_product(planted_factors, bk)
    T = ExactTarget(A, Field(1), bk, "planted")
    res = decide_chain_membership(T, chain, tree=tree, backend=backend)
    assert res.verdict == "member" and verify_certificate(res.certificate, backend=backend)
    assert bk.equal(chain_product(list(res.factors), bk), A)
    D, why = chain_scalings(list(res.factors), planted_factors, bk)
    assert D is not None, why
    for l, (F, G) in enumerate(zip(res.factors, planted_factors, strict=True)):
        inv = np.array([bk.one / v for v in D[l]], dtype=object)
        assert bk.equal(F * inv[:, None] * D[l + 1][None, :], G)
    # perturbing one entry by 1/7 gives a refutation with an exact nonzero minor
    A2 = A.copy()
    A2[2, 5] = A2[2, 5] + bk.scalar(Fraction(1, 7))
    bad = decide_chain_membership(ExactTarget(A2, Field(1), bk, "perturbed"), chain,
                                  backend=backend)
    assert bad.verdict == "not-member"
    minor = bad.certificate.data["minor"]
    sub = A2[np.ix_(minor["rows"], minor["cols"])]
    val = sub[0, 0] * sub[1, 1] - sub[0, 1] * sub[1, 0]
    assert bk.to_public(val) == parse_scalar(minor["value"], Field(1)) != 0
    assert verify_certificate(bad.certificate, backend=backend)


def test_random_butterfly_case_with_planted_scalings():
    case = parse_case({"name": "rb", "kind": "chain",
                       "supports": {"family": "butterfly", "n": 16},
                       "target": {"generator": "random-butterfly", "n": 16, "seed": 2,
                                  "entries": "integer"}})
    T = exact_target(case)
    res = decide_chain_membership(T, case.chain)
    assert res.verdict == "member"
    D, _ = chain_scalings(list(res.factors), T.planted, T.backend)
    assert D is not None


def test_deformable_rank2_chain():
    chain = families.deformable_chain([[1, 2, 2, 4, 1, 2], [2, 2, 2, 2, 2, 2],
                                       [4, 2, 2, 1, 2, 1]])
    bk = get_backend("flint", Field(1))
    rng = np.random.default_rng(5)
    facs = [planted(chain.factor_mask(i).toarray(), bk, rng) for i in range(3)]
    T = ExactTarget(chain_product(facs, bk), Field(1), bk, "rank-2 chain")
    res = decide_chain_membership(T, chain)
    assert res.verdict == "member" and verify_certificate(res.certificate)
    ident = decide_chain_identifiability(T, chain, res)
    assert (ident.verdict, ident.up_to) == ("identifiable", "block-diagonal GL(2)")
    assert verify_certificate(ident.certificate)


def test_zero_level_block_gives_second_factorization():
    chain = families.butterfly(8)
    bk = get_backend("flint", Field(1))
    rng = np.random.default_rng(1)
    facs = [planted(chain.factor_mask(i).toarray(), bk, rng) for i in range(3)]
    facs[0][:, 2] = bk.zero  # column 2 of the left factor vanishes: a zero level block
    T = ExactTarget(chain_product(facs, bk), Field(1), bk, "degenerate")
    res = decide_chain_membership(T, chain)
    ident = decide_chain_identifiability(T, chain, res)
    assert (ident.verdict, ident.method) == ("not-identifiable", "degenerate-level-block")
    assert chain_scalings(list(res.factors), list(ident.second_factors), bk)[0] is None
    assert verify_certificate(ident.certificate)


def test_clr_route_agrees_with_hierarchy():
    chain = families.butterfly(16)
    for T in (hadamard_matrix(16), dft_matrix(16, "bitrev")):
        assert clr_check(T, chain)["verdict"] == "holds"
    T = dft_matrix(16)
    assert clr_check(T, chain)["verdict"] == "violated"


def test_outside_support_and_bad_inputs():
    from fsmf_check.model.supports import Chain

    chain = Chain([["10", "01"], ["10", "01"]])
    res = decide_chain_membership([[1, 1], [0, 1]], chain)
    assert (res.verdict, res.method) == ("not-member", "entry-outside-supports")
    assert res.certificate.data["entry"] == {"row": 0, "col": 1, "value": "1"}
    assert verify_certificate(res.certificate)
    res = decide_chain_membership([[2, 0], [0, 3]], chain)
    assert res.verdict == "member" and verify_certificate(res.certificate)
    with pytest.raises(ShapeError):
        decide_chain_membership([[1, 2]], families.butterfly(4))
    with pytest.raises(ExactnessError):
        decide_chain_membership(np.ones((4, 4)), families.butterfly(4))


def test_integer_generator_matches_documented_draw():
    bk = get_backend("flint", Field(1))
    chain = families.butterfly(4)
    masks = [chain.factor_mask(i) for i in range(2)]
    facs = random_integer_factors(masks, 3, bk)
    rng = np.random.default_rng(3)
    for F, M in zip(facs, masks, strict=True):
        vals = rng.integers(-9, 10, size=M.nnz)
        coo = M.tocoo()
        order = np.lexsort((coo.col, coo.row))
        got = [int(F[coo.row[t], coo.col[t]]) for t in order]
        assert got == vals.tolist()
    assert bitrev(8).tolist() == [0, 4, 2, 6, 1, 5, 3, 7]
