r"""Local solver for supports without a certified algorithm: alternating least squares.

For a chain ``A ~ F[0] ... F[L-1]`` with fixed supports (two factors: ``X`` and ``Y^T``), each
factor in turn receives the exact least-squares update given the others: with
``P = F[0] ... F[l-1]`` and ``Q = F[l+1] ... F[L-1]``, the product is linear in ``F[l]``,
``vec(P F Q) = (Q^T ⊗ P) vec(F)``, restricted to the entries of its support. Every update
decreases the loss, so the loss converges; the limit is a stationary value, **not** a proven
optimum (FSMF is NP-hard in general, T4, and may have spurious local minima, T10). When the set
of products is not closed (T5) the infimum may not be attained and the factors may grow without
bound while the loss decreases; the result reports the factor norm so that a user can see it.

Several seeded starts are run and the best is kept. The cost of one sweep is dominated by the
least-squares solves, ``O(sum_l (m n) nnz(F[l])^2)``; the input size is limited by
:data:`MAX_SYSTEM_ENTRIES` (checked before anything is allocated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check.errors import ShapeError, SizeLimitError

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["LocalSolution", "solve_local", "MAX_SYSTEM_ENTRIES"]

#: Largest least-squares system ``(m n) x nnz(F[l])`` one update may build.
MAX_SYSTEM_ENTRIES = 4_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalSolution:
    """Best point found by :func:`solve_local` (numeric, no optimality proof)."""

    factors: list[np.ndarray] = field(repr=False)
    objective: float
    rel_error: float
    n_iter: int
    converged: bool
    starts: int
    objectives: list[float]
    factor_norm: float
    tolerance: float

    def product(self) -> np.ndarray:
        """Return the product ``F[0] ... F[L-1]``."""
        out = self.factors[0]
        for F in self.factors[1:]:
            out = out @ F
        return out


def _chain_product(factors: list[np.ndarray], lo: int, hi: int, size: int,
                   dtype: np.dtype) -> np.ndarray:
    out = np.eye(size, dtype=dtype)
    for F in factors[lo:hi]:
        out = out @ F
    return out


def solve_local(A: np.ndarray, masks: list[np.ndarray | sp.sparray], *, starts: int = 8,
                seed: int = 0, max_iter: int = 500, tol: float = 1e-12) -> LocalSolution:
    r"""Minimize ``||A - F[0] ... F[L-1]||_F^2`` over factors supported in ``masks`` (local).

    Parameters
    ----------
    A : ndarray
        Target, real or complex, finite.
    masks : list of 0/1 arrays
        Factor supports, left to right; consecutive shapes must chain and the product must
        have ``A``'s shape. A two-factor pattern ``(I, J)`` is ``[I, J.T]``.
    starts : int
        Number of seeded random starts (``numpy.random.default_rng([seed, s])``).
    seed : int
        Seed of the starts.
    max_iter : int
        Sweeps per start.
    tol : float
        Stop a start when a sweep decreases the loss by less than ``tol * ||A||_F^2``.

    Returns
    -------
    LocalSolution
        The best point, its loss and relative error, the loss of every start, whether the best
        start met the stopping rule, and the Frobenius norm of its factors.

    Raises
    ------
    ShapeError
        If the masks do not chain or do not match ``A``.
    SizeLimitError
        If one least-squares system would exceed :data:`MAX_SYSTEM_ENTRIES`.

    Notes
    -----
    Numeric and local: no theorem makes the answer optimal (T4, T10); the caller reports the
    verdict ``local``. Each sweep is monotone (exact least-squares updates).

    Examples
    --------
    >>> import numpy as np
    >>> I = np.array([[1, 0], [1, 1]]); J = np.array([[1, 0], [1, 1]])
    >>> sol = solve_local(np.array([[1.0, 2.0], [3.0, 4.0]]), [I, J.T])
    >>> sol.rel_error < 1e-5
    True
    """
    import scipy.sparse as sp

    dense = [np.asarray(M.toarray() if sp.issparse(M) else M) != 0  # type: ignore[union-attr]
             for M in masks]
    if not dense:
        msg = "the local solver needs at least one factor mask"
        raise ShapeError(msg)
    for a, b in zip(dense, dense[1:], strict=False):
        if a.shape[1] != b.shape[0]:
            msg = (f"factor masks must chain: a {a.shape[0]}x{a.shape[1]} factor is followed "
                   f"by a {b.shape[0]}x{b.shape[1]} one")
            raise ShapeError(msg)
    m, n = dense[0].shape[0], dense[-1].shape[1]
    if A.shape != (m, n):
        msg = f"the target is {A.shape[0]}x{A.shape[1]} but the factors multiply to {m}x{n}"
        raise ShapeError(msg)
    biggest = max(int(M.sum()) for M in dense) * m * n
    if biggest > MAX_SYSTEM_ENTRIES:
        msg = (f"the local solver would build a {m * n} x {biggest // (m * n)} least-squares "
               f"system ({biggest} entries); the limit is {MAX_SYSTEM_ENTRIES}")
        raise SizeLimitError(msg)
    dtype = np.result_type(A.dtype, np.float64)
    normA2 = float(np.vdot(A, A).real)
    best: tuple[float, list[np.ndarray], int, bool] | None = None
    objectives = []
    for s in range(starts):
        rng = np.random.default_rng([seed, s])
        factors = []
        for M in dense:
            F = rng.standard_normal(M.shape)
            if np.iscomplexobj(A):
                F = F + 1j * rng.standard_normal(M.shape)
            factors.append((F * M).astype(dtype))
        loss_prev = np.inf
        converged = False
        it = 0
        for it in range(1, max_iter + 1):  # noqa: B007
            for ell, M in enumerate(dense):
                P = _chain_product(factors, 0, ell, m, dtype)
                Q = _chain_product(factors, ell + 1, len(factors), M.shape[1], dtype)
                rows, cols = np.nonzero(M)
                # column (r, c) of the system is vec(P[:, r] Q[c, :]) (row-major vec)
                K = (P[:, rows][:, None, :] * Q[cols, :].T[None, :, :]).reshape(m * n, -1)
                sol, *_ = np.linalg.lstsq(K, A.reshape(-1), rcond=None)
                F = np.zeros(M.shape, dtype=dtype)
                F[rows, cols] = sol
                factors[ell] = F
            R = A - _chain_product(factors, 0, len(factors), m, dtype)
            loss = float(np.vdot(R, R).real)
            if loss_prev - loss <= tol * max(normA2, 1e-300):
                converged = True
                break
            loss_prev = loss
        objectives.append(loss)
        if best is None or loss < best[0]:
            best = (loss, factors, it, converged)
    assert best is not None
    loss, factors, it, converged = best
    norm = float(np.sqrt(sum(float(np.vdot(F, F).real) for F in factors)))
    rel = float(np.sqrt(loss / normA2)) if normA2 > 0 else 0.0
    return LocalSolution(factors=factors, objective=loss, rel_error=rel, n_iter=it,
                         converged=converged, starts=starts, objectives=objectives,
                         factor_norm=norm, tolerance=tol)
