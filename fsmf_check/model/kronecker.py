r"""Kronecker-sparse supports ``I_a ⊗ 1_{b x c} ⊗ I_d`` and their products (T6).

A :class:`KronPattern` ``(a, b, c, d)`` is the 0/1 mask of shape ``(a*b*d) x (a*c*d)`` with
entry ``(i, j)`` set iff ``i = (alpha*b + beta)*d + delta`` and ``j = (alpha*c + gamma)*d + delta``
for some ``alpha < a``, ``beta < b``, ``gamma < c``, ``delta < d``. The square dyadic butterfly
factor ``l`` (1-based, left to right) of size ``N = 2^L`` is ``(2^(l-1), 2, 2, N/2^l)`` (theory §1).

Notes
-----
T6 (§4.1): a consecutive pair is *chainable* iff ``a1*c1/a2 == b2*d2/d1 =: r`` is an
integer with ``a1 | a2`` and ``d2 | d1`` (the definition of lazylinop's ``Chain.chainability``,
pair by pair); a pair can be chainable only *after transposition*, i.e. ``(p2^T, p1^T)`` is
chainable with ``(a, b, c, d)^T = (a, c, b, d)`` (the reversed butterfly order); its product
support is the Kronecker pattern ``(a1, b1*d1/d2, a2*c2/a1, d2)`` [V, authors' code]; the pair
is *redundant* iff ``r >= min(b1, c2)`` (Definition 4.18 of arXiv:2411.04506), i.e. its
equivalence classes are complete (T1/T3). Everything here is integer arithmetic on four numbers;
nothing is materialized unless :meth:`KronPattern.to_sparse` is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check._limits import check_dim, check_nnz
from fsmf_check.errors import MaskError, ShapeError

if TYPE_CHECKING:
    import scipy.sparse as sp  # imported where used: `import fsmf_check` stays light

__all__ = [
    "KronPattern",
    "ChainReport",
    "PairReport",
    "is_chainable",
    "product_pattern",
    "chain_product",
    "analyze_kronecker_chain",
    "remove_redundancy",
    "recognize_pattern",
    "square_dyadic_patterns",
    "monarch_patterns",
    "parse_chain_spec",
    "CHAIN_SPEC_HELP",
]


@dataclass(frozen=True, slots=True)
class KronPattern:
    """The Kronecker-sparse support ``I_a ⊗ 1_{b x c} ⊗ I_d`` (T6).

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
        import scipy.sparse as sp

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

    def off_support_sumsq(self, Z: np.ndarray) -> float:
        """``sum |Z_ij|^2`` over the entries OUTSIDE the mask, summed directly (stable).

        Never formed as ``||Z||^2 - ||Z on the mask||^2``: that difference of two nearly equal
        sums loses about half the digits (an error of 1e-8 * ||Z|| where the truth is 0).
        Rows are processed in chunks of about 4M entries, O(m*n) time, O(chunk) memory.

        Examples
        --------
        >>> Z = np.arange(16.0).reshape(4, 4)
        >>> P = KronPattern(2, 2, 2, 1)
        >>> P.off_support_sumsq(Z) == float((Z**2)[P.to_dense() == 0].sum())
        True
        """
        m, n = self.shape
        if Z.shape != (m, n):
            msg = f"matrix has shape {Z.shape} but the pattern {self} is {m} x {n}"
            raise ShapeError(msg)
        if self.a == 1 and self.d == 1:
            return 0.0
        step = max(1, (1 << 22) // max(n, 1))
        offs = self.d * np.arange(self.c, dtype=np.int64)
        total = 0.0
        for i0 in range(0, m, step):
            i1 = min(m, i0 + step)
            W = np.abs(Z[i0:i1]) ** 2
            alpha, delta = self.row_keys(np.arange(i0, i1, dtype=np.int64))
            cols = (alpha * self.c * self.d + delta)[:, None] + offs[None, :]
            W[np.arange(i1 - i0)[:, None], cols] = 0.0
            total += float(W.sum())
        return total

    def transpose(self) -> KronPattern:
        """Return the pattern of the transposed mask, ``(a, c, b, d)``."""
        return KronPattern(self.a, self.c, self.b, self.d)

    def __str__(self) -> str:
        return f"({self.a},{self.b},{self.c},{self.d})"


def _pair_rank(p1: KronPattern, p2: KronPattern) -> int | None:
    """Return r if (p1, p2) is chainable (T6), else None."""
    if p1.shape[1] != p2.shape[0]:
        return None
    num1, num2 = p1.a * p1.c, p2.b * p2.d
    if num1 % p2.a or num2 % p1.d or p2.a % p1.a or p1.d % p2.d:
        return None
    r1, r2 = num1 // p2.a, num2 // p1.d
    return r1 if r1 == r2 else None


def is_chainable(p1: KronPattern, p2: KronPattern) -> bool:
    """Return True iff the consecutive pair ``p1 · p2`` is chainable (T6).

    Examples
    --------
    >>> is_chainable(KronPattern(1, 2, 2, 4), KronPattern(2, 2, 2, 2))
    True
    >>> is_chainable(KronPattern(2, 2, 2, 1), KronPattern(1, 2, 2, 2))
    False
    """
    return _pair_rank(p1, p2) is not None


def product_pattern(p1: KronPattern, p2: KronPattern) -> KronPattern:
    """Return the support of ``M1 @ M2`` for a chainable pair, in closed form (T6).

    Raises
    ------
    ShapeError
        If the pair is not chainable (then the support of the product is not given by T6;
        use the exact boolean product instead).

    Notes
    -----
    T6 [V]: product pattern ``(a1, b1*d1/d2, a2*c2/a1, d2)``. O(1).

    Examples
    --------
    >>> product_pattern(KronPattern(1, 2, 2, 4), KronPattern(2, 2, 2, 2))
    KronPattern(a=1, b=4, c=4, d=2)
    """
    if _pair_rank(p1, p2) is None:
        msg = f"patterns {p1} and {p2} are not chainable (T6); no closed-form product"
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
    """Chainability and redundancy of one consecutive pair ``(l, l+1)`` (0-based, T6).

    ``chainable``/``rank``: the pair as given (lazylinop's definition); ``chainable_transposed``/
    ``rank_transposed``: the pair ``(p_{l+1}^T, p_l^T)`` of the transposed chain.
    """

    index: int
    chainable: bool
    rank: int | None
    redundant: bool
    chainable_transposed: bool = False
    rank_transposed: int | None = None

    @property
    def orientation(self) -> str:
        """``as-given``, ``transposed``, ``both`` or ``none``."""
        return _orientation(self.chainable, self.chainable_transposed)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"pair": [self.index, self.index + 1], "chainable": self.chainable,
                "rank": self.rank, "chainable_transposed": self.chainable_transposed,
                "rank_transposed": self.rank_transposed, "orientation": self.orientation,
                "redundant": self.redundant}


def _orientation(given: bool, transposed: bool) -> str:
    if given and transposed:
        return "both"
    if given:
        return "as-given"
    return "transposed" if transposed else "none"


#: The definition used for ``chainable`` (lazylinop's ``Chain.chainability``, [LZRG-err]).
CHAINABLE_DEFINITION = ("every consecutive pair l: a_l divides a_{l+1}, d_{l+1} divides d_l and "
                        "a_l*c_l/a_{l+1} = b_{l+1}*d_{l+1}/d_l is an integer")


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Chainability of a Kronecker chain and its redundancy-free reduction (T6).

    ``chainable`` is True iff every pair is chainable as given (lazylinop's definition),
    ``chainable_transposed`` iff every pair of the transposed chain is; ``product`` is the
    closed-form support of the whole product when T6 gives one (prefix products folded in one
    orientation), which can exist for chains that are chainable in neither orientation.
    """

    patterns: tuple[KronPattern, ...]
    pairs: tuple[PairReport, ...]
    chainable: bool
    product: KronPattern | None
    reduced: tuple[KronPattern, ...]
    chainable_transposed: bool = False

    @property
    def orientation(self) -> str:
        """``as-given``, ``transposed``, ``both`` or ``none`` (all pairs in one orientation)."""
        return _orientation(self.chainable, self.chainable_transposed)

    @property
    def chainable_some_orientation(self) -> bool:
        """True when the chain or its transpose is chainable (closedness is the same)."""
        return self.chainable or self.chainable_transposed

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "patterns": [list(p.as_tuple()) for p in self.patterns],
            "chainable": self.chainable,
            "chainable_transposed": self.chainable_transposed,
            "orientation": self.orientation,
            "definition": CHAINABLE_DEFINITION,
            "product": list(self.product.as_tuple()) if self.product else None,
            "pairs": [p.to_dict() for p in self.pairs],
            "redundant_pairs": [p.index for p in self.pairs if p.redundant],
            "reduced": [list(p.as_tuple()) for p in self.reduced],
        }


def analyze_kronecker_chain(patterns: Sequence[KronPattern]) -> ChainReport:
    """Report chainability of every consecutive pair, redundancy, and the reduced chain.

    Notes
    -----
    T6: a chain is chainable when every consecutive pair is (lazylinop's
    ``Chain.chainability``); the report also says whether the transposed chain is (the
    reversed butterfly order is chainable only transposed), so ``chainable`` always agrees with
    the pairs it summarizes. A pair is redundant iff ``r >= min(b1, c2)`` (in the orientation
    where it is chainable; the condition is symmetric under transposition); Algorithm 4.1 of
    arXiv:2411.04506 merges redundant pairs until none remains, keeping the same set of
    products. O(L^2) integer operations.

    Examples
    --------
    >>> rep = analyze_kronecker_chain([KronPattern(1, 2, 2, 2), KronPattern(2, 2, 2, 1)])
    >>> rep.chainable, rep.product, [p.redundant for p in rep.pairs]
    (True, KronPattern(a=1, b=4, c=4, d=1), [False])
    >>> rev = analyze_kronecker_chain([KronPattern(2, 2, 2, 1), KronPattern(1, 2, 2, 2)])
    >>> rev.chainable, rev.chainable_transposed, rev.orientation, rev.pairs[0].orientation
    (False, True, 'transposed', 'transposed')
    >>> red = analyze_kronecker_chain([KronPattern(1, 2, 4, 1), KronPattern(1, 4, 2, 1)])
    >>> red.pairs[0].redundant
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
        rank_t = _pair_rank(right.transpose(), left.transpose())
        some = rank if rank is not None else rank_t
        redundant = some is not None and some >= min(left.b, right.c)
        pairs.append(PairReport(idx, rank is not None, rank, redundant, rank_t is not None,
                                rank_t))
    product = chain_product(pats)
    return ChainReport(pats, tuple(pairs), all(p.chainable for p in pairs), product,
                       remove_redundancy(pats),
                       all(p.chainable_transposed for p in pairs))


def remove_redundancy(patterns: Sequence[KronPattern]) -> tuple[KronPattern, ...]:
    """Merge redundant chainable pairs until none remains (Algorithm 4.1, T6).

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


# ----------------------------------------------------------------------------------------
# recognition of explicit masks, and lazylinop-style chain builders


def _divisors(n: int) -> list[int]:
    small = [k for k in range(1, int(n**0.5) + 1) if n % k == 0]
    return sorted(set(small + [n // k for k in small]))


def recognize_pattern(mask: sp.sparray | np.ndarray) -> tuple[KronPattern, ...]:
    """Every Kronecker pattern whose mask equals ``mask`` (empty when it is not Kronecker).

    The pattern is read off row 0 and column 0 (``c`` ones at step ``d`` in row 0, ``b`` ones
    at step ``d`` in column 0) and then checked entry by entry, O(nnz). A diagonal mask
    (``b = c = 1``) is ``(a, 1, 1, d)`` for every ``a*d = m``: all of them are returned, in
    increasing ``d``, so that a caller can pick the one that makes its chain chainable.

    Examples
    --------
    >>> recognize_pattern(KronPattern(2, 2, 3, 2).to_sparse())
    (KronPattern(a=2, b=2, c=3, d=2),)
    >>> [str(p) for p in recognize_pattern(np.eye(4))]
    ['(4,1,1,1)', '(2,1,1,2)', '(1,1,1,4)']
    >>> recognize_pattern(np.array([[1, 1], [0, 1]]))
    ()
    """
    import scipy.sparse as sp

    M = sp.csr_array(mask)
    M.sum_duplicates()
    M.eliminate_zeros()
    m, n = M.shape
    if m == 0 or n == 0 or M.nnz == 0:
        return ()
    row0 = np.sort(M.indices[M.indptr[0]:M.indptr[1]])
    col0 = np.sort(sp.csc_array(M)[:, [0]].indices)
    if row0.size == 0 or col0.size == 0 or row0[0] != 0:
        return ()
    c, b = int(row0.size), int(col0.size)
    if c >= 2:
        ds = [int(row0[1] - row0[0])]
    elif b >= 2:
        ds = [int(col0[1] - col0[0])]
    else:
        ds = _divisors(m)
    found = []
    for d in ds:
        if d < 1 or m % (b * d) or n % (c * d) or m // (b * d) != n // (c * d):
            continue
        cand = KronPattern(m // (b * d), b, c, d)
        if cand.nnz != M.nnz:
            continue
        P = cand.to_sparse()
        if (P != (M != 0)).nnz == 0:
            found.append(cand)
    return tuple(found)


def square_dyadic_patterns(n: int) -> tuple[KronPattern, ...]:
    """Lazylinop's ``Chain.square_dyadic((n, n))``: ``(2^(l-1), 2, 2, n/2^l)``, l = 1..log2 n.

    Examples
    --------
    >>> [str(p) for p in square_dyadic_patterns(8)]
    ['(1,2,2,4)', '(2,2,2,2)', '(4,2,2,1)']
    """
    if n < 2 or n & (n - 1):
        msg = f"the square-dyadic chain needs N a power of two >= 2; got {n}"
        raise ShapeError(msg)
    L = n.bit_length() - 1
    return tuple(KronPattern(2 ** (k - 1), 2, 2, n >> k) for k in range(1, L + 1))


def _near_sqrt_divisor(n: int) -> int:
    """Lazylinop's choice of a Monarch block count.

    A product of the prime factors of ``n`` (ascending), grown while it gets closer to
    ``sqrt(n)``.
    """
    if n == 1:
        return 1
    primes = []
    rest, k = n, 2
    while k * k <= rest:
        while rest % k == 0:
            primes.append(k)
            rest //= k
        k += 1
    if rest > 1:
        primes.append(rest)
    s = n**0.5
    p = primes[0]
    for f in primes[1:]:
        if abs(p * f - s) < abs(p - s):
            p *= f
        else:
            break
    return p


def monarch_patterns(m: int, n: int, p: int | None = None, q: int | None = None
                     ) -> tuple[KronPattern, KronPattern]:
    """Lazylinop's ``Chain.monarch((m, n), p, q)``: ``(1, p, q, m/p)``, ``(q, m/p, n/q, 1)``.

    ``p`` (resp. ``q``) is chosen near ``sqrt(m)`` (resp. ``sqrt(n)``) as lazylinop does when
    omitted; ``p`` must divide ``m`` and ``q`` must divide ``n``.

    Examples
    --------
    >>> [str(x) for x in monarch_patterns(21, 16)]
    ['(1,3,4,7)', '(4,7,4,1)']
    >>> [str(x) for x in monarch_patterns(12, 16, 2, 4)]
    ['(1,2,4,6)', '(4,6,4,1)']
    """
    if m < 1 or n < 1:
        msg = f"a Monarch chain needs a positive shape; got {m} x {n}"
        raise ShapeError(msg)
    p = _near_sqrt_divisor(m) if p is None else p
    q = _near_sqrt_divisor(n) if q is None else q
    if p < 1 or q < 1 or m % p or n % q:
        msg = f"Monarch P must divide M and Q must divide N; got P = {p}, Q = {q} for {m} x {n}"
        raise ShapeError(msg)
    return (KronPattern(1, p, q, m // p), KronPattern(q, m // p, n // q, 1))


#: One-line description of the ``--chain`` values (CLI help and error messages).
CHAIN_SPEC_HELP = ("square-dyadic | monarch[:P:Q] | a,b,c,d;a,b,c,d;... (Kronecker patterns "
                   "I_a x 1_{b x c} x I_d, left to right, lazylinop's meaning)")


def _spec_ints(text: str, what: str) -> list[int]:
    out = []
    for tok in text.split(","):
        tok = tok.strip()
        if not tok.isdigit() or int(tok) < 1:
            msg = f"{what} must be positive integers; got {tok!r} in {text!r}"
            raise MaskError(msg)
        out.append(int(tok))
    return out


def parse_chain_spec(spec: str, shape: tuple[int, int]) -> tuple[KronPattern, ...]:
    """Kronecker patterns of a ``--chain`` value for a matrix of ``shape`` (M, N).

    ``square-dyadic`` (N x N, N a power of two), ``monarch[:P:Q]`` (lazylinop's
    ``Chain.monarch``) or an explicit list ``a,b,c,d;a,b,c,d;...`` (left to right). A chain
    whose product does not have the matrix's shape is a one-line error naming both shapes.

    Raises
    ------
    ShapeError, MaskError
        Unknown spec, malformed pattern, inner dimensions that do not agree, or a product
        shape different from ``shape``.

    Examples
    --------
    >>> [str(p) for p in parse_chain_spec("monarch", (16, 64))]
    ['(1,4,8,4)', '(8,4,8,1)']
    >>> [str(p) for p in parse_chain_spec("1,2,2,2; 2,2,3,1", (4, 6))]
    ['(1,2,2,2)', '(2,2,3,1)']
    >>> parse_chain_spec("monarch:2:4", (6, 6))
    Traceback (most recent call last):
    ...
    fsmf_check.errors.ShapeError: Monarch P must divide M and Q must divide N; got P = 2, Q = 4...
    """
    m, n = shape
    text = spec.strip()
    if text == "square-dyadic":
        if m != n or m < 2 or m & (m - 1):
            msg = (f"the square-dyadic chain needs a square N x N matrix with N a power of two "
                   f">= 2; the matrix is {m} x {n}")
            raise ShapeError(msg)
        return square_dyadic_patterns(m)
    if text == "monarch" or text.startswith("monarch:"):
        parts = text.split(":")[1:]
        if not parts:
            return monarch_patterns(m, n)
        if len(parts) != 2:
            msg = f"--chain monarch takes both P and Q (monarch:P:Q) or neither; got {spec!r}"
            raise MaskError(msg)
        p, q = (_spec_ints(x, "Monarch P and Q")[0] for x in parts)
        return monarch_patterns(m, n, p, q)
    if "," not in text:
        msg = f"unknown chain {spec!r}; expected {CHAIN_SPEC_HELP}"
        raise MaskError(msg)
    pats = []
    for item in text.split(";"):
        if not item.strip():
            continue
        vals = _spec_ints(item, "Kronecker pattern entries")
        if len(vals) != 4:
            msg = f"a Kronecker pattern has 4 entries a,b,c,d; got {item.strip()!r}"
            raise MaskError(msg)
        pats.append(KronPattern(*vals))
    for idx in range(len(pats) - 1):
        if pats[idx].shape[1] != pats[idx + 1].shape[0]:
            msg = (f"chain patterns {pats[idx]} ({pats[idx].shape[0]} x {pats[idx].shape[1]}) "
                   f"and {pats[idx + 1]} ({pats[idx + 1].shape[0]} x {pats[idx + 1].shape[1]}) "
                   "have mismatched inner dimensions")
            raise ShapeError(msg)
    prod = (pats[0].shape[0], pats[-1].shape[1])
    if prod != (m, n):
        msg = (f"chain {text!r} has product shape {prod[0]} x {prod[1]} but the matrix is "
               f"{m} x {n}")
        raise ShapeError(msg)
    return tuple(pats)
