r"""Find the column permutation that makes a matrix a butterfly product (docs/permutations.md).

For the standard order (factor ``l`` has support ``(2^(l-1), 2, 2, N/2^l)``) the product
``B = F[0] ... F[L-1]`` splits after ``F[0]`` as ``F[0] diag(R_0, R_1)``: on every row pair
``(i, i + N/2)`` the 2-vectors of the columns of one half are parallel (the level blocks of
T9 have rank <= 1). With the columns shuffled, the halves are unknown sets of ``N/2``
columns; they are found by clustering the columns by how parallel their 2-vectors are over all
row pairs, each row pair's rank-one block is compressed to its right singular vector, and the
two halves are split the same way, recursively (``log2 N`` levels).

Every step is a few matrix-vector products with the current block, so a level costs
``O(N * n)`` for groups of ``n`` columns and the whole search ``O(N^2)``, the size of ``A``.

Equivalent permutations: swapping the two halves of any group (at any level) maps butterfly
products to butterfly products, so the answer is unique only up to these ``2^(N-1)``
automorphisms of the binary tree of column groups. The search returns the canonical
representative: at every split the half holding the smallest column index comes first (for
the DFT in natural order that is exactly the bit reversal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fsmf_check.errors import InvalidInputError
from fsmf_check.inputs.matrix_specs import validate_matrix
from fsmf_check.model.families import bitrev, log2_exact

__all__ = ["PermutationSearch", "find_column_permutation"]

#: Refinement sweeps of the two-group clustering at each split (it stops when stable).
MAX_SWEEPS = 8


@dataclass(frozen=True, eq=False)
class PermutationSearch:
    """Result of :func:`find_column_permutation`.

    ``perm``: ``A[:, perm]`` is (closest to) a butterfly product of the requested order.
    ``separation[l]``: at level ``l + 1`` the largest normalized non-parallelism inside a found
    group and the smallest between the two groups of a split, the worst over the splits of
    that level (exact products: inside ~ rounding, between ~ 1).
    """

    perm: np.ndarray
    order: str
    separation: tuple[tuple[float, float], ...]
    sweeps: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"perm": self.perm.tolist(), "order": self.order,
                "separation": [{"level": i + 1, "inside_max": a, "between_min": b}
                               for i, (a, b) in enumerate(self.separation)],
                "sweeps": self.sweeps}


def _nonparallel(PQZ: tuple[np.ndarray, np.ndarray, np.ndarray], w: np.ndarray,
                 inv_norm: np.ndarray) -> np.ndarray:
    r"""``sum_k w_k D(j, k)`` for every group and column ``j`` (batched over groups).

    ``D(j, k) = sum_r |det(v_rj, v_rk)|^2 / (|v_j|^2 |v_k|^2)`` with ``v_rj = (X[r, j], Y[r, j])``
    and ``|v_j|^2 = sum_r |v_rj|^2``; expanding the determinant gives three matrix-vector
    products per group. ``PQZ = (|X|^2, |Y|^2, X conj(Y))`` of shape (g, h, n); ``w`` and
    ``inv_norm`` (g, n).
    """
    P, Q, Z = PQZ
    wk = w * inv_norm
    qw = np.einsum("grk,gk->gr", Q, wk)
    pw = np.einsum("grk,gk->gr", P, wk)
    zw = np.einsum("grk,gk->gr", Z, wk)
    raw = (np.einsum("grj,gr->gj", P, qw) + np.einsum("grj,gr->gj", Q, pw)
           - 2.0 * np.real(np.einsum("grj,gr->gj", Z, np.conj(zw))))
    return np.maximum(raw, 0.0) * inv_norm


def _smallest_half(score: np.ndarray) -> np.ndarray:
    """Boolean mask of the ``n/2`` smallest scores per row (ties: smaller column first)."""
    g, n = score.shape
    idx = np.argsort(score, axis=1, kind="stable")[:, : n // 2]
    mask = np.zeros((g, n), dtype=bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask


def _split(W: np.ndarray) -> tuple[np.ndarray, float, float, int]:
    """Split the columns of each ``n x n`` block ``W[g]`` into two halves (module doc).

    Returns the mask of the half holding column 0, the worst inside / between separation
    over the groups, and the number of refinement sweeps.
    """
    n = W.shape[2]
    h = n // 2
    X, Y = W[:, :h], W[:, h:]
    PQ = (np.abs(X) ** 2, np.abs(Y) ** 2, X * np.conj(Y))
    norms = np.sum(PQ[0] + PQ[1], axis=1)
    inv = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 0.0)
    e = np.zeros(norms.shape)
    np.put_along_axis(e, np.argmax(norms, axis=1)[:, None], 1.0, axis=1)
    in_a = _smallest_half(_nonparallel(PQ, e, inv))
    sweeps = 0
    for sweeps in range(1, MAX_SWEEPS + 1):  # noqa: B007 - the count is reported
        score = (_nonparallel(PQ, in_a.astype(float), inv)
                 - _nonparallel(PQ, (~in_a).astype(float), inv))
        new = _smallest_half(score)
        if np.array_equal(new, in_a):
            break
        in_a = new
    da = _nonparallel(PQ, in_a.astype(float), inv) / h
    db = _nonparallel(PQ, (~in_a).astype(float), inv) / h
    inside = float(max(np.where(in_a, da, 0.0).max(), np.where(in_a, 0.0, db).max()))
    between = float(min(np.where(in_a, db, np.inf).min(), np.where(in_a, np.inf, da).min()))
    in_a = np.where(in_a[:, :1], in_a, ~in_a)
    return in_a, inside, between, sweeps


def _compress(W: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Right factors of the rank-one row-pair blocks ``W[g][{r, r+h}, cols[g]]`` (h = n/2).

    For each pair the top left singular vector ``u`` of the ``2 x |cols|`` block (from its 2x2
    Gram matrix) gives the row ``u^H block``: exact for rank-one blocks, the best rank-one fit
    otherwise.
    """
    h = W.shape[1] // 2
    take = cols[:, None, :]
    X = np.take_along_axis(W[:, :h], np.broadcast_to(take, (W.shape[0], h, cols.shape[1])),
                           axis=2)
    Y = np.take_along_axis(W[:, h:], np.broadcast_to(take, (W.shape[0], h, cols.shape[1])),
                           axis=2)
    gxx = np.sum(np.abs(X) ** 2, axis=2)
    gyy = np.sum(np.abs(Y) ** 2, axis=2)
    gxy = np.sum(X * np.conj(Y), axis=2)
    # top eigenvector of [[gxx, gxy], [conj(gxy), gyy]]
    half_diff = (gxx - gyy) / 2
    lam = (gxx + gyy) / 2 + np.sqrt(half_diff**2 + np.abs(gxy) ** 2)
    u1 = np.where(gxx >= gyy, lam - gyy, gxy)
    u2 = np.where(gxx >= gyy, np.conj(gxy), lam - gxx)
    nrm = np.sqrt(np.abs(u1) ** 2 + np.abs(u2) ** 2)
    ok = nrm > 0
    u1 = np.where(ok, u1 / np.where(ok, nrm, 1.0), 1.0)
    u2 = np.where(ok, u2 / np.where(ok, nrm, 1.0), 0.0)
    return np.conj(u1)[:, :, None] * X + np.conj(u2)[:, :, None] * Y


def find_column_permutation(A: object, order: str = "standard") -> PermutationSearch:
    r"""Find ``perm`` such that ``A[:, perm]`` is (closest to) a butterfly product.

    Parameters
    ----------
    A : array_like
        Square ``N x N`` matrix, ``N`` a power of two, real or complex.
    order : {"standard", "reversed"}
        Butterfly factor order. The reversed-order product is ``Q B Q`` with ``B`` a
        standard-order product and ``Q`` the bit reversal, so the search runs on ``A[Q, :]``
        and composes: ``perm = perm'[bitrev]``.

    Returns
    -------
    PermutationSearch
        The canonical representative of the equivalent permutations (module doc).

    Notes
    -----
    T9 (the level blocks of a butterfly product have rank <= 1), T7 (the hierarchical
    algorithm then factorizes ``A[:, perm]``). Numeric: an exact product is recovered when the
    two halves of every split have different directions on some row pair (generic); with
    noise the clustering averages over all row pairs. Cost ``O(N^2)`` (module doc).

    Examples
    --------
    >>> from fsmf_check.inputs.matrix_specs import dft
    >>> find_column_permutation(dft(8)).perm.tolist()
    [0, 4, 2, 6, 1, 5, 3, 7]
    """
    M = validate_matrix(A, "matrix A")
    m, n = M.shape
    if m != n or n < 2 or n & (n - 1):
        msg = f"--perm auto needs a square N x N matrix with N a power of two >= 2; got {m} x {n}"
        raise InvalidInputError(msg)
    if order not in ("standard", "reversed"):
        msg = f"butterfly order must be 'standard' or 'reversed'; got {order!r}"
        raise InvalidInputError(msg)
    L = log2_exact(n)
    work = M[bitrev(n), :] if order == "reversed" else M
    dtype = np.complex128 if np.iscomplexobj(work) else np.float64
    # all groups of a level have the same size: cols (g, n) original indices, W (g, n, n)
    cols = np.arange(n, dtype=np.int64)[None, :]
    W = np.asarray(work, dtype=dtype)[None, :, :]
    sep: list[tuple[float, float]] = []
    total_sweeps = 0
    for _level in range(L):
        mask, inside, between, sweeps = _split(W)
        total_sweeps += sweeps
        sep.append((inside, between))
        g, size = cols.shape
        # per group: positions of the first half, then of the second (both ascending)
        pos = np.argsort(~mask, axis=1, kind="stable")
        halves = pos.reshape(g, 2, size // 2).reshape(2 * g, size // 2)
        W = _compress(np.repeat(W, 2, axis=0), halves)
        cols = np.take_along_axis(np.repeat(cols, 2, axis=0), halves, axis=1)
    perm = cols.reshape(n)
    if order == "reversed":
        perm = perm[bitrev(n)]
    perm.flags.writeable = False
    return PermutationSearch(perm, order, tuple(sep), total_sweeps)
