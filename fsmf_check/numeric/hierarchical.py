r"""The hierarchical factorization of a matrix along a tree of a chain (T7, T9).

At a node covering factors ``F[p..q-1]`` with split ``s`` the current matrix ``H`` is split
into ``X Y^T`` by the globally optimal two-factor solver of the split's support (T2): for a
chainable Kronecker pair every class is one block of ``H`` and the whole split is ONE batched
truncated SVD of a reshaped stack of blocks, then ``HIER(X, p, s)`` and ``HIER(Y^T, s, q)``.

Vectorized recipe (derived from T6/T7, the same reshape as the authors' einops rule).
A node of pattern ``(a, b, c, d)`` stores its nonzeros as a twiddle ``T`` of shape
``(a, d, b, c)`` (fsmf_check.numeric.factors). For the split into a left pattern
``(a, b1, c1, d1)`` and a right pattern ``(a2, b2, c2, d)`` with interface rank ``r``,
``e = d1/d`` and ``f = a2/a`` (so ``b = b1*e``, ``c = f*c2``, ``c1 = r*f``, ``b2 = r*e``):

* blocks: ``T.reshape(a, d, b1, e, f, c2).transpose(0, 1, 3, 4, 2, 5)`` gives ``a*d*e*f``
  blocks of shape ``b1 x c2``; one batched rank-``r`` truncated SVD;
* left twiddle: ``U`` of shape ``(a, d, e, f, b1, r)`` ->
  ``transpose(0, 2, 1, 4, 3, 5).reshape(a, e*d, b1, f*r)``;
* right twiddle: ``V^H`` of shape ``(a, d, e, f, r, c2)`` ->
  ``transpose(0, 3, 1, 4, 2, 5).reshape(a*f, d, r*e, c2)``.

Square dyadic butterflies in reversed order are not chainable in the 4-tuple calculus, but
their transposes are: such chains are factorized as ``A^T`` with the mirrored tree and the
factors are transposed back (``(a, b, c, d) -> (a, c, b, d)``).

Orthonormalized variant (T7, "Algorithm 6.2" of [LZRG-err]): the pieces of the chain
are kept in a canonical form, every piece left of the node being factorized has
column-orthonormal ``b x r`` groups and every piece right of it row-orthonormal ``r x c``
groups (a QR per group, the triangular factor pushed into the neighbour: an interface
``GL(r)`` gauge, so supports are preserved). Then the pieces act isometrically on the node; for
the comb trees (``left``, ``right``) the node errors are orthogonal and
``||A - Â||^2 = sum of the squared split errors`` exactly [D, checked in tests/numeric]; for the
balanced tree this identity does not hold in general (measured deviations of up to 1% at
N = 16). Without it, ``X = U sqrt(S)`` and ``Y^T = sqrt(S) V^H`` at every split.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fsmf_check._limits import check_dense
from fsmf_check.analysis.chains import TREES, tree_nodes
from fsmf_check.errors import InvalidInputError, NotApplicableError, ShapeError
from fsmf_check.inputs.matrix_specs import validate_matrix
from fsmf_check.model.kronecker import KronPattern, chain_product
from fsmf_check.model.supports import Chain
from fsmf_check.numeric._levels import (
    ROUNDING_MODEL,
    UNIT_ROUNDOFF,
    gamma,
    level_enclosure,
    level_margin,
    split_enclosure,
)
from fsmf_check.numeric._svd import truncated_split
from fsmf_check.numeric._threads import parallel_map, single_blas_thread
from fsmf_check.numeric.factors import KroneckerFactors, SparseFactors, extract_twiddle
from fsmf_check.numeric.tractable import solve_tractable

__all__ = ["SplitRecord", "HierarchicalResult", "hierarchical", "level_errors",
           "level_error_bounds", "t9_bound", "TREES"]


@dataclass(frozen=True, slots=True)
class SplitRecord:
    """One node ``F[p..s-1] | F[s..q-1]`` of the tree (0-based, ``q`` exclusive).

    ``error`` is the exact two-factor error of the node's matrix (square root of the discarded
    squared singular values, plus mass outside the node support), ``blocks`` the number of
    blocks of shape ``block_shape`` factored with rank ``rank``.
    """

    p: int
    s: int
    q: int
    blocks: int
    block_shape: tuple[int, int]
    rank: int
    error: float
    elapsed_s: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (factor ranges are inclusive, 0-based)."""
        return {"left": [self.p, self.s - 1], "right": [self.s, self.q - 1],
                "blocks": self.blocks, "block_shape": list(self.block_shape),
                "rank": self.rank, "error": self.error}


@dataclass(frozen=True, eq=False)
class HierarchicalResult:
    r"""Result of :func:`hierarchical`: factors, errors, per-split errors and the T9 bound.

    The approximation is ``A[:, column_perm] ≈ F[0] @ ... @ F[L-1]`` (``column_perm`` is
    ``None`` for the identity). :meth:`matvec` applies the approximation of ``A`` itself.
    """

    factors: KroneckerFactors | SparseFactors
    tree: str
    orthonormalized: bool
    method: str
    transposed: bool
    column_perm: np.ndarray | None
    error: float
    norm_A: float
    splits: tuple[SplitRecord, ...]
    elapsed_s: float
    error_eval_s: float
    level_errors: np.ndarray | None = field(default=None, repr=False)
    bound: float | None = None
    bound_applies: bool = False
    level_errors_lower: np.ndarray | None = field(default=None, repr=False)
    level_errors_upper: np.ndarray | None = field(default=None, repr=False)
    bound_estimate: float | None = None
    error_upper: float | None = None

    @property
    def rel_error(self) -> float:
        """``||A P - F[0] ... F[L-1]||_F / ||A||_F``."""
        return self.error / self.norm_A if self.norm_A else 0.0

    @property
    def lower_bound(self) -> float | None:
        """Rigorous lower bound on ``max_l E_l``: no product of the supports does better (T9).

        The maximum of the lower ends of the level-error enclosures (rounding model in
        :mod:`fsmf_check.numeric._levels`): 0 for exact products.
        """
        E = self.level_errors_lower if self.level_errors_lower is not None else self.level_errors
        if E is None or E.size == 0:
            return None
        return float(E.max())

    @property
    def bound_holds(self) -> bool | None:
        """Whether the T9 inequality is consistent with the computed error within margins.

        Compares a rigorous lower bound of the true error of the computed factors
        (``2 error - error_upper``) with the rigorous upper T9 bound, so rounding alone cannot
        make it fail.
        """
        if self.bound is None:
            return None
        err_up = self.error_upper if self.error_upper is not None else self.error
        return bool(max(2 * self.error - err_up, 0.0) <= self.bound)

    def matvec(self, x: np.ndarray) -> np.ndarray:
        """Approximate ``A @ x``: ``F[0] ... F[L-1] @ x[column_perm]``, reshape-based."""
        x = np.asarray(x)
        if self.column_perm is not None:
            x = x[self.column_perm]
        return self.factors.matvec(x)

    def to_dense(self) -> np.ndarray:
        """Dense approximation of ``A`` (columns un-permuted; size-checked)."""
        B = self.factors.to_dense()
        if self.column_perm is None:
            return B
        out = np.empty_like(B)
        out[:, self.column_perm] = B
        return out

    def to_dict(self) -> dict[str, object]:
        """JSON-ready numeric evidence."""
        out: dict[str, object] = {
            "tree": self.tree, "orthonormalized": self.orthonormalized, "method": self.method,
            "transposed": self.transposed, "error": self.error, "rel_error": self.rel_error,
            "error_upper": self.error_upper,
            "norm_A": self.norm_A, "splits": [s.to_dict() for s in self.splits],
            "factor_patterns": ([list(p.as_tuple()) for p in self.factors.patterns]
                                if isinstance(self.factors, KroneckerFactors) else None),
            "nnz": self.factors.nnz,
        }
        if self.level_errors is not None:
            out["level_errors"] = self.level_errors.tolist()
            if self.level_errors_lower is not None and self.level_errors_upper is not None:
                out["level_errors_lower"] = self.level_errors_lower.tolist()
                out["level_errors_upper"] = self.level_errors_upper.tolist()
            out["lower_bound"] = self.lower_bound
            lb_est = float(self.level_errors.max(initial=0.0))
            out["lower_bound_estimate"] = lb_est
            out["rounding_model"] = ROUNDING_MODEL
            if self.bound is not None and self.bound_estimate is not None:
                out["bound_estimate"] = self.bound_estimate
                out["bound_margin"] = self.bound - self.bound_estimate
            out["lower_bound_margin"] = lb_est - (self.lower_bound or 0.0)
        out["bound"] = self.bound
        out["bound_applies"] = self.bound_applies
        return out


# ----------------------------------------------------------------------------------------
# Kronecker bookkeeping


def _pair(PL: KronPattern, PR: KronPattern) -> tuple[int, int, int] | None:
    """``(r, e, f)`` of a chainable pair (T6), else None."""
    if PL.shape[1] != PR.shape[0] or PR.a % PL.a or PL.d % PR.d:
        return None
    f, e = PR.a // PL.a, PL.d // PR.d
    if PL.c % f or PR.b % e:
        return None
    r = PL.c // f
    return (r, e, f) if r == PR.b // e else None


class _Patterns:
    """Memoized closed-form partial products of a Kronecker chain (never materialized)."""

    def __init__(self, pats: tuple[KronPattern, ...]) -> None:
        self.pats = pats
        self.memo: dict[tuple[int, int], KronPattern | None] = {}

    def __call__(self, p: int, q: int) -> KronPattern | None:
        if (p, q) not in self.memo:
            self.memo[(p, q)] = chain_product(self.pats[p:q])
        return self.memo[(p, q)]

    def node_ok(self, p: int, s: int, q: int) -> bool:
        PL, PR, P = self(p, s), self(s, q), self(p, q)
        if PL is None or PR is None or P is None:
            return False
        rr = _pair(PL, PR)
        return rr is not None and P == KronPattern(PL.a, PL.b * rr[1], rr[2] * PR.c, PR.d)


def _transposed(pats: tuple[KronPattern, ...]) -> tuple[KronPattern, ...]:
    return tuple(KronPattern(p.a, p.c, p.b, p.d) for p in reversed(pats))


def _mirror(nodes: list[tuple[int, int, int]], L: int) -> list[tuple[int, int, int]]:
    return [(L - q, L - s, L - p) for (p, s, q) in nodes]


# ----------------------------------------------------------------------------------------
# canonical-form sweeps (orthonormalization)


def _qr_groups(G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """QR of a stack of ``m x r`` groups, padded to ``Q`` (m x r) and ``R`` (r x r)."""
    m, r = G.shape[-2:]
    if r == 1:
        nrm = np.sqrt(np.sum(np.abs(G) ** 2, axis=-2, keepdims=True))
        with np.errstate(divide="ignore", invalid="ignore"):
            Q = np.where(nrm > 0, G / nrm, 0)
        return Q, nrm.astype(G.dtype)
    Q, R = np.linalg.qr(G)
    if m < r:
        pad_q = np.zeros((*G.shape[:-2], m, r - m), dtype=Q.dtype)
        pad_r = np.zeros((*G.shape[:-2], r - m, r), dtype=R.dtype)
        Q = np.concatenate([Q, pad_q], axis=-1)
        R = np.concatenate([R, pad_r], axis=-2)
    return Q, R


def _interface(P1: KronPattern, P2: KronPattern) -> tuple[int, int, int]:
    rr = _pair(P1, P2)
    if rr is None:
        msg = (f"orthonormalization needs chainable neighbouring pieces (T6); {P1} and "
               f"{P2} are not; rerun without orthonormalization")
        raise NotApplicableError(msg)
    return rr


def _left_orth(pieces: list, k: int) -> None:
    """Make piece ``k`` column-orthonormal per group and push ``R`` into piece ``k+1``."""
    P1, T1 = pieces[k][2], pieces[k][3]
    P2, T2 = pieces[k + 1][2], pieces[k + 1][3]
    r, e, f = _interface(P1, P2)
    a1, b1, d2, c2 = P1.a, P1.b, P2.d, P2.c
    G1 = T1.reshape(a1, e, d2, b1, f, r).transpose(0, 1, 2, 4, 3, 5)
    Q, R = _qr_groups(G1)
    G2 = T2.reshape(a1, f, d2, r, e, c2).transpose(0, 4, 2, 1, 3, 5)
    G2 = np.matmul(R, G2)
    pieces[k][3] = np.ascontiguousarray(Q.transpose(0, 1, 2, 4, 3, 5)).reshape(T1.shape)
    pieces[k + 1][3] = np.ascontiguousarray(G2.transpose(0, 3, 2, 4, 1, 5)).reshape(T2.shape)


def _right_orth(pieces: list, k: int) -> None:
    """Make piece ``k`` row-orthonormal per group and push the factor into piece ``k-1``."""
    P1, T1 = pieces[k - 1][2], pieces[k - 1][3]
    P2, T2 = pieces[k][2], pieces[k][3]
    r, e, f = _interface(P1, P2)
    a1, b1, d2, c2 = P1.a, P1.b, P2.d, P2.c
    G2 = T2.reshape(a1, f, d2, r, e, c2).transpose(0, 4, 2, 1, 5, 3)  # groups^T: c2 x r
    Q, R = _qr_groups(G2)
    G1 = T1.reshape(a1, e, d2, b1, f, r).transpose(0, 1, 2, 4, 3, 5)
    G1 = np.matmul(G1, np.swapaxes(R, -1, -2))
    # Q^T has shape (..., r, c2): back to (a1, f, d2, r, e, c2)
    Qt = np.swapaxes(Q, -1, -2)
    pieces[k][3] = np.ascontiguousarray(Qt.transpose(0, 3, 2, 4, 1, 5)).reshape(T2.shape)
    pieces[k - 1][3] = np.ascontiguousarray(G1.transpose(0, 1, 2, 4, 3, 5)).reshape(T1.shape)


def _move_center(pieces: list, frm: int, to: int) -> None:
    while frm < to:
        _left_orth(pieces, frm)
        frm += 1
    while frm > to:
        _right_orth(pieces, frm)
        frm -= 1


# ----------------------------------------------------------------------------------------
# engines


class _Buffers:
    """Large child arrays of a run, reused once the piece they held is consumed.

    A comb tree writes children of sizes N^2/2, N^2/4, ...: the child of node ``k + 2`` fits in
    the buffer of node ``k``'s child, consumed by node ``k + 1``. Reusing it touches 3/4 of
    the matrix's size in fresh memory instead of all of it (fresh pages cost a page fault and
    zeroing each, docs/benchmarks.md). A buffer is free only when no live piece views it;
    the root (a view of the caller's matrix) is never reused.
    """

    def __init__(self) -> None:
        self.owned: list[np.ndarray] = []
        self.free: list[np.ndarray] = []

    def take(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        size = int(np.prod(shape))
        fits = [b for b in self.free if b.dtype == dtype and b.size >= size]
        if fits:
            buf = min(fits, key=lambda b: b.size)
            self.free = [b for b in self.free if b is not buf]
        else:
            buf = np.empty(size, dtype=dtype)
            self.owned.append(buf)
        return buf[:size].reshape(shape)

    def detach(self, arr: np.ndarray) -> np.ndarray:
        """``arr``, copied out of a much larger buffer (a factor must not pin the buffer)."""
        if any(np.may_share_memory(arr, b) and b.size > 2 * arr.size for b in self.owned):
            return arr.copy()
        return arr

    def retire(self, consumed: np.ndarray, live: list[np.ndarray]) -> None:
        for buf in self.owned:
            if (np.may_share_memory(consumed, buf) and all(b is not buf for b in self.free)
                    and not any(np.may_share_memory(x, buf) for x in live)):
                self.free.append(buf)



ProgressFn = Callable[[str], None]


def _split_message(done: int, total: int, rec: SplitRecord) -> str:
    return (f"split {done}/{total}: F[{rec.p}..{rec.s - 1}] | F[{rec.s}..{rec.q - 1}] "
            f"({rec.blocks} blocks {rec.block_shape[0]}x{rec.block_shape[1]}, rank {rec.rank})"
            f" error {rec.error:.3e} in {rec.elapsed_s:.2f} s")


def _run_kron(Z: np.ndarray, pats: tuple[KronPattern, ...], nodes: list[tuple[int, int, int]],
              partial: _Patterns, orthonormalize: bool, progress: ProgressFn | None
              ) -> tuple[KroneckerFactors, list[SplitRecord]]:
    L = len(pats)
    root = partial(0, L)
    assert root is not None
    T0 = extract_twiddle(Z, root)
    outside = _outside(Z, root)[0]
    pieces: list[list] = [[0, L, root, T0]]
    center = 0
    records: list[SplitRecord] = []
    pool = _Buffers()
    for idx, (p, s, q) in enumerate(nodes):
        t0 = time.perf_counter()
        i = next(j for j, pc in enumerate(pieces) if pc[0] == p and pc[1] == q)
        if orthonormalize:
            _move_center(pieces, center, i)
        P, T = pieces[i][2], pieces[i][3]
        PL, PR = partial(p, s), partial(s, q)
        r, e, f = _pair(PL, PR)  # type: ignore[arg-type, misc]
        assert PL is not None and PR is not None  # every node of the tree was checked
        a, d, b1, c2 = P.a, P.d, PL.b, PR.c
        blocks = T.reshape(a, d, b1, e, f, c2).transpose(0, 1, 3, 4, 2, 5)  # strided view
        left_next = False
        if orthonormalize:
            nxt = nodes[idx + 1] if idx + 1 < len(nodes) else None
            left_next = nxt is not None and p <= nxt[0] and nxt[2] <= s
            scaling = "right-orthonormal" if left_next else "left-orthonormal"
        else:
            scaling = "balanced"
        # the larger child is written by the kernel straight into its final layout (no copy)
        dt = np.result_type(blocks.dtype, np.float64)
        if b1 <= c2:
            TR = pool.take((a * f, d, r * e, c2), dt)
            out = TR.reshape(a, f, d, r, e, c2).transpose(0, 2, 4, 1, 3, 5)
        else:
            TL = pool.take((a, e * d, b1, f * r), dt)
            out = TL.reshape(a, e, d, b1, f, r).transpose(0, 2, 1, 4, 3, 5)
        X, Y, _, err2 = truncated_split(blocks, r, scaling, out=out)
        if b1 <= c2:
            TL = np.ascontiguousarray(X.reshape(a, d, e, f, b1, r).transpose(0, 2, 1, 4, 3, 5)
                                      ).reshape(a, e * d, b1, f * r)
        else:
            TR = np.ascontiguousarray(Y.reshape(a, d, e, f, r, c2).transpose(0, 3, 1, 4, 2, 5)
                                      ).reshape(a * f, d, r * e, c2)
        pieces[i : i + 1] = [[p, s, PL, TL], [s, q, PR, TR]]
        pool.retire(T, [pc[3] for pc in pieces])
        center = i if left_next else i + 1
        node_err2 = float(err2.sum()) + (outside if idx == 0 else 0.0)
        rec = SplitRecord(p, s, q, a * d * e * f, (b1, c2), r,
                          float(np.sqrt(node_err2)), time.perf_counter() - t0)
        records.append(rec)
        if progress is not None:
            progress(_split_message(idx + 1, len(nodes), rec))
    # a single factor (no node): the root twiddle is the projection onto its support
    return KroneckerFactors(tuple(pc[2] for pc in pieces),
                            tuple(pool.detach(pc[3]) for pc in pieces)), records


def _run_generic(Z: np.ndarray, chain: Chain, nodes: list[tuple[int, int, int]],
                 progress: ProgressFn | None) -> tuple[SparseFactors, list[SplitRecord]]:
    import scipy.sparse as sp

    L = chain.n_factors
    pieces: list[list] = [[0, L, Z]]
    records: list[SplitRecord] = []
    for idx, (p, s, q) in enumerate(nodes):
        t0 = time.perf_counter()
        i = next(j for j, pc in enumerate(pieces) if pc[0] == p and pc[1] == q)
        H = pieces[i][2]
        pattern = chain.split(s, p, q)
        try:
            sol = solve_tractable(pattern, H)
        except NotApplicableError as exc:
            msg = (f"tree node F[{p}..{s - 1}] | F[{s}..{q - 1}] is not certified: {exc}")
            raise NotApplicableError(msg) from None
        X = sol.X.toarray()
        YT = sol.Y.T.toarray()
        pieces[i : i + 1] = [[p, s, X], [s, q, YT]]
        rec = SplitRecord(p, s, q, sol.n_blocks, (pattern.m, pattern.n), pattern.r,
                          float(np.sqrt(max(sol.objective, 0.0))), time.perf_counter() - t0)
        records.append(rec)
        if progress is not None:
            progress(_split_message(idx + 1, len(nodes), rec))
    if len(pieces) == 1:
        mask = chain.factor_mask(0)
        pieces[0][2] = np.asarray(sp.csr_array(mask).multiply(pieces[0][2]).toarray())
    return SparseFactors(tuple(sp.csr_array(pc[2]) for pc in pieces)), records


def _node_blocks(TL: np.ndarray, TR: np.ndarray, PL: KronPattern, PR: KronPattern,
                 a: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int, int, int]]:
    """Block views ``X`` (a,d,e,f,b1,r) and ``Y`` (a,d,e,f,r,c2) of a node's two children.

    ``a``: number of Kronecker blocks held by ``TL`` (default all, ``PL.a``).
    """
    r, e, f = _pair(PL, PR)  # type: ignore[misc]
    d, b1, c2 = PR.d, PL.b, PR.c
    a = PL.a if a is None else a
    X = TL.reshape(a, e, d, b1, f, r).transpose(0, 2, 1, 4, 3, 5)
    Y = TR.reshape(a, f, d, r, e, c2).transpose(0, 2, 4, 1, 3, 5)
    return X, Y, (a, d, b1, e, f, c2)


def _block_product(X: np.ndarray, Y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``X @ Y`` per block into ``out`` (any strided view) or a fresh array (rank 1: outer)."""
    if out is None:
        out = np.empty(X.shape[:-1] + Y.shape[-1:], dtype=np.result_type(X, Y))
    if X.shape[-1] != 1:
        return np.matmul(X, Y, out=out)
    return np.multiply(X, Y, out=out)


def _contract_error(T0: np.ndarray, factors: KroneckerFactors,
                    nodes: list[tuple[int, int, int]], partial: _Patterns) -> float:
    """``||T0 - twiddle of F[0] ... F[L-1]||_F^2``, the product rebuilt bottom-up along the tree.

    The inverse of the split recipe (each node's blocks are ``X_block @ Y_block``); the root's
    difference is formed in place in its block layout. O(sum of node sizes * rank), about
    2 N^2 for butterfly comb trees.
    """
    if not nodes:
        D = T0 - factors.values[0]
        return _sumsq(D)
    split_of = {(p, q): s for p, s, q in nodes}

    def piece(p: int, q: int, a0: int, a1: int) -> np.ndarray:
        return _rebuild(factors, split_of, partial, p, q, a0, a1)

    p, s, q = nodes[0]
    PL, PR = partial(p, s), partial(s, q)
    r, e, f = _pair(PL, PR)  # type: ignore[arg-type, misc]
    a, d, b1, c2 = PL.a, PR.d, PL.b, PR.c  # type: ignore[union-attr]
    TL = np.asarray(piece(p, s, 0, a))
    T = T0.reshape(a, d, b1, e, f, c2).transpose(0, 1, 3, 4, 2, 5)
    # the right child is rebuilt a quarter of its Kronecker blocks at a time and the root
    # difference a cache-sized chunk at a time: no temporary of the matrix's size
    fstep = max(1, f // 4)
    total = 0.0
    for ai in range(a):
        X = TL[ai : ai + 1].reshape(1, e, d, b1, f, r).transpose(0, 2, 1, 4, 3, 5)
        for j0 in range(0, f, fstep):
            j1 = min(f, j0 + fstep)
            TR = piece(s, q, ai * f + j0, ai * f + j1)
            Y = TR.reshape(1, j1 - j0, d, r, e, c2).transpose(0, 2, 4, 1, 3, 5)
            Xj, Tj = X[:, :, :, j0:j1], T[ai : ai + 1, :, :, j0:j1]
            batch = Tj.shape[:4]
            ax = int(np.argmax(batch))
            step = max(1, (1 << 16) // max(Tj.size // max(batch[ax], 1), 1))
            for i in range(0, batch[ax], step):
                idx = tuple(slice(i, i + step) if k == ax else slice(None) for k in range(4))
                blk = _block_product(Xj[idx], Y[idx])
                np.subtract(Tj[idx], blk, out=blk)
                total += _sumsq(blk)
    return total


def _comb_plan(factors: KroneckerFactors, nodes: list[tuple[int, int, int]],
               partial: _Patterns) -> list[tuple[int, int]] | None:
    """``(e, f)`` of every node of a left comb of rank-one splits with ``d = 1``, else None.

    The square dyadic butterfly's left tree is one; :func:`_comb_error` applies to these.
    """
    L = len(factors.values)
    if L < 3 or nodes != [(k, k + 1, L) for k in range(L - 1)]:
        return None
    plan = []
    for k in range(L - 1):
        P, PL, PR = partial(k, L), partial(k, k + 1), partial(k + 1, L)
        rr = _pair(PL, PR) if PL is not None and PR is not None else None
        if P is None or rr is None or rr[0] != 1 or P.d != 1 or PR.d != 1:  # type: ignore[union-attr]
            return None
        plan.append((rr[1], rr[2]))
    return plan


def _comb_error(T0: np.ndarray, factors: KroneckerFactors, nodes: list[tuple[int, int, int]],
                partial: _Patterns, plan: list[tuple[int, int]]) -> float:
    """``||T0 - twiddle of F[0] ... F[L-1]||_F^2`` for a left comb of rank-one splits.

    With rank one and ``d = 1`` every entry of the product is ONE product along a unique
    path (T6): row ``rho`` of root block ``alpha`` restricted to the column block ``J`` of the
    piece ``P_m = F[m] ... F[L-1]`` is ``C[rho, J] * P_m[alpha * F_m + J, row_m(rho), :]``,
    where ``C`` multiplies the ``m`` scalars ``F[k][block, e_k, beta_k, f_k]`` met on the way
    down (``(beta_k, e_k) = divmod(row_k, e)``). ``P_m`` (the first piece of at most 2^20
    entries) is rebuilt bottom-up once; ``C`` is ``rows x 2^m`` small; then every entry of the
    product is formed by one multiplication, compared with ``T0`` and squared a cache-sized
    chunk of root rows at a time, on two threads. No temporary of the matrix's size.
    """
    L = len(factors.values)
    root = partial(0, L)
    assert root is not None
    a0, b0, c0 = root.a, root.b, root.c
    m = L - 1
    for k in range(1, L - 1):
        Pk = partial(k, L)
        assert Pk is not None
        if Pk.a * Pk.b * Pk.c <= 1 << 20:
            m = k
            break
    split_of = {(p, q): s for p, s, q in nodes}
    Pm = _rebuild(factors, split_of, partial, m, L, 0, partial(m, L).a)  # type: ignore[union-attr]
    Pm = Pm.reshape(Pm.shape[0], Pm.shape[-2], Pm.shape[-1])
    dt = np.result_type(T0, Pm)
    coef, rows_of = [], []
    for alpha in range(a0):
        rows = np.arange(b0)
        C = np.ones((b0, 1), dtype=dt)
        blk = np.array([alpha])
        for k in range(m):
            e, f = plan[k]
            TL = np.asarray(factors.values[k])
            beta, ei = np.divmod(rows, e)
            fi = np.arange(f)
            g = TL[blk[None, :, None], ei[:, None, None], beta[:, None, None], fi[None, None, :]]
            C = (C[:, :, None] * g).reshape(b0, -1)
            blk = (blk[:, None] * f + fi[None, :]).reshape(-1)
            rows = ei
        coef.append(C)
        rows_of.append(rows)
    nblk = coef[0].shape[1]
    step = max(1, (1 << 15) // max(c0, 1))
    jobs = [(alpha, r0) for alpha in range(a0) for r0 in range(0, b0, step)]
    parts = np.zeros(len(jobs))

    def work(j: int) -> None:
        alpha, r0 = jobs[j]
        r1 = min(b0, r0 + step)
        rows = rows_of[alpha][r0:r1]
        blocks = Pm[alpha * nblk:(alpha + 1) * nblk]
        if rows[-1] - rows[0] == r1 - r0 - 1 and (np.diff(rows) == 1).all():
            src = blocks[:, rows[0]:rows[-1] + 1, :]
        else:
            src = blocks[:, rows, :]
        buf = np.multiply(coef[alpha][r0:r1, :, None], src.transpose(1, 0, 2))
        np.subtract(T0[alpha, 0, r0:r1, :].reshape(buf.shape), buf, out=buf)
        parts[j] = _sumsq(buf)

    parallel_map(work, range(len(jobs)))
    return float(parts.sum())


def _rebuild(factors: KroneckerFactors, split_of: dict[tuple[int, int], int],
             partial: _Patterns, p: int, q: int, a0: int, a1: int) -> np.ndarray:
    """Twiddle of ``F[p] ... F[q-1]`` restricted to the Kronecker blocks ``a0 <= a < a1``."""
    if q == p + 1:
        return np.asarray(factors.values[p])[a0:a1]
    s = split_of[(p, q)]
    PL, PR = partial(p, s), partial(s, q)
    assert PL is not None and PR is not None  # every node of the tree is chainable
    f = PR.a // PL.a
    X, Y, (a, d, b1, e, f, c2) = _node_blocks(
        _rebuild(factors, split_of, partial, p, s, a0, a1),
        _rebuild(factors, split_of, partial, s, q, a0 * f, a1 * f), PL, PR, a1 - a0)
    prod = np.empty((a, d, b1 * e, f * c2), dtype=np.result_type(X, Y))
    _block_product(X, Y, prod.reshape(a, d, b1, e, f, c2).transpose(0, 1, 3, 4, 2, 5))
    return prod


def _sumsq(X: np.ndarray) -> float:
    flat = np.ascontiguousarray(X).reshape(-1)
    return float(np.vdot(flat, flat).real)


def _abs_product_norm(factors: KroneckerFactors | SparseFactors) -> float:
    """Upper bound on ``|| |F[0]| ... |F[L-1]| ||_F``.

    ``||F[0]||_F prod_{i >= 1} sqrt(||F_i||_1 ||F_i||_inf)`` (``||X Y||_F <= ||X||_F ||Y||_2``).
    """
    if isinstance(factors, KroneckerFactors):
        mats = [np.abs(T) for T in factors.values]
        fro = float(np.sqrt(_sumsq(mats[0])))
        norms = [float(np.sqrt(M.sum(axis=3).max(initial=0.0) * M.sum(axis=2).max(initial=0.0)))
                 for M in mats[1:]]
    else:
        import scipy.sparse as sp

        smats = [abs(sp.csr_array(F)) for F in factors.values]
        fro = float(np.sqrt(_sumsq(smats[0].data)))
        norms = [float(np.sqrt(M.sum(axis=1).max(initial=0.0) * M.sum(axis=0).max(initial=0.0)))
                 for M in smats[1:]]
    out = fro
    for nrm in norms:
        out *= nrm
    return out * (1 + gamma(4 * len(norms) + 8 + max(factors.shape)))


def _error_upper(err: float, factors: KroneckerFactors | SparseFactors, inner: int,
                 n_entries: int, complex_: bool) -> float:
    """Rigorous upper bound on the true error of the computed factors.

    Rounding model of :mod:`fsmf_check.numeric._levels`: the product evaluated with ``inner``
    summed inner dimensions errs by at most ``gamma_inner |F[0]| ... |F[L-1]|`` entrywise.
    """
    m = inner + (2 * len(factors.shape) + 4 if complex_ else 0)
    # complex: each product's parts are real dot products of twice the length (FMA-safe)
    g = 1.5 * gamma(2 * (m + 2)) if complex_ else gamma(m + 2)
    return ((err * (1 + gamma(2 * n_entries + 4)) + g * _abs_product_norm(factors))
            * (1 + 4 * UNIT_ROUNDOFF))


def _chain_error(Z: np.ndarray, factors: KroneckerFactors | SparseFactors) -> float:
    """``||Z - F[0] ... F[L-1]||_F`` computed directly, a block of columns at a time."""
    m, n = Z.shape
    chunk = max(1, min(n, (1 << 22) // max(m, 1)))
    total = 0.0
    for j0 in range(0, n, chunk):
        j1 = min(n, j0 + chunk)
        E = np.zeros((n, j1 - j0), dtype=factors.dtype)
        E[np.arange(j0, j1), np.arange(j1 - j0)] = 1
        D = Z[:, j0:j1] - factors.matmat(E)
        total += _sumsq(D)
    return float(np.sqrt(total))


# ----------------------------------------------------------------------------------------
# level errors and the T9 bound


def level_errors(A: object, chain: Chain) -> np.ndarray:
    r"""Exact two-factor errors ``E_l`` of the top-level splits ``l = 1..L-1`` (T9).

    ``E_l = min ||A - X Y^T||_F`` over the split after ``l`` factors (left ``F[0..l-1]``); no
    product of the chain's supports does better than ``max_l E_l``.

    Notes
    -----
    T9 (§4.2, §4.5). Chainable Kronecker splits: the eigenvalues of the Gram
    matrices of the level blocks (short side), one pass per level over cache-sized chunks on
    two threads; other chains: the globally optimal two-factor solver of each split (T2/T3).
    O(L * N^2 * min block side). Computed values; :func:`level_error_bounds` gives rigorous
    enclosures.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> from fsmf_check.inputs.matrix_specs import hadamard
    >>> level_errors(hadamard(8), families.butterfly(8)).round(12).tolist()
    [0.0, 0.0]
    """
    A = validate_matrix(A, "matrix A")
    if A.shape != chain.shape:
        msg = f"matrix has shape {A.shape} but the chain needs {chain.shape}"
        raise ShapeError(msg)
    with single_blas_thread():
        return _level_errors(A, chain)


def level_error_bounds(A: object, chain: Chain) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Level errors with rigorous enclosures: ``(estimates, lower, upper)`` (T9).

    ``lower[l] <= E_l <= upper[l]`` under the rounding model of
    :mod:`fsmf_check.numeric._levels` (IEEE double, eigendecompositions verified a posteriori,
    Ostrowski, Weyl and Ky Fan perturbation bounds, summation errors).

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> from fsmf_check.inputs.matrix_specs import hadamard
    >>> est, lo, hi = level_error_bounds(hadamard(64), families.butterfly(64))
    >>> lo.tolist() == [0.0] * 5, bool((hi >= est).all() and (hi / 64 < 1e-6).all())
    (True, True)
    """
    A = validate_matrix(A, "matrix A")
    if A.shape != chain.shape:
        msg = f"matrix has shape {A.shape} but the chain needs {chain.shape}"
        raise ShapeError(msg)
    with single_blas_thread():
        return _level_enclosures(A, chain)


def _level_errors(A: np.ndarray, chain: Chain, progress: ProgressFn | None = None
                  ) -> np.ndarray:
    return _level_enclosures(A, chain, progress)[0]


def _outside(Z: np.ndarray, root: KronPattern) -> tuple[float, float]:
    """Squared mass of ``Z`` outside the root support and a bound on its rounding error.

    The mass is summed directly over the entries outside the support (never as a difference of
    two nearly equal sums of squares, which cancels), so the rounding error of the sum of ``k``
    nonnegative terms is at most ``gamma(k) * sum`` (standard summation bound) plus the
    underflow of the squares.
    """
    out = root.off_support_sumsq(Z)
    # complex entries: two squares each; each square may underflow by 2^-1075
    return out, gamma(2 * Z.size + 2) * out + Z.size * 2.0**-1073


def _level_enclosures(A: np.ndarray, chain: Chain, progress: ProgressFn | None = None,
                      cap: float | None = None, sumsq_A: float | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(estimates, lower, upper)`` of the level errors (rigorous enclosures, see _levels).

    ``cap``: a rigorous upper bound on the error of a product with the chain's supports (every
    such product is feasible for every level split, so ``E_l <= cap``). A level whose
    resolution ``sqrt(margin)`` is at least ``cap`` cannot get a positive lower bound beyond
    ``cap``: it is not computed (``lower = 0``, ``upper = cap``, estimate 0). ``sumsq_A``:
    ``||A||_F^2`` if the caller has it (saves a pass when the root support is the whole matrix).
    """
    L = chain.n_factors
    est, lo, hi = (np.zeros(max(L - 1, 0)) for _ in range(3))
    if chain.is_structured:
        for pats, Z, mirror in ((chain.patterns, A, False),
                                (_transposed(chain.patterns), A.T, True)):  # type: ignore[arg-type]
            partial = _Patterns(pats)  # type: ignore[arg-type]
            if all(partial.node_ok(0, s, L) for s in range(1, L)):
                root = partial(0, L)
                T0 = extract_twiddle(Z, root)  # type: ignore[arg-type]
                outside, out_margin = _outside(Z, root)  # type: ignore[arg-type]
                total = 0.0
                if cap is not None:
                    whole = root.a == 1 and root.d == 1  # type: ignore[union-attr]
                    total = sumsq_A if sumsq_A is not None and whole else _sumsq(T0)
                for s in range(1, L):
                    PL, PR = partial(0, s), partial(s, L)
                    r, e, f = _pair(PL, PR)  # type: ignore[arg-type, misc]
                    a, d, b1, c2 = root.a, root.d, PL.b, PR.c  # type: ignore[union-attr]
                    B = T0.reshape(a, d, b1, e, f, c2).transpose(0, 1, 3, 4, 2, 5)
                    t0 = time.perf_counter()
                    j = (L - s if mirror else s) - 1
                    if cap is not None and cap**2 <= level_margin(
                            B.shape, r, np.iscomplexobj(B), total, total, 1, out_margin):
                        est[j], lo[j], hi[j] = 0.0, 0.0, cap
                        if progress is not None:
                            progress(f"level error {s}/{L - 1} (T9 bound): below the rounding "
                                     f"resolution, <= {cap:.3e}")
                        continue
                    enc = level_enclosure(B, r, outside, out_margin)
                    est[j], lo[j], hi[j] = enc.estimate, enc.lower, enc.upper
                    if cap is not None:
                        hi[j] = min(hi[j], cap)
                        est[j] = min(est[j], cap)
                    if progress is not None:
                        progress(f"level error {s}/{L - 1} (T9 bound): {est[j]:.3e} in "
                                 f"{time.perf_counter() - t0:.2f} s")
                return est, lo, hi
    for s in range(1, L):
        enc = split_enclosure(A, chain.split(s))  # T2/T3 closed form, verified eigenvalues
        est[s - 1], lo[s - 1], hi[s - 1] = enc.estimate, enc.lower, enc.upper
        if cap is not None:
            hi[s - 1] = min(hi[s - 1], cap)
            est[s - 1] = min(est[s - 1], cap)
        if progress is not None:
            progress(f"level error {s}/{L - 1} (T9 bound): {est[s - 1]:.3e}")
    return est, lo, hi


def t9_bound(E: np.ndarray) -> float:
    r"""Return the T9 bound ``sum_{l=1}^{L-1} 2^(L-l-1) E_l`` from the level errors.

    Examples
    --------
    >>> t9_bound(np.array([1.0, 1.0, 1.0]))
    7.0
    """
    L = E.size + 1
    return float(sum(2.0 ** (L - k - 1) * float(E[k - 1]) for k in range(1, L)))


def _is_standard_butterfly(chain: Chain) -> bool:
    if not chain.is_structured:
        return False
    n = chain.shape[0]
    from fsmf_check.model.families import butterfly

    if n != chain.shape[1] or n < 2 or n & (n - 1):
        return False
    return chain.patterns == butterfly(n, "standard").patterns


# ----------------------------------------------------------------------------------------
# the entry point


def hierarchical(A: object, chain: Chain, *, tree: str = "left", orthonormalize: bool = True,
                 column_perm: np.ndarray | None = None, bound: bool = True,
                 progress: ProgressFn | None = None, overwrite_a: bool = False
                 ) -> HierarchicalResult:
    r"""Factorize ``A[:, column_perm] ≈ F[0] ... F[L-1]`` with supports of ``chain`` (T7).

    Parameters
    ----------
    A : array_like
        Target matrix (real or complex, finite) of the chain's shape.
    chain : Chain
        Factor supports, left to right (Kronecker patterns or explicit masks).
    tree : {"left", "right", "balanced"}
        ``left``: first split after ``F[0]`` (s = p + 1 at every node); ``right``: first split
        before ``F[L-1]`` (s = q - 1); ``balanced``: the left part has ``ceil`` of half the
        factors (same trees as :func:`fsmf_check.analysis.chains.tree_nodes`).
    orthonormalize : bool, default True
        Keep the other pieces column/row-orthonormal (T7); Kronecker chains only.
    column_perm : array of int, optional
        Factorize ``A[:, column_perm]`` (e.g. the bit reversal for the DFT).
    bound : bool, default True
        Also compute the level errors ``E_l`` and the T9 bound (extra cost ~ one pass per level).
    progress : callable, optional
        Called with a one-line message after each split and each level error.
    overwrite_a : bool, default False
        Allow permuting the columns of ``A`` in place (saves a copy of the matrix; ``A`` then
        holds ``A[:, column_perm]`` on return).

    Returns
    -------
    HierarchicalResult

    Raises
    ------
    NotApplicableError
        If a node of the tree is not certified tractable (names the node and the overlap).
    ShapeError, NonFiniteError, InvalidInputError
        Bad ``A``, tree name or permutation.

    Notes
    -----
    T7 (algorithm, trees, orthonormalization), T6 (chainable pairs have disjoint
    classes, so each split is solved exactly by one batched truncated SVD), T9 (bound). Exact
    butterfly products are recovered to rounding for every tree ([LZRG-ICASSP] Theorem 3).
    Numeric (float64/complex128). Cost: one batched SVD per node; for the square dyadic
    butterfly O(N^2) for the comb trees and O(N^2.5) for the balanced tree (T9 §4.6).

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> from fsmf_check.inputs.matrix_specs import hadamard
    >>> res = hierarchical(hadamard(8), families.butterfly(8), tree="balanced")
    >>> res.rel_error < 1e-14, [str(p) for p in res.factors.patterns]
    (True, ['(1,2,2,4)', '(2,2,2,2)', '(4,2,2,1)'])
    """
    with single_blas_thread():
        return _hierarchical(A, chain, tree, orthonormalize, column_perm, bound, progress,
                             overwrite_a)


def _hierarchical(A: object, chain: Chain, tree: str, orthonormalize: bool,
                  column_perm: np.ndarray | None, bound: bool, progress: ProgressFn | None,
                  overwrite_a: bool = False) -> HierarchicalResult:
    if tree not in TREES:
        msg = f"tree must be one of {', '.join(TREES)}; got {tree!r}"
        raise InvalidInputError(msg)
    A = validate_matrix(A, "matrix A")
    if A.shape != chain.shape:
        msg = (f"matrix has shape {A.shape[0]} x {A.shape[1]} but the chain's product is "
               f"{chain.shape[0]} x {chain.shape[1]}")
        raise ShapeError(msg)
    perm = None
    if column_perm is not None:
        perm = np.asarray(column_perm, dtype=np.int64)
        if perm.shape != (A.shape[1],) or not np.array_equal(np.sort(perm),
                                                              np.arange(A.shape[1])):
            msg = f"column_perm must be a permutation of 0..{A.shape[1] - 1}"
            raise InvalidInputError(msg)
        perm.flags.writeable = False
    if perm is None:
        Z = A
    elif overwrite_a and A.flags.c_contiguous and A.flags.writeable:
        for i0 in range(0, A.shape[0], max(1, (1 << 16) // A.shape[1])):
            rows = A[i0 : i0 + max(1, (1 << 16) // A.shape[1])]
            rows[...] = rows[:, perm]  # in place, a cache-sized block of rows at a time
        Z = A
    else:
        Z = np.ascontiguousarray(A[:, perm])
    L = chain.n_factors
    nodes = tree_nodes(0, L, tree)
    t0 = time.perf_counter()
    transposed = False
    factors: KroneckerFactors | SparseFactors
    engine = None
    if chain.is_structured:
        pats = chain.patterns
        assert pats is not None
        orientations = [(pats, nodes, False), (_transposed(pats), _mirror(nodes, L), True)]
        if tree == "right":
            # measured (docs/benchmarks.md, numeric engine): the right comb's tall
            # N/2 x 2 top blocks are strided gathers, 2-3x slower than a left comb; when the
            # transposed chain is chainable too, the mirrored tree on A^T is a left comb (same
            # computation)
            orientations.reverse()
        for cand_pats, cand_nodes, flip in orientations:  # type: ignore[assignment]
            partial = _Patterns(cand_pats)  # type: ignore[arg-type]
            if partial(0, L) is not None and all(partial.node_ok(*n) for n in cand_nodes):
                engine = (cand_pats, cand_nodes, flip, partial)
                break
    if engine is not None:
        cand_pats, cand_nodes, transposed, partial = engine
        Zw = np.ascontiguousarray(Z.T) if transposed else Z
        kf, records = _run_kron(Zw, cand_pats, cand_nodes, partial,  # type: ignore[arg-type]
                                orthonormalize, progress)
        elapsed = time.perf_counter() - t0
        t1 = time.perf_counter()
        root = partial(0, L)
        assert root is not None
        T0 = extract_twiddle(Zw, root)
        outside, out_margin = _outside(Zw, root)
        plan = _comb_plan(kf, cand_nodes, partial)
        err2 = (_comb_error(T0, kf, cand_nodes, partial, plan) if plan is not None
                else _contract_error(T0, kf, cand_nodes, partial))
        err = float(np.sqrt(err2 + outside))
        inner = 0
        for p, s, q in cand_nodes:
            rr = _pair(partial(p, s), partial(s, q))  # type: ignore[arg-type]
            inner += rr[0] if rr is not None else max(A.shape)
        err_up = (_error_upper(err, kf, inner, Zw.size, np.iscomplexobj(kf.values[0]))
                  + float(np.sqrt(out_margin)))
        err_eval = time.perf_counter() - t1
        factors = kf.transpose() if transposed else kf
        if transposed:
            records = [SplitRecord(L - r.q, L - r.s, L - r.p, r.blocks,
                                   (r.block_shape[1], r.block_shape[0]), r.rank, r.error,
                                   r.elapsed_s) for r in records]
        method = "kronecker-batched-svd"
        ortho = orthonormalize
    else:
        check_dense("hierarchical (explicit chain) node matrices", *A.shape)
        factors, records = _run_generic(Z, chain, nodes, progress)
        method = "explicit-block-svd"
        ortho = False
        elapsed = time.perf_counter() - t0
        t1 = time.perf_counter()
        err = _chain_error(Z, factors)
        err_up = _error_upper(err, factors, L * max(A.shape), Z.size,
                              np.iscomplexobj(factors.values[0]))
        err_eval = time.perf_counter() - t1
    sumsq_A = _sumsq(A)  # one pass, reused by the level errors
    E = E_lo = E_hi = None
    bnd = bnd_est = None
    applies = False
    if bound and L >= 2:
        E, E_lo, E_hi = _level_enclosures(Z, chain, progress, cap=err_up, sumsq_A=sumsq_A)
        for arr in (E, E_lo, E_hi):
            arr.flags.writeable = False
        bnd_est = t9_bound(E)
        bnd = t9_bound(E_hi) * (1 + 2 * L * UNIT_ROUNDOFF)
        applies = bool(_is_standard_butterfly(chain) and ortho and tree == "left")
    return HierarchicalResult(
        factors=factors, tree=tree, orthonormalized=ortho, method=method,
        transposed=transposed, column_perm=perm, error=err,
        norm_A=float(np.sqrt(sumsq_A)), splits=tuple(records), elapsed_s=elapsed,
        error_eval_s=err_eval, level_errors=E, bound=bnd, bound_applies=applies,
        level_errors_lower=E_lo, level_errors_upper=E_hi, bound_estimate=bnd_est,
        error_upper=err_up)
