r"""Constructors for the support families of docs/theory.md §1 and T6, T11, T12.

Two-factor families return a :class:`~fsmf_check.model.supports.SupportPattern`; chain families
return a :class:`~fsmf_check.model.supports.Chain`. Butterfly, Monarch, deformable butterfly and
Kaleidoscope chains are structured (Kronecker patterns), so large sizes cost nothing until a
mask is materialized.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check._limits import MAX_RANDOM_NNZ, check_dense, check_dim, check_nnz
from fsmf_check.errors import InvalidInputError, SizeLimitError
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import Chain, SupportPattern

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "butterfly",
    "butterfly_split",
    "kronecker_chain",
    "deformable_chain",
    "monarch",
    "kaleidoscope",
    "truncated_butterfly",
    "TruncatedButterfly",
    "TruncatedChain",
    "lu",
    "full",
    "block_diagonal",
    "random_pattern",
    "log2_exact",
    "bitrev",
]


def log2_exact(n: int, what: str = "n") -> int:
    """Return L with ``2**L == n``, or raise InvalidInputError.

    Examples
    --------
    >>> log2_exact(16)
    4
    >>> log2_exact(12)
    Traceback (most recent call last):
    ...
    fsmf_check.errors.InvalidInputError: n must be a power of two >= 2; got 12
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2 or n & (n - 1):
        msg = f"{what} must be a power of two >= 2; got {n}"
        raise InvalidInputError(msg)
    check_dim(what, int(n))
    return int(n).bit_length() - 1


def bitrev(n: int) -> np.ndarray:
    """Return the bit-reversal permutation of ``0..n-1`` (n a power of two).

    ``DFT_n[:, bitrev(n)]`` is exactly a product of the standard butterfly chain (theory §1).

    Examples
    --------
    >>> bitrev(8).tolist()
    [0, 4, 2, 6, 1, 5, 3, 7]
    """
    L = log2_exact(n)
    idx = np.arange(n, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    for b in range(L):
        out |= ((idx >> b) & 1) << (L - 1 - b)
    return out


def _positive(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        msg = f"{what} must be a positive integer; got {value!r}"
        raise InvalidInputError(msg)
    return check_dim(what, int(value))


def butterfly(n: int, order: str = "standard") -> Chain:
    """Return the square dyadic butterfly chain of size ``n = 2^L`` (docs/theory.md §1, T6).

    ``order="standard"``: factor l (1-based, left to right) is ``(2^(l-1), 2, 2, n/2^l)``, so
    ``DFT_n[:, bitrev] = F[0] ... F[L-1]``. ``order="reversed"``: ``(n/2^l, 2, 2, 2^(l-1))``.

    Examples
    --------
    >>> [str(p) for p in butterfly(8).factors]
    ['(1,2,2,4)', '(2,2,2,2)', '(4,2,2,1)']
    >>> [str(p) for p in butterfly(8, order="reversed").factors]
    ['(4,2,2,1)', '(2,2,2,2)', '(1,2,2,4)']
    """
    L = log2_exact(n)
    if order == "standard":
        pats = [KronPattern(2 ** (l - 1), 2, 2, n // 2**l) for l in range(1, L + 1)]
    elif order == "reversed":
        pats = [KronPattern(n // 2**l, 2, 2, 2 ** (l - 1)) for l in range(1, L + 1)]
    else:
        msg = f"butterfly order must be 'standard' or 'reversed'; got {order!r}"
        raise InvalidInputError(msg)
    return Chain(pats)


def butterfly_split(n: int, split: int, order: str = "standard") -> SupportPattern:
    """Two-factor pattern of a butterfly split: left ``F[0..split-1]``, right the rest.

    Examples
    --------
    >>> P = butterfly_split(2**16, 8)
    >>> P.shape
    (65536, 65536, 65536)
    >>> P.kronecker
    (KronPattern(a=1, b=256, c=256, d=256), KronPattern(a=256, b=256, c=256, d=1))
    """
    return butterfly(n, order).split(split)


def kronecker_chain(patterns: Sequence[Sequence[int]]) -> Chain:
    """Chain of Kronecker patterns ``(a, b, c, d)`` listed left to right.

    Examples
    --------
    >>> kronecker_chain([[1, 2, 2, 2], [2, 2, 2, 1]]).shape
    (4, 4)
    """
    pats: list[KronPattern] = []
    for idx, p in enumerate(patterns):
        if isinstance(p, KronPattern):
            pats.append(p)
            continue
        if not isinstance(p, list | tuple) or len(p) != 4:
            msg = f"pattern {idx} must be a list [a, b, c, d] of four positive integers; got {p!r}"
            raise InvalidInputError(msg)
        pats.append(KronPattern(*p))
    return Chain(pats)


def deformable_chain(tuples: Sequence[Sequence[int]]) -> Chain:
    """Deformable butterfly chain from 6-tuples ``(a, b, c, d, p, q)`` (T6).

    Each tuple gives the factor pattern ``(a, b*p, c*q, d)``; ``p, q`` are the inner ranks.

    Examples
    --------
    >>> [str(p) for p in deformable_chain([[1, 2, 2, 2, 1, 2], [2, 2, 2, 1, 2, 1]]).factors]
    ['(1,2,4,2)', '(2,4,2,1)']
    """
    pats = []
    for idx, t in enumerate(tuples):
        if not isinstance(t, list | tuple) or len(t) != 6:
            msg = f"deformable tuple {idx} must be [a, b, c, d, p, q]; got {t!r}"
            raise InvalidInputError(msg)
        a, b, c, d, p, q = (_positive(v, f"deformable tuple {idx} entry") for v in t)
        pats.append(KronPattern(a, b * p, c * q, d))
    return Chain(pats)


def monarch(b: int, d: int | None = None, k: int | None = None, c: int | None = None,
            rank: int = 1) -> Chain:
    """Monarch pair (T6): ``(1, b, k*rank, d) · (k, d*rank, c, 1)``, shape (b*d) x (k*c).

    ``monarch(m)`` is the square Monarch ``(1, m, m, m) · (m, m, m, 1)`` of size ``m^2``
    ([Dao-M]); the general form is the rectangular Monarch pair with inner rank ``rank``.

    Examples
    --------
    >>> [str(p) for p in monarch(4).factors]
    ['(1,4,4,4)', '(4,4,4,1)']
    >>> monarch(2, 3, 4, 5).shape
    (6, 20)
    """
    b = _positive(b, "monarch b")
    d = b if d is None else _positive(d, "monarch d")
    k = b if k is None else _positive(k, "monarch k")
    c = b if c is None else _positive(c, "monarch c")
    rank = _positive(rank, "monarch rank")
    return Chain([KronPattern(1, b, k * rank, d), KronPattern(k, d * rank, c, 1)])


def kaleidoscope(n: int, w: int = 1) -> Chain:
    r"""Kaleidoscope ``(BB^*)^w`` chain of size n (T12): strides n/2..1, 1..n/2, w times.

    Notes
    -----
    T12: a butterfly matrix is ``B_n B_{n/2} ... B_2`` with ``supp(B_k) = I_{n/k} ⊗ 1_2 ⊗
    I_{k/2}``; ``B^*`` has the same factor supports in reverse order. The chain has ``2 w log2 n``
    factors and ``4 w n log2 n`` parameters (each factor has ``2n`` nonzeros).

    Examples
    --------
    >>> [p.d for p in kaleidoscope(8).factors]
    [4, 2, 1, 1, 2, 4]
    """
    w = _positive(w, "kaleidoscope w")
    std = list(butterfly(n).factors)
    return Chain((std + std[::-1]) * w)


class TruncatedChain(Chain):
    """An explicit chain that remembers it is a butterfly chain restricted to reached rows.

    ``base`` are the Kronecker patterns of the full standard butterfly (T6) and
    ``reached[l]`` the sorted rows of ``base[l]`` kept in factor ``l`` (``reached[0]`` are the
    outputs, in the order of the rows of ``F[0]``). The masks are explicit (sparse), so every
    consumer sees an ordinary chain; the analysis uses ``base`` and ``reached`` to decide
    every split in closed form (T6, T11) without forming partial products.
    """

    def __init__(self, masks: Sequence[sp.sparray], base: Sequence[KronPattern],
                 reached: Sequence[np.ndarray]) -> None:
        super().__init__(masks)
        self.base: tuple[KronPattern, ...] = tuple(base)
        frozen = []
        for arr in reached:
            a = np.asarray(arr, dtype=np.int64).copy()
            a.flags.writeable = False
            frozen.append(a)
        self.reached: tuple[np.ndarray, ...] = tuple(frozen)


@dataclass(frozen=True, slots=True)
class TruncatedButterfly:
    """A truncated butterfly network (T11): chain, outputs and the weight count."""

    chain: Chain
    outputs: tuple[int, ...]
    weights: int
    bound: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        n = self.chain.shape[1]
        return {"n": n, "outputs": len(self.outputs), "effective_weights": self.weights,
                "bound_2n_log2l_plus_6n": self.bound, "within_bound": self.weights <= self.bound,
                "theorem": "T11"}


def _restricted_factor(pat: KronPattern, rows: np.ndarray, n_rows: int | None
                       ) -> tuple[sp.csr_array, np.ndarray]:
    """Rows ``rows`` of the Kronecker mask ``pat``, built directly (never the full mask).

    Returns the mask (``n_rows`` rows when given, with row ``t`` = ``rows[t]``; else the full
    row count with the other rows empty) and the sorted columns it reaches. O(len(rows) * c).
    """
    import scipy.sparse as sp

    alpha, delta = pat.row_keys(rows)
    base = alpha * pat.c * pat.d + delta
    offs = pat.d * np.arange(pat.c, dtype=np.int64)
    cols = (base[:, None] + offs[None, :]).ravel()
    n_out = n_rows if n_rows is not None else pat.shape[0]
    counts = np.zeros(n_out, dtype=np.int64)
    # rows[t] becomes row t of F[0]; later factors keep their sorted rows in place
    counts[np.arange(rows.size) if n_rows is not None else rows] = pat.c
    indptr = np.zeros(n_out + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    M = sp.csr_array((np.ones(cols.size, dtype=np.int8), cols, indptr),
                     shape=(n_out, pat.shape[1]))
    seen = np.zeros(pat.shape[1], dtype=bool)
    seen[cols] = True
    return M, np.flatnonzero(seen)


def truncated_butterfly(n: int, outputs: int | Sequence[int]) -> TruncatedButterfly:
    r"""Butterfly network on ``n = 2^p`` nodes truncated to a set of output nodes (T11).

    The standard butterfly chain is restricted to the weights on paths that reach an output:
    ``F[0]`` keeps the output rows, and each later factor keeps only the rows reached by the
    previous one. Weights are counted exactly (nnz of the restricted masks).

    Notes
    -----
    Each restricted factor is built directly from its Kronecker pattern and the reached rows
    (O(weights) time and memory, never an ``n x n`` mask); the running number of weights is
    checked against ``MAX_EXPLICIT_NNZ`` before each factor is built.

    Examples
    --------
    >>> T = truncated_butterfly(16, 4)
    >>> T.chain.shape, T.weights, T.weights <= T.bound
    ((4, 16), 88, True)
    """
    p = log2_exact(n)
    if isinstance(outputs, bool):
        outs: tuple = ()
    elif isinstance(outputs, int | np.integer):
        if not 1 <= int(outputs) <= n:
            msg = f"truncated butterfly outputs must be a count in 1..{n}; got {outputs!r}"
            raise InvalidInputError(msg)
        outs = tuple(range(int(outputs)))
    else:
        outs = tuple(outputs)
    valid = all(isinstance(o, int | np.integer) and not isinstance(o, bool) for o in outs)
    if (not outs or not valid or len(set(outs)) != len(outs) or min(outs) < 0
            or max(outs) >= n):
        msg = f"truncated butterfly outputs must be distinct indices in [0, {n}); got {outputs!r}"
        raise InvalidInputError(msg)
    base = butterfly(n).factors
    masks: list[sp.csr_array] = []
    reached: list[np.ndarray] = []
    rows = np.array([int(o) for o in outs], dtype=np.int64)
    total = 0
    for idx in range(p):
        pat = base[idx]
        assert isinstance(pat, KronPattern)  # noqa: S101 - butterfly chains are structured
        # estimate before building: every kept row has exactly c ones
        check_nnz(f"truncated butterfly (first {idx + 1} of {p} factor masks)",
                  total + rows.size * pat.c)
        reached.append(rows)
        M, rows = _restricted_factor(pat, rows, len(outs) if idx == 0 else None)
        masks.append(M)
        total += M.nnz
    chain = TruncatedChain(masks, base, reached)  # type: ignore[arg-type]
    weights = int(total)
    ell = len(outs)
    bound = 2 * n * float(np.log2(ell)) + 6 * n if ell > 1 else 6.0 * n
    return TruncatedButterfly(chain, outs, weights, bound)


def lu(n: int) -> SupportPattern:
    """LU pattern: ``I = J =`` lower-triangular ones (n x n), so X is L and ``Y.T`` is U.

    Examples
    --------
    >>> lu(2).I_dense().tolist()
    [[1, 0], [1, 1]]
    """
    n = _positive(n, "lu n")
    check_dense("LU mask", n, n)
    M = np.tril(np.ones((n, n), dtype=np.int8))
    return SupportPattern(M, M)


def full(m: int, n: int, r: int) -> SupportPattern:
    """Unconstrained rank-r pattern (all-ones masks); structured as ``(1,m,r,1)·(1,r,n,1)``.

    Examples
    --------
    >>> full(3, 4, 2).shape
    (3, 4, 2)
    """
    m, n, r = _positive(m, "full m"), _positive(n, "full n"), _positive(r, "full r")
    return SupportPattern.from_kronecker(KronPattern(1, m, r, 1), KronPattern(1, r, n, 1))


def block_diagonal(blocks: Sequence[Sequence[int]]) -> SupportPattern:
    """Block-diagonal pattern: block t has ``m_t`` rows, ``n_t`` columns and inner rank ``r_t``.

    Examples
    --------
    >>> block_diagonal([[2, 2, 1], [1, 3, 2]]).shape
    (3, 5, 3)
    """
    import scipy.sparse as sp

    if not blocks:
        msg = "block-diagonal pattern needs at least one block [m, n, r]"
        raise InvalidInputError(msg)
    dims = []
    for idx, blk in enumerate(blocks):
        if not isinstance(blk, list | tuple) or len(blk) != 3:
            msg = f"block {idx} must be [m, n, r] (three positive integers); got {blk!r}"
            raise InvalidInputError(msg)
        dims.append(tuple(_positive(v, f"block {idx} entry") for v in blk))
    for what, total in (("block-diagonal m", sum(d[0] for d in dims)),
                        ("block-diagonal n", sum(d[1] for d in dims)),
                        ("block-diagonal r", sum(d[2] for d in dims))):
        check_dim(what, total)
    check_nnz("block-diagonal masks I and J", sum((mb + nb) * rb for mb, nb, rb in dims))
    Is = [sp.csc_array(np.ones((mb, rb), dtype=np.int8)) for mb, _, rb in dims]
    Js = [sp.csc_array(np.ones((nb, rb), dtype=np.int8)) for _, nb, rb in dims]
    return SupportPattern(sp.block_diag(Is, format="csc"), sp.block_diag(Js, format="csc"))


def random_pattern(m: int, n: int, r: int, density: float = 0.3, seed: int = 0) -> SupportPattern:
    """Random two-factor masks: ``round(density * m * r)`` ones in I, likewise in J, uniformly.

    The ones are drawn as ``scipy.sparse.random_array`` draws them (same seed, same masks), with
    32-bit indices and without its 64-bit coordinate and float data arrays.

    Examples
    --------
    >>> random_pattern(4, 5, 3, 0.5, seed=1).shape
    (4, 5, 3)
    """
    m, n, r = _positive(m, "random m"), _positive(n, "random n"), _positive(r, "random r")
    if not isinstance(density, int | float) or not 0.0 < float(density) <= 1.0:
        msg = f"random density must be in (0, 1]; got {density!r}"
        raise InvalidInputError(msg)
    expected = (m + n) * r * float(density)
    if expected > MAX_RANDOM_NNZ:
        msg = (f"random pattern would have about {expected:.0f} nonzeros, above the limit "
               f"MAX_RANDOM_NNZ = {MAX_RANDOM_NNZ}")
        raise SizeLimitError(msg)
    rng = np.random.default_rng(seed)
    I = _random_mask(m, r, float(density), rng)
    J = _random_mask(n, r, float(density), rng)
    return SupportPattern(I, J)


def _random_mask(rows: int, r: int, density: float, rng: np.random.Generator) -> sp.csc_array:
    """Draw a ``rows x r`` 0/1 CSC mask with ``round(density * rows * r)`` ones at random places.

    Draws exactly what ``scipy.sparse.random_array(..., format="csc")`` draws from ``rng`` (the
    flat positions in column-major order, then one float per nonzero, discarded here in
    pieces), so patterns are bit-identical to it, without its 64-bit coordinate arrays, data
    array and format conversion: one sort of the flat positions gives the CSC order directly,
    and the indices are 32-bit. No size check: :func:`random_pattern` checks first.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> a = _random_mask(5, 7, 0.4, np.random.default_rng(3)).toarray()
    >>> b = sp.random_array((5, 7), density=0.4, rng=np.random.default_rng(3), format="csc")
    >>> bool((a == (b.toarray() != 0)).all()), a.dtype.name
    (True, 'int8')
    """
    import scipy.sparse as sp

    size = int(round(density * rows * r))
    flat = rng.choice(rows * r, size=size, replace=False)
    for lo in range(0, size, 1 << 20):  # what scipy's data sampler consumes (one float each)
        rng.uniform(size=min(1 << 20, size - lo))
    flat.sort()
    itype = np.int32 if max(rows, size) < 2**31 else np.int64
    indptr = np.searchsorted(flat, np.arange(r + 1, dtype=np.int64) * rows).astype(itype)
    indices = np.empty(size, dtype=itype)
    np.remainder(flat, rows, out=indices, casting="unsafe")
    del flat
    return sp.csc_array((np.ones(size, dtype=np.int8), indices, indptr), shape=(rows, r))

