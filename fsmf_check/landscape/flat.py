r"""Non-strict local minima: an exact flat family of critical points (Morse–Bott type, T10).

At a local minimum whose Hessian on the gauge slice is singular, second-order conditions
prove nothing. :func:`certify_flat` instead exhibits, at an exact rational critical point
``x0``, an exact **affine family** ``x(t) = x0 + K t`` (``t`` in ``Q^d``) along which the
gradient of the loss vanishes identically, and checks exactly that

1. ``grad L(x0 + K t) = 0`` as a polynomial identity in ``t`` (the gradient is cubic in
   ``t``; it is evaluated exactly on the grid ``{0, 1, 2, 3}^d``, where a polynomial of
   degree at most 3 in each variable that vanishes is the zero polynomial);
2. the symmetry tangents ``xi_1 .. xi_s``
   (:func:`~fsmf_check.landscape.polynomial.generator_vector`) and the columns of ``K``
   have a nonsingular ``(s + d) x (s + d)`` submatrix on a set ``P`` of coordinates (exact
   elimination);
3. the Hessian on the other coordinates ``F`` is positive definite (exact ``LDL^T``).

Lemma (flat-family local minimality; a direct proof of the Morse–Bott conclusion): under
1–3, ``x0`` is a local minimum of ``L``, ``L`` is constant (``= L(x0)``) on the family, and
``ker H(x0) = span(xi, K)`` has dimension ``s + d``. Proof: the map
``Phi(a, t, n) = g_1(a_1) ... g_s(a_s) . (x(t) + n)`` (``n`` supported on ``F``) has the
invertible differential ``[xi | K | E_F]`` at 0 (by 2), so every point near ``x0`` is
``Phi(a, t, n)`` with small ``(a, t, n)``; ``L(Phi) = L(x(t) + n)`` by invariance. By 1,
``L(x(t) + n) = L(x(t)) + n^T H(x(t)) n / 2 + O(|n|^3)`` uniformly in small ``t``, and
``H(x(t))_FF`` stays positive definite for small ``t`` by 3 and continuity, so
``L(x(t) + n) >= L(x(t)) = L(x0)`` (``d/dt L(x(t)) = grad L . K = 0``). Differentiating 1
gives ``H(x0) K = 0``; invariance gives ``H(x0) xi = 0``; with 3, ``rank H = |F|``.

Notes
-----
T10 (§2.5). Exact (Fractions). Limits: only affine families (flat directions that move
entries multiplying an exactly zero column or row, or linear moves inside a degenerate
block); curved critical manifolds and minima where the Hessian kernel is larger than the
critical set (higher-order flatness) are reported not certified.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np

from fsmf_check.landscape import polynomial as poly
from fsmf_check.model.numbers import format_exact, fraction_rref

__all__ = ["certify_flat", "nullspace", "pivot_rows", "is_flat_family", "MAX_FLAT_DIM"]

#: Largest number ``d`` of flat directions beyond the symmetries that is certified.
MAX_FLAT_DIM = 4


def nullspace(M: list[list[Fraction]], ncols: int) -> list[list[Fraction]]:
    """Exact basis of ``{v : M v = 0}`` (reduced row echelon form, one vector per free column).

    Examples
    --------
    >>> F = Fraction
    >>> nullspace([[F(1), F(2)], [F(2), F(4)]], 2)
    [[Fraction(-2, 1), Fraction(1, 1)]]
    """
    R, piv = fraction_rref(M, ncols)
    out = []
    for c in range(ncols):
        if c in piv:
            continue
        v = [Fraction(0)] * ncols
        v[c] = Fraction(1)
        for i, pc in enumerate(piv):
            v[pc] = -R[i][c]
        out.append(v)
    return out


def pivot_rows(cols: list[list[Fraction]], prefer: list[int] | None = None) -> list[int] | None:
    """Return rows on which the vectors ``cols`` have a nonsingular square submatrix.

    Each vector has length ``p``; None if they are linearly dependent (exact elimination
    with row pivoting). Rows earlier in ``prefer`` (default: sparsest row first) are chosen
    first.

    Examples
    --------
    >>> F = Fraction
    >>> pivot_rows([[F(0), F(3), F(1)], [F(0), F(1), F(0)]])
    [1, 2]
    >>> pivot_rows([[F(1), F(2)], [F(2), F(4)]]) is None
    True
    """
    if not cols:
        return []
    p = len(cols[0])
    rank = {i: n for n, i in enumerate(prefer or [])}
    M = [[c[i] for c in cols] for i in range(p)]
    rows: list[int] = []
    for j in range(len(cols)):
        cand = [i for i in range(p) if i not in rows and M[i][j] != 0]
        if not cand:
            return None
        i0 = min(cand, key=lambda i: (rank.get(i, p), sum(1 for v in M[i] if v != 0), i))
        rows.append(i0)
        for i in range(p):
            if i != i0 and M[i][j] != 0:
                f = M[i][j] / M[i0][j]
                M[i] = [a - f * b for a, b in zip(M[i], M[i0], strict=True)]
    return sorted(rows)


def is_flat_family(lay: poly.Layout, A: list[list[Fraction]], x0: list[Fraction],
                   K: list[list[Fraction]]) -> bool:
    """Test exactly whether ``grad L(x0 + sum_j t_j K_j) = 0`` for every ``t`` (an identity).

    The gradient is a polynomial of degree at most 3 in each ``t_j``; it is zero iff it
    vanishes on the grid ``{0, 1, 2, 3}^d``.
    """
    zero = Fraction(0)
    for t in itertools.product(range(4), repeat=len(K)):
        x = [x0[a] + sum((tj * k[a] for tj, k in zip(t, K, strict=True)), zero)
             for a in range(lay.p)]
        if any(v != 0 for v in poly.gradient(lay, A, x, zero)):
            return False
    return True


def _rank(vecs: list[list[Fraction]], p: int) -> int:
    return len(vecs) - len(nullspace([[v[a] for v in vecs] for a in range(p)], len(vecs))) \
        if vecs else 0


def exact_ldl_pivots(H: list[list[Fraction]]) -> list[Fraction] | None:
    """Return the pivots of the exact ``LDL^T`` of ``H`` if all are > 0 (Sylvester), else None."""
    q = len(H)
    L = [[Fraction(0)] * q for _ in range(q)]
    d: list[Fraction] = []
    for j in range(q):
        s = H[j][j] - sum((L[j][k] ** 2 * d[k] for k in range(j)), Fraction(0))
        if s <= 0:
            return None
        d.append(s)
        for i in range(j + 1, q):
            L[i][j] = (H[i][j] - sum((L[i][k] * L[j][k] * d[k] for k in range(j)),
                                     Fraction(0))) / s
    return d


def _embed(idx: list[int], vecs: list[list[Fraction]], p: int) -> list[list[Fraction]]:
    out = []
    for v in vecs:
        full = [Fraction(0)] * p
        for a, c in zip(idx, v, strict=True):
            full[a] = c
        out.append(full)
    return out


def _candidate_sets(lay: poly.Layout, H: list[list[Fraction]], xis: list[list[Fraction]],
                    fixed: list[int]) -> list[list[list[Fraction]]]:
    """Candidate flat directions, one list per strategy (tried in turn).

    1. kernel vectors of ``H`` supported on one column of ``X`` or of ``Y`` (a dead unit);
    2. for several gauge slices (fix one coordinate per symmetry: the engine's choice, ``X``
       entries first, ``Y`` entries first), the kernel of ``H`` on the slice, i.e. the tangent
       of the critical set with the gauge coordinates held fixed;
    3. a reduced-row-echelon basis of the whole kernel.
    """
    p = lay.p
    nx = len(lay.xs)
    groups: dict[tuple[str, int], list[int]] = {}
    for a, (_, k) in enumerate(lay.xs):
        groups.setdefault(("x", k), []).append(a)
    for b, (_, k) in enumerate(lay.ys):
        groups.setdefault(("y", k), []).append(nx + b)
    sets: list[list[list[Fraction]]] = []
    per_group: list[list[Fraction]] = []
    for idx in groups.values():
        per_group += _embed(idx, nullspace([[H[r][a] for a in idx] for r in range(p)],
                                           len(idx)), p)
    sets.append(per_group)
    slices = [sorted(fixed), pivot_rows(xis, list(range(p))),
              pivot_rows(xis, list(range(p - 1, -1, -1)))]
    seen: list[list[int]] = []
    for G in slices:
        if G is None or G in seen:
            continue
        seen.append(G)
        idx = [a for a in range(p) if a not in G]
        sets.append(_embed(idx, nullspace([[H[r][a] for a in idx] for r in range(p)],
                                          len(idx)), p))
    sets.append(nullspace(H, p))
    return sets


def _flat_pivots(lay: poly.Layout, Af: np.ndarray, th: np.ndarray, free: list[int],
                 tol: float) -> list[int] | None:
    """One free coordinate per numeric flat direction of the slice Hessian (pivoted)."""
    Hs = np.array(poly.hessian(lay, Af.tolist(), list(th), 0.0), dtype=float)[np.ix_(free, free)]
    w, V = np.linalg.eigh(Hs)
    scale = max(1.0, float(np.abs(w).max()))
    N = V[:, w <= tol * scale].copy()
    d = N.shape[1]
    if d == 0 or d > MAX_FLAT_DIM:
        return None
    extra: list[int] = []
    for j in range(d):
        col = np.abs(N[:, j])
        col[[free.index(a) for a in extra]] = 0
        i = int(np.argmax(col))
        if col[i] <= 1e-8:
            return None
        extra.append(free[i])
        N[:, j + 1:] = N[:, j + 1:] - np.outer(N[:, j], N[i, j + 1:]) / N[i, j]
    return extra


def _roundings(simple: Any) -> list[Any]:
    """Return roundings of the held coordinates, coarse (short rationals) to fine."""
    def close(x: float) -> Fraction:
        q = Fraction(x).limit_denominator(64)
        return q if abs(q - x) <= 1e-3 * max(1.0, abs(x)) else Fraction(round(x * 2**12), 2**12)

    def short(x: float) -> Fraction:
        for den in (4, 16, 64):
            q = Fraction(x).limit_denominator(den)
            if q != 0 and abs(q - x) <= 0.25 * abs(x):
                return q
        return Fraction(simple(x))

    return [short, close, lambda x: Fraction(round(x * 2**24), 2**24)]


def _exact_point(lay: poly.Layout, Af: np.ndarray, AQ: list[list[Fraction]], th: np.ndarray,
                 held: list[int], rnd: Any, newton: Any) -> list[Fraction] | None:
    """Hold ``held`` at rounded values, Newton on the rest, then recover a rational zero."""
    vals = {a: rnd(float(th[a])) for a in held}
    x = th.copy()
    for a, v in vals.items():
        x[a] = float(v)
    x = newton(lay, Af, x, [a for a in range(lay.p) if a not in vals])
    g = np.array(poly.gradient(lay, Af.tolist(), list(x), 0.0), dtype=float)
    if not np.all(np.isfinite(x)) or np.linalg.norm(g) > 1e-10:
        return None
    for den in (12, 1000, 10**6, 10**9):
        z = [Fraction(float(v)).limit_denominator(den) for v in x]
        for a, v in vals.items():
            z[a] = v
        if all(v == 0 for v in poly.gradient(lay, AQ, z, Fraction(0))):
            return z
    return None


def certify_flat(lay: poly.Layout, Af: np.ndarray, AQ: list[list[Fraction]], th: np.ndarray,
                 fixed: list[int], chosen: list[tuple[int, int]], *, tol: float, newton: Any,
                 simple: Any) -> tuple[dict[str, Any] | None, Fraction | None, str]:
    """Try to certify a non-strict local minimum near ``th`` by an exact flat family.

    Parameters
    ----------
    lay, Af, AQ
        Layout, float and exact target.
    th
        Numeric critical point (as found by the search, before any gauge move).
    fixed, chosen
        Gauge: one coordinate per symmetry generator in ``chosen`` (numeric pivots).
    tol
        Relative eigenvalue threshold of a numeric flat direction.
    newton, simple
        The engine's slice Newton solver and its short-rational rounding.

    Returns
    -------
    (evidence, objective, reason)
        ``evidence`` (method ``flat-family``) and the exact loss when every condition of the
        lemma (module docstring) holds exactly, else ``(None, None, why)``.

    Notes
    -----
    The gauge coordinates and one coordinate per numeric flat direction are held at
    rationals (coarse roundings first, then finer ones: on a flat set of critical points the
    Hessian may change inertia, so a far rounding can land on a degenerate saddle), the rest
    is solved by Newton and rounded to a rational point with exactly zero gradient; the
    exact conditions are then checked by :func:`_certify_at`.
    """
    free = [a for a in range(lay.p) if a not in fixed]
    extra = _flat_pivots(lay, Af, th, free, tol)
    if extra is None:
        return None, None, (f"no exact flat family: more than {MAX_FLAT_DIM} numeric flat "
                            "directions, or none that can be held fixed")
    why = "no exact rational critical point near the flat minimum"
    for rnd in _roundings(simple):
        z = _exact_point(lay, Af, AQ, th, [*fixed, *extra], rnd, newton)
        if z is None:
            continue
        evidence, val, why = _certify_at(lay, AQ, z, fixed, chosen)
        if evidence is not None:
            return evidence, val, ""
    return None, None, why


def _certify_at(lay: poly.Layout, AQ: list[list[Fraction]], z: list[Fraction],
                fixed: list[int], chosen: list[tuple[int, int]]
                ) -> tuple[dict[str, Any] | None, Fraction | None, str]:
    """Check the lemma's conditions exactly at the rational critical point ``z``."""
    zero = Fraction(0)
    H = poly.hessian(lay, AQ, z, zero)
    xis = [poly.generator_vector(lay, z, g, zero) for g in chosen]
    s = len(xis)
    if _rank(xis, lay.p) != s:
        return None, None, "the symmetry tangents are dependent at the exact point"
    kdim = len(nullspace(H, lay.p))
    d = kdim - s
    if d < 1 or d > MAX_FLAT_DIM:
        return None, None, (f"the exact Hessian kernel has dimension {kdim} with {s} symmetry "
                            f"directions; at most {MAX_FLAT_DIM} flat directions are handled")
    K: list[list[Fraction]] = []
    for cands in _candidate_sets(lay, H, xis, fixed):
        K = []
        for cand in cands:
            if len(K) == d:
                break
            if _rank([*xis, *K, cand], lay.p) == s + len(K) + 1 and \
                    is_flat_family(lay, AQ, z, [*K, cand]):
                K.append(cand)
        if len(K) == d:
            break
    if len(K) < d:
        return None, None, (f"the Hessian kernel has {d} direction(s) beyond the symmetries but "
                            f"only {len(K)} lie in an exact affine family of critical points")
    P = pivot_rows([*xis, *K])
    if P is None:
        return None, None, "the symmetry tangents and the family are dependent"
    F = [a for a in range(lay.p) if a not in P]
    piv = exact_ldl_pivots([[H[a][b] for b in F] for a in F])
    if piv is None:
        return None, None, ("the Hessian on the coordinates complementary to the flat family "
                            "is not positive definite (exact LDL^T)")
    val = poly.loss(lay, AQ, z, zero, Fraction(1, 2))
    evidence = {
        "method": "flat-family", "parameters": lay.names(),
        "point": [format_exact(v) for v in z], "objective": format_exact(val),
        "generators": [list(g) for g in chosen], "fixed": P, "free": F,
        "family": {"variables": d,
                   "terms": [{"exponents": [int(i == j) for i in range(d)],
                              "vector": [format_exact(c) for c in K[j]]} for j in range(d)]},
        "kernel_dimension": s + d,
        "ldl_pivots": [format_exact(v) for v in piv]}
    return evidence, val, ""
