"""The closed-form rank-one split of 2 x q / p x 2 blocks against numpy's SVD (T2, Eckart-Young).

fsmf_check.numeric._svd._two_side replaces a batched SVD on every comb-tree node: the Jacobi
angle of the 2 x 2 Gram matrix gives the top singular vector, one batched product gives the
kept row and the residual. Checked here on random stacks (real and complex, wide and tall,
strided views, rank-deficient and zero blocks, one and two worker threads) against
``np.linalg.svd``: the singular value, the reconstruction, the residual norms and the
orthonormality of the kept vector.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsmf_check.numeric import _threads
from fsmf_check.numeric._svd import _two_side, truncated_split
from fsmf_check.numeric._threads import single_blas_thread


def _stack(seed: int, nb: int, p: int, q: int, cplx: bool, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((nb, p, q))
    if cplx:
        B = B + 1j * rng.standard_normal((nb, p, q))
    if kind == "rank-one":
        B = B[:, :, :1] * B[:, :1, :]
    elif kind == "zero-blocks":
        B[::2] = 0
    elif kind == "orthogonal-rows":  # a = c and b = 0 in the Gram matrix: a tie
        B[:, 1, :] = 0
        B[:, 1, 1] = B[:, 0, 0]
        B[:, 0, 1:] = 0
    elif kind == "scaled":
        B *= 10.0 ** rng.integers(-150, 150, size=(nb, 1, 1))
    return B


def _check(B: np.ndarray) -> None:
    Q, W, s, err2, wide = _two_side(B)
    X, Y = (Q, W) if wide else (W, np.swapaxes(Q.conj(), -1, -2))
    sv = np.linalg.svd(B, compute_uv=False)
    scale = np.where(sv[:, :1] > 0, sv[:, :1], 1.0)
    assert np.allclose(s[:, 0] / scale[:, 0], sv[:, 0] / scale[:, 0], rtol=0, atol=1e-13)
    # Eckart-Young: the discarded energy is the second singular value squared
    rel2 = (err2 - sv[:, 1] ** 2) / scale[:, 0] ** 2
    assert np.abs(rel2).max() < 1e-13
    # the kept vector is a unit vector and X @ Y is the best rank-one approximation
    assert np.allclose(np.linalg.norm(Q[..., 0], axis=-1), 1.0, atol=1e-14)
    approx = X @ Y
    U, S, Vh = np.linalg.svd(B)
    best = S[:, :1, None] * U[:, :, :1] @ Vh[:, :1, :]
    gap = (sv[:, 0] - sv[:, 1]) / scale[:, 0]
    sure = gap > 1e-6  # the best approximation is unique only with a gap
    diff = np.linalg.norm(approx - best, axis=(1, 2)) / scale[:, 0]
    assert (diff[sure] < 1e-9).all()
    # the residual norm is the direct one
    direct = np.linalg.norm(B - approx, axis=(1, 2)) ** 2 / scale[:, 0] ** 2
    assert np.allclose(err2 / scale[:, 0] ** 2, direct, atol=1e-13)


@given(seed=st.integers(0, 2**32 - 1), nb=st.integers(1, 40), q=st.integers(2, 70),
       cplx=st.booleans(), tall=st.booleans(),
       kind=st.sampled_from(["gaussian", "rank-one", "zero-blocks", "orthogonal-rows", "scaled"]))
def test_closed_form_matches_numpy_svd(seed: int, nb: int, q: int, cplx: bool, tall: bool,
                                       kind: str) -> None:
    B = _stack(seed, nb, 2, q, cplx, kind)
    if tall:
        B = np.swapaxes(B, -1, -2)  # a strided p x 2 view
    _check(B)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("cplx", [False, True])
def test_threads_and_out_view_agree(workers: int, cplx: bool,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Many chunks (strided 6-axis view like the engine's), written into an ``out`` view."""
    monkeypatch.setattr(_threads, "WORKERS_CAP", workers)
    rng = np.random.default_rng(7)
    T = rng.standard_normal((2, 1, 2, 256, 2, 512))
    if cplx:
        T = T + 1j * rng.standard_normal(T.shape)
    B = T.transpose(0, 1, 3, 4, 2, 5)  # (a, d, e, f, 2, c2), as in hierarchical._run_kron
    out = np.empty((4, 1, 256, 512), dtype=T.dtype)
    view = out.reshape(2, 2, 1, 256, 1, 512).transpose(0, 2, 3, 1, 4, 5)
    with single_blas_thread():
        X, Y, s, err2 = truncated_split(B, 1, "left-orthonormal", out=view)
    assert np.may_share_memory(Y, out)
    flat = B.reshape(-1, 2, 512)
    sv = np.linalg.svd(flat, compute_uv=False)
    assert np.allclose(s.reshape(-1), sv[:, 0], rtol=1e-13)
    assert np.allclose(err2.reshape(-1), sv[:, 1] ** 2, rtol=1e-10)
    assert np.allclose(X @ Y, B, atol=0) is False  # random blocks are not rank one
    rebuilt = (X @ Y).reshape(-1, 2, 512)
    resid = np.linalg.norm(flat - rebuilt, axis=(1, 2)) ** 2
    assert np.allclose(resid, sv[:, 1] ** 2, rtol=1e-10)


def test_exact_rank_one_blocks_have_rounding_level_residuals() -> None:
    rng = np.random.default_rng(3)
    u = rng.standard_normal((500, 2, 1)) + 1j * rng.standard_normal((500, 2, 1))
    v = rng.standard_normal((500, 1, 64)) + 1j * rng.standard_normal((500, 1, 64))
    B = u * v
    _, _, s, err2, _ = _two_side(B)
    assert (np.sqrt(err2) <= 1e-14 * s[:, 0]).all()
