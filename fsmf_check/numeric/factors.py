r"""Compact factor chains: Kronecker-sparse "twiddles" and explicit sparse factors.

A factor with Kronecker support ``(a, b, c, d)`` (T6) is stored as its nonzero values
only, a *twiddle* array ``T`` of shape ``(a, d, b, c)``: the factor's entry at row
``(alpha*b + beta)*d + delta`` and column ``(alpha*c + gamma)*d + delta`` is
``T[alpha, delta, beta, gamma]``. Applying the factor to a vector is then one batched matrix
product ``T @ x`` over ``(alpha, delta)``, so a butterfly chain of size ``N = 2^L`` is applied
in ``O(N log N)`` without ever forming a dense matrix.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check._limits import check_dense
from fsmf_check.errors import ShapeError
from fsmf_check.model.kronecker import KronPattern

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "KroneckerFactors",
    "ButterflyFactors",
    "SparseFactors",
    "twiddle_indices",
    "extract_twiddle",
    "twiddle_to_sparse",
    "apply_twiddle",
]


def twiddle_indices(p: KronPattern) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices (each of shape ``(a, d, b, c)``) of a twiddle's entries.

    Examples
    --------
    >>> r, c = twiddle_indices(KronPattern(1, 2, 2, 2))
    >>> r.ravel().tolist(), c.ravel().tolist()
    ([0, 0, 2, 2, 1, 1, 3, 3], [0, 2, 0, 2, 1, 3, 1, 3])
    """
    a, b, c, d = p.as_tuple()
    al = np.arange(a, dtype=np.int64)[:, None, None, None]
    de = np.arange(d, dtype=np.int64)[None, :, None, None]
    be = np.arange(b, dtype=np.int64)[None, None, :, None]
    ga = np.arange(c, dtype=np.int64)[None, None, None, :]
    rows = np.broadcast_to((al * b + be) * d + de, (a, d, b, c))
    cols = np.broadcast_to((al * c + ga) * d + de, (a, d, b, c))
    return rows, cols


def extract_twiddle(A: np.ndarray, p: KronPattern) -> np.ndarray:
    """Return the entries of ``A`` on the support of ``p`` as a twiddle ``(a, d, b, c)``.

    Notes
    -----
    A reshape of ``A`` to ``(a, b, d, a, c, d)`` and one advanced-indexing gather on the
    ``alpha``/``delta`` diagonals; O(nnz(p)) after the O(1) reshape. No mask is built.

    Examples
    --------
    >>> A = np.arange(16.0).reshape(4, 4)
    >>> extract_twiddle(A, KronPattern(2, 2, 2, 1)).tolist()
    [[[[0.0, 1.0], [4.0, 5.0]]], [[[10.0, 11.0], [14.0, 15.0]]]]
    """
    if A.shape != p.shape:
        msg = f"matrix of shape {A.shape} does not match pattern {p} of shape {p.shape}"
        raise ShapeError(msg)
    a, b, c, d = p.as_tuple()
    if a == 1 and d == 1:
        return A.reshape(1, 1, b, c)
    A6 = A.reshape(a, b, d, a, c, d)
    ia = np.arange(a)[:, None]
    idd = np.arange(d)[None, :]
    return np.ascontiguousarray(A6[ia, :, idd, ia, :, idd])


def twiddle_to_sparse(T: np.ndarray, p: KronPattern) -> sp.csr_array:
    """Return the factor with twiddle ``T`` and support ``p`` as a scipy CSR array.

    Examples
    --------
    >>> twiddle_to_sparse(np.ones((1, 1, 2, 2)), KronPattern(1, 2, 2, 1)).toarray().tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    import scipy.sparse as sp

    rows, cols = twiddle_indices(p)
    return sp.csr_array((np.asarray(T).ravel(), (rows.ravel(), cols.ravel())), shape=p.shape)


def apply_twiddle(T: np.ndarray, p: KronPattern, x: np.ndarray) -> np.ndarray:
    """Compute ``F @ x`` for the factor ``F`` with twiddle ``T`` (x of shape ``(cols, k)``).

    Notes
    -----
    One batched matrix product over the ``a*d`` diagonal blocks: O(nnz(p) * k).

    Examples
    --------
    >>> T = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> p = KronPattern(1, 2, 2, 2)
    >>> x = np.arange(4.0)[:, None]
    >>> bool(np.allclose(apply_twiddle(T, p, x), twiddle_to_sparse(T, p) @ x))
    True
    """
    a, b, c, d = p.as_tuple()
    k = x.shape[1]
    xs = x.reshape(a, c, d, k).transpose(0, 2, 1, 3)
    y = np.matmul(T, xs)
    return y.transpose(0, 2, 1, 3).reshape(a * b * d, k)


class _ChainMixin(ABC):
    """Shared dense/sparse views of a factor chain (left to right)."""

    shape: tuple[int, int]

    @abstractmethod
    def factor_sparse(self, idx: int) -> sp.csr_array:
        """Factor ``idx`` as a scipy CSR array."""

    @property
    def n_factors(self) -> int:
        """Number of factors."""
        return len(self.values)  # type: ignore[attr-defined]

    def to_scipy_sparse(self) -> list[sp.csr_array]:
        """Return the factors as scipy CSR arrays, left to right."""
        return [self.factor_sparse(i) for i in range(self.n_factors)]

    def to_dense(self) -> np.ndarray:
        """Dense product ``F[0] @ ... @ F[L-1]`` (size-checked; small chains only)."""
        check_dense("product of the factors", *self.shape)
        return self.matmat(np.eye(self.shape[1], dtype=self.dtype))  # type: ignore[attr-defined]

    def matvec(self, x: np.ndarray) -> np.ndarray:
        """Apply the chain to a vector ``x`` (shape ``(n,)``) or a block ``(n, k)``."""
        x = np.asarray(x)
        if x.ndim == 1:
            return self.matmat(x[:, None])[:, 0]
        return self.matmat(x)

    @abstractmethod
    def matmat(self, X: np.ndarray) -> np.ndarray:
        """Apply the chain to the columns of ``X`` (shape ``(n, k)``)."""


@dataclass(frozen=True, eq=False)
class KroneckerFactors(_ChainMixin):
    r"""A chain of Kronecker-sparse factors stored as twiddles (T6, T7).

    ``patterns[l]`` is the support of factor ``l`` and ``values[l]`` its twiddle of shape
    ``(a, d, b, c)`` (module doc). The product is ``F[0] @ ... @ F[L-1]``.

    Examples
    --------
    >>> pats = (KronPattern(1, 2, 2, 2), KronPattern(2, 2, 2, 1))
    >>> vals = tuple(np.ones((p.a, p.d, p.b, p.c)) for p in pats)
    >>> F = KroneckerFactors(pats, vals)
    >>> F.to_dense().tolist()[0], F.nnz
    ([1.0, 1.0, 1.0, 1.0], 16)
    >>> F.matvec(np.arange(4.0)).tolist()
    [6.0, 6.0, 6.0, 6.0]
    """

    patterns: tuple[KronPattern, ...]
    values: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        if len(self.patterns) != len(self.values) or not self.patterns:
            msg = "KroneckerFactors needs one twiddle per pattern (at least one factor)"
            raise ShapeError(msg)
        for idx, (p, T) in enumerate(zip(self.patterns, self.values, strict=True)):
            if T.shape != (p.a, p.d, p.b, p.c):
                msg = f"twiddle {idx} has shape {T.shape}; pattern {p} needs {(p.a, p.d, p.b, p.c)}"
                raise ShapeError(msg)
            if idx and self.patterns[idx - 1].shape[1] != p.shape[0]:
                msg = f"factors {idx - 1} and {idx} have mismatched inner dimensions"
                raise ShapeError(msg)
            T.flags.writeable = False

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        """Shape of the product."""
        return (self.patterns[0].shape[0], self.patterns[-1].shape[1])

    @property
    def dtype(self) -> np.dtype:
        """Common dtype of the twiddles."""
        return np.result_type(*self.values)

    @property
    def nnz(self) -> int:
        """Total number of stored values."""
        return int(sum(T.size for T in self.values))

    def factor_sparse(self, idx: int) -> sp.csr_array:
        """Factor ``idx`` as a scipy CSR array."""
        return twiddle_to_sparse(self.values[idx], self.patterns[idx])

    def factor_dense(self, idx: int) -> np.ndarray:
        """Factor ``idx`` as a dense array (size-checked)."""
        check_dense(f"factor {idx}", *self.patterns[idx].shape)
        return self.factor_sparse(idx).toarray()

    def matmat(self, X: np.ndarray) -> np.ndarray:
        """Apply the chain to ``X`` of shape ``(n, k)``: ``O(k * sum_l nnz(F[l]))``."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] != self.shape[1]:
            msg = f"operand has shape {X.shape}; the chain has {self.shape[1]} columns"
            raise ShapeError(msg)
        y = X
        for p, T in zip(reversed(self.patterns), reversed(self.values), strict=True):
            y = apply_twiddle(T, p, y)
        return y

    def transpose(self) -> KroneckerFactors:
        """Return the chain of the transpose: reversed order, patterns ``(a, c, b, d)``."""
        pats = tuple(KronPattern(p.a, p.c, p.b, p.d) for p in reversed(self.patterns))
        vals = tuple(np.ascontiguousarray(T.transpose(0, 1, 3, 2)) for T in reversed(self.values))
        return KroneckerFactors(pats, vals)

    def to_npz_dict(self) -> dict[str, np.ndarray]:
        """Arrays for ``numpy.savez``: ``patterns`` (L x 4) and ``F0``, ``F1``, ... twiddles."""
        out = {"patterns": np.array([p.as_tuple() for p in self.patterns], dtype=np.int64)}
        for idx, T in enumerate(self.values):
            out[f"F{idx}"] = np.asarray(T)
        return out


#: Butterfly chains are Kronecker chains with patterns ``(2^(l-1), 2, 2, N/2^l)`` (or reversed).
ButterflyFactors = KroneckerFactors


@dataclass(frozen=True, eq=False)
class SparseFactors(_ChainMixin):
    """A chain of explicit sparse factors (used for chains without Kronecker structure).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> F = SparseFactors((sp.csr_array(np.eye(2)), sp.csr_array(np.ones((2, 2)))))
    >>> F.to_dense().tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """

    values: tuple[sp.csr_array, ...]

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        """Shape of the product."""
        return (self.values[0].shape[0], self.values[-1].shape[1])

    @property
    def dtype(self) -> np.dtype:
        """Common dtype of the factors."""
        return np.result_type(*[F.dtype for F in self.values])

    @property
    def nnz(self) -> int:
        """Total number of stored values."""
        return int(sum(F.nnz for F in self.values))

    def factor_sparse(self, idx: int) -> sp.csr_array:
        """Factor ``idx`` (CSR)."""
        return self.values[idx]

    def matmat(self, X: np.ndarray) -> np.ndarray:
        """Apply the chain to ``X`` of shape ``(n, k)``."""
        y = np.asarray(X)
        for F in reversed(self.values):
            y = np.asarray(F @ y)
        return y

    def to_npz_dict(self) -> dict[str, np.ndarray]:
        """Arrays for ``numpy.savez``: ``F{l}_data``, ``_indices``, ``_indptr``, ``_shape``."""
        import scipy.sparse as sp

        out: dict[str, np.ndarray] = {}
        for idx, F in enumerate(self.values):
            C = sp.csr_array(F)
            out[f"F{idx}_data"] = C.data
            out[f"F{idx}_indices"] = C.indices
            out[f"F{idx}_indptr"] = C.indptr
            out[f"F{idx}_shape"] = np.array(C.shape, dtype=np.int64)
        return out


