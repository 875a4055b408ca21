r"""Rigorous enclosures with python-flint ``arb`` balls (the only flint user of landscape/).

:func:`certify_box` proves, for the loss restricted to a gauge slice, that a box contains a
unique critical point (Krawczyk test) and that the Hessian is positive definite on the whole
box (interval LDL^T), and encloses the loss there. All inputs are exact rationals
(:class:`fractions.Fraction`); the box midpoints and radii are dyadic, so their ``arb`` balls
are exact. Results come back as Fractions (outward-rounded ball endpoints).

Notes
-----
Pitfall (EXACT_NOTES): python-flint methods are called on instances only, and Fractions are
converted through ``fmpq(int, int)``. Ball arithmetic at ``PREC`` bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import flint

from fsmf_check.landscape.polynomial import Layout, generator_vector, gradient, hessian, loss

__all__ = ["PREC", "BoxResult", "certify_box"]

#: Working precision (bits) of the ball arithmetic.
PREC = 160


def _arb(q: Fraction) -> flint.arb:
    return flint.arb(flint.fmpq(int(q.numerator), int(q.denominator)))


def _endpoints(x: flint.arb) -> tuple[Fraction, Fraction]:
    mm, me = x.mid().man_exp()
    rm, re_ = x.rad().man_exp()
    mid = Fraction(int(mm)) * Fraction(2) ** int(me)
    rad = Fraction(int(rm)) * Fraction(2) ** int(re_)
    return mid - rad, mid + rad


@dataclass(frozen=True, slots=True)
class BoxResult:
    """Outcome of :func:`certify_box`; ``failed`` names the first test that did not pass."""

    ok: bool
    failed: str | None
    loss_lo: Fraction | None = None
    loss_hi: Fraction | None = None
    min_pivot_lo: Fraction | None = None


def _ldl_positive(H: list[list[flint.arb]]) -> tuple[bool, flint.arb | None]:
    q = len(H)
    L = [[flint.arb(0)] * q for _ in range(q)]
    d: list[flint.arb] = []
    for j in range(q):
        s = H[j][j]
        for k in range(j):
            s = s - L[j][k] * L[j][k] * d[k]
        if not s > 0:
            return False, None
        d.append(s)
        for i in range(j + 1, q):
            t = H[i][j]
            for k in range(j):
                t = t - L[i][k] * L[j][k] * d[k]
            L[i][j] = t / s
    low = min(d, key=lambda x: float(x.lower().mid())) if d else None
    return True, low


def _nonsingular(M: list[list[flint.arb]]) -> bool:
    """Gaussian elimination without pivoting; every pivot ball must exclude 0."""
    s = len(M)
    M = [row[:] for row in M]
    for c in range(s):
        piv = M[c][c]
        if piv.contains(0):
            return False
        for i in range(c + 1, s):
            f = M[i][c] / piv
            for j in range(c, s):
                M[i][j] = M[i][j] - f * M[c][j]
    return True


def certify_box(lay: Layout, A: Sequence[Sequence[Fraction]], center: Sequence[Fraction],
                free: Sequence[int], radius: Sequence[Fraction], C: Sequence[Sequence[Fraction]],
                fixed: Sequence[int], gens: Sequence[tuple[int, int]]) -> BoxResult:
    r"""Krawczyk + interval LDL^T on the box ``center[free] ± radius`` (fixed coords exact).

    Tests, in order: (1) the generator matrix ``[xi_g(theta)[fixed]]`` is nonsingular on the
    box (so the slice is transversal to the symmetry orbits there); (2) Krawczyk:
    ``z0 - C g(z0) + (1 - C H(B)) (B - z0)`` lies in the interior of ``B``, where ``g`` and
    ``H`` are the slice gradient and Hessian (a unique slice-critical point in ``B``);
    (3) interval ``LDL^T`` of ``H(B)`` has positive pivots (``H`` positive definite on ``B``).

    Examples
    --------
    >>> from fsmf_check.landscape.polynomial import layout_of
    >>> F = Fraction
    >>> lay = layout_of([[1]], [[1]])
    >>> res = certify_box(lay, [[F(4)]], [F(1), F(4)], [1], [F(1, 1024)], [[F(1)]], [0],
    ...                   [(0, 0)])
    >>> res.ok, res.loss_lo <= 0 <= res.loss_hi
    (True, True)
    """
    old = flint.ctx.prec
    flint.ctx.prec = PREC
    try:
        zero = flint.arb(0)
        Aa = [[_arb(v) for v in row] for row in A]
        box = [_arb(v) for v in center]
        for f, rho in zip(free, radius, strict=True):
            box[f] = flint.arb(_arb(center[f]), _arb(rho))
        M = [[generator_vector(lay, box, g, zero)[φ] for g in gens] for φ in fixed]
        if not _nonsingular(M):
            return BoxResult(False, "the symmetry generators are not transversal on the box")
        pt = [_arb(v) for v in center]
        g0 = gradient(lay, Aa, pt, zero)
        HB = hessian(lay, Aa, box, zero)
        q = len(free)
        Hs = [[HB[a][b] for b in free] for a in free]
        Ca = [[_arb(v) for v in row] for row in C]
        for a in range(q):
            cg = zero
            for b in range(q):
                cg = cg + Ca[a][b] * g0[free[b]]
            k = pt[free[a]] - cg
            for b in range(q):
                ch = zero
                for c in range(q):
                    ch = ch + Ca[a][c] * Hs[c][b]
                coef = (1 if a == b else 0) - ch
                k = k + coef * flint.arb(0, _arb(radius[b]))
            if not abs(k - pt[free[a]]) < _arb(radius[a]):
                return BoxResult(False, "Krawczyk inclusion failed")
        ok, low = _ldl_positive(Hs)
        if not ok:
            return BoxResult(False, "the interval Hessian is not proven positive definite")
        Lb = loss(lay, Aa, box, zero, flint.arb(0.5))
        lo, hi = _endpoints(Lb)
        plo = _endpoints(low)[0] if low is not None else None
        return BoxResult(True, None, lo, hi, plo)
    finally:
        flint.ctx.prec = old
