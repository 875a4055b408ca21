"""Hierarchical factorization (T7, T9): planted recovery, DFT/Hadamard, bounds, matvec."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fsmf_check.model import families
from fsmf_check.errors import InvalidInputError, NotApplicableError, ShapeError
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.numeric.factors import KroneckerFactors, twiddle_to_sparse
from fsmf_check.numeric.hierarchical import hierarchical, level_errors, t9_bound
from fsmf_check.inputs.matrix_specs import bitrev, dft, hadamard, random_butterfly

TREES = ("left", "right", "balanced")


def _planted(chain, seed: int, cplx: bool) -> tuple[np.ndarray, list[sp.csr_array]]:
    rng = np.random.default_rng(seed)
    factors = []
    for idx in range(chain.n_factors):
        M = sp.csr_array(chain.factor_mask(idx), dtype=np.float64)
        vals = rng.standard_normal(M.nnz)
        if cplx:
            vals = vals + 1j * rng.standard_normal(M.nnz)
        factors.append(sp.csr_array((vals, M.indices, M.indptr), shape=M.shape))
    A = factors[-1].toarray()
    for F in reversed(factors[:-1]):
        A = F @ A
    return np.asarray(A), factors


def _dense_product(factors) -> np.ndarray:
    """Independent dense product of the returned factors (scipy sparse matrices)."""
    mats = factors.to_scipy_sparse()
    acc = mats[0].toarray()
    for F in mats[1:]:
        acc = acc @ F.toarray()
    return acc


@pytest.mark.parametrize("order", ["standard", "reversed"])
@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("ortho", [True, False])
def test_planted_butterfly_recovered(order: str, tree: str, cplx: bool, ortho: bool) -> None:
    for n in (2, 8, 64):
        chain = families.butterfly(n, order)
        A, _ = _planted(chain, n, cplx)
        res = hierarchical(A, chain, tree=tree, orthonormalize=ortho, bound=False)
        # exact product: recovery to rounding (T7 exact case, [LZRG-ICASSP] Thm 3)
        assert res.rel_error <= 1e-10, (n, res.rel_error)
        assert res.factors.patterns == chain.patterns
        B = _dense_product(res.factors)
        assert np.linalg.norm(A - B) <= 1e-10 * np.linalg.norm(A)
        for idx, F in enumerate(res.factors.to_scipy_sparse()):
            mask = chain.factor_mask(idx).toarray() != 0
            assert np.all((F.toarray() != 0) <= mask)


@pytest.mark.parametrize("chain", [
    families.monarch(4, rank=2),
    families.monarch(2, 3, 4, 5, rank=2),
    families.monarch(4),
    families.deformable_chain([[1, 2, 2, 4, 1, 2], [2, 2, 2, 2, 2, 2], [4, 2, 2, 1, 2, 1]]),
    families.kronecker_chain([[1, 2, 3, 4], [3, 4, 2, 1]]),
    families.truncated_butterfly(16, 4).chain,
], ids=["monarch-r2", "monarch-rect-r2", "monarch", "deformable-r2", "rect", "truncated"])
@pytest.mark.parametrize("tree", TREES)
def test_planted_kronecker_chains(chain, tree: str) -> None:
    for cplx in (False, True):
        A, _ = _planted(chain, 5, cplx)
        res = hierarchical(A, chain, tree=tree, bound=False)
        assert res.rel_error <= 1e-10
        np.testing.assert_allclose(_dense_product(res.factors), A,
                                   atol=1e-10 * np.linalg.norm(A))


@pytest.mark.parametrize("tree", TREES)
def test_dft_with_bitrev_is_exact(tree: str) -> None:
    for n in (4, 16, 256):
        res = hierarchical(dft(n), families.butterfly(n), tree=tree, column_perm=bitrev(n))
        assert res.rel_error <= 1e-13
        x = np.random.default_rng(0).standard_normal(n)
        # the approximation of A itself (columns un-permuted) applied by matvec is the DFT
        np.testing.assert_allclose(res.matvec(x), np.fft.fft(x), atol=1e-10 * n)
        np.testing.assert_allclose(res.to_dense(), dft(n), atol=1e-11)


def test_dft_natural_order_has_the_t9_lower_bound() -> None:
    n = 64
    res = hierarchical(dft(n), families.butterfly(n))
    assert res.rel_error > 0.5
    # no product does better than max_l E_l (T9): the computed error respects it
    assert res.error >= res.lower_bound * (1 - 1e-12)


@pytest.mark.parametrize("tree", TREES)
def test_hadamard_exact(tree: str) -> None:
    res = hierarchical(hadamard(128), families.butterfly(128), tree=tree)
    assert res.rel_error <= 1e-13
    np.testing.assert_allclose(res.level_errors, 0, atol=1e-11)


def test_matvec_equals_dense_product() -> None:
    rng = np.random.default_rng(2)
    for chain in (families.butterfly(32), families.monarch(2, 3, 4, 5, rank=2)):
        A = rng.standard_normal(chain.shape)
        res = hierarchical(A, chain, bound=False)
        B = _dense_product(res.factors)
        x = rng.standard_normal(chain.shape[1])
        X = rng.standard_normal((chain.shape[1], 3)) + 1j * rng.standard_normal((chain.shape[1], 3))
        np.testing.assert_allclose(res.factors.matvec(x), B @ x, atol=1e-12 * np.linalg.norm(B))
        np.testing.assert_allclose(res.factors.matvec(X), B @ X, atol=1e-12 * np.linalg.norm(B))
        np.testing.assert_allclose(res.to_dense(), B, atol=1e-13 * np.linalg.norm(B))


def test_kronecker_factors_transpose_and_sparse() -> None:
    pats = (KronPattern(1, 2, 3, 2), KronPattern(3, 2, 2, 1))
    rng = np.random.default_rng(1)
    vals = tuple(rng.standard_normal((p.a, p.d, p.b, p.c)) for p in pats)
    F = KroneckerFactors(pats, vals)
    dense = twiddle_to_sparse(vals[0], pats[0]).toarray() @ twiddle_to_sparse(vals[1], pats[1]).toarray()
    np.testing.assert_allclose(F.to_dense(), dense, atol=1e-13)
    np.testing.assert_allclose(F.transpose().to_dense(), dense.T, atol=1e-13)
    for T, p in zip(vals, pats, strict=True):
        assert np.all((twiddle_to_sparse(T, p).toarray() != 0) <= (p.to_dense() != 0))


@pytest.mark.parametrize("tree", TREES)
def test_noisy_planted_orthonormalized_error_near_noise(tree: str) -> None:
    n = 256
    M = random_butterfly(n, seed=4, noise=1e-2)
    res = hierarchical(M.A, families.butterfly(n), tree=tree, orthonormalize=True)
    assert res.error / M.noise_norm <= 1.05
    # orthonormalized comb trees: the node errors are orthogonal, so the squares add up
    total = np.sqrt(sum(s.error**2 for s in res.splits))
    if tree != "balanced":
        assert res.error == pytest.approx(total, rel=1e-9)
    # T9 bound and the lower bound max_l E_l
    assert res.error <= res.bound
    assert res.error >= res.lower_bound * (1 - 1e-12)
    assert res.bound == pytest.approx(t9_bound(res.level_errors))
    assert res.bound_applies == (tree == "left")


def test_level_errors_match_two_factor_solver() -> None:
    from fsmf_check.numeric import solve_tractable

    chain = families.butterfly(16)
    A = np.random.default_rng(8).standard_normal((16, 16))
    E = level_errors(A, chain)
    ref = [np.sqrt(solve_tractable(chain.split(s), A).objective) for s in range(1, 4)]
    np.testing.assert_allclose(E, ref, rtol=1e-10)
    # reversed order goes through the transpose: same values as the explicit splits
    chain_r = families.butterfly(16, "reversed")
    Er = level_errors(A, chain_r)
    ref_r = [np.sqrt(solve_tractable(chain_r.split(s), A).objective) for s in range(1, 4)]
    np.testing.assert_allclose(Er, ref_r, rtol=1e-10)


def test_bad_inputs() -> None:
    chain = families.butterfly(8)
    with pytest.raises(ShapeError, match="8 x 8"):
        hierarchical(np.ones((4, 4)), chain)
    with pytest.raises(InvalidInputError, match="tree must be"):
        hierarchical(np.ones((8, 8)), chain, tree="zigzag")
    with pytest.raises(InvalidInputError, match="permutation"):
        hierarchical(np.ones((8, 8)), chain, column_perm=np.zeros(8, dtype=int))
    with pytest.raises(InvalidInputError, match="non-finite"):
        hierarchical(np.full((8, 8), np.inf), chain)


def test_uncertified_chain_refused() -> None:
    from fsmf_check.model.supports import Chain

    lower = np.tril(np.ones((3, 3), dtype=np.int8))
    chain = Chain([lower, lower.T])  # the split is the LU pattern (E4): not certified
    with pytest.raises(NotApplicableError, match="not certified"):
        hierarchical(np.eye(3), chain)
