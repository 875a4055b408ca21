r"""Exact scalars read from case files: rationals and Gaussian rationals.

Rationals are :class:`fractions.Fraction`; Gaussian rationals ``a + b i`` with rational a, b are
:class:`GaussianRational`. Parsing is lossless (``"1/3"`` stays 1/3); anything that looks like a
float (``"0.5"``, ``1e-3``) is refused by :func:`parse_exact` with
:class:`~fsmf_check.errors.ExactnessError` and accepted only by :func:`parse_entry`, which marks
the matrix numeric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from fsmf_check.errors import ExactnessError, InvalidInputError

__all__ = ["GaussianRational", "ExactScalar", "parse_exact", "parse_entry", "format_exact",
           "fraction_rref"]

_RAT = r"[+-]?\d+(?:/\d+)?"
_RAT_RE = re.compile(rf"^{_RAT}$")
_GAUSS_RE = re.compile(rf"^(?:(?P<re>{_RAT})(?=[+-]))?(?P<im>[+-]?(?:\d+(?:/\d+)?)?)\*?[ij]$")
_MAX_DIGITS = 4000


@dataclass(frozen=True, slots=True)
class GaussianRational:
    """An exact element ``re + im*i`` of Q(i).

    Examples
    --------
    >>> z = GaussianRational(Fraction(1), Fraction(-2, 3))
    >>> z.to_exact_string(), (z * z.conjugate()).to_exact_string()
    ('1-2/3i', '13/9')
    """

    re: Fraction
    im: Fraction

    def __post_init__(self) -> None:
        for part in (self.re, self.im):
            if not isinstance(part, Fraction):
                msg = f"GaussianRational parts must be Fraction; got {type(part).__name__}"
                raise ExactnessError(msg)

    def _coerce(self, other: object) -> GaussianRational:
        if isinstance(other, GaussianRational):
            return other
        if isinstance(other, int | Fraction) and not isinstance(other, bool):
            return GaussianRational(Fraction(other), Fraction(0))
        msg = f"cannot combine a Gaussian rational with {type(other).__name__} exactly"
        raise ExactnessError(msg)

    def __add__(self, other: object) -> GaussianRational:
        o = self._coerce(other)
        return GaussianRational(self.re + o.re, self.im + o.im)

    __radd__ = __add__

    def __neg__(self) -> GaussianRational:
        return GaussianRational(-self.re, -self.im)

    def __sub__(self, other: object) -> GaussianRational:
        return self + (-self._coerce(other))

    def __rsub__(self, other: object) -> GaussianRational:
        return self._coerce(other) - self

    def __mul__(self, other: object) -> GaussianRational:
        o = self._coerce(other)
        return GaussianRational(self.re * o.re - self.im * o.im, self.re * o.im + self.im * o.re)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> GaussianRational:
        o = self._coerce(other)
        den = o.re * o.re + o.im * o.im
        if den == 0:
            msg = "division by zero in Q(i)"
            raise ZeroDivisionError(msg)
        num = self * o.conjugate()
        return GaussianRational(num.re / den, num.im / den)

    def __rtruediv__(self, other: object) -> GaussianRational:
        return self._coerce(other) / self

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GaussianRational):
            return self.re == other.re and self.im == other.im
        if isinstance(other, int | Fraction) and not isinstance(other, bool):
            return self.im == 0 and self.re == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.re) if self.im == 0 else hash((self.re, self.im))

    def __bool__(self) -> bool:
        return bool(self.re) or bool(self.im)

    def conjugate(self) -> GaussianRational:
        """Complex conjugate."""
        return GaussianRational(self.re, -self.im)

    @property
    def is_real(self) -> bool:
        """True when the imaginary part is zero."""
        return self.im == 0

    def to_exact_string(self) -> str:
        """docs/reference/json-schema.md form: ``"1+2i"``, ``"-1/2i"``, ``"3"``."""
        re_s, im_s = format_exact(self.re), format_exact(self.im)
        if self.im == 0:
            return re_s
        if self.re == 0:
            return f"{im_s}i"
        sign = "" if im_s.startswith("-") else "+"
        return f"{re_s}{sign}{im_s}i"

    def __str__(self) -> str:
        return self.to_exact_string()


ExactScalar = Fraction | GaussianRational


def format_exact(x: object) -> str:
    """Format an exact number: ``"3"``, ``"-1/2"``, ``"1+2i"``, ``"z^3 - 1"``.

    The one formatter for exact numbers (JSON output, certificates, messages). Integers
    (Python or numpy), :class:`~fractions.Fraction` and every exact scalar type with a
    ``to_exact_string`` method are accepted; floats and booleans raise
    :class:`~fsmf_check.errors.ExactnessError`.

    Examples
    --------
    >>> format_exact(Fraction(6, 4)), format_exact(GaussianRational(Fraction(0), Fraction(1)))
    ('3/2', '1i')
    >>> format_exact(-3)
    '-3'
    >>> format_exact(0.5)
    Traceback (most recent call last):
    ...
    fsmf_check.errors.ExactnessError: cannot format float 0.5 as an exact number
    """
    if isinstance(x, bool):
        msg = "cannot format a bool as an exact number"
        raise ExactnessError(msg)
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    to_str = getattr(x, "to_exact_string", None)
    if callable(to_str):
        return str(to_str())
    shown = repr(x) if isinstance(x, float | complex | np.floating) else ""
    msg = f"cannot format {type(x).__name__} {shown}".rstrip() + " as an exact number"
    raise ExactnessError(msg)


def _rational(text: str, where: str) -> Fraction:
    if len(text) > _MAX_DIGITS:
        msg = f"{where}: exact entry has more than {_MAX_DIGITS} characters"
        raise InvalidInputError(msg)
    value = Fraction(text)
    return value


def parse_exact(value: object, where: str = "entry") -> ExactScalar:
    """Parse an exact entry: an int, ``"p/q"`` or a Gaussian ``"a+bi"`` (a, b rational).

    Raises
    ------
    ExactnessError
        If ``value`` is a float or a decimal string (it would not be exact).
    InvalidInputError
        If ``value`` is not a number at all, or has a zero denominator.

    Examples
    --------
    >>> parse_exact("-1/2"), parse_exact(3)
    (Fraction(-1, 2), Fraction(3, 1))
    >>> parse_exact("1+2i").to_exact_string()
    '1+2i'
    >>> parse_exact(0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.ExactnessError: entry: 0.5 is a float; write exact entries as integers, ...
    """
    if isinstance(value, bool):
        msg = f"{where}: {value!r} is a boolean, not a number"
        raise InvalidInputError(msg)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        msg = f'{where}: {value!r} is a float; write exact entries as integers, "p/q" or "a+bi"'
        raise ExactnessError(msg)
    if not isinstance(value, str):
        msg = f"{where}: expected a number or a string, got {type(value).__name__}"
        raise InvalidInputError(msg)
    text = value.replace(" ", "")
    try:
        if _RAT_RE.match(text):
            return _rational(text, where)
        m = _GAUSS_RE.match(text)
        if m and text:
            re_part = _rational(m.group("re"), where) if m.group("re") else Fraction(0)
            im_text = m.group("im")
            im_part = (Fraction(1) if im_text in ("", "+") else Fraction(-1) if im_text == "-"
                       else _rational(im_text, where))
            return GaussianRational(re_part, im_part)
    except ZeroDivisionError:
        msg = f"{where}: {value!r} has a zero denominator"
        raise InvalidInputError(msg) from None
    try:
        float(text)
    except ValueError:
        msg = f'{where}: {value!r} is not a number (use an integer, "p/q" or "a+bi")'
        raise InvalidInputError(msg) from None
    msg = f'{where}: {value!r} is a decimal; write exact entries as integers, "p/q" or "a+bi"'
    raise ExactnessError(msg)


def parse_entry(value: object, where: str = "entry") -> ExactScalar | float | complex:
    """Parse an entry that may be exact or a float (a float makes the whole matrix numeric).

    Examples
    --------
    >>> parse_entry("1/3"), parse_entry(0.25), parse_entry("2.5")
    (Fraction(1, 3), 0.25, 2.5)
    """
    try:
        return parse_exact(value, where)
    except ExactnessError:
        pass
    if isinstance(value, float):
        out: float | complex = value
    else:
        text = str(value).replace(" ", "")
        try:
            out = float(text)
        except ValueError:
            try:
                out = complex(text.replace("i", "j"))
            except ValueError:
                msg = f"{where}: {value!r} is not a number"
                raise InvalidInputError(msg) from None
    if out != out or abs(out) == float("inf"):
        from fsmf_check.errors import NonFiniteError

        msg = f"{where}: {value!r} is not finite (NaN or infinity)"
        raise NonFiniteError(msg)
    return out


def fraction_rref(rows: list[list[Fraction]], ncols: int
                  ) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form over Q, pivoting in the first ``ncols`` columns only.

    Returns the reduced rows (a copy; columns beyond ``ncols``, e.g. a right-hand side, are
    carried along) and the pivot columns.

    Examples
    --------
    >>> F = Fraction
    >>> R, piv = fraction_rref([[F(2), F(4), F(2)], [F(1), F(2), F(3)]], 2)
    >>> [[str(v) for v in row] for row in R], piv
    ([['1', '2', '1'], ['0', '0', '2']], [0])
    """
    R = [list(row) for row in rows]
    piv: list[int] = []
    r = 0
    for c in range(ncols):
        p = next((i for i in range(r, len(R)) if R[i][c] != 0), None)
        if p is None:
            continue
        R[r], R[p] = R[p], R[r]
        inv = 1 / R[r][c]
        R[r] = [v * inv for v in R[r]]
        for i in range(len(R)):
            if i != r and R[i][c] != 0:
                f = R[i][c]
                R[i] = [a - f * b for a, b in zip(R[i], R[r], strict=True)]
        piv.append(c)
        r += 1
        if r == len(R):
            break
    return R, piv
