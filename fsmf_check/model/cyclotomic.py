r"""Exact elements of the cyclotomic field Q(zeta_N), backend-free (pure Python, Fractions).

An element is stored in the power basis ``1, z, ..., z^(d-1)`` with ``z = zeta_N =
exp(2*pi*i/N)`` and ``d = phi(N)``, reduced modulo the cyclotomic polynomial ``Phi_N``; the
coefficient tuple is therefore canonical and equality is tuple equality.

String form (used in certificates and JSON; documented in docs/reference/json-report.md):
a sum of terms ``c*z^k`` with rational ``c`` written ``p/q``, e.g. ``"z^3"``, ``"z - 1/2*z^2"``,
``"3"``; ``"0"`` for zero. Terms are written in increasing powers, reduced mod ``Phi_N``.
``Q(i)`` is ``Q(zeta_4)``: ``i = z``. The DFT matrix of size N has entries
``DFT[j, k] = z^(-j*k mod N)`` (numpy's ``fft`` sign convention).

Notes
-----
T9 (DFT over Q(zeta_N)). Exact. Multiplication is O(d^2) Fraction operations; this
module is meant for input/output and for small checks, the engines use the backend scalars of
:mod:`fsmf_check.exact._flint` or :mod:`fsmf_check.exact._sympy`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from fsmf_check.errors import ExactnessError, InvalidInputError

__all__ = ["CyclotomicNumber", "cyclotomic_poly", "euler_phi", "parse_cyclotomic",
           "MAX_CONDUCTOR"]

#: Largest conductor N accepted for Q(zeta_N) (the degree phi(N) drives every cost).
MAX_CONDUCTOR = 4096


def euler_phi(N: int) -> int:
    """Euler's totient (the degree of Q(zeta_N)).

    Examples
    --------
    >>> euler_phi(8), euler_phi(12), euler_phi(1)
    (4, 4, 1)
    """
    out, n, p = N, N, 2
    while p * p <= n:
        if n % p == 0:
            while n % p == 0:
                n //= p
            out -= out // p
        p += 1
    if n > 1:
        out -= out // n
    return out


def _poly_divexact(num: list[int], den: list[int]) -> list[int]:
    """Exact division of integer polynomials (coefficient lists, lowest degree first)."""
    num = list(num)
    out = [0] * (len(num) - len(den) + 1)
    lead = den[-1]
    for k in range(len(out) - 1, -1, -1):
        q, rem = divmod(num[k + len(den) - 1], lead)
        if rem:
            msg = "cyclotomic polynomial division is not exact"
            raise ArithmeticError(msg)
        out[k] = q
        for t, c in enumerate(den):
            num[k + t] -= q * c
    return out


@lru_cache(maxsize=64)
def cyclotomic_poly(N: int) -> tuple[int, ...]:
    """Integer coefficients of ``Phi_N``, lowest degree first.

    Examples
    --------
    >>> cyclotomic_poly(8), cyclotomic_poly(6)
    ((1, 0, 0, 0, 1), (1, -1, 1))
    """
    if N < 1:
        msg = f"cyclotomic conductor must be >= 1; got {N}"
        raise InvalidInputError(msg)
    num = [-1] + [0] * (N - 1) + [1]
    for d in range(1, N):
        if N % d == 0:
            num = _poly_divexact(num, list(cyclotomic_poly(d)))
    return tuple(num)


@lru_cache(maxsize=64)
def _power_table(N: int) -> tuple[tuple[Fraction, ...], ...]:
    """Power-basis coordinates of z^e for e = 0 .. N-1."""
    phi = cyclotomic_poly(N)
    d = len(phi) - 1
    rows = []
    cur = [0] * d
    cur[0] = 1
    for _ in range(N):
        rows.append(tuple(Fraction(c) for c in cur))
        # multiply by z and reduce with the monic Phi_N
        top = cur[-1]
        cur = [0, *cur[:-1]]
        if top:
            cur = [c - top * p for c, p in zip(cur, phi[:-1], strict=True)]
    return tuple(rows)


def _check_conductor(N: object) -> int:
    if isinstance(N, bool) or not isinstance(N, int) or N < 1 or N > MAX_CONDUCTOR:
        msg = f"cyclotomic conductor N must be an integer in 1..{MAX_CONDUCTOR}; got {N!r}"
        raise InvalidInputError(msg)
    return N


class CyclotomicNumber:
    """An exact element of Q(zeta_N) (power basis, reduced mod Phi_N).

    Examples
    --------
    >>> z = CyclotomicNumber.root_of_unity(8, 1)
    >>> (z ** 4).to_exact_string(), (z ** 5).to_exact_string()
    ('-1', '-z')
    >>> (z + Fraction(1, 2)).to_exact_string()
    '1/2 + z'
    >>> CyclotomicNumber.root_of_unity(8, 3) == z ** 3
    True
    """

    __slots__ = ("N", "coeffs")

    def __init__(self, N: int, coeffs: object) -> None:
        N = _check_conductor(N)
        d = euler_phi(N)
        vals = []
        for c in coeffs:  # type: ignore[attr-defined]
            if isinstance(c, bool) or not isinstance(c, int | Fraction):
                msg = f"cyclotomic coefficients must be int or Fraction; got {type(c).__name__}"
                raise ExactnessError(msg)
            vals.append(Fraction(c))
        if len(vals) > d:
            vals = list(_reduce(N, vals))
        vals += [Fraction(0)] * (d - len(vals))
        self.N = N
        self.coeffs = tuple(vals)

    @classmethod
    def root_of_unity(cls, N: int, e: int, c: int | Fraction = 1) -> CyclotomicNumber:
        """Return ``c * z^e`` in Q(zeta_N)."""
        N = _check_conductor(N)
        row = _power_table(N)[e % N]
        c = Fraction(c)
        return cls(N, [c * v for v in row])

    @classmethod
    def from_rational(cls, N: int, value: int | Fraction) -> CyclotomicNumber:
        """Embed a rational number."""
        return cls(N, [Fraction(value)])

    def _coerce(self, other: object) -> CyclotomicNumber:
        if isinstance(other, CyclotomicNumber):
            if other.N != self.N:
                msg = f"cannot combine elements of Q(zeta_{self.N}) and Q(zeta_{other.N})"
                raise InvalidInputError(msg)
            return other
        if isinstance(other, int | Fraction) and not isinstance(other, bool):
            return CyclotomicNumber(self.N, [Fraction(other)])
        msg = f"cannot combine a cyclotomic number with {type(other).__name__} exactly"
        raise ExactnessError(msg)

    def __add__(self, other: object) -> CyclotomicNumber:
        o = self._coerce(other)
        return CyclotomicNumber(self.N, [a + b for a, b in zip(self.coeffs, o.coeffs,
                                                                strict=True)])

    __radd__ = __add__

    def __neg__(self) -> CyclotomicNumber:
        return CyclotomicNumber(self.N, [-a for a in self.coeffs])

    def __sub__(self, other: object) -> CyclotomicNumber:
        return self + (-self._coerce(other))

    def __rsub__(self, other: object) -> CyclotomicNumber:
        return self._coerce(other) - self

    def __mul__(self, other: object) -> CyclotomicNumber:
        o = self._coerce(other)
        prod = [Fraction(0)] * (2 * len(self.coeffs) - 1)
        for s, a in enumerate(self.coeffs):
            if a:
                for t, b in enumerate(o.coeffs):
                    if b:
                        prod[s + t] += a * b
        return CyclotomicNumber(self.N, _reduce(self.N, prod))

    __rmul__ = __mul__

    def inverse(self) -> CyclotomicNumber:
        """Multiplicative inverse (extended Euclid of the element and ``Phi_N`` over Q).

        Raises
        ------
        ZeroDivisionError
            For zero.

        Examples
        --------
        >>> z = CyclotomicNumber.root_of_unity(8, 1)
        >>> (1 + z).inverse() * (1 + z) == 1, (z / z ** 3).to_exact_string()
        (True, '-z^2')
        """
        if not self:
            msg = "inverse of zero in Q(zeta_N)"
            raise ZeroDivisionError(msg)
        a = _trim(list(self.coeffs))
        b = _trim([Fraction(c) for c in cyclotomic_poly(self.N)])
        # invariants: s_a * self == a and s_b * self == b (mod Phi_N)
        s_a: list[Fraction] = [Fraction(1)]
        s_b: list[Fraction] = []
        while len(b) > 0:
            q, r = _poly_divmod(a, b)
            a, b = b, r
            s_a, s_b = s_b, _poly_sub(s_a, _poly_mul(q, s_b))
        # a is a nonzero constant (gcd with the irreducible Phi_N)
        c = a[0]
        return CyclotomicNumber(self.N, _reduce(self.N, [v / c for v in s_a]))

    def __truediv__(self, other: object) -> CyclotomicNumber:
        return self * self._coerce(other).inverse()

    def __rtruediv__(self, other: object) -> CyclotomicNumber:
        return self._coerce(other) * self.inverse()

    def __pow__(self, k: int) -> CyclotomicNumber:
        if k < 0:
            return self.inverse() ** (-k)
        out = CyclotomicNumber(self.N, [1])
        for _ in range(k):
            out = out * self
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CyclotomicNumber):
            return self.N == other.N and self.coeffs == other.coeffs
        if isinstance(other, int | Fraction) and not isinstance(other, bool):
            return self.coeffs[0] == other and not any(self.coeffs[1:])
        return NotImplemented

    def __hash__(self) -> int:
        if not any(self.coeffs[1:]):
            return hash(self.coeffs[0])
        return hash((self.N, self.coeffs))

    def __bool__(self) -> bool:
        return any(self.coeffs)

    @property
    def is_rational(self) -> bool:
        """True when the element lies in Q."""
        return not any(self.coeffs[1:])

    def to_complex(self) -> complex:
        """Floating-point value with ``z = exp(2*pi*i/N)`` (for numeric comparisons only)."""
        import cmath

        w = cmath.exp(2j * cmath.pi / self.N)
        return complex(sum(float(c) * w**k for k, c in enumerate(self.coeffs)))

    def to_exact_string(self) -> str:
        """Canonical string ``"c0 + c1*z + ..."`` (see the module docstring)."""
        terms = []
        for k, c in enumerate(self.coeffs):
            if not c:
                continue
            mag = abs(c)
            cs = (str(mag.numerator) if mag.denominator == 1
                  else f"{mag.numerator}/{mag.denominator}")
            if k == 0:
                body = cs
            else:
                zk = "z" if k == 1 else f"z^{k}"
                body = zk if mag == 1 else f"{cs}*{zk}"
            terms.append(("-" if c < 0 else "+", body))
        if not terms:
            return "0"
        out = ("-" if terms[0][0] == "-" else "") + terms[0][1]
        for sign, body in terms[1:]:
            out += f" {sign} {body}"
        return out

    def __repr__(self) -> str:
        return f"CyclotomicNumber({self.N}, {self.to_exact_string()!r})"

    __str__ = to_exact_string


def _trim(p: list[Fraction]) -> list[Fraction]:
    while p and not p[-1]:
        p.pop()
    return p


def _poly_mul(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
    if not p or not q:
        return []
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for s, a in enumerate(p):
        if a:
            for t, b in enumerate(q):
                out[s + t] += a * b
    return _trim(out)


def _poly_sub(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
    n = max(len(p), len(q))
    out = [(p[k] if k < len(p) else 0) - (q[k] if k < len(q) else 0) for k in range(n)]
    return _trim([Fraction(v) for v in out])


def _poly_divmod(a: list[Fraction], b: list[Fraction]) -> tuple[list[Fraction], list[Fraction]]:
    """Quotient and remainder of polynomials over Q (lowest degree first, b trimmed)."""
    r = list(a)
    q = [Fraction(0)] * max(0, len(a) - len(b) + 1)
    lead = b[-1]
    while len(r) >= len(b) and r:
        c = r[-1] / lead
        shift = len(r) - len(b)
        q[shift] = c
        for t, v in enumerate(b):
            r[shift + t] -= c * v
        _trim(r)
    return _trim(q), r


def _reduce(N: int, coeffs: list[Fraction]) -> list[Fraction]:
    """Reduce a coefficient list (lowest first) modulo Phi_N."""
    table = _power_table(N)
    d = euler_phi(N)
    out = list(coeffs[:d]) + [Fraction(0)] * max(0, d - len(coeffs))
    for e in range(d, len(coeffs)):
        c = coeffs[e]
        if c:
            row = table[e % N]
            for t in range(d):
                if row[t]:
                    out[t] += c * row[t]
    return out


_TERM_RE = re.compile(r"^(?:(?P<c>\d+(?:/\d+)?)(?:\*)?)?(?P<z>z(?:\^(?P<k>\d+))?)?$")


def parse_cyclotomic(N: int, text: str) -> CyclotomicNumber:
    """Parse the string form of an element of Q(zeta_N) (see the module docstring).

    Terms may come in any order and powers may exceed ``phi(N)``; the result is reduced.

    Raises
    ------
    InvalidInputError
        If the text is not a sum of terms ``c``, ``z^k`` or ``c*z^k``.
    ExactnessError
        If a coefficient is a decimal.

    Examples
    --------
    >>> parse_cyclotomic(8, "-1/2*z^2 + z").to_exact_string()
    'z - 1/2*z^2'
    >>> parse_cyclotomic(8, "z^4").to_exact_string()
    '-1'
    >>> parse_cyclotomic(8, "0.5*z")
    Traceback (most recent call last):
    ...
    fsmf_check.errors.ExactnessError: cyclotomic number '0.5*z': '0.5' is a decimal; use p/q
    """
    N = _check_conductor(N)
    if not isinstance(text, str) or not text.strip():
        msg = f"cyclotomic number must be a non-empty string; got {text!r}"
        raise InvalidInputError(msg)
    if len(text) > 200_000:
        msg = "cyclotomic number string is longer than 200000 characters"
        raise InvalidInputError(msg)
    s = text.replace(" ", "")
    if s[0] not in "+-":
        s = "+" + s
    parts = re.findall(r"[+-][^+-]+", s)
    if "".join(parts) != s:
        msg = f"cyclotomic number {text!r} is not a sum of terms c*z^k"
        raise InvalidInputError(msg)
    coeffs = [Fraction(0)] * N
    for part in parts:
        sign, body = part[0], part[1:]
        if re.search(r"\d\.\d|\.\d|\d\.|e[+-]?\d", body):
            bad = re.findall(r"[\d.]+(?:e[+-]?\d+)?", body)[0]
            msg = f"cyclotomic number {text!r}: {bad!r} is a decimal; use p/q"
            raise ExactnessError(msg)
        m = _TERM_RE.match(body)
        if not m or (m.group("c") is None and m.group("z") is None):
            msg = f"cyclotomic number {text!r}: term {part!r} is not c, z^k or c*z^k"
            raise InvalidInputError(msg)
        try:
            c = Fraction(m.group("c")) if m.group("c") else Fraction(1)
        except ZeroDivisionError:
            msg = f"cyclotomic number {text!r}: zero denominator in {part!r}"
            raise InvalidInputError(msg) from None
        k = 0 if m.group("z") is None else int(m.group("k") or 1)
        if k > 10 * N + 10:
            msg = f"cyclotomic number {text!r}: power {k} is too large for N = {N}"
            raise InvalidInputError(msg)
        coeffs[k % N] += -c if sign == "-" else c
    out = CyclotomicNumber(N, [0])
    table = _power_table(N)
    acc = [Fraction(0)] * euler_phi(N)
    for e, c in enumerate(coeffs):
        if c:
            for t, v in enumerate(table[e]):
                if v:
                    acc[t] += c * v
    out.coeffs = tuple(acc)
    return out
