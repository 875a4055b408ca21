r"""Sparse polynomials over Q and Nullstellensatz cofactors (pure Python, Fractions).

A polynomial in ``n`` variables is a dict ``{exponent tuple: Fraction}`` without zero
coefficients. :func:`nullstellensatz_cofactors` runs Buchberger's algorithm (grevlex order,
product criterion) while tracking how every basis element is a combination of the input
polynomials; when the constant 1 appears it returns cofactors ``c_i`` with
``sum_i c_i f_i = 1``. Such cofactors prove that the system ``f_i = 0`` has no solution over
C (weak Nullstellensatz), and anyone can re-check them by expanding the sum: producers of
certificates use them so that the certificate checker never computes a Gröbner basis.

Notes
-----
T5 (non-closedness: the limit is not a product) and T2/T3 (Gröbner refutation of
membership). Exact. The cost is that of Buchberger's algorithm with cofactor bookkeeping;
``max_pairs`` bounds it.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["Poly", "poly_mul", "poly_add", "poly_scale", "nullstellensatz_cofactors"]

Poly = dict[tuple[int, ...], Fraction]


def _key(m: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """grevlex: total degree, then the smaller last exponent wins."""
    return (sum(m), tuple(-e for e in reversed(m)))


def poly_add(p: Poly, q: Poly, c: Fraction = Fraction(1)) -> Poly:
    """Return ``p + c*q``."""
    out = dict(p)
    for m, v in q.items():
        w = out.get(m, Fraction(0)) + c * v
        if w:
            out[m] = w
        else:
            out.pop(m, None)
    return out


def poly_mul(p: Poly, q: Poly) -> Poly:
    """Return ``p*q``.

    Examples
    --------
    >>> x = {(1, 0): Fraction(1)}; y = {(0, 1): Fraction(1)}
    >>> sorted(poly_mul(poly_add(x, y), poly_add(x, y, Fraction(-1))).items())
    [((0, 2), Fraction(-1, 1)), ((2, 0), Fraction(1, 1))]
    """
    out: Poly = {}
    for m1, a in p.items():
        for m2, b in q.items():
            m = tuple(e1 + e2 for e1, e2 in zip(m1, m2, strict=True))
            w = out.get(m, Fraction(0)) + a * b
            if w:
                out[m] = w
            else:
                out.pop(m, None)
    return out


def poly_scale(p: Poly, c: Fraction, mono: tuple[int, ...] | None = None) -> Poly:
    """Return ``c * mono * p``."""
    if not c:
        return {}
    if mono is None:
        return {m: c * v for m, v in p.items()}
    return {tuple(a + b for a, b in zip(m, mono, strict=True)): c * v for m, v in p.items()}


def _lead(p: Poly) -> tuple[int, ...]:
    return max(p, key=_key)


def _divides(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True))


def _reduce(f: Poly, basis: list[tuple[Poly, tuple[int, ...], list[Poly]]], k: int
            ) -> tuple[Poly, list[Poly]]:
    """Remainder of ``f`` by the basis and the cofactor change ``-sum q_l cof_l``."""
    p = dict(f)
    rem: Poly = {}
    delta: list[Poly] = [{} for _ in range(k)]
    while p:
        lm = _lead(p)
        lc = p[lm]
        for g, glm, gcof in basis:
            if _divides(glm, lm):
                mono = tuple(a - b for a, b in zip(lm, glm, strict=True))
                c = lc / g[glm]
                p = poly_add(p, poly_scale(g, -c, mono))
                for i in range(k):
                    if gcof[i]:
                        delta[i] = poly_add(delta[i], poly_scale(gcof[i], -c, mono))
                break
        else:
            rem[lm] = lc
            del p[lm]
    return rem, delta


def nullstellensatz_cofactors(polys: list[Poly], n_vars: int, *, max_pairs: int = 4000
                              ) -> list[Poly] | None:
    r"""Cofactors ``c_i`` with ``sum_i c_i * polys[i] == 1``, or None.

    None means the Gröbner basis is not [1] (the system has a solution over C) or the pair
    budget ``max_pairs`` ran out.

    Examples
    --------
    >>> one = Fraction(1)
    >>> f = [{(1, 1): one}, {(1, 0): one, (0, 0): -one}]   # x*y = 0, x = 1: consistent
    >>> nullstellensatz_cofactors(f, 2) is None
    True
    >>> g = [{(1, 1): one}, {(1, 0): one, (0, 0): -one}, {(0, 1): one, (0, 0): -one}]
    >>> c = nullstellensatz_cofactors(g, 2)
    >>> total = {}
    >>> for ci, gi in zip(c, g):
    ...     total = poly_add(total, poly_mul(ci, gi))
    >>> total == {(0, 0): one}
    True
    """
    k = len(polys)
    zero = (0,) * n_vars
    basis: list[tuple[Poly, tuple[int, ...], list[Poly]]] = []
    pairs: list[tuple[int, int]] = []

    def add(g: Poly, cof: list[Poly]) -> list[Poly] | None:
        lm = _lead(g)
        if lm == zero:
            c = g[lm]
            return [poly_scale(ci, 1 / c) for ci in cof]
        idx = len(basis)
        basis.append((g, lm, cof))
        pairs.extend((j, idx) for j in range(idx))
        return None

    for i, f in enumerate(polys):
        if not f:
            continue
        cof: list[Poly] = [{} for _ in range(k)]
        cof[i] = {zero: Fraction(1)}
        r, delta = _reduce(f, basis, k)
        if r:
            done = add(r, [poly_add(cof[t], delta[t]) for t in range(k)])
            if done is not None:
                return done
    budget = max_pairs
    while pairs:
        budget -= 1
        if budget < 0:
            return None
        pairs.sort(key=lambda ij: _key(tuple(max(a, b) for a, b in
                                             zip(basis[ij[0]][1], basis[ij[1]][1],
                                                 strict=True))), reverse=True)
        i, j = pairs.pop()
        (gi, li, ci), (gj, lj, cj) = basis[i], basis[j]
        if all(a == 0 or b == 0 for a, b in zip(li, lj, strict=True)):
            continue  # coprime leading monomials: the S-polynomial reduces to 0
        lcm = tuple(max(a, b) for a, b in zip(li, lj, strict=True))
        mi = tuple(a - b for a, b in zip(lcm, li, strict=True))
        mj = tuple(a - b for a, b in zip(lcm, lj, strict=True))
        ai, aj = 1 / gi[li], 1 / gj[lj]
        s = poly_add(poly_scale(gi, ai, mi), poly_scale(gj, -aj, mj))
        scof = [poly_add(poly_scale(ci[t], ai, mi), poly_scale(cj[t], -aj, mj))
                for t in range(k)]
        r, delta = _reduce(s, basis, k)
        if r:
            done = add(r, [poly_add(scof[t], delta[t]) for t in range(k)])
            if done is not None:
                return done
    return None
