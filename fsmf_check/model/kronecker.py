r"""Kronecker-sparse supports ``I_a ⊗ 1_{b x c} ⊗ I_d`` and their products (THEORY T6).

A :class:`KronPattern` ``(a, b, c, d)`` is the 0/1 mask of shape ``(a*b*d) x (a*c*d)`` with
entry ``(i, j)`` set iff ``i = (alpha*b + beta)*d + delta`` and ``j = (alpha*c + gamma)*d + delta``
for some ``alpha < a``, ``beta < b``, ``gamma < c``, ``delta < d``. The square dyadic butterfly
factor ``l`` (1-based, left to right) of size ``N = 2^L`` is ``(2^(l-1), 2, 2, N/2^l)`` (SPEC §2).

Notes
-----
THEORY T6 (§4.1): a consecutive pair is *chainable* iff ``a1*c1/a2 == b2*d2/d1 =: r`` is an
integer with ``a1 | a2`` and ``d2 | d1``; its product support is the Kronecker pattern
``(a1, b1*d1/d2, a2*c2/a1, d2)`` [V, authors' code]; the pair is *redundant* iff
``r >= min(b1, c2)`` (Definition 4.18 of arXiv:2411.04506), i.e. its equivalence classes are
complete (T1/T3). Everything here is integer arithmetic on four numbers; nothing is
materialized unless :meth:`KronPattern.to_sparse` is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from fsmf_check._limits import check_dim, check_nnz
from fsmf_check.errors import MaskError, ShapeError

__all__ = [
    "KronPattern",
    "ChainReport",
    "PairReport",
    "is_chainable",
    "product_pattern",
    "chain_product",
    "analyze_kronecker_chain",
    "remove_redundancy",
]


@dataclass(frozen=True, slots=True)
class KronPattern:
    """The Kronecker-sparse support ``I_a ⊗ 1_{b x c} ⊗ I_d`` (THEORY T6).

    Examples
    --------
    >>> p = KronPattern(1, 2, 2, 2)
    >>> p.shape, p.nnz
    ((4, 4), 8)
    >>> p.to_dense().tolist()
    [[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]]
    """

    a: int
    b: int
    c: int
    d: int

    def __post_init__(self) -> None:
        for name in ("a", "b", "c", "d"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                msg = f"Kronecker pattern entry {name} must be a positive integer; got {value!r}"
                raise MaskError(msg)
            if value < 1:
                msg = f"Kronecker pattern entry {name} must be >= 1; got {value}"
                raise MaskError(msg)
            object.__setattr__(self, name, int(value))
        check_dim("Kronecker pattern rows a*b*d", self.a * self.b * self.d)
        check_dim("Kronecker pattern columns a*c*d", self.a * self.c * self.d)

    @property
    def shape(self) -> tuple[int, int]:
        """``(a*b*d, a*c*d)``."""
        return (self.a * self.b * self.d, self.a * self.c * self.d)

    @property
    def nnz(self) -> int:
        """Number of ones, ``a*b*c*d``."""
        return self.a * self.b * self.c * self.d

    def as_tuple(self) -> tuple[int, int, int, int]:
        """Return ``(a, b, c, d)``."""
        return (self.a, self.b, self.c, self.d)

    def col_keys(self, cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(alpha, delta)`` of each column: its row set is determined by them."""
        j = np.arange(self.shape[1], dtype=np.int64) if cols is None else cols
        return j // (self.c * self.d), j % self.d

    def row_keys(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(alpha, delta)`` of each row: its column set is determined by them."""
        i = np.arange(self.shape[0], dtype=np.int64) if rows is None else rows
        return i // (self.b * self.d), i % self.d

    def rows_of_col(self, j: int) -> np.ndarray:
        """Row indices of the ones in column ``j`` (an arithmetic progression of step d)."""
        alpha, delta = j // (self.c * self.d), j % self.d
        return alpha * self.b * self.d + delta + self.d * np.arange(self.b, dtype=np.int64)

    def cols_of_row(self, i: int) -> np.ndarray:
        """Column indices of the ones in row ``i`` (an arithmetic progression of step d)."""
        alpha, delta = i // (self.b * self.d), i % self.d
        return alpha * self.c * self.d + delta + self.d * np.arange(self.c, dtype=np.int64)

    def to_sparse(self) -> sp.csr_array:
        """Materialize the mask as a scipy CSR array of int8 (size-checked)."""
        check_nnz(f"Kronecker pattern {self.as_tuple()}", self.nnz)
        a, b, c, d = self.as_tuple()
        alpha, beta, gamma, delta = np.meshgrid(
            np.arange(a), np.arange(b), np.arange(c), np.arange(d), indexing="ij"
        )
        rows = ((alpha * b + beta) * d + delta).ravel()
        cols = ((alpha * c + gamma) * d + delta).ravel()
        data = np.ones(rows.size, dtype=np.int8)
        return sp.csr_array((data, (rows, cols)), shape=self.shape)

    def to_dense(self) -> np.ndarray:
        """Materialize the mask densely (small patterns only): ``kron(I_a, ones(b,c), I_d)``."""
        from fsmf_check._limits import check_dense

        check_dense(f"Kronecker pattern {self.as_tuple()}", *self.shape)
        out = np.kron(np.kron(np.eye(self.a, dtype=np.int8), np.ones((self.b, self.c), np.int8)),
                      np.eye(self.d, dtype=np.int8))
        return out.astype(np.int8)

    def transpose(self) -> KronPattern:
        """The pattern of the transposed mask, ``(a, c, b, d)``."""
        return KronPattern(self.a, self.c, self.b, self.d)

    def __str__(self) -> str:
        return f"({self.a},{self.b},{self.c},{self.d})"


def _pair_rank(p1: KronPattern, p2: KronPattern) -> int | None:
    """Return r if (p1, p2) is chainable (THEORY T6), else None."""
    if p1.shape[1] != p2.shape[0]:
        return None
    num1, num2 = p1.a * p1.c, p2.b * p2.d
    if num1 % p2.a or num2 % p1.d or p2.a % p1.a or p1.d % p2.d:
        return None
    r1, r2 = num1 // p2.a, num2 // p1.d
    return r1 if r1 == r2 else None


def is_chainable(p1: KronPattern, p2: KronPattern) -> bool:
    """Return True iff the consecutive pair ``p1 · p2`` is chainable (THEORY T6).

    Examples
    --------
    >>> is_chainable(KronPattern(1, 2, 2, 4), KronPattern(2, 2, 2, 2))
    True
    >>> is_chainable(KronPattern(2, 2, 2, 1), KronPattern(1, 2, 2, 2))
    False
    """
    return _pair_rank(p1, p2) is not None


def product_pattern(p1: KronPattern, p2: KronPattern) -> KronPattern:
    """Return the support of ``M1 @ M2`` for a chainable pair, in closed form (THEORY T6).

    Raises
    ------
    ShapeError
        If the pair is not chainable (then the support of the product is not given by T6;
        use the exact boolean product instead).

    Notes
    -----
    THEORY T6 [V]: product pattern ``(a1, b1*d1/d2, a2*c2/a1, d2)``. O(1).

    Examples
    --------
    >>> product_pattern(KronPattern(1, 2, 2, 4), KronPattern(2, 2, 2, 2))
    KronPattern(a=1, b=4, c=4, d=2)
    """
    if _pair_rank(p1, p2) is None:
        msg = f"patterns {p1} and {p2} are not chainable (THEORY T6); no closed-form product"
        raise ShapeError(msg)
    return KronPattern(p1.a, p1.b * p1.d // p2.d, p2.a * p2.c // p1.a, p2.d)


def _fold(patterns: Sequence[KronPattern]) -> KronPattern | None:
    acc = patterns[0]
    for nxt in patterns[1:]:
        if _pair_rank(acc, nxt) is None:
            return None
        acc = product_pattern(acc, nxt)
    return acc


def chain_product(patterns: Sequence[KronPattern]) -> KronPattern | None:
    """Return the closed-form support of the whole product, or None when T6 gives none.

    The product is folded left to right with :func:`product_pattern`. If that fails, the
    transposed chain ``F[L-1]^T ... F[0]^T`` is folded instead (the transpose of
    ``(a, b, c, d)`` is ``(a, c, b, d)``, and ``supp(M^T) = supp(M)^T``): this covers the
    reversed butterfly order, whose pairs are chainable only in that direction.

    Examples
    --------
    >>> chain_product([KronPattern(1, 2, 2, 4), KronPattern(2, 2, 2, 2), KronPattern(4, 2, 2, 1)])
    KronPattern(a=1, b=8, c=8, d=1)
    >>> chain_product([KronPattern(2, 2, 2, 1), KronPattern(1, 2, 2, 2)])
    KronPattern(a=1, b=4, c=4, d=1)
    """
    if not patterns:
        msg = "a chain needs at least one factor"
        raise ShapeError(msg)
    direct = _fold(patterns)
    if direct is not None:
        return direct
    flipped = _fold([p.transpose() for p in reversed(patterns)])
    return flipped.transpose() if flipped is not None else None


@dataclass(frozen=True, slots=True)
class PairReport:
    """Chainability and redundancy of one consecutive pair ``(l, l+1)`` (0-based, THEORY T6)."""

    index: int
    chainable: bool
    rank: int | None
    redundant: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"pair": [self.index, self.index + 1], "chainable": self.chainable,
                "rank": self.rank, "redundant": self.redundant}


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Chainability of a Kronecker chain and its redundancy-free reduction (THEORY T6)."""

    patterns: tuple[KronPattern, ...]
    pairs: tuple[PairReport, ...]
    chainable: bool
    product: KronPattern | None
    reduced: tuple[KronPattern, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "patterns": [list(p.as_tuple()) for p in self.patterns],
            "chainable": self.chainable,
            "product": list(self.product.as_tuple()) if self.product else None,
            "pairs": [p.to_dict() for p in self.pairs],
            "redundant_pairs": [p.index for p in self.pairs if p.redundant],
            "reduced": [list(p.as_tuple()) for p in self.reduced],
        }


def analyze_kronecker_chain(patterns: Sequence[KronPattern]) -> ChainReport:
    """Report chainability of every consecutive pair, redundancy, and the reduced chain.

    Notes
    -----
    THEORY T6: a whole chain is chainable when every *prefix product* chains with the next
    factor (``a_first = 1`` and ``d_last = 1`` then make the product square-full). A pair is
    redundant iff ``r >= min(b1, c2)``; Algorithm 4.1 of arXiv:2411.04506 merges redundant
    pairs until none remains, keeping the same set of products. O(L^2) integer operations.

    Examples
    --------
    >>> rep = analyze_kronecker_chain([KronPattern(1, 2, 2, 2), KronPattern(2, 2, 2, 1)])
    >>> rep.chainable, rep.product, [p.redundant for p in rep.pairs]
    (True, KronPattern(a=1, b=4, c=4, d=1), [False])
    >>> analyze_kronecker_chain([KronPattern(1, 2, 4, 1), KronPattern(1, 4, 2, 1)]).pairs[0].redundant
    True
    """
    pats = tuple(patterns)
    for left, right in zip(pats, pats[1:], strict=False):
        if left.shape[1] != right.shape[0]:
            msg = (f"consecutive factors {left} ({left.shape[0]}x{left.shape[1]}) and {right} "
                   f"({right.shape[0]}x{right.shape[1]}) have mismatched inner dimensions")
            raise ShapeError(msg)
    pairs = []
    for idx, (left, right) in enumerate(zip(pats, pats[1:], strict=False)):
        rank = _pair_rank(left, right)
        redundant = rank is not None and rank >= min(left.b, right.c)
        pairs.append(PairReport(idx, rank is not None, rank, redundant))
    product = chain_product(pats)
    return ChainReport(pats, tuple(pairs), product is not None, product,
                       remove_redundancy(pats))


def remove_redundancy(patterns: Sequence[KronPattern]) -> tuple[KronPattern, ...]:
    """Merge redundant chainable pairs until none remains (Algorithm 4.1, THEORY T6).

    Examples
    --------
    >>> remove_redundancy([KronPattern(1, 2, 4, 1), KronPattern(1, 4, 2, 1)])
    (KronPattern(a=1, b=2, c=2, d=1),)
    """
    pats = list(patterns)
    changed = True
    while changed:
        changed = False
        for idx in range(len(pats) - 1):
            rank = _pair_rank(pats[idx], pats[idx + 1])
            if rank is not None and rank >= min(pats[idx].b, pats[idx + 1].c):
                pats[idx : idx + 2] = [product_pattern(pats[idx], pats[idx + 1])]
                changed = True
                break
    return tuple(pats)
