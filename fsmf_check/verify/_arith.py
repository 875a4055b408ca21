r"""Arithmetic of the certificate checker: field scalars, matrices, polynomials, Laurent series.

Only :mod:`fsmf_check.model` scalars (``Fraction``, ``GaussianRational``,
``CyclotomicNumber``) and numpy object arrays; no engine, no python-flint.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from fsmf_check.errors import FsmfError
from fsmf_check.model.cyclotomic import CyclotomicNumber
from fsmf_check.model.fields import Field, parse_scalar
from fsmf_check.model.numbers import GaussianRational

__all__ = ["Malformed", "Refuted", "need", "Scalars", "det", "rank", "consistent", "matmul",
           "nonzero", "same", "kron_mask", "rows_mask", "bool_prod", "MAX_ENTRIES"]

#: Largest matrix (entries) the checker builds.
MAX_ENTRIES = 1 << 26


class Malformed(Exception):
    """The certificate is not the schema (exit 2)."""


class Refuted(Exception):
    """The claim does not follow from the evidence (exit 1)."""


def need(cond: bool, msg: str) -> None:
    """Refute unless ``cond``."""
    if not cond:
        raise Refuted(msg)


def shape_ok(cond: bool, msg: str) -> None:
    """Malformed unless ``cond``."""
    if not cond:
        raise Malformed(msg)


class Scalars:
    """Parser of the exact strings of one field into one scalar type."""

    def __init__(self, field_obj: Any) -> None:
        shape_ok(isinstance(field_obj, dict), "inputs.field must be an object")
        try:
            self.field = Field.from_dict(field_obj)
            if self.field.N not in (1, 4):
                CyclotomicNumber(self.field.N, [0])
        except FsmfError as exc:
            msg = f"inputs.field: {exc}"
            raise Malformed(msg) from None
        self.zero = Fraction(0)
        self.one = Fraction(1)
        self.cache: dict[str, Any] = {}

    def __call__(self, text: Any) -> Any:
        shape_ok(isinstance(text, str), f"exact numbers must be strings; got {text!r}")
        v = self.cache.get(text)
        if v is not None:
            return v
        try:
            v = parse_scalar(text, self.field)
        except (FsmfError, ValueError, ZeroDivisionError) as exc:
            msg = f"not a number of {self.field.name}: {text!r} ({exc})"
            raise Malformed(msg) from None
        N = self.field.N
        if N == 4 and isinstance(v, CyclotomicNumber):
            v = GaussianRational(v.coeffs[0], v.coeffs[1])
        elif N not in (1, 4) and isinstance(v, Fraction):
            v = CyclotomicNumber.from_rational(N, v)
        self.cache[text] = v
        return v

    def dense(self, obj: Any, what: str) -> np.ndarray:
        """``{"shape": [m, n], "rows": [[str]]}``."""
        shape_ok(isinstance(obj, dict) and isinstance(obj.get("rows"), list),
                 f"{what}: a dense matrix needs 'rows'")
        rows = obj["rows"]
        shape_ok(bool(rows) and all(isinstance(r, list) for r in rows)
                 and len({len(r) for r in rows}) == 1, f"{what}: rows of equal length")
        shape_ok(len(rows) * len(rows[0]) <= MAX_ENTRIES, f"{what}: too large to check")
        out = np.empty((len(rows), len(rows[0])), dtype=object)
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                out[i, j] = self(v)
        shape_ok(list(out.shape) == list(obj.get("shape", out.shape)),
                 f"{what}: shape does not match its rows")
        return out

    def sparse(self, obj: Any, what: str) -> np.ndarray:
        """``{"shape": [m, n], "entries": [[i, j, str], ...]}`` (zeros omitted)."""
        shape_ok(isinstance(obj, dict), f"{what}: a sparse matrix must be an object")
        shape = obj.get("shape")
        shape_ok(isinstance(shape, list) and len(shape) == 2
                 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                         for v in shape), f"{what}: bad shape {shape!r}")
        shape_ok(shape[0] * shape[1] <= MAX_ENTRIES, f"{what}: too large to check")
        out = np.full(tuple(shape), self.zero, dtype=object)
        entries = obj.get("entries")
        shape_ok(isinstance(entries, list), f"{what}: 'entries' must be a list")
        for e in entries:
            shape_ok(isinstance(e, list) and len(e) == 3, f"{what}: entries are [i, j, value]")
            i, j, v = e
            shape_ok(isinstance(i, int) and isinstance(j, int) and 0 <= i < shape[0]
                     and 0 <= j < shape[1], f"{what}: entry index out of range: {e!r}")
            out[i, j] = self(v)
        return out


def nonzero(M: np.ndarray) -> np.ndarray:
    """Boolean mask of the nonzero entries."""
    if M.size == 0:
        return np.zeros(M.shape, dtype=bool)
    return np.frompyfunc(bool, 1, 1)(M).astype(bool)


def matmul(P: np.ndarray, F: np.ndarray, zero: Any) -> np.ndarray:
    """Exact product using only the nonzeros of F."""
    out = np.full((P.shape[0], F.shape[1]), zero, dtype=object)
    nzF = nonzero(F)
    for j in range(F.shape[1]):
        acc = None
        for k in np.flatnonzero(nzF[:, j]):
            term = P[:, k] * F[k, j]
            acc = term if acc is None else acc + term
        if acc is not None:
            out[:, j] = acc
    return out


def integer_entries(M: np.ndarray) -> np.ndarray | None:
    """``M`` as Python ints (an object array) when every entry is an integral Fraction.

    Integer certificates (integer targets, integer-gauge factors) are then multiplied in
    Python integers, which is exact and many times faster than Fraction arithmetic.
    """
    flat = M.reshape(-1).tolist()
    if not all(type(v) is Fraction and v.denominator == 1 for v in flat):
        return None
    out = np.empty(M.shape, dtype=object)
    out.reshape(-1)[:] = [v.numerator for v in flat]
    return out


def same(A: np.ndarray, B: np.ndarray) -> bool:
    """Exact equality of two matrices."""
    return A.shape == B.shape and not nonzero(A - B).any()


def det(M: np.ndarray) -> Any:
    """Return the determinant by Gaussian elimination over the field (divisions by pivots only).

    Examples
    --------
    >>> det(np.array([[Fraction(1), Fraction(2)], [Fraction(3), Fraction(4)]], dtype=object))
    Fraction(-2, 1)
    """
    n = M.shape[0]
    R = [list(row) for row in M]
    d: Any = Fraction(1)
    for col in range(n):
        piv = next((i for i in range(col, n) if R[i][col]), None)
        if piv is None:
            return Fraction(0)
        if piv != col:
            R[col], R[piv] = R[piv], R[col]
            d = -d
        p = R[col][col]
        d = d * p
        for i in range(col + 1, n):
            if R[i][col]:
                f = R[i][col] / p
                R[i] = [a - f * b for a, b in zip(R[i], R[col], strict=True)]
    return d


def rank(M: np.ndarray) -> int:
    """Return the rank by Gaussian elimination over the field (divisions by pivots only).

    Examples
    --------
    >>> rank(np.array([[Fraction(1), Fraction(2)], [Fraction(2), Fraction(4)]], dtype=object))
    1
    """
    R = [list(row) for row in M]
    n_cols = M.shape[1] if M.ndim == 2 else 0
    r = 0
    for col in range(n_cols):
        piv = next((i for i in range(r, len(R)) if R[i][col]), None)
        if piv is None:
            continue
        R[r], R[piv] = R[piv], R[r]
        p = R[r][col]
        for i in range(r + 1, len(R)):
            if R[i][col]:
                f = R[i][col] / p
                R[i] = [a - f * b for a, b in zip(R[i], R[r], strict=True)]
        r += 1
    return r


def consistent(rows: list[dict[int, Any]], rhs: list[Any]) -> bool:
    """Whether the sparse linear system ``sum_k rows[e][k] x_k == rhs[e]`` has a solution.

    Exact Gaussian elimination over the field of the coefficients (divisions by pivots only):
    each equation is reduced by the pivot rows found before it, in order; a row that reduces to
    ``0 == c`` with ``c != 0`` proves the system inconsistent.

    Examples
    --------
    >>> one = Fraction(1)
    >>> consistent([{0: one, 1: one}, {0: one, 1: one}], [one, Fraction(2)])
    False
    >>> consistent([{0: one, 1: one}, {0: one}], [one, Fraction(2)])
    True
    """
    pivots: list[tuple[int, dict[int, Any], Any]] = []
    for row, c in zip(rows, rhs, strict=True):
        r = {k: v for k, v in row.items() if v}
        for p, prow, pc in pivots:
            f = r.get(p)
            if not f:
                continue
            for k, v in prow.items():
                w = r.get(k, 0) - f * v
                if w:
                    r[k] = w
                else:
                    r.pop(k, None)
            c = c - f * pc
        if not r:
            if c:
                return False
            continue
        p = min(r)
        inv = 1 / r[p]
        pivots.append((p, {k: v * inv for k, v in r.items()}, c * inv))
    return True


def kron_mask(t: Any) -> np.ndarray:
    """Mask of ``I_a ⊗ 1_{b x c} ⊗ I_d``."""
    shape_ok(isinstance(t, list) and len(t) == 4
             and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in t),
             f"a Kronecker pattern is four positive integers; got {t!r}")
    a, b, c, d = t
    shape_ok(a * b * d * a * c * d <= MAX_ENTRIES, "Kronecker pattern too large to check")
    return np.kron(np.kron(np.eye(a, dtype=bool), np.ones((b, c), dtype=bool)),
                   np.eye(d, dtype=bool)).astype(bool)


def rows_mask(rows: Any) -> np.ndarray:
    """Mask from a list of 0/1 strings."""
    shape_ok(isinstance(rows, list) and bool(rows) and all(isinstance(r, str) for r in rows),
             "a mask is a non-empty list of 0/1 strings")
    shape_ok(len({len(r) for r in rows}) == 1, "mask rows must have equal lengths")
    shape_ok(all(set(r) <= {"0", "1"} for r in rows), "mask rows contain only 0 and 1")
    shape_ok(len(rows) * len(rows[0]) <= MAX_ENTRIES, "mask too large to check")
    return np.array([[ch == "1" for ch in r] for r in rows], dtype=bool)


def bool_prod(masks: list[np.ndarray]) -> np.ndarray:
    """Support of a product of masks (path existence)."""
    acc = masks[0].astype(np.int64)
    for M in masks[1:]:
        acc = ((acc @ M.astype(np.int64)) > 0).astype(np.int64)
    return acc > 0


# --------------------------------------------------------------------------------------------
# polynomials with named variables: {((name, exp), ...): coefficient}

Mono = tuple[tuple[str, int], ...]
SPoly = dict[Mono, Any]


def mono_mul(a: Mono, b: Mono) -> Mono:
    """Product of two monomials (sorted by variable name)."""
    d = dict(a)
    for v, e in b:
        d[v] = d.get(v, 0) + e
    return tuple(sorted(d.items()))


def spoly_addmul(acc: SPoly, p: SPoly, q: SPoly) -> None:
    """``acc += p * q`` in place."""
    for m1, a in p.items():
        for m2, b in q.items():
            m = mono_mul(m1, m2)
            w = acc.get(m, 0) + a * b
            if w:
                acc[m] = w
            else:
                acc.pop(m, None)


def parse_spoly(obj: Any, scal: Scalars, what: str) -> SPoly:
    """``[[coefficient, [[variable, exponent], ...]], ...]``."""
    shape_ok(isinstance(obj, list), f"{what}: a polynomial is a list of terms")
    out: SPoly = {}
    for term in obj:
        shape_ok(isinstance(term, list) and len(term) == 2 and isinstance(term[1], list),
                 f"{what}: a term is [coefficient, [[variable, exponent], ...]]")
        mono: Mono = ()
        for ve in term[1]:
            shape_ok(isinstance(ve, list) and len(ve) == 2 and isinstance(ve[0], str)
                     and isinstance(ve[1], int) and not isinstance(ve[1], bool)
                     and 0 < ve[1] <= 64, f"{what}: bad variable power {ve!r}")
            mono = mono_mul(mono, ((ve[0], ve[1]),))
        w = out.get(mono, 0) + scal(term[0])
        if w:
            out[mono] = w
        else:
            out.pop(mono, None)
    return out


def parse_laurent(obj: Any, scal: Scalars, what: str) -> dict[int, Any]:
    """``[[exponent, coefficient], ...]`` -> ``{exponent: coefficient}``."""
    shape_ok(isinstance(obj, list), f"{what}: a Laurent polynomial is [[exponent, c], ...]")
    out: dict[int, Any] = {}
    for term in obj:
        shape_ok(isinstance(term, list) and len(term) == 2 and isinstance(term[0], int)
                 and not isinstance(term[0], bool) and abs(term[0]) <= 4096,
                 f"{what}: bad Laurent term {term!r}")
        out[term[0]] = out.get(term[0], 0) + scal(term[1])
    return {e: c for e, c in out.items() if c}


def laurent_mul_add(acc: dict[int, Any], p: dict[int, Any], q: dict[int, Any]) -> None:
    """``acc += p * q`` in place."""
    for e1, a in p.items():
        for e2, b in q.items():
            acc[e1 + e2] = acc.get(e1 + e2, 0) + a * b
