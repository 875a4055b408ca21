r"""Batched truncated SVD of a stack of blocks (the one linear-algebra kernel of the engine).

Method choice (measured on the 2-core dev box, numpy 2.4 / OpenBLAS 0.3.31, see the
numeric-engine section of docs/benchmarks.md): ``np.linalg.svd`` on a stack of 4096 wide
``2 x 2048`` blocks takes 0.5-0.7 s (the gufunc copies every block to Fortran order and calls
``gesdd`` per block),
while forming the Gram matrices of the short side with one batched ``matmul`` and taking ONE
batched ``np.linalg.svd(..., hermitian=True)`` of that small stack takes 0.03 s. The kept
singular vectors of the short side come from the Gram matrix and the other side from one more
batched product (``U^H B``), so the approximation is an exact orthogonal projection of each
block. The split error is computed directly (the projection onto the *discarded* Gram
eigenvectors, ``||U_perp^H B||``, when there are few of them, else ``||B - U U^H B||``), so it
has no cancellation and exact low-rank blocks report errors at rounding level. Accuracy of
the kept subspace: about
``eps * sigma_1^2 / (sigma_k^2 - sigma_{k+1}^2)``; exact low-rank blocks are recovered to
rounding (tests/numeric, planted models at 1e-10).
"""

from __future__ import annotations

import numpy as np

from fsmf_check.numeric._threads import parallel_map

__all__ = ["truncated_svd", "truncated_split"]

#: Scalings of :func:`truncated_split`: which side carries the singular values.
SCALINGS = ("left-orthonormal", "right-orthonormal", "balanced")


def _sumsq(X: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Sum of squared moduli over ``axes``, with no temporary of the size of ``X``.

    One ``einsum`` contraction per real part (``np.sum(X * X)`` allocated a full-size product
    first: 0.30 s vs 0.016 s for a 4096 x 2 x 2048 stack on the dev box, page faults of the
    fresh temporary dominating).
    """
    if np.iscomplexobj(X):
        return _sumsq(X.real, axes) + _sumsq(X.imag, axes)
    letters = "abcdefghijklmnopqrstuvwxyz"[: X.ndim]
    drop = {ax % X.ndim for ax in axes}
    kept = "".join(c for i, c in enumerate(letters) if i not in drop)
    return np.einsum(f"{letters},{letters}->{kept}", X, X)


def _batch_chunks(shape: tuple[int, ...], entries: int = 1 << 15) -> list[tuple[slice, ...]]:
    """Index tuples cutting the batch axes (all but the last) into chunks of ~``entries``."""
    batch = shape[:-1]
    if not batch:
        return [()]
    ax = int(np.argmax(batch))
    per = int(np.prod(shape)) // max(batch[ax], 1)
    step = max(1, entries // max(per, 1))
    return [tuple(slice(i, i + step) if j == ax else slice(None) for j in range(len(batch)))
            for i in range(0, batch[ax], step)]


def _dot(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``sum_j conj(X[..., j]) Y[..., j]`` over the last axis, strided views, no copies."""
    if not (np.iscomplexobj(X) or np.iscomplexobj(Y)):
        return np.einsum("...j,...j->...", X, Y)
    if hasattr(np, "vecdot"):  # numpy >= 2: one conjugating dot per row
        return np.vecdot(X, Y)
    Xr, Xi = X.real, (X.imag if np.iscomplexobj(X) else np.zeros_like(X))
    Yr, Yi = Y.real, (Y.imag if np.iscomplexobj(Y) else np.zeros_like(Y))
    re = np.einsum("...j,...j->...", Xr, Yr) + np.einsum("...j,...j->...", Xi, Yi)
    im = np.einsum("...j,...j->...", Xr, Yi) - np.einsum("...j,...j->...", Xi, Yr)
    return re + 1j * im


def _rank_one_rows(R: np.ndarray, W: np.ndarray, Vh: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Best rank-one approximation of a stack of ``2 x q`` blocks ``R`` (closed form).

    Writes ``W = v^H R`` (the kept row, ``..., q``) and ``Vh`` (``..., 2, 2``) whose rows are
    ``v^H`` (``v`` the unit top left singular vector) and ``w^H`` (``w`` the orthogonal unit
    vector); returns ``err2 = ||w^H R||^2`` (the discarded part, computed directly: no
    cancellation) and ``s`` the top singular value.

    With ``G = R R^H = [[a, b], [conj(b), c]]`` and ``b = |b| e^{i phi}``,
    ``G = D M D^H`` for ``D = diag(1, e^{-i phi})`` and the real ``M = [[a, |b|], [|b|, c]]``,
    whose top eigenvector is ``(cos t, sin t)`` with ``t = atan2(2|b|, a - c) / 2`` (the
    Jacobi rotation angle: accurate to rounding, no division by a gap) and whose top
    eigenvalue is ``(a + c) / 2 + hypot((a - c) / 2, |b|)`` (a sum of nonnegative terms). So
    ``v = (cos t, e^{-i phi} sin t)`` and ``w = (-sin t, e^{-i phi} cos t)``.
    """
    r0, r1 = R[..., 0, :], R[..., 1, :]
    if np.iscomplexobj(R):
        a = _sumsq_rows(r0)
        c = _sumsq_rows(r1)
        b = _dot(r1, r0)  # sum r0 conj(r1) = G[0, 1]
        ab = np.abs(b)
        ph = np.ones_like(b)
        np.divide(b, ab, out=ph, where=ab > 0)  # e^{i phi}, 1 when b = 0
    else:
        G = np.matmul(R, np.swapaxes(R, -1, -2))  # one BLAS call per block
        a, b, c = G[..., 0, 0], G[..., 0, 1], G[..., 1, 1]
        ab = np.abs(b)
        ph = np.sign(b)
        ph[ab == 0] = 1.0
    half = 0.5 * (a - c)
    t = 0.5 * np.arctan2(ab, half)
    cs, sn = np.cos(t), np.sin(t)
    Vh[..., 0, 0] = cs
    np.multiply(ph, sn, out=Vh[..., 0, 1])
    np.multiply(sn, -1.0, out=Vh[..., 1, 0])
    np.multiply(ph, cs, out=Vh[..., 1, 1])
    np.matmul(Vh[..., 0:1, :], R, out=W[..., None, :])
    res = np.matmul(Vh[..., 1:2, :], R)  # (..., 1, q), in cache
    lam = 0.5 * (a + c) + np.hypot(half, ab)
    return _sumsq_rows(res[..., 0, :]), np.sqrt(lam)


def _sumsq_rows(X: np.ndarray) -> np.ndarray:
    """``sum |X|^2`` over the last axis; complex rows with unit stride as real views."""
    if np.iscomplexobj(X) and X.strides[-1] == X.itemsize:
        X = X.view(np.float64)
    return _sumsq(X, (-1,))


def _two_side(B: np.ndarray, out: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Rank-one closed form for blocks with a side of length 2 (every comb-tree node).

    Tall ``p x 2`` blocks are handled as their (plain) transposes ``2 x p``: ``B^T = u' W'``
    gives ``B = W v^H`` with ``W = W'^T`` and ``v = conj(u')``. The stack is cut into
    cache-sized chunks (read from memory once: Gram entries, rotation, kept row, residual) that
    run on :func:`~fsmf_check.numeric._threads.worker_count` threads; no conjugated or
    transposed copy of ``B``.
    """
    p, q = B.shape[-2:]
    wide = p == 2
    R = B if wide else np.swapaxes(B, -1, -2)
    batch, n = R.shape[:-2], R.shape[-1]
    dt = R.dtype
    if out is not None and out.dtype == dt:
        W = out[..., 0, :] if wide else out[..., :, 0]
    else:
        W = np.empty(batch + (n,), dtype=dt)
    Vh = np.empty(batch + (2, 2), dtype=dt)
    err2 = np.empty(batch)
    s = np.empty(batch)
    entries = (1 << 15) if np.iscomplexobj(R) else (1 << 16)

    def work(idx: tuple[slice, ...]) -> None:
        err2[idx], s[idx] = _rank_one_rows(R[idx], W[idx], Vh[idx])

    parallel_map(work, _batch_chunks(batch + (n,), entries))
    # v = conj of the first row of Vh (wide); tall: v = conj(u') = the first row itself
    V = np.conj(Vh[..., 0, :]) if wide and np.iscomplexobj(Vh) else Vh[..., 0, :]
    Q = V[..., None]  # (..., 2, 1)
    W = W[..., None, :] if wide else W[..., :, None]
    return Q, W, s[..., None], err2, wide


def _gram_svd(B: np.ndarray, k: int, out: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Core: ``(Q, W, s, err2, wide)`` with ``Q`` orthonormal (short side) and ``W`` the other.

    wide (p <= q): ``B ≈ Q @ W``, ``Q`` (nb, p, k) orthonormal columns, ``W = Q^H B``.
    tall (p > q): ``B ≈ W @ Q^H``, ``Q`` (nb, q, k) orthonormal columns, ``W = B Q``.
    """
    *batch, p, q = B.shape
    if k == 1 and min(p, q) == 2:
        return _two_side(B, out)
    wide = p <= q
    BH = np.swapaxes(B.conj() if np.iscomplexobj(B) else B, -1, -2)
    G = np.matmul(B, BH) if wide else np.matmul(BH, B)
    Ug, _, _ = np.linalg.svd(G, hermitian=True)  # ONE batched SVD of the small Gram stack
    Q, Qp = Ug[..., :k], Ug[..., k:]
    # The residual norm is computed directly (no cancellation): through the discarded Gram
    # eigenvectors when there are few of them (2 x q blocks: half the work of B - Q W), else as
    # the norm of B - Q W (a rank-k update, cheaper than p - k projections).
    few = Qp.shape[-1] <= 2 * k
    if wide:
        W = np.matmul(np.swapaxes(Q.conj(), -1, -2), B)
        s = np.sqrt(_sumsq(W, (-1,)))
        if not Qp.shape[-1]:
            err2 = np.zeros(batch)
        elif few:
            err2 = _sumsq(np.matmul(np.swapaxes(Qp.conj(), -1, -2), B), (-2, -1))
        else:
            R = Q * W if k == 1 else np.matmul(Q, W)
            err2 = _sumsq(np.subtract(B, R, out=R), (-2, -1))
    else:
        W = np.matmul(B, Q)
        s = np.sqrt(_sumsq(W, (-2,)))
        if not Qp.shape[-1]:
            err2 = np.zeros(batch)
        elif few:
            err2 = _sumsq(np.matmul(B, Qp), (-2, -1))
        else:
            QH = np.swapaxes(Q.conj(), -1, -2)
            R = W * QH if k == 1 else np.matmul(W, QH)
            err2 = _sumsq(np.subtract(B, R, out=R), (-2, -1))
    if k > 1:  # sort by the recovered singular values (Gram ordering can swap near-ties)
        order = np.argsort(-s, axis=-1, kind="stable")
        if not np.all(order == np.arange(k)):
            s = np.take_along_axis(s, order, axis=-1)
            Q = np.take_along_axis(Q, order[..., None, :], axis=-1)
            W = (np.take_along_axis(W, order[..., :, None], axis=-2) if wide
                 else np.take_along_axis(W, order[..., None, :], axis=-1))
    return Q, W, s, err2, wide


def _inv(s: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(s > 0, 1.0 / np.where(s > 0, s, 1.0), 0.0)


def truncated_split(B: np.ndarray, k: int, scaling: str = "balanced",
                    out: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Best rank-``k`` factorization ``B ≈ X @ Y`` of every block of a stack (..., p, q).

    ``scaling``: ``left-orthonormal`` (``X = U``, ``Y = S V^H``), ``right-orthonormal``
    (``X = U S``, ``Y = V^H``) or ``balanced`` (``X = U sqrt(S)``, ``Y = sqrt(S) V^H``).
    The stack may be a strided view with several batch axes (no copy is made for it).
    Returns ``(X, Y, s, err2)`` with ``X`` (..., p, k), ``Y`` (..., k, q), the singular values
    and the squared residual norms. Columns beyond ``min(p, q)`` are zero padding. ``out``
    (optional, any strided view): receives the larger factor (``Y`` if ``p <= q``, else ``X``),
    which is then returned as that factor.

    Notes
    -----
    T2 (Eckart-Young per block). See the module doc for the method; complex blocks use
    conjugate transposes, and ``B ≈ X @ Y`` with ``Y`` the plain-transposed right factor
    (theory §1). O(nb * p * q * min(p, q)).

    Examples
    --------
    >>> B = np.array([[[3.0, 0.0], [0.0, 1.0]]])
    >>> X, Y, s, err2 = truncated_split(B, 1, "left-orthonormal")
    >>> (X @ Y).tolist(), s.tolist(), err2.tolist()
    ([[[3.0, 0.0], [0.0, 0.0]]], [[3.0]], [1.0])
    """
    if scaling not in SCALINGS:
        msg = f"scaling must be one of {SCALINGS}; got {scaling!r}"
        raise ValueError(msg)
    *batch, p, q = B.shape
    kk = min(k, p, q)
    Q, W, s, err2, wide = _gram_svd(B, kk, out if kk == k else None)
    col, row = s[..., None, :], s[..., :, None]
    if out is not None and kk == k and np.may_share_memory(W, out):
        # the large factor W already lives in ``out``: scale it in place
        if wide:
            if scaling == "left-orthonormal":
                return Q, W, s, err2
            if scaling == "right-orthonormal":
                W *= _inv(row)
                return Q * col, W, s, err2
            W *= _inv(np.sqrt(row))
            return Q * np.sqrt(col), W, s, err2
        QH = np.swapaxes(Q.conj() if np.iscomplexobj(Q) else Q, -1, -2)
        if scaling == "right-orthonormal":
            return W, QH, s, err2
        if scaling == "left-orthonormal":
            W *= _inv(col)
            return W, QH * row, s, err2
        W *= _inv(np.sqrt(col))
        return W, QH * np.sqrt(row), s, err2
    if wide:  # B ≈ Q (S V^H) with W = S V^H
        if scaling == "left-orthonormal":
            X, Y = Q, W
        elif scaling == "right-orthonormal":
            X, Y = Q * col, W * _inv(row)
        else:
            X, Y = Q * np.sqrt(col), W * _inv(np.sqrt(row))
    else:  # B ≈ (U S) V^H with W = U S and Q = V
        QH = np.swapaxes(Q.conj(), -1, -2)
        if scaling == "right-orthonormal":
            X, Y = W, QH
        elif scaling == "left-orthonormal":
            X, Y = W * _inv(col), QH * row
        else:
            X, Y = W * _inv(np.sqrt(col)), QH * np.sqrt(row)
    if kk < k:
        X = np.concatenate([X, np.zeros((*batch, p, k - kk), dtype=X.dtype)], axis=-1)
        Y = np.concatenate([Y, np.zeros((*batch, k - kk, q), dtype=Y.dtype)], axis=-2)
        s = np.concatenate([s, np.zeros((*batch, k - kk), dtype=s.dtype)], axis=-1)
    if out is not None:
        if wide:
            np.copyto(out, Y)
            Y = out
        else:
            np.copyto(out, X)
            X = out
    return X, Y, s, err2


def truncated_svd(B: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                     np.ndarray]:
    r"""Best rank-``k`` approximation of every block of a stack ``B`` (shape ``(nb, p, q)``).

    Returns ``(U, s, Vh, err2)``: ``U`` (nb, p, k) with orthonormal columns, ``s`` (nb, k)
    singular values in decreasing order, ``Vh`` (nb, k, q) with orthonormal rows (rows for
    zero singular values are zero), and ``err2`` (nb,) the squared Frobenius norms of the
    residuals ``B - U diag(s) Vh``. Columns beyond ``min(p, q)`` are zero padding.

    Notes
    -----
    T2 (Algorithm 1: truncated SVD per class, Eckart-Young). One batched Gram product,
    ONE batched ``np.linalg.svd`` (hermitian) of the ``min(p,q)``-sized Gram matrices and two
    batched products: O(nb * p * q * min(p, q)) flops. Complex blocks use conjugate
    transposes.

    Examples
    --------
    >>> B = np.array([[[3.0, 0.0], [0.0, 1.0]]])
    >>> U, s, Vh, err2 = truncated_svd(B, 1)
    >>> s.tolist(), err2.round(12).tolist()
    ([[3.0]], [1.0])
    """
    U, SV, s, err2 = truncated_split(B, k, "left-orthonormal")
    Vh = SV * _inv(s)[..., :, None]
    return U, s, Vh, err2
