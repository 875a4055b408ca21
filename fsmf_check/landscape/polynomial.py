r"""The two-factor loss as a polynomial: value, gradient, Hessian and symmetry generators.

``L(X, Y) = 1/2 ||A - X Y^T||_F^2`` over the masked entries, written once with ``+ - *`` only,
so the same code runs on floats, :class:`fractions.Fraction` (exact) and python-flint ``arb``
balls (rigorous enclosures, :mod:`fsmf_check.landscape.intervals`).

Parameters ``theta`` are the entries of ``X`` on ``I`` (row-major over ``(i, k)``) followed by
the entries of ``Y`` on ``J`` (row-major over ``(j, k)``).

Notes
-----
theory §1 (two-factor FSMF, ``J`` is the support of ``Y``, not of ``Y^T``) and T10 (§2.5).
Symmetries: for ``k != l`` with ``I_k ⊆ I_l`` and ``J_l ⊆ J_k`` the one-parameter group
``(X, Y) -> (X (1 + t E_kl), Y (1 - t E_lk))`` keeps the supports and ``X Y^T``; with the
column scalings ``(X_k e^t, Y_k e^{-t})`` these generate every mask-preserving
``(X G, Y G^{-T})``. Their tangent vectors at ``theta`` are :func:`generator_vector`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Layout", "layout_of", "unpack", "residual", "loss", "gradient", "hessian",
           "generators", "generator_vector"]


@dataclass(frozen=True, slots=True)
class Layout:
    """Index bookkeeping of the parameter vector ``theta = (X on I, Y on J)``."""

    m: int
    n: int
    r: int
    xs: tuple[tuple[int, int], ...]
    ys: tuple[tuple[int, int], ...]

    @property
    def p(self) -> int:
        """Number of parameters."""
        return len(self.xs) + len(self.ys)

    def names(self) -> list[str]:
        """Human names ``X[i,k]`` / ``Y[j,k]`` of the parameters (0-based)."""
        return [f"X[{i},{k}]" for i, k in self.xs] + [f"Y[{j},{k}]" for j, k in self.ys]


def layout_of(I: Any, J: Any) -> Layout:
    """Layout of the masks ``I`` (m x r) and ``J`` (n x r).

    Examples
    --------
    >>> lay = layout_of([[1, 0], [1, 1]], [[1, 0], [1, 1]])
    >>> lay.p, lay.names()[:3]
    (6, ['X[0,0]', 'X[1,0]', 'X[1,1]'])
    """
    Im = np.asarray(I, dtype=bool)
    Jm = np.asarray(J, dtype=bool)
    m, r = Im.shape
    n = Jm.shape[0]
    xs = tuple((int(i), int(k)) for i, k in np.argwhere(Im))
    ys = tuple((int(j), int(k)) for j, k in np.argwhere(Jm))
    return Layout(m, n, r, xs, ys)


def unpack(lay: Layout, theta: Sequence[Any], zero: Any) -> tuple[list[list[Any]], list[list[Any]]]:
    """Dense ``X`` (m x r) and ``Y`` (n x r) lists from ``theta`` (zeros off the masks)."""
    X = [[zero] * lay.r for _ in range(lay.m)]
    Y = [[zero] * lay.r for _ in range(lay.n)]
    nx = len(lay.xs)
    for a, (i, k) in enumerate(lay.xs):
        X[i][k] = theta[a]
    for b, (j, k) in enumerate(lay.ys):
        Y[j][k] = theta[nx + b]
    return X, Y


def residual(lay: Layout, A: Sequence[Sequence[Any]], theta: Sequence[Any],
             zero: Any) -> list[list[Any]]:
    """``R = A - X Y^T`` (dense lists)."""
    X, Y = unpack(lay, theta, zero)
    R = []
    for i in range(lay.m):
        row = []
        for j in range(lay.n):
            s = A[i][j]
            for k in range(lay.r):
                s = s - X[i][k] * Y[j][k]
            row.append(s)
        R.append(row)
    return R


def loss(lay: Layout, A: Sequence[Sequence[Any]], theta: Sequence[Any], zero: Any,
         half: Any) -> Any:
    """``1/2 ||A - X Y^T||^2``; ``half`` is ``1/2`` in the number type.

    Examples
    --------
    >>> from fractions import Fraction
    >>> lay = layout_of([[1]], [[1]])
    >>> loss(lay, [[Fraction(3)]], [Fraction(1), Fraction(1)], Fraction(0), Fraction(1, 2))
    Fraction(2, 1)
    """
    s = zero
    for row in residual(lay, A, theta, zero):
        for v in row:
            s = s + v * v
    return half * s


def gradient(lay: Layout, A: Sequence[Sequence[Any]], theta: Sequence[Any],
             zero: Any) -> list[Any]:
    """Exact-form gradient: ``dL/dX_ik = -(R Y)_ik``, ``dL/dY_jk = -(R^T X)_jk``."""
    X, Y = unpack(lay, theta, zero)
    R = residual(lay, A, theta, zero)
    g = []
    for i, k in lay.xs:
        s = zero
        for j in range(lay.n):
            s = s - R[i][j] * Y[j][k]
        g.append(s)
    for j, k in lay.ys:
        s = zero
        for i in range(lay.m):
            s = s - R[i][j] * X[i][k]
        g.append(s)
    return g


def hessian(lay: Layout, A: Sequence[Sequence[Any]], theta: Sequence[Any],
            zero: Any) -> list[list[Any]]:
    r"""Hessian of the loss (symmetric ``p x p`` list).

    ``d2L/dX_ik dX_i'k' = [i = i'] (Y^T Y)_kk'``, ``d2L/dY_jk dY_j'k' = [j = j'] (X^T X)_kk'``,
    ``d2L/dX_ik dY_jk' = X_ik' Y_jk - [k = k'] R_ij``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> lay = layout_of([[1]], [[1]])
    >>> hessian(lay, [[F(3)]], [F(1), F(1)], F(0))
    [[Fraction(1, 1), Fraction(-1, 1)], [Fraction(-1, 1), Fraction(1, 1)]]
    """
    X, Y = unpack(lay, theta, zero)
    R = residual(lay, A, theta, zero)
    nx = len(lay.xs)
    p = lay.p
    H = [[zero] * p for _ in range(p)]
    for a, (i, k) in enumerate(lay.xs):
        for b, (i2, k2) in enumerate(lay.xs):
            if i == i2 and b >= a:
                s = zero
                for j in range(lay.n):
                    s = s + Y[j][k] * Y[j][k2]
                H[a][b] = H[b][a] = s
        for b, (j, k2) in enumerate(lay.ys):
            v = X[i][k2] * Y[j][k]
            if k == k2:
                v = v - R[i][j]
            H[a][nx + b] = H[nx + b][a] = v
    for a, (j, k) in enumerate(lay.ys):
        for b, (j2, k2) in enumerate(lay.ys):
            if j == j2 and b >= a:
                s = zero
                for i in range(lay.m):
                    s = s + X[i][k] * X[i][k2]
                H[nx + a][nx + b] = H[nx + b][nx + a] = s
    return H


def generators(I: Any, J: Any) -> list[tuple[int, int]]:
    """Pairs ``(k, l)`` whose one-parameter group keeps the masks and the product.

    ``(k, k)`` is the scaling of column ``k``; ``(k, l)``, ``k != l``, needs ``I_k ⊆ I_l``
    and ``J_l ⊆ J_k``. Columns with an empty ``I_k`` or ``J_k`` are left out.

    Examples
    --------
    >>> generators([[1, 1], [0, 1]], [[1, 1], [1, 0]])
    [(0, 0), (0, 1), (1, 1)]
    """
    Im = np.asarray(I, dtype=bool)
    Jm = np.asarray(J, dtype=bool)
    r = Im.shape[1]
    live = [k for k in range(r) if Im[:, k].any() and Jm[:, k].any()]
    out = []
    for k in live:
        for l in live:
            if k == l or (not np.any(Im[:, k] & ~Im[:, l]) and not np.any(Jm[:, l] & ~Jm[:, k])):
                out.append((k, l))
    return out


def generator_vector(lay: Layout, theta: Sequence[Any], gen: tuple[int, int],
                     zero: Any) -> list[Any]:
    """Tangent vector at ``theta`` of the one-parameter group ``gen`` (see :func:`generators`)."""
    X, Y = unpack(lay, theta, zero)
    k, l = gen
    out = []
    for i, c in lay.xs:
        out.append(X[i][k] if c == l else zero)
    for j, c in lay.ys:
        out.append(zero - Y[j][l] if c == k else zero)
    return out
