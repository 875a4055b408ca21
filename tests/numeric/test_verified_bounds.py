"""Verified level enclosures (docs/numeric-bounds.md, "The model"): no eigensolver constant.

The enclosures of :func:`level_enclosure` and :func:`split_enclosure` must contain the level
errors recomputed in high precision (mpmath SVDs at 40 digits of the exact float entries) on
hundreds of random blocks: noisy low-rank blocks, clustered and repeated singular values
(also straddling the truncation rank), tiny, huge and subnormal scales, stacks mixing scales,
complex blocks. Exact low-rank blocks never get a positive lower bound. The reference error
(about 1e-38 relative) is far below the margins (about 1e-14 relative), so a failure is a
failure of the bound, not of the reference.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsmf_check.model import families
from fsmf_check.model.supports import SupportPattern
from fsmf_check.numeric import _levels
from fsmf_check.numeric._levels import (
    ROUNDING_MODEL,
    dot_gamma,
    gamma,
    level_enclosure,
    level_margin,
    split_enclosure,
)
from fsmf_check.numeric.hierarchical import hierarchical, level_error_bounds
from fsmf_check.numeric.tractable import closed_form_value

mpmath.mp.dps = 40


def _tail_sq(B: np.ndarray, r: int) -> mpmath.mpf:
    """``sum_b sum_{i > r} sigma_i(B_b)^2`` of a stack, by mpmath SVDs of the exact entries."""
    total = mpmath.mpf(0)
    for blk in B.reshape(-1, *B.shape[-2:]):
        if not blk.any():
            continue
        if np.iscomplexobj(blk):
            M = mpmath.matrix([[mpmath.mpc(float(z.real), float(z.imag)) for z in row]
                               for row in blk])
            s = mpmath.svd_c(M, compute_uv=False)
        else:
            M = mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in blk])
            s = mpmath.svd_r(M, compute_uv=False)
        total += sum((s[i] ** 2 for i in range(r, len(s))), mpmath.mpf(0))
    return total


def _check(B: np.ndarray, r: int, outside: float = 0.0) -> tuple[float, float, float]:
    """Assert ``lower <= E <= upper`` against the mpmath value; return the three."""
    enc = level_enclosure(B, r, outside, _levels.gamma(B.size + 2) * outside)
    exact = mpmath.sqrt(_tail_sq(B, r) + mpmath.mpf(outside))
    assert mpmath.mpf(enc.lower) <= exact <= mpmath.mpf(enc.upper), (enc, exact)
    assert enc.lower <= enc.estimate <= enc.upper or not math.isfinite(enc.upper)
    return enc.lower, float(exact), enc.upper


def _low_rank(rng: np.random.Generator, nb: int, p: int, q: int, rank: int,
              sv: np.ndarray | None = None, complex_: bool = False) -> np.ndarray:
    def gauss(*shape: int) -> np.ndarray:
        g = rng.standard_normal(shape)
        return g + 1j * rng.standard_normal(shape) if complex_ else g

    U, _ = np.linalg.qr(gauss(nb, p, p))
    W, _ = np.linalg.qr(gauss(nb, q, q))
    s = np.zeros(min(p, q))
    s[:rank] = sv if sv is not None else rng.uniform(0.5, 2.0, rank)
    return np.einsum("bik,k,bjk->bij", U[:, :, : s.size], s, W[:, :, : s.size].conj())


@pytest.mark.parametrize("block", range(4))
def test_noisy_random_stacks(block: int) -> None:
    """240 stacks (4 x 60, 2 to 3 blocks each): rank r plus relative noise 1e-15 to 1e-1."""
    rng = np.random.default_rng(100 + block)
    for it in range(60):
        p, q = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        r = int(rng.integers(0, min(p, q) + 1))
        cplx = bool(it % 3 == 0)
        B = _low_rank(rng, int(rng.integers(2, 4)), p, q, r, complex_=cplx)
        noise = 10.0 ** -rng.integers(1, 16)
        W = rng.standard_normal(B.shape) + (1j * rng.standard_normal(B.shape) if cplx else 0)
        B = B + noise * W
        lo, exact, hi = _check(B, r)
        if noise >= 1e-6 and r < min(p, q):  # well above the resolution (about u ||B||_F^2)
            assert lo > 0 and hi**2 - lo**2 <= 1e-12 * float(np.linalg.norm(B)) ** 2


def test_clustered_and_repeated_singular_values() -> None:
    """Repeated values at and across the truncation rank (the eigenvectors are ill-posed)."""
    rng = np.random.default_rng(7)
    patterns = [np.array([1.0, 1.0, 1.0, 1.0, 1.0]), np.array([2.0, 1.0, 1.0, 1.0, 1e-9]),
                np.array([1.0, 1.0 + 1e-15, 1.0 - 1e-15, 1e-8, 1e-8]),
                np.array([3.0, 3.0, 1e-12, 1e-12, 1e-12]), np.array([1.0, 1e-300, 0, 0, 0])]
    for sv in patterns:
        for r in range(6):
            for cplx in (False, True):
                B = _low_rank(rng, 3, 5, 7, 5, sv=sv, complex_=cplx)
                _check(B, r)


@pytest.mark.parametrize("scale", [2.0**-1070, 1e-310, 1e-200, 1e-30, 1.0, 1e30, 1e150, 1e300])
def test_tiny_huge_and_subnormal_scales(scale: float) -> None:
    rng = np.random.default_rng(int(-math.log2(scale)) + 2000)
    for cplx in (False, True):
        for _ in range(6):
            B = _low_rank(rng, 3, 4, 6, 1, complex_=cplx) + 1e-3 * rng.standard_normal((3, 4, 6))
            with np.errstate(under="ignore", over="ignore"):
                Bs = B * scale
            lo, exact, hi = _check(Bs, 1)
            if 1e-200 <= scale <= 1e150:  # no overflow, no subnormal loss: tight
                assert lo > 0 and hi <= exact * (1 + 1e-6)


def test_stacks_mixing_scales() -> None:
    """Blocks of very different sizes in one chunk (one common scale per chunk)."""
    rng = np.random.default_rng(11)
    for _ in range(20):
        B = _low_rank(rng, 4, 3, 5, 1) + 1e-4 * rng.standard_normal((4, 3, 5))
        B = B * np.array([1e-250, 1.0, 1e250, 2.0**-1060])[:, None, None]
        _check(B, 1)


def test_exact_low_rank_blocks_get_lower_bound_zero() -> None:
    """Integer rank-r blocks (exactly representable, exact tails 0) of many shapes."""
    rng = np.random.default_rng(3)
    for it in range(150):
        p, q = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        r = int(rng.integers(1, min(p, q) + 1))
        X = rng.integers(-9, 10, (5, p, r)).astype(float)
        Y = rng.integers(-9, 10, (5, r, q)).astype(float)
        B = X @ Y  # exact: small integers
        if it % 2:
            B = B + 1j * (X @ rng.integers(-9, 10, (5, r, q)))
        enc = level_enclosure(B * 2.0 ** int(rng.integers(-900, 900)), r)
        assert enc.lower == 0.0
        assert enc.upper >= 0.0


@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 6))
def test_property_enclosure_contains_mpmath_value(seed: int, p: int, q: int) -> None:
    rng = np.random.default_rng(seed)
    r = int(rng.integers(0, min(p, q) + 1))
    B = rng.standard_normal((2, p, q)) * 10.0 ** rng.integers(-5, 6, (2, p, q))
    _check(B, r, outside=float(rng.uniform(0, 2)))


def test_exact_products_in_hierarchical_have_lower_bound_zero_and_contain_svd() -> None:
    from fsmf_check.inputs.matrix_specs import hadamard, random_butterfly

    for n in (8, 16, 64):
        chain = families.butterfly(n)
        for A in (hadamard(n), random_butterfly(n, seed=n, entries="integer").A):
            est, lo, hi = level_error_bounds(A, chain)
            assert lo.tolist() == [0.0] * (chain.n_factors - 1)
            assert (hi >= 0).all()
        A = random_butterfly(n, seed=1, noise=1e-2).A
        est, lo, hi = level_error_bounds(A, chain)
        assert (lo > 0).all() and (lo <= est).all() and (est <= hi).all()
        assert (hi - lo <= 1e-8 * est).all()


def test_complex_noisy_butterflies_against_mpmath() -> None:
    """End to end: bit-reversed DFT plus complex noise, level errors recomputed by mpmath."""
    from fsmf_check.inputs.matrix_specs import add_relative_noise, dft

    for n, seed, noise in ((8, 0, 1e-9), (16, 1, 1e-4), (16, 2, 0.3), (32, 3, 1e-2)):
        A, _ = add_relative_noise(dft(n, "bitrev"), noise, np.random.default_rng(seed))
        _, lo, hi = level_error_bounds(A, families.butterfly(n))
        L = n.bit_length() - 1
        for s in range(1, L):
            b1, c2 = 2**s, n // 2**s
            B = A.reshape(b1, c2, b1, c2).transpose(1, 2, 0, 3)
            exact = mpmath.sqrt(_tail_sq(B, 1))
            assert mpmath.mpf(lo[s - 1]) <= exact <= mpmath.mpf(hi[s - 1]), (n, s)


def test_split_enclosure_on_explicit_patterns() -> None:
    """The generic (explicit-chain) path: T2/T3 closed form enclosed; exact products get 0."""
    rng = np.random.default_rng(5)
    patterns = [SupportPattern(["110", "110", "001"], ["100", "100", "011"]),
                families.full(4, 5, 2), families.block_diagonal([[2, 3, 1], [3, 2, 2]]),
                families.butterfly_split(8, 1)]
    for P in patterns:
        m, n, _ = P.shape
        for it in range(20):
            A = rng.standard_normal((m, n)) * 10.0 ** int(rng.integers(-3, 4))
            if it % 4 == 0:
                A = A + 1j * rng.standard_normal((m, n))
            enc = split_enclosure(A, P)
            ref = math.sqrt(closed_form_value(P, A))
            assert enc.lower <= ref * (1 + 1e-13) and ref <= enc.upper * (1 + 1e-13)
            assert enc.upper - enc.lower <= 1e-10 * max(ref, float(np.linalg.norm(A)))
            X = rng.integers(-5, 6, P.I_dense().shape) * P.I_dense()
            Y = rng.integers(-5, 6, P.J_dense().shape) * P.J_dense()
            assert split_enclosure((X @ Y.T).astype(float), P).lower == 0.0


def test_explicit_chain_hierarchical_bounds_are_verified() -> None:
    """An explicit (mask) spelling of the butterfly runs the generic path (split_enclosure)."""
    from fsmf_check.inputs.matrix_specs import hadamard, random_butterfly
    from fsmf_check.model.supports import Chain

    bf = families.butterfly(8)
    chain = Chain([bf.factor_mask(i).toarray() for i in range(bf.n_factors)])
    res = hierarchical(hadamard(8), chain)
    assert res.method == "explicit-block-svd" and res.lower_bound == 0.0
    A = random_butterfly(8, seed=2, noise=1e-2).A
    _, lo_s, hi_s = level_error_bounds(A, bf)
    _, lo_e, hi_e = level_error_bounds(A, chain)
    assert (lo_e > 0).all() and (lo_e <= hi_s).all() and (lo_s <= hi_e).all()


def test_rank_one_route_and_its_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rank 1: the Rayleigh-Temple route on separated blocks, the eigen-check on the others."""
    calls = {"temple": 0, "eigen": 0}
    temple, eigen = _levels._temple_route, _levels._eigen_route

    def count_temple(G, *args):  # noqa: ANN001, ANN002, ANN202
        calls["temple"] += G.shape[0]
        return temple(G, *args)

    def count_eigen(G, *args):  # noqa: ANN001, ANN002, ANN202
        calls["eigen"] += G.shape[0]
        return eigen(G, *args)

    monkeypatch.setattr(_levels, "_temple_route", count_temple)
    monkeypatch.setattr(_levels, "_eigen_route", count_eigen)
    rng = np.random.default_rng(17)
    for noise in (0.0, 1e-12, 1e-4, 0.3, 3.0):  # separated ... not separated at all
        for cplx in (False, True):
            B = _low_rank(rng, 6, 5, 7, 1, complex_=cplx)
            B = B + noise * rng.standard_normal(B.shape)
            lo, _, _ = _check(B, 1)
            if noise == 0.0:
                assert lo == 0.0
    assert calls["temple"] == 60 and 0 < calls["eigen"] < 60


def test_margin_and_model() -> None:
    assert "C_EIG" not in dir(_levels)
    assert "a-posteriori" in ROUNDING_MODEL and "Ostrowski" in ROUNDING_MODEL
    assert dot_gamma(3, True) > gamma(6) > dot_gamma(3, False)
    # the a-priori (skip heuristic) part grows with sqrt(k - r) and the mass
    m1 = level_margin((16, 2, 8), 1, False, 1.0, 1.0)
    assert level_margin((16, 2, 8), 1, False, 2.0, 2.0) == pytest.approx(2 * m1)
    assert level_margin((16, 2, 8), 2, False, 1.0, 1.0) == 0.0
