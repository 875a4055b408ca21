r"""Immutable support patterns: two-factor masks ``(I, J)`` and chains of factor masks.

Two-factor FSMF (docs/theory.md §1): ``A (m x n) ~ X @ Y.T`` with ``supp(X) ⊆ I (m x r)`` and
``supp(Y) ⊆ J (n x r)``. A chain is ``A ~ F[0] @ ... @ F[L-1]``, factors listed left to right.

Patterns are stored either explicitly (a read-only scipy CSC mask per side) or in structured
form (a pair of :class:`~fsmf_check.model.kronecker.KronPattern`), so that a butterfly split with
``n = 2^16`` never materializes an ``N x N`` array. Partial products of a chain are computed
exactly as boolean products of the masks (integer sparse products clipped to 0/1, no floats,
no cancellation), or by the closed form of T6 for chainable Kronecker chains.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check._limits import MAX_FACTORS, check_dense, check_dim, check_nnz
from fsmf_check.errors import MaskError, ShapeError, SizeLimitError
from fsmf_check.model.kronecker import KronPattern, analyze_kronecker_chain, chain_product

if TYPE_CHECKING:
    import scipy.sparse as sp  # imported where used: `import fsmf_check` stays light

__all__ = ["SupportPattern", "Chain", "as_mask", "bool_product"]


def as_mask(M: object, name: str) -> sp.csc_array:
    """Validate a 0/1 mask (dense array-like, list of 0/1 strings, or scipy sparse).

    Raises
    ------
    MaskError
        If ``M`` is not two-dimensional or has an entry other than 0 and 1.

    Examples
    --------
    >>> as_mask(["10", "11"], "I").toarray().tolist()
    [[1, 0], [1, 1]]
    >>> as_mask([[1, 2]], "J")
    Traceback (most recent call last):
    ...
    fsmf_check.errors.MaskError: mask J must contain only 0 and 1; found 2 at row 0, column 1
    """
    import scipy.sparse as sp

    if sp.issparse(M):
        S = sp.csc_array(M, copy=True)
        if S.ndim != 2:
            msg = f"mask {name} must be two-dimensional"
            raise MaskError(msg)
        check_nnz(f"mask {name}", S.nnz)
        S.sum_duplicates()
        S.eliminate_zeros()
        bad = np.flatnonzero(S.data != 1)
        if bad.size:
            coo = S.tocoo()
            k = int(np.flatnonzero(coo.data != 1)[0])
            msg = (f"mask {name} must contain only 0 and 1; found {coo.data[k]} at row "
                   f"{coo.row[k]}, column {coo.col[k]}")
            raise MaskError(msg)
        out = sp.csc_array((np.ones(S.nnz, dtype=np.int8), S.indices.copy(), S.indptr.copy()),
                           shape=S.shape)
    else:
        if isinstance(M, list | tuple) and M and all(isinstance(row, str) for row in M):
            widths = {len(row) for row in M}
            if len(widths) != 1:
                msg = (f"mask {name} rows must all have the same length; "
                       f"got lengths {sorted(widths)}")
                raise MaskError(msg)
            for i, row in enumerate(M):
                for j, ch in enumerate(row):
                    if ch not in "01":
                        msg = (f"mask {name} must contain only 0 and 1; found {ch!r} at row "
                               f"{i}, column {j}")
                        raise MaskError(msg)
            arr = np.array([[ch == "1" for ch in row] for row in M], dtype=np.int8)
        else:
            try:
                raw = np.asarray(M)
            except (ValueError, TypeError) as exc:
                msg = f"mask {name} must be a rectangular 0/1 array ({exc})"
                raise MaskError(msg) from None
            if raw.dtype == object or raw.ndim != 2:
                msg = f"mask {name} must be a two-dimensional 0/1 array; got shape {raw.shape}"
                raise MaskError(msg)
            check_dense(f"mask {name}", *raw.shape)
            if raw.dtype.kind not in "biuf":
                msg = f"mask {name} must contain only 0 and 1; got dtype {raw.dtype}"
                raise MaskError(msg)
            badpos = np.argwhere((raw != 0) & (raw != 1))
            if badpos.size:
                i, j = (int(v) for v in badpos[0])
                value = raw[i, j]
                shown = int(value) if float(value).is_integer() else value
                msg = f"mask {name} must contain only 0 and 1; found {shown} at row {i}, column {j}"
                raise MaskError(msg)
            arr = raw.astype(np.int8)
        out = sp.csc_array(arr)
    if out.shape[0] == 0 or out.shape[1] == 0:
        msg = f"mask {name} must have at least one row and one column; got shape {out.shape}"
        raise MaskError(msg)
    check_dim(f"mask {name} rows", out.shape[0])
    check_dim(f"mask {name} columns", out.shape[1])
    for arr_ in (out.data, out.indices, out.indptr):
        arr_.flags.writeable = False
    return out


def bool_product(left: sp.sparray, right: sp.sparray) -> sp.csc_array:
    """Return the support of ``left @ right`` as an exact boolean product (0/1 int8, CSC).

    Path counts are computed in int64 and clipped to 1 after every product, so no float and no
    cancellation can enter: the result is the set of (i, j) joined by at least one path.
    """
    import scipy.sparse as sp

    prod = sp.csc_array(left, dtype=np.int64) @ sp.csc_array(right, dtype=np.int64)
    prod = sp.csc_array(prod)
    prod.eliminate_zeros()
    check_nnz("partial product support", prod.nnz)
    out = sp.csc_array((np.ones(prod.nnz, dtype=np.int8), prod.indices, prod.indptr),
                       shape=prod.shape)
    return out


class SupportPattern:
    """An immutable two-factor pattern: ``I`` (m x r) for X and ``J`` (n x r) for Y.

    Build it from explicit masks, or with :meth:`from_kronecker` for a structured pattern
    whose left factor has Kronecker support ``left`` and whose right factor (``Y.T``) has
    Kronecker support ``right``.

    Examples
    --------
    >>> P = SupportPattern(["10", "11"], ["10", "11"])
    >>> P.shape, P.nnz
    ((2, 2, 2), 6)
    >>> SupportPattern(["10"], ["1"])
    Traceback (most recent call last):
    ...
    fsmf_check.errors.ShapeError: I has r = 2 columns but J has r = 1 columns; they must agree
    """

    __slots__ = ("_I", "_J", "_kron", "m", "n", "r", "__dict__")

    def __init__(self, I: object, J: object) -> None:
        Im, Jm = as_mask(I, "I"), as_mask(J, "J")
        if Im.shape[1] != Jm.shape[1]:
            msg = (f"I has r = {Im.shape[1]} columns but J has r = {Jm.shape[1]} columns; "
                   "they must agree")
            raise ShapeError(msg)
        self._I, self._J = Im, Jm
        self._kron: tuple[KronPattern, KronPattern] | None = None
        self.m, self.n, self.r = Im.shape[0], Jm.shape[0], Im.shape[1]

    @classmethod
    def from_kronecker(cls, left: KronPattern, right: KronPattern) -> SupportPattern:
        """Pattern with ``I = left`` (m x r) and ``J = right.T`` where ``right`` is r x n.

        Examples
        --------
        >>> P = SupportPattern.from_kronecker(KronPattern(1, 2, 2, 2), KronPattern(2, 2, 2, 1))
        >>> P.shape, P.is_structured
        ((4, 4, 4), True)
        """
        if left.shape[1] != right.shape[0]:
            msg = (f"left pattern {left} has {left.shape[1]} columns but right pattern {right} "
                   f"has {right.shape[0]} rows; they must agree")
            raise ShapeError(msg)
        self = object.__new__(cls)
        self._I = self._J = None
        self._kron = (left, right)
        self.m, self.n, self.r = left.shape[0], right.shape[1], left.shape[1]
        return self

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(m, n, r)``."""
        return (self.m, self.n, self.r)

    @property
    def is_structured(self) -> bool:
        """True when the pattern is held as a pair of Kronecker patterns (never materialized)."""
        return self._kron is not None

    @property
    def kronecker(self) -> tuple[KronPattern, KronPattern] | None:
        """``(left, right)`` Kronecker patterns of X and of ``Y.T``, or None."""
        return self._kron

    @property
    def nnz(self) -> int:
        """``nnz(I) + nnz(J)``: the size of the description of the rank-one supports."""
        if self._kron is not None:
            return self._kron[0].nnz + self._kron[1].nnz
        return int(self._I.nnz + self._J.nnz)

    @cached_property
    def I(self) -> sp.csc_array:  # noqa: E743
        """The mask of X as a read-only CSC array (materialized on demand, size-checked)."""
        if self._I is not None:
            return self._I
        assert self._kron is not None  # no dense mask: built from Kronecker patterns
        return as_mask(self._kron[0].to_sparse(), "I")

    @cached_property
    def J(self) -> sp.csc_array:
        """The mask of Y (n x r) as a read-only CSC array (materialized on demand)."""
        if self._J is not None:
            return self._J
        assert self._kron is not None  # no dense mask: built from Kronecker patterns
        return as_mask(self._kron[1].to_sparse().T, "J")

    def I_dense(self) -> np.ndarray:
        """Dense int8 copy of I (size-checked)."""
        check_dense("mask I", self.m, self.r)
        return self.I.toarray()

    def J_dense(self) -> np.ndarray:
        """Dense int8 copy of J (size-checked)."""
        check_dense("mask J", self.n, self.r)
        return self.J.toarray()

    def rows(self, k: int) -> np.ndarray:
        """Row set R_k of the rank-one support S_k (sorted)."""
        if self._kron is not None:
            return self._kron[0].rows_of_col(k)
        return np.asarray(self.I.indices[self.I.indptr[k] : self.I.indptr[k + 1]], dtype=np.int64)

    def cols(self, k: int) -> np.ndarray:
        """Column set C_k of the rank-one support S_k (sorted)."""
        if self._kron is not None:
            return self._kron[1].cols_of_row(k)
        return np.asarray(self.J.indices[self.J.indptr[k] : self.J.indptr[k + 1]], dtype=np.int64)

    def describe(self) -> str:
        """One-line description for reports."""
        if self._kron is not None:
            return (f"Kronecker pair I = {self._kron[0]}, J^T = {self._kron[1]} "
                    f"(m={self.m}, n={self.n}, r={self.r})")
        return f"explicit masks (m={self.m}, n={self.n}, r={self.r}, nnz={self.nnz})"

    def __repr__(self) -> str:
        return f"SupportPattern({self.describe()})"


class Chain:
    """An immutable chain of factor masks ``F[0] @ ... @ F[L-1]`` (left to right).

    Each factor is a :class:`KronPattern` or an explicit 0/1 mask. When every factor is a
    Kronecker pattern the chain is *structured* and partial products use the closed form of
    T6 whenever the sub-chain is chainable.

    Examples
    --------
    >>> C = Chain([KronPattern(1, 2, 2, 2), KronPattern(2, 2, 2, 1)])
    >>> C.shape, C.n_factors, C.split(1).shape
    ((4, 4), 2, (4, 4, 4))
    >>> C.partial_support(0, 2)
    KronPattern(a=1, b=4, c=4, d=1)
    """

    __slots__ = ("factors", "__dict__")

    def __init__(self, factors: Sequence[object]) -> None:
        if len(factors) == 0:
            msg = "a chain needs at least one factor"
            raise ShapeError(msg)
        if len(factors) > MAX_FACTORS:
            msg = f"chain has {len(factors)} factors, above the limit MAX_FACTORS = {MAX_FACTORS}"
            raise SizeLimitError(msg)
        facs: list[KronPattern | sp.csc_array] = []
        for idx, f in enumerate(factors):
            facs.append(f if isinstance(f, KronPattern) else as_mask(f, f"F[{idx}]"))
        for idx in range(len(facs) - 1):
            cols = facs[idx].shape[1]
            rows = facs[idx + 1].shape[0]
            if cols != rows:
                msg = (f"factor F[{idx}] has {cols} columns but F[{idx + 1}] has {rows} rows; "
                       "consecutive factors must agree")
                raise ShapeError(msg)
        self.factors = tuple(facs)

    @property
    def n_factors(self) -> int:
        """Number of factors L."""
        return len(self.factors)

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the product."""
        return (self.factors[0].shape[0], self.factors[-1].shape[1])

    @property
    def is_structured(self) -> bool:
        """True when every factor is a Kronecker pattern."""
        return all(isinstance(f, KronPattern) for f in self.factors)

    @property
    def patterns(self) -> tuple[KronPattern, ...] | None:
        """The Kronecker patterns, or None for explicit chains."""
        return self.factors if self.is_structured else None  # type: ignore[return-value]

    def factor_mask(self, idx: int) -> sp.csc_array:
        """Explicit mask of factor ``idx`` (materialized on demand)."""
        f = self.factors[idx]
        return as_mask(f.to_sparse(), f"F[{idx}]") if isinstance(f, KronPattern) else f

    def partial_support(self, p: int, q: int) -> KronPattern | sp.csc_array:
        """Support of ``F[p] @ ... @ F[q-1]`` (0-based, q exclusive), exactly.

        A :class:`KronPattern` when the sub-chain is chainable (closed form, T6),
        otherwise a 0/1 CSC array from exact boolean products.
        """
        if not 0 <= p < q <= self.n_factors:
            msg = f"partial product range [{p}, {q}) is not inside [0, {self.n_factors})"
            raise ShapeError(msg)
        sub = self.factors[p:q]
        if all(isinstance(f, KronPattern) for f in sub):
            closed = chain_product(sub)  # type: ignore[arg-type]
            if closed is not None:
                return closed
        acc = self.factor_mask(p)
        for idx in range(p + 1, q):
            acc = bool_product(acc, self.factor_mask(idx))
        return acc

    def split(self, s: int, p: int = 0, q: int | None = None) -> SupportPattern:
        """Two-factor pattern of the split ``(F[p..s-1]) x (F[s..q-1])`` (0-based, q exclusive).

        ``I`` is the support of the left part and ``J`` the transpose of the right part's
        support, so that ``F[p] ... F[q-1] = X @ Y.T`` (theory §1 convention).
        """
        import scipy.sparse as sp

        q = self.n_factors if q is None else q
        if not p < s < q:
            msg = (f"split {s} must satisfy {p} < split < {q} for a chain with "
                   f"{self.n_factors} factors")
            raise ShapeError(msg)
        left, right = self.partial_support(p, s), self.partial_support(s, q)
        if isinstance(left, KronPattern) and isinstance(right, KronPattern):
            return SupportPattern.from_kronecker(left, right)
        lm = left.to_sparse() if isinstance(left, KronPattern) else left
        rm = right.to_sparse() if isinstance(right, KronPattern) else right
        return SupportPattern(lm, sp.csc_array(rm).T)

    @cached_property
    def kronecker_report(self):  # noqa: ANN201
        """Chainability / redundancy report (T6), or None for explicit chains."""
        return analyze_kronecker_chain(self.patterns) if self.is_structured else None

    def describe(self) -> str:
        """One-line description."""
        if self.is_structured:
            pats = " · ".join(str(p) for p in self.factors)
            return f"Kronecker chain {pats} ({self.shape[0]}x{self.shape[1]})"
        return f"explicit chain of {self.n_factors} factors ({self.shape[0]}x{self.shape[1]})"

    def __repr__(self) -> str:
        return f"Chain({self.describe()})"
