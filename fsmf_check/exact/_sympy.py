r"""sympy ``DomainMatrix`` backend of the exact-matrix layer (independent cross-check).

Q uses ``QQ``; Q(zeta_N) (including Q(i) = Q(zeta_4)) uses ``QQ.cyclotomic_field(N)`` with the
generator mapped explicitly to ``z = zeta_N`` (EXACT_NOTES pitfall 10: never let sympy pick a
primitive element). Every matrix routine goes through ``DomainMatrix``; it is pure Python for
number fields and about 10x slower than flint over Q, so the tests use it on small matrices
only (EXACT_NOTES: sympy's cyclotomic linear algebra is unusable above N = 256).
Elements of a cyclotomic field are compared with ``bool`` / ``==`` between field elements
only (``K.zero == 0`` is False in sympy).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from fsmf_check.errors import ExactnessError
from fsmf_check.exact._backend import ExactBackend, Field
from fsmf_check.model.cyclotomic import CyclotomicNumber
from fsmf_check.model.numbers import GaussianRational

__all__ = ["SympyBackend"]


def _frac(c: object) -> Fraction:
    return Fraction(str(c))


class SympyBackend(ExactBackend):
    """Exact linear algebra with sympy's ``DomainMatrix`` (reference backend).

    Examples
    --------
    >>> from fsmf_check.exact._backend import Field
    >>> bk = SympyBackend(Field(4))
    >>> i = bk.root_of_unity(1)
    >>> bk.to_public(i * i).to_exact_string()
    '-1'
    >>> bk.rank(bk.array([[1, 2], [2, 4]]))
    1
    """

    name = "sympy"

    def __init__(self, field: Field) -> None:
        self._z: Any
        if field.N == 1:
            self.K = QQ
            self._z = None
        else:
            self.K = QQ.cyclotomic_field(field.N)
            self._z = self.K([1, 0])
        self._powers: dict[int, object] = {}
        super().__init__(field)

    def _rat(self, x: object) -> object:
        if isinstance(x, bool):
            msg = "booleans are not exact numbers"
            raise ExactnessError(msg)
        if isinstance(x, int | np.integer):
            return QQ(int(x))
        if isinstance(x, Fraction):
            return QQ(x.numerator, x.denominator)
        msg = f"cannot convert {type(x).__name__} to an exact rational"
        raise ExactnessError(msg)

    def _power(self, e: int) -> object:
        e %= self.field.N
        if e not in self._powers:
            self._powers[e] = self._z ** e if e else self.K.one
        return self._powers[e]

    def scalar(self, x: object) -> object:
        N = self.field.N
        if isinstance(x, GaussianRational):
            if x.im == 0:
                x = x.re
            elif N % 4:
                msg = f"entry {x.to_exact_string()} does not lie in {self.field.name}"
                raise ExactnessError(msg)
            else:
                return (self.K.convert(self._rat(x.re)) +
                        self._power(N // 4) * self.K.convert(self._rat(x.im)))
        if isinstance(x, CyclotomicNumber):
            if x.is_rational:
                x = x.coeffs[0]
            elif N % x.N:
                msg = f"entry {x.to_exact_string()} of Q(zeta_{x.N}) is not in {self.field.name}"
                raise ExactnessError(msg)
            else:
                step = N // x.N
                acc = self.K.zero
                for k, c in enumerate(x.coeffs):
                    if c:
                        acc = acc + self._power(k * step) * self.K.convert(self._rat(c))
                return acc
        if not isinstance(x, int | Fraction | np.integer) or isinstance(x, bool):
            if N > 1 and getattr(x, "__class__", None) is type(self.K.one):
                return x
            if N == 1 and type(x) is type(QQ(1)):
                return x
            self._public_check(x)
        return self.K.convert(self._rat(x))

    def to_public(self, s: object) -> Fraction | GaussianRational | CyclotomicNumber:
        if self.field.N == 1:
            return _frac(s)
        coeffs = [_frac(c) for c in reversed(s.to_list())]  # type: ignore[attr-defined]
        if self.field.N == 4:
            coeffs += [Fraction(0)] * (2 - len(coeffs))
            return GaussianRational(coeffs[0], coeffs[1])
        return CyclotomicNumber(self.field.N, coeffs)

    def root_of_unity(self, e: int) -> object:
        if self.field.N == 1:
            return self.one
        return self._power(e)

    # ---- DomainMatrix routines -----------------------------------------------------------
    def _dm(self, M: np.ndarray) -> DomainMatrix:
        return DomainMatrix([list(row) for row in M], M.shape, self.K)

    def _from_dm(self, D: DomainMatrix) -> np.ndarray:
        m, n = D.shape
        out = np.empty((m, n), dtype=object)
        for i, row in enumerate(D.to_list()):
            for j, v in enumerate(row):
                out[i, j] = v
        return out

    def rank(self, M: np.ndarray) -> int:
        if M.size == 0:
            return 0
        return int(self._dm(M).rank())

    def rref(self, M: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        if M.size == 0:
            return M.copy(), ()
        R, piv = self._dm(M).rref()
        return self._from_dm(R), tuple(int(p) for p in piv)

    def nullspace(self, M: np.ndarray) -> np.ndarray:
        if M.shape[1] == 0:
            return self.zeros(0, 0)
        if M.shape[0] == 0:
            return self.identity(M.shape[1])
        basis = self._dm(M).nullspace()  # rows
        if basis.shape[0] == 0:
            return self.zeros(M.shape[1], 0)
        return self._from_dm(basis).T.copy()

    def det(self, M: np.ndarray) -> object:
        if M.shape == (0, 0):
            return self.one
        return self._dm(M).det()

    def matmul(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        if A.size == 0 or B.size == 0:
            return super().matmul(A, B)
        return self._from_dm(self._dm(A).matmul(self._dm(B)))

    def equal(self, A: np.ndarray, B: np.ndarray) -> bool:
        if A.shape != B.shape:
            return False
        return all(not (a - b) for a, b in zip(A.reshape(-1), B.reshape(-1), strict=True))
