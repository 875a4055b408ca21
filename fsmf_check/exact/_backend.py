r"""The exact-matrix layer: fields, scalars and the small backend interface.

A :class:`Field` is ``Q`` (conductor 1), ``Q(i) = Q(zeta_4)`` or ``Q(zeta_N)``. A backend is
bound to one field and provides its scalar type and the matrix operations the engines need:
``rank``, ``rref``, ``nullspace``, ``solve``, ``matmul``, ``submatrix``, ``equal`` and ``det``.
Matrices are numpy ``object`` arrays of backend scalars (exact Python objects, never floats),
so engines can use numpy indexing and elementwise arithmetic while every arithmetic operation
stays exact.

Two backends exist: ``"flint"`` (default; python-flint, imported only in
:mod:`fsmf_check.exact._flint`) and ``"sympy"`` (``DomainMatrix``; a slower, independent
implementation used as a cross-check in the tests).

Public exact scalars (what users pass in and get back) are :class:`fractions.Fraction`,
:class:`fsmf_check.model.numbers.GaussianRational` and
:class:`fsmf_check.model.cyclotomic.CyclotomicNumber`; floats are refused with
:class:`~fsmf_check.errors.ExactnessError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from fractions import Fraction
from typing import Any

import numpy as np

from fsmf_check.errors import ExactnessError, InvalidInputError
from fsmf_check.model.cyclotomic import CyclotomicNumber
from fsmf_check.model.fields import Field, field_of, parse_scalar
from fsmf_check.model.numbers import GaussianRational, format_exact

__all__ = ["Field", "ExactBackend", "get_backend", "BACKENDS", "field_of", "parse_scalar"]

BACKENDS = ("flint", "sympy")


class ExactBackend(ABC):
    """Exact linear algebra over one :class:`Field` (abstract base with generic elimination).

    Subclasses provide the scalar conversion (:meth:`scalar`, :meth:`to_public`,
    :meth:`root_of_unity`) and may override the matrix routines with faster native ones.
    Every routine takes and returns numpy ``object`` arrays of backend scalars.
    """

    name = "abstract"

    def __init__(self, field: Field) -> None:
        self.field = field
        self.zero = self.scalar(0)
        self.one = self.scalar(1)

    # ---- scalars -------------------------------------------------------------------------
    @abstractmethod
    def scalar(self, x: object) -> Any:
        """Convert a public exact scalar (int, Fraction, GaussianRational, CyclotomicNumber)."""

    @abstractmethod
    def to_public(self, s: object) -> Fraction | GaussianRational | CyclotomicNumber:
        """Convert a backend scalar back to the public type of this field."""

    def root_of_unity(self, e: int) -> Any:
        """``z^e`` with ``z = zeta_N``."""
        if self.field.N == 1:
            return self.one
        return self.scalar(CyclotomicNumber.root_of_unity(self.field.N, e))

    def is_zero(self, s: object) -> bool:
        """Exact zero test."""
        return not s

    def _public_check(self, x: object) -> None:
        f = field_of(x)
        if self.field.join(f) != self.field:
            msg = f"entry {format_exact(x)} does not lie in {self.field.name}"
            raise ExactnessError(msg)

    # ---- arrays --------------------------------------------------------------------------
    def zeros(self, m: int, n: int) -> np.ndarray:
        """Return an m x n matrix of exact zeros."""
        return np.full((m, n), self.zero, dtype=object)

    def identity(self, n: int) -> np.ndarray:
        """Return the n x n identity."""
        out = self.zeros(n, n)
        for i in range(n):
            out[i, i] = self.one
        return out

    def array(self, rows: object) -> np.ndarray:
        """Matrix of backend scalars from rows of public exact scalars (refuses floats)."""
        raw = rows if isinstance(rows, np.ndarray) else np.array(rows, dtype=object)
        if raw.ndim != 2:
            msg = f"an exact matrix must be two-dimensional; got {raw.ndim} dimensions"
            raise InvalidInputError(msg)
        if raw.dtype.kind in "fc":
            msg = ("the exact engine needs exact entries (int, Fraction, GaussianRational or "
                   f"CyclotomicNumber); got a {raw.dtype} array")
            raise ExactnessError(msg)
        out = np.empty(raw.shape, dtype=object)
        flat_in, flat_out = raw.reshape(-1), out.reshape(-1)
        cache: dict[object, object] = {}
        for t in range(flat_in.size):
            x = flat_in[t]
            if isinstance(x, np.integer):
                x = int(x)
            key = (type(x), x) if isinstance(x, int | Fraction) else None
            if key is not None and key in cache:
                flat_out[t] = cache[key]
                continue
            s = self.scalar(x)
            if key is not None:
                cache[key] = s
            flat_out[t] = s
        return out

    def to_public_array(self, M: np.ndarray) -> list[list[object]]:
        """Rows of public exact scalars."""
        return [[self.to_public(v) for v in row] for row in M]

    def nonzero_mask(self, M: np.ndarray) -> np.ndarray:
        """Boolean mask of the exactly nonzero entries."""
        if M.size == 0:
            return np.zeros(M.shape, dtype=bool)
        return M.astype(bool)  # PyObject_IsTrue per entry: the exact zero test

    # ---- matrix routines (generic, overridden where a native routine exists) -------------
    def submatrix(self, M: np.ndarray, rows: object, cols: object) -> np.ndarray:
        """``M[rows][:, cols]`` (a copy)."""
        return M[np.ix_(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))]

    def equal(self, A: np.ndarray, B: np.ndarray) -> bool:
        """Exact equality of two matrices of the same field."""
        if A.shape != B.shape:
            return False
        return all(a == b for a, b in zip(A.reshape(-1), B.reshape(-1), strict=True))

    def matmul(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """Exact product ``A @ B`` (skips structural zeros)."""
        if A.shape[1] != B.shape[0]:
            msg = f"cannot multiply {A.shape} by {B.shape}"
            raise InvalidInputError(msg)
        out = self.zeros(A.shape[0], B.shape[1])
        Bnz = self.nonzero_mask(B)
        for k in range(A.shape[1]):
            cols = np.flatnonzero(Bnz[k])
            if cols.size == 0:
                continue
            a = A[:, k]
            rows = np.flatnonzero(self.nonzero_mask(a[:, None])[:, 0])
            if rows.size == 0:
                continue
            out[np.ix_(rows, cols)] = out[np.ix_(rows, cols)] + np.multiply.outer(
                a[rows], B[k, cols])
        return out

    def rref(self, M: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        """Reduced row echelon form and pivot columns (generic Gauss-Jordan)."""
        R = M.copy()
        m, n = R.shape
        pivots: list[int] = []
        row = 0
        for col in range(n):
            if row >= m:
                break
            piv = next((i for i in range(row, m) if not self.is_zero(R[i, col])), None)
            if piv is None:
                continue
            if piv != row:
                R[[row, piv]] = R[[piv, row]]
            inv = self.one / R[row, col]
            R[row] = R[row] * inv
            for i in range(m):
                if i != row and not self.is_zero(R[i, col]):
                    R[i] = R[i] - R[row] * R[i, col]
            pivots.append(col)
            row += 1
        return R, tuple(pivots)

    def rank(self, M: np.ndarray) -> int:
        """Exact rank."""
        if M.size == 0:
            return 0
        return len(self.rref(M)[1])

    def nullspace(self, M: np.ndarray) -> np.ndarray:
        """Basis of ``{x : M x = 0}`` as the columns of an n x k matrix."""
        m, n = M.shape
        R, piv = self.rref(M)
        free = [j for j in range(n) if j not in piv]
        out = self.zeros(n, len(free))
        for t, f in enumerate(free):
            out[f, t] = self.one
            for r, p in enumerate(piv):
                out[p, t] = -R[r, f]
        return out

    def solve(self, M: np.ndarray, B: np.ndarray) -> np.ndarray | None:
        """One solution X of ``M X = B`` (free variables 0), or None if inconsistent."""
        m, n = M.shape
        aug = np.concatenate([M, B], axis=1)
        R, piv = self.rref(aug)
        if any(p >= n for p in piv):
            return None
        X = self.zeros(n, B.shape[1])
        for r, p in enumerate(piv):
            X[p] = R[r, n:]
        return X

    def det(self, M: np.ndarray) -> Any:
        """Exact determinant of a square matrix (generic elimination)."""
        n = M.shape[0]
        if M.shape != (n, n):
            msg = f"det needs a square matrix; got {M.shape}"
            raise InvalidInputError(msg)
        R = M.copy()
        d = self.one
        for col in range(n):
            piv = next((i for i in range(col, n) if not self.is_zero(R[i, col])), None)
            if piv is None:
                return self.zero
            if piv != col:
                R[[col, piv]] = R[[piv, col]]
                d = -d
            d = d * R[col, col]
            inv = self.one / R[col, col]
            for i in range(col + 1, n):
                if not self.is_zero(R[i, col]):
                    R[i] = R[i] - R[col] * (R[i, col] * inv)
        return d


_CACHE: dict[tuple[str, int], ExactBackend] = {}


def get_backend(name: str = "flint", field: Field | int = 1) -> ExactBackend:
    """Return the backend ``name`` (``"flint"`` or ``"sympy"``) bound to ``field``.

    Examples
    --------
    >>> bk = get_backend("flint", Field(1))
    >>> bk.rank(bk.array([[1, 2], [2, 4]]))
    1
    >>> get_backend("numpy")
    Traceback (most recent call last):
    ...
    fsmf_check.errors.InvalidInputError: exact backend must be one of flint, sympy; got 'numpy'
    """
    if isinstance(field, int):
        field = Field(field)
    key = (name, field.N)
    if key in _CACHE:
        return _CACHE[key]
    if name == "flint":
        from fsmf_check.exact._flint import FlintBackend

        bk: ExactBackend = FlintBackend(field)
    elif name == "sympy":
        from fsmf_check.exact._sympy import SympyBackend

        bk = SympyBackend(field)
    else:
        msg = f"exact backend must be one of {', '.join(BACKENDS)}; got {name!r}"
        raise InvalidInputError(msg)
    _CACHE[key] = bk
    return bk
