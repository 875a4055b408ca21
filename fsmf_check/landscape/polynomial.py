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
           "generators", "generator_vector", "ChainLayout", "chain_layout_of", "chain_factors",
           "chain_generators"]


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
    if isinstance(lay, ChainLayout):
        return _chain_loss(lay, A, theta, zero, half)
    s = zero
    for row in residual(lay, A, theta, zero):
        for v in row:
            s = s + v * v
    return half * s


def gradient(lay: Layout, A: Sequence[Sequence[Any]], theta: Sequence[Any],
             zero: Any) -> list[Any]:
    """Exact-form gradient: ``dL/dX_ik = -(R Y)_ik``, ``dL/dY_jk = -(R^T X)_jk``."""
    if isinstance(lay, ChainLayout):
        return _chain_gradient(lay, A, theta, zero)
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
    if isinstance(lay, ChainLayout):
        return _chain_hessian(lay, A, theta, zero)
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


def generator_vector(lay: Layout, theta: Sequence[Any], gen: tuple[int, ...],
                     zero: Any) -> list[Any]:
    """Tangent vector at ``theta`` of the one-parameter group ``gen`` (see :func:`generators`).

    For a :class:`ChainLayout`, ``gen`` is ``(t, k, l)`` (see :func:`chain_generators`).
    """
    if isinstance(lay, ChainLayout):
        return _chain_generator_vector(lay, theta, gen, zero)
    X, Y = unpack(lay, theta, zero)
    k, l = gen
    out: list[Any] = []
    for i, c in lay.xs:
        out.append(X[i][k] if c == l else zero)
    for j, c in lay.ys:
        out.append(zero - Y[j][l] if c == k else zero)
    return out


# --------------------------------------------------------------------------------------------
# chains: L(F_0, ..., F_{L-1}) = 1/2 ||A - F_0 F_1 ... F_{L-1}||^2


@dataclass(frozen=True, slots=True)
class ChainLayout(Layout):
    r"""Parameters of a chain ``F_0 ... F_{L-1}``: the entries of each ``F_t`` on its mask.

    ``dims = (d_0, ..., d_L)`` (``F_t`` is ``d_t x d_{t+1}``); ``entries[t]`` lists the mask
    positions ``(a, b)`` of ``F_t`` row-major; ``theta`` concatenates them for ``t = 0, 1, ...``.
    It extends :class:`Layout` (``m = d_0``, ``n = d_L``; ``r``, ``xs``, ``ys`` unused) so that
    :func:`loss`, :func:`gradient`, :func:`hessian` and :func:`generator_vector` dispatch on it
    and the certification code (Krawczyk box, gauge slice, exact ``LDL^T``) runs unchanged: the
    two-factor layout is the chain ``L = 2`` with ``F_1 = Y^T``.
    """

    dims: tuple[int, ...] = ()
    entries: tuple[tuple[tuple[int, int], ...], ...] = ()

    @property
    def p(self) -> int:
        """Number of parameters."""
        return sum(len(e) for e in self.entries)

    @property
    def n_factors(self) -> int:
        """Number of factors ``L``."""
        return len(self.entries)

    def names(self) -> list[str]:
        """Human names ``F<t>[a,b]`` of the parameters (0-based)."""
        return [f"F{t}[{a},{b}]" for t, ent in enumerate(self.entries) for a, b in ent]

    def offsets(self) -> list[int]:
        """Index in ``theta`` of the first entry of each factor."""
        out, s = [], 0
        for ent in self.entries:
            out.append(s)
            s += len(ent)
        return out


def chain_layout_of(masks: Sequence[Any]) -> ChainLayout:
    """Layout of the factor masks ``masks[t]`` (``d_t x d_{t+1}``, 0/1).

    Examples
    --------
    >>> lay = chain_layout_of([[[1, 0], [1, 1]], [[1], [1]], [[1, 1]]])
    >>> lay.dims, lay.p, lay.names()[3:5]
    ((2, 2, 1, 2), 7, ['F1[0,0]', 'F1[1,0]'])
    """
    Ms = [np.asarray(M, dtype=bool) for M in masks]
    dims = tuple([Ms[0].shape[0]] + [M.shape[1] for M in Ms])
    entries = tuple(tuple((int(a), int(b)) for a, b in np.argwhere(M)) for M in Ms)
    return ChainLayout(dims[0], dims[-1], 0, (), (), dims=dims, entries=entries)


def chain_factors(lay: ChainLayout, theta: Sequence[Any], zero: Any) -> list[list[list[Any]]]:
    """Dense factors ``F_t`` (lists) from ``theta`` (zeros off the masks)."""
    out = []
    pos = 0
    for t, ent in enumerate(lay.entries):
        F = [[zero] * lay.dims[t + 1] for _ in range(lay.dims[t])]
        for a, b in ent:
            F[a][b] = theta[pos]
            pos += 1
        out.append(F)
    return out


def _mm(P: list[list[Any]], Q: list[list[Any]], zero: Any) -> list[list[Any]]:
    n = len(Q[0]) if Q else 0
    out = []
    for row in P:
        new = []
        for j in range(n):
            s = zero
            for k, v in enumerate(row):
                s = s + v * Q[k][j]
            new.append(s)
        out.append(new)
    return out


def _eye(d: int, zero: Any) -> list[list[Any]]:
    one = zero + 1
    return [[one if i == j else zero for j in range(d)] for i in range(d)]


def _tr(P: list[list[Any]]) -> list[list[Any]]:
    return [list(col) for col in zip(*P, strict=True)] if P else []


class _ChainParts:
    """Prefix / suffix products, residual and the matrices the derivatives need."""

    def __init__(self, lay: ChainLayout, A: Sequence[Sequence[Any]], theta: Sequence[Any],
                 zero: Any) -> None:
        F = chain_factors(lay, theta, zero)
        L = len(F)
        left = [_eye(lay.dims[0], zero)]
        for t in range(L - 1):
            left.append(_mm(left[-1], F[t], zero))
        right = [_eye(lay.dims[L], zero)]
        for t in range(L - 1, 0, -1):
            right.append(_mm(F[t], right[-1], zero))
        right.reverse()
        P = _mm(left[L - 1], F[L - 1], zero)
        self.F, self.left, self.right, self.zero = F, left, right, zero
        self.R = [[A[i][j] - P[i][j] for j in range(lay.dims[L])] for i in range(lay.dims[0])]


def _chain_loss(lay: ChainLayout, A: Sequence[Sequence[Any]], theta: Sequence[Any], zero: Any,
                half: Any) -> Any:
    s = zero
    for row in _ChainParts(lay, A, theta, zero).R:
        for v in row:
            s = s + v * v
    return half * s


def _chain_gradient(lay: ChainLayout, A: Sequence[Sequence[Any]], theta: Sequence[Any],
                    zero: Any) -> list[Any]:
    """``dL/dF_t[a, b] = -(Left_t^T R Right_t^T)[a, b]``."""
    c = _ChainParts(lay, A, theta, zero)
    g: list[Any] = []
    for t, ent in enumerate(lay.entries):
        G = _mm(_mm(_tr(c.left[t]), c.R, zero), _tr(c.right[t]), zero)
        g.extend(zero - G[a][b] for a, b in ent)
    return g


def _chain_hessian(lay: ChainLayout, A: Sequence[Sequence[Any]], theta: Sequence[Any],
                   zero: Any) -> list[list[Any]]:
    r"""Hessian of the chain loss.

    With ``Left_t = F_0 ... F_{t-1}``, ``Right_t = F_{t+1} ... F_{L-1}`` and
    ``Mid_{s,t} = F_{s+1} ... F_{t-1}`` (``s < t``):
    ``d2L/dF_s[a,b] dF_t[c,d] = (Left_s^T Left_t)[a,c] (Right_s Right_t^T)[b,d]
    - (Left_s^T R Right_t^T)[a,d] Mid_{s,t}[b,c]`` (the last term only for ``s < t``).
    """
    c = _ChainParts(lay, A, theta, zero)
    L = lay.n_factors
    off = lay.offsets()
    lt = [_tr(M) for M in c.left]
    rt = [_tr(M) for M in c.right]
    H = [[zero] * lay.p for _ in range(lay.p)]
    for s in range(L):
        for t in range(s, L):
            LL = _mm(lt[s], c.left[t], zero)
            RR = _mm(c.right[s], rt[t], zero)
            K = Mid = None
            if s < t:
                K = _mm(_mm(lt[s], c.R, zero), rt[t], zero)
                Mid = _eye(lay.dims[s + 1], zero)
                for w in range(s + 1, t):
                    Mid = _mm(Mid, c.F[w], zero)
            for u, (a, b) in enumerate(lay.entries[s]):
                for v, (cc, d) in enumerate(lay.entries[t]):
                    if s == t and v < u:
                        continue
                    val = LL[a][cc] * RR[b][d]
                    if K is not None and Mid is not None:
                        val = val - K[a][d] * Mid[b][cc]
                    H[off[s] + u][off[t] + v] = H[off[t] + v][off[s] + u] = val
    return H


def chain_generators(masks: Sequence[Any]) -> list[tuple[int, int, int]]:
    r"""One-parameter groups ``(t, k, l)`` at interface ``t`` that keep the masks and the product.

    ``F_t -> F_t (1 + s E_kl)``, ``F_{t+1} -> (1 - s E_kl) F_{t+1}``: ``(t, k, k)`` is the
    diagonal scaling of index ``k`` between ``F_t`` and ``F_{t+1}``; ``k != l`` needs
    column ``k`` of ``M_t`` inside column ``l`` and row ``l`` of ``M_{t+1}`` inside row ``k``.
    Indices whose column in ``M_t`` or row in ``M_{t+1}`` is empty are left out.

    Examples
    --------
    >>> chain_generators([[[1, 1]], [[1, 0], [1, 1]], [[1], [1]]])
    [(0, 0, 0), (0, 1, 0), (0, 1, 1), (1, 0, 0), (1, 1, 0), (1, 1, 1)]
    """
    Ms = [np.asarray(M, dtype=bool) for M in masks]
    out = []
    for t in range(len(Ms) - 1):
        P, Q = Ms[t], Ms[t + 1]
        live = [k for k in range(P.shape[1]) if P[:, k].any() and Q[k].any()]
        for k in live:
            for l in live:
                if k == l or (not np.any(P[:, k] & ~P[:, l]) and not np.any(Q[l] & ~Q[k])):
                    out.append((t, k, l))
    return out


def _chain_generator_vector(lay: ChainLayout, theta: Sequence[Any], gen: tuple[int, ...],
                            zero: Any) -> list[Any]:
    t, k, l = gen
    F = chain_factors(lay, theta, zero)
    out: list[Any] = []
    for s, ent in enumerate(lay.entries):
        for a, b in ent:
            if s == t and b == l:
                out.append(F[t][a][k])
            elif s == t + 1 and a == k:
                out.append(zero - F[t + 1][l][b])
            else:
                out.append(zero)
    return out
