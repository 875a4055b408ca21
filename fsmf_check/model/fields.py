r"""Exact fields ``Q(zeta_N)`` and the scalars that live in them.

A :class:`Field` is ``Q`` (conductor 1), ``Q(i) = Q(zeta_4)`` or ``Q(zeta_N)``. Public exact
scalars are :class:`fractions.Fraction`, :class:`~fsmf_check.model.numbers.GaussianRational`
and :class:`~fsmf_check.model.cyclotomic.CyclotomicNumber`; :func:`field_of` refuses floats
with :class:`~fsmf_check.errors.ExactnessError`, and :func:`parse_scalar` reads the string
form that :func:`~fsmf_check.model.numbers.format_exact` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from fsmf_check.errors import ExactnessError, InvalidInputError
from fsmf_check.model.cyclotomic import CyclotomicNumber, euler_phi, parse_cyclotomic
from fsmf_check.model.numbers import GaussianRational, parse_exact

__all__ = ["Field", "field_of", "parse_scalar"]


@dataclass(frozen=True, slots=True)
class Field:
    """The exact field ``Q(zeta_N)``; ``N = 1`` is Q and ``N = 4`` is Q(i).

    Examples
    --------
    >>> Field(1).name, Field(4).name, Field(8).name, Field(2).N
    ('Q', 'Q(i)', 'Q(zeta_8)', 1)
    """

    N: int

    def __post_init__(self) -> None:
        if isinstance(self.N, bool) or not isinstance(self.N, int) or self.N < 1:
            msg = f"field conductor must be a positive integer; got {self.N!r}"
            raise InvalidInputError(msg)
        if self.N == 2:
            object.__setattr__(self, "N", 1)

    @property
    def name(self) -> str:
        """``"Q"``, ``"Q(i)"`` or ``"Q(zeta_N)"``."""
        if self.N == 1:
            return "Q"
        if self.N == 4:
            return "Q(i)"
        return f"Q(zeta_{self.N})"

    @property
    def degree(self) -> int:
        """``[K : Q] = phi(N)``."""
        return euler_phi(self.N)

    def join(self, other: Field) -> Field:
        """Smallest field of this family containing both."""
        from math import lcm

        return Field(lcm(self.N, other.N))

    def to_dict(self) -> dict[str, object]:
        """JSON description, including the string format of its numbers."""
        if self.N == 1:
            fmt = 'rationals as "p/q"'
        elif self.N == 4:
            fmt = 'Gaussian rationals as "a+bi" (a, b rational)'
        else:
            fmt = ("sums of c*z^k in the power basis reduced mod Phi_N, "
                   "z = exp(2*pi*i/N), e.g. \"z - 1/2*z^2\"")
        return {"name": self.name, "conductor": self.N, "degree": self.degree, "format": fmt}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Field:
        """Inverse of :meth:`to_dict` (reads ``conductor``)."""
        N = data.get("conductor")
        if isinstance(N, bool) or not isinstance(N, int):
            msg = f"field.conductor must be an integer; got {N!r}"
            raise InvalidInputError(msg)
        return cls(N)


def field_of(x: object) -> Field:
    """Smallest field holding a public exact scalar; floats raise ExactnessError.

    Examples
    --------
    >>> field_of(Fraction(1, 2)).name, field_of(GaussianRational(Fraction(0), Fraction(1))).name
    ('Q', 'Q(i)')
    >>> field_of(0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.ExactnessError: the exact engine needs exact entries (...); got float 0.5
    """
    if isinstance(x, bool):
        msg = "the exact engine does not accept booleans as numbers"
        raise ExactnessError(msg)
    if isinstance(x, int | Fraction):
        return Field(1)
    if isinstance(x, GaussianRational):
        return Field(1) if x.im == 0 else Field(4)
    if isinstance(x, CyclotomicNumber):
        return Field(1) if x.is_rational else Field(x.N)
    if isinstance(x, np.integer):
        return Field(1)
    shown = repr(x) if isinstance(x, float | complex | np.floating) else type(x).__name__
    msg = ("the exact engine needs exact entries (int, Fraction, GaussianRational or "
           f"CyclotomicNumber); got {type(x).__name__} {shown}" if isinstance(
               x, float | complex | np.floating | np.complexfloating) else
           "the exact engine needs exact entries (int, Fraction, GaussianRational or "
           f"CyclotomicNumber); got {shown}")
    raise ExactnessError(msg)


def parse_scalar(text: object, field: Field) -> Fraction | GaussianRational | CyclotomicNumber:
    """Parse the string form of a number of ``field``.

    The inverse of :func:`fsmf_check.model.numbers.format_exact`.

    Examples
    --------
    >>> parse_scalar("-1/2", Field(1)), parse_scalar("1+2i", Field(4)).to_exact_string()
    (Fraction(-1, 2), '1+2i')
    >>> parse_scalar("z^5", Field(8)).to_exact_string()
    '-z'
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return Fraction(text)
    if not isinstance(text, str):
        msg = f"exact numbers in certificates must be strings; got {type(text).__name__}"
        raise ExactnessError(msg)
    if field.N == 1:
        value = parse_exact(text)
        if isinstance(value, GaussianRational):
            if value.im != 0:
                msg = f"{text!r} is not a rational number (field Q)"
                raise InvalidInputError(msg)
            return value.re
        return value
    if field.N == 4 and "z" not in text:
        value = parse_exact(text)
        return value if isinstance(value, GaussianRational) else GaussianRational(
            Fraction(value), Fraction(0))
    return parse_cyclotomic(field.N, text)
