r"""Independent checker of ``spurious-local-minimum`` certificates (stdlib Fractions only).

Re-derives everything from the certificate's ``inputs`` (``I``, ``J``, ``A``) with its own
polynomial formulas and rational interval arithmetic (products rounded outward to a dyadic
grid of ``2**-320``, which keeps the enclosures rigorous and the numbers short); it imports no
engine, no sympy and no python-flint. Three kinds of evidence:

* ``method = "exact"``: a rational point with exactly zero gradient, exact ``LDL^T`` pivots of
  the Hessian on the free (slice) coordinates all positive, and an exactly nonsingular matrix
  of symmetry generators on the fixed coordinates;
* ``method = "krawczyk"``: a rational box (``center ± radius`` on the free coordinates, fixed
  coordinates exact); re-checked in exact interval arithmetic: generator matrix nonsingular on
  the box, Krawczyk inclusion ``z0 - C g(z0) + (1 - C H(B))(B - z0) ⊂ int B`` and positive
  pivots of the interval ``LDL^T`` of ``H(B)``; the loss on the box is enclosed.

* ``method = "flat-family"`` (a non-strict minimum): a rational critical point ``x0`` and a
  polynomial family ``x(t) = x0 + sum_e t^e v_e``; the gradient of the loss along ``x(t)`` is
  expanded exactly (sparse polynomials over Q, :mod:`fsmf_check.model.polynomials`) and must
  be the zero polynomial; the symmetry tangents and ``dx/dt(0)`` must have an exactly
  nonsingular submatrix on the fixed coordinates and lie in ``ker H(x0)``; the Hessian on
  the free coordinates must have positive exact ``LDL^T`` pivots. By the flat-family lemma
  (docs/landscape.md) ``x0`` is then a local minimum and the loss equals ``L(x0)`` on the
  family.

In every case ``better_point`` must have an exact loss strictly below the certified lower
bound of the minimum's loss. Notes: T10 (§2.5).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from fsmf_check.model.polynomials import Poly, poly_add, poly_mul

__all__ = ["verify_landscape_certificate", "verify_chain_landscape_certificate",
           "MAX_FAMILY_VARIABLES", "MAX_FAMILY_TERMS",
           "MAX_FAMILY_DEGREE"]

#: Bounds on a ``flat-family`` certificate's polynomial family (keep the expansion small).
MAX_FAMILY_VARIABLES = 8
MAX_FAMILY_TERMS = 200
MAX_FAMILY_DEGREE = 4


class _Iv:
    """Closed rational interval ``[lo, hi]`` with exact arithmetic."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo: Fraction, hi: Fraction | None = None) -> None:
        self.lo = Fraction(lo)
        self.hi = Fraction(lo if hi is None else hi)

    def __add__(self, o: Any) -> _Iv:
        o = _iv(o)
        return _Iv(self.lo + o.lo, self.hi + o.hi)

    def __sub__(self, o: Any) -> _Iv:
        o = _iv(o)
        return _Iv(self.lo - o.hi, self.hi - o.lo)

    def __rsub__(self, o: Any) -> _Iv:
        return _iv(o) - self

    def __mul__(self, o: Any) -> _Iv:
        o = _iv(o)
        c = (self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi)
        return _Iv(_down(min(c)), _up(max(c)))

    __radd__ = __add__
    __rmul__ = __mul__

    def div(self, o: _Iv) -> _Iv:
        if o.lo <= 0 <= o.hi:
            raise ZeroDivisionError
        return self * _Iv(1 / o.hi, 1 / o.lo)

    def mag(self) -> Fraction:
        return max(abs(self.lo), abs(self.hi))


#: Products are rounded outward to multiples of ``2**-_GRID_BITS`` (still a rigorous enclosure;
#: keeps the exact endpoints from growing without bound through interval eliminations).
_GRID_BITS = 320
_GRID = 1 << _GRID_BITS


def _down(x: Fraction) -> Fraction:
    return x if x.denominator <= _GRID else Fraction(math.floor(x * _GRID), _GRID)


def _up(x: Fraction) -> Fraction:
    return x if x.denominator <= _GRID else Fraction(math.ceil(x * _GRID), _GRID)


def _iv(x: Any) -> _Iv:
    return x if isinstance(x, _Iv) else _Iv(Fraction(x))


def _q(s: Any) -> Fraction:
    if isinstance(s, bool) or not isinstance(s, str | int):
        msg = f"exact number expected, got {s!r}"
        raise ValueError(msg)
    return Fraction(s)


def _unpack(xs: list, ys: list, m: int, n: int, r: int, th: list, zero: Any) -> tuple:
    X = [[zero] * r for _ in range(m)]
    Y = [[zero] * r for _ in range(n)]
    for a, (i, k) in enumerate(xs):
        X[i][k] = th[a]
    for b, (j, k) in enumerate(ys):
        Y[j][k] = th[len(xs) + b]
    return X, Y


def _resid(A: list, X: list, Y: list, zero: Any) -> list:
    return [[A[i][j] - sum((X[i][k] * Y[j][k] for k in range(len(X[0]))), zero)
             for j in range(len(Y))] for i in range(len(X))]


def _derivs(A: list, xs: list, ys: list, shape: tuple, th: list, zero: Any) -> tuple:
    m, n, r = shape
    X, Y = _unpack(xs, ys, m, n, r, th, zero)
    R = _resid(A, X, Y, zero)
    g = ([zero - sum((R[i][j] * Y[j][k] for j in range(n)), zero) for i, k in xs]
         + [zero - sum((R[i][j] * X[i][k] for i in range(m)), zero) for j, k in ys])
    coords = [("x", i, k) for i, k in xs] + [("y", j, k) for j, k in ys]
    p = len(coords)
    H = [[zero] * p for _ in range(p)]
    for a, (ta, u, k) in enumerate(coords):
        for b, (tb, v, l) in enumerate(coords):
            if ta == tb == "x":
                H[a][b] = sum((Y[j][k] * Y[j][l] for j in range(n)), zero) if u == v else zero
            elif ta == tb == "y":
                H[a][b] = sum((X[i][k] * X[i][l] for i in range(m)), zero) if u == v else zero
            elif ta == "x":
                H[a][b] = X[u][l] * Y[v][k] - (R[u][v] if k == l else zero)
            else:
                H[a][b] = X[v][k] * Y[u][l] - (R[v][u] if k == l else zero)
    val = sum((e * e for row in R for e in row), zero) * Fraction(1, 2)
    return val, g, H, X, Y


def _gen_vec(xs: list, ys: list, X: list, Y: list, gen: tuple, zero: Any) -> list:
    k, l = gen
    return ([X[i][k] if c == l else zero for i, c in xs]
            + [zero - Y[j][l] if c == k else zero for j, c in ys])


def verify_landscape_certificate(data: dict[str, Any]) -> tuple[bool, list[str]]:
    """Re-check a ``spurious-local-minimum`` certificate; return (ok, one line per check).

    Never raises on a malformed or wrong certificate: it returns ``(False, [reason, ...])``.

    Examples
    --------
    >>> cert = {"schema": "fsmf-check/certificate/2",
    ...         "claim": {"kind": "spurious-local-minimum"},
    ...         "inputs": {"I": [[1]], "J": [[1]], "A": [["1"]]}, "evidence": {}}
    >>> verify_landscape_certificate(cert)[0]
    False
    """
    checks: list[str] = []
    try:
        ok = _verify(data, checks)
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError,
            AttributeError) as exc:
        checks.append(f"FAIL malformed certificate: {type(exc).__name__}: {exc}")
        return False, checks
    return ok, checks


def _verify(data: dict[str, Any], checks: list[str]) -> bool:
    if data.get("schema") != "fsmf-check/certificate/2":
        checks.append("FAIL schema is not fsmf-check/certificate/2")
        return False
    if data["claim"]["kind"] != "spurious-local-minimum":
        checks.append("FAIL claim kind is not spurious-local-minimum")
        return False
    inp, ev = data["inputs"], data["evidence"]
    I, J = inp["I"], inp["J"]
    A = [[_q(v) for v in row] for row in inp["A"]]
    m, r = len(I), len(I[0])
    n = len(J)
    if any(len(row) != r for row in I) or any(len(row) != r for row in J) or len(A) != m or \
            any(len(row) != n for row in A) or any(v not in (0, 1) for row in I + J for v in row):
        checks.append("FAIL inputs: I (m x r), J (n x r) must be 0/1 and A must be m x n")
        return False
    xs = [(i, k) for i in range(m) for k in range(r) if I[i][k]]
    ys = [(j, k) for j in range(n) for k in range(r) if J[j][k]]
    p = len(xs) + len(ys)
    shape = (m, n, r)
    fixed, free = [int(a) for a in ev["fixed"]], [int(a) for a in ev["free"]]
    if sorted(fixed + free) != list(range(p)):
        checks.append("FAIL fixed and free coordinates must partition the parameters")
        return False
    gens = [(int(k), int(l)) for k, l in ev["generators"]]
    if len(gens) != len(fixed) and ev["method"] != "flat-family":
        checks.append("FAIL one symmetry generator per fixed coordinate is needed")
        return False
    for k, l in gens:
        colk_I = {i for i in range(m) if I[i][k]}
        coll_I = {i for i in range(m) if I[i][l]}
        colk_J = {j for j in range(n) if J[j][k]}
        coll_J = {j for j in range(n) if J[j][l]}
        if k != l and not (colk_I <= coll_I and coll_J <= colk_J):
            checks.append(f"FAIL generator ({k},{l}) does not preserve the supports")
            return False
    checks.append(f"ok   {len(gens)} generator(s) {gens} are support-preserving symmetries "
                  "(column scalings; X(1+tE_kl), Y(1-tE_lk) with I_k ⊆ I_l, J_l ⊆ J_k)")
    model = _TwoFactor(A, xs, ys, shape)
    if ev["method"] == "flat-family":
        lo = _flat_family(ev, A, xs, ys, shape, gens, fixed, free, checks)
    else:
        lo = _check_strict_minimum(model, ev, fixed, free, gens, checks)
    return lo is not None and _better_point(model, ev, lo, checks)


class _TwoFactor:
    """The two-factor loss in the interface of :class:`_Chain` (``p``, ``derivs``, ``gen_vec``)."""

    def __init__(self, A: list, xs: list, ys: list, shape: tuple) -> None:
        self.A, self.xs, self.ys, self.shape = A, xs, ys, shape
        self.p = len(xs) + len(ys)

    def derivs(self, th: list, zero: Any) -> tuple:
        val, g, H, X, Y = _derivs(self.A, self.xs, self.ys, self.shape, th, zero)
        return val, g, H, (X, Y)

    def gen_vec(self, F: tuple, gen: tuple, zero: Any) -> list:
        return _gen_vec(self.xs, self.ys, F[0], F[1], gen, zero)


def _better_point(model: _TwoFactor | _Chain, ev: dict[str, Any], lo: Fraction,
                  checks: list[str]) -> bool:
    """Check that the rational feasible better point has exact loss strictly below ``lo``."""
    bp = [_q(v) for v in ev["better_point"]["point"]]
    if len(bp) != model.p:
        checks.append("FAIL better point has the wrong length")
        return False
    bval = model.derivs(bp, Fraction(0))[0]
    if not bval < lo:
        checks.append(f"FAIL better point loss {bval} is not below the minimum's loss bound")
        return False
    checks.append(f"ok   the feasible rational better point has exact loss {bval} "
                  f"(~{float(bval):.12g}) < {float(lo):.12g}: the local minimum is spurious")
    return True


def _family(ev: dict[str, Any], p: int) -> tuple[int, list[tuple[tuple[int, ...], list]]]:
    fam = ev["family"]
    d = int(fam["variables"])
    if not 1 <= d <= MAX_FAMILY_VARIABLES or len(fam["terms"]) > MAX_FAMILY_TERMS:
        msg = (f"family needs 1..{MAX_FAMILY_VARIABLES} variables and at most "
               f"{MAX_FAMILY_TERMS} terms")
        raise ValueError(msg)
    terms = []
    for term in fam["terms"]:
        e = tuple(int(v) for v in term["exponents"])
        vec = [_q(v) for v in term["vector"]]
        if len(e) != d or any(v < 0 for v in e) or not 1 <= sum(e) <= MAX_FAMILY_DEGREE \
                or len(vec) != p:
            msg = (f"family term {list(e)}: exponents must be {d} nonnegative integers of total "
                   f"degree 1..{MAX_FAMILY_DEGREE} and the vector must have length {p}")
            raise ValueError(msg)
        terms.append((e, vec))
    if len({e for e, _ in terms}) != len(terms):
        msg = "family terms repeat a monomial"
        raise ValueError(msg)
    return d, terms


def _flat_family(ev: dict[str, Any], A: list, xs: list, ys: list, shape: tuple, gens: list,
                 fixed: list[int], free: list[int], checks: list[str]) -> Fraction | None:
    """Check ``flat-family`` evidence (non-strict minimum); return the loss or None (failed)."""
    zero_q = Fraction(0)
    p = len(xs) + len(ys)
    th = [_q(v) for v in ev["point"]]
    if len(th) != p:
        checks.append("FAIL point has the wrong length")
        return None
    d, terms = _family(ev, p)
    val, g, H, X, Y = _derivs(A, xs, ys, shape, th, zero_q)
    if any(v != 0 for v in g):
        checks.append("FAIL the gradient at the point is not exactly zero")
        return None
    checks.append(f"ok   exact gradient at the rational point x0 is 0; loss = {val}")
    # x(t) = x0 + sum_terms t^e v as polynomials in t; expand grad L(x(t)) exactly
    const = tuple([0] * d)
    xt: list[Poly] = [({const: c} if c else {}) for c in th]
    for e, vec in terms:
        for a in range(p):
            if vec[a]:
                xt[a] = poly_add(xt[a], {e: vec[a]})
    gt = _poly_gradient(A, xs, ys, shape, xt, const)
    if any(gt):
        bad = next(a for a in range(p) if gt[a])
        checks.append(f"FAIL the gradient along the family x(t) is not identically 0 "
                      f"(component {bad})")
        return None
    nterms = len(terms)
    checks.append(f"ok   grad L(x(t)) = 0 identically for the polynomial family x(t) = x0 + "
                  f"({nterms} term(s) in t_1..t_{d}), expanded exactly: L = {val} on the family")
    T = []
    for j in range(d):
        e = tuple(int(i == j) for i in range(d))
        T.append(next((vec for ee, vec in terms if ee == e), [zero_q] * p))
    xis = [_gen_vec(xs, ys, X, Y, gn, zero_q) for gn in gens]
    if len(fixed) != len(gens) + d:
        checks.append(f"FAIL {len(gens)} generator(s) and {d} family direction(s) need "
                      f"{len(gens) + d} fixed coordinates, got {len(fixed)}")
        return None
    M = [[v[f] for v in [*xis, *T]] for f in fixed]
    if not _nonsingular(M):
        checks.append("FAIL the symmetry tangents and the family tangents dx/dt(0) are not "
                      "transversal to the free coordinates (submatrix singular)")
        return None
    checks.append(f"ok   the {len(gens)} symmetry tangent(s) and the {d} family tangent(s) "
                  "dx/dt(0) have an exactly nonsingular submatrix on the fixed coordinates")
    for v in [*xis, *T]:
        if any(sum((H[a][b] * v[b] for b in range(p)), zero_q) != 0 for a in range(p)):
            checks.append("FAIL a symmetry or family tangent is not in the Hessian kernel")
            return None
    Hs = [[H[a][b] for b in free] for a in free]
    if _ldl(Hs, lambda s: s > 0, lambda x, y: x / y, zero_q) is None:
        checks.append("FAIL the Hessian on the free coordinates is not positive definite "
                      "(exact LDL^T)")
        return None
    kdim = len(gens) + d
    if int(ev["kernel_dimension"]) != kdim:
        checks.append(f"FAIL kernel_dimension {ev['kernel_dimension']} is not {kdim}")
        return None
    checks.append(f"ok   exact LDL^T of the {len(free)} x {len(free)} Hessian on the free "
                  f"coordinates has positive pivots; the tangents lie in ker H, so ker H has "
                  f"dimension exactly {kdim} = {len(gens)} symmetries + {d} flat")
    checks.append("ok   flat-family lemma (Morse-Bott type): x0 is a local minimum, non-strict "
                  f"beyond the symmetries (loss {val} on a {kdim}-dimensional set through x0)")
    return val


def _poly_gradient(A: list, xs: list, ys: list, shape: tuple, th: list[Poly],
                   const: tuple[int, ...]) -> list[Poly]:
    """``dL/dX_ik = -(R Y)_ik``, ``dL/dY_jk = -(R^T X)_jk`` with polynomial entries."""
    m, n, r = shape
    X: list[list[Poly]] = [[{} for _ in range(r)] for _ in range(m)]
    Y: list[list[Poly]] = [[{} for _ in range(r)] for _ in range(n)]
    for a, (i, k) in enumerate(xs):
        X[i][k] = th[a]
    for b, (j, k) in enumerate(ys):
        Y[j][k] = th[len(xs) + b]
    R: list[list[Poly]] = []
    for i in range(m):
        row = []
        for j in range(n):
            e: Poly = {const: A[i][j]} if A[i][j] else {}
            for k in range(r):
                e = poly_add(e, poly_mul(X[i][k], Y[j][k]), Fraction(-1))
            row.append(e)
        R.append(row)
    g: list[Poly] = []
    for i, k in xs:
        s: Poly = {}
        for j in range(n):
            s = poly_add(s, poly_mul(R[i][j], Y[j][k]), Fraction(-1))
        g.append(s)
    for j, k in ys:
        s = {}
        for i in range(m):
            s = poly_add(s, poly_mul(R[i][j], X[i][k]), Fraction(-1))
        g.append(s)
    return g


def _nonsingular(M: list[list[Fraction]]) -> bool:
    M = [row[:] for row in M]
    s = len(M)
    for c in range(s):
        piv = next((i for i in range(c, s) if M[i][c] != 0), None)
        if piv is None:
            return False
        M[c], M[piv] = M[piv], M[c]
        for i in range(c + 1, s):
            f = M[i][c] / M[c][c]
            for j in range(c, s):
                M[i][j] -= f * M[c][j]
    return True


def _ldl(H: list, positive: Any, div: Any, zero: Any) -> list | None:
    q = len(H)
    L = [[zero] * q for _ in range(q)]
    d: list = []
    for j in range(q):
        s = H[j][j] - sum((L[j][k] * L[j][k] * d[k] for k in range(j)), zero)
        if not positive(s):
            return None
        d.append(s)
        for i in range(j + 1, q):
            L[i][j] = div(H[i][j] - sum((L[i][k] * L[j][k] * d[k] for k in range(j)), zero), s)
    return d


def _ge(M: list, nonzero: Any, div: Any) -> bool:
    M = [row[:] for row in M]
    s = len(M)
    for c in range(s):
        if not nonzero(M[c][c]):
            return False
        for i in range(c + 1, s):
            f = div(M[i][c], M[c][c])
            for j in range(c, s):
                M[i][j] = M[i][j] - f * M[c][j]
    return True


# --------------------------------------------------------------------------------------------
# chains: 1/2 ||A - F_0 F_1 ... F_{L-1}||^2


def verify_chain_landscape_certificate(data: dict[str, Any]) -> tuple[bool, list[str]]:
    """Re-check a chain ``spurious-local-minimum`` certificate; return (ok, one line per check).

    ``data["inputs"]`` holds ``factors`` (0/1 masks ``M_t``, ``d_t x d_{t+1}``) and ``A``;
    ``data["evidence"]`` the same keys as a two-factor certificate, with generators
    ``(t, k, l)``: ``F_t -> F_t (1 + s E_kl)``, ``F_{t+1} -> (1 - s E_kl) F_{t+1}``.
    Never raises on a malformed or wrong certificate.

    Examples
    --------
    >>> cert = {"inputs": {"factors": [[[1]], [[1]], [[1]]], "A": [["1"]]}, "evidence": {}}
    >>> verify_chain_landscape_certificate(cert)[0]
    False
    """
    checks: list[str] = []
    try:
        ok = _verify_chain(data, checks)
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError,
            AttributeError) as exc:
        checks.append(f"FAIL malformed certificate: {type(exc).__name__}: {exc}")
        return False, checks
    return ok, checks


class _Chain:
    """Masks, parameter positions and exact derivative formulas of a chain loss."""

    def __init__(self, masks: list, A: list) -> None:
        self.M = masks
        self.A = A
        self.L = len(masks)
        self.dims = [len(masks[0])] + [len(M[0]) for M in masks]
        self.pos = [(t, a, b) for t, M in enumerate(masks) for a in range(len(M))
                    for b in range(len(M[0])) if M[a][b]]
        self.p = len(self.pos)

    def factors(self, th: list, zero: Any) -> list:
        F = [[[zero] * self.dims[t + 1] for _ in range(self.dims[t])] for t in range(self.L)]
        for (t, a, b), v in zip(self.pos, th, strict=True):
            F[t][a][b] = v
        return F

    @staticmethod
    def _prod(mats: list, size: int, zero: Any) -> list:
        """Product of ``mats`` (identity of ``size`` when empty)."""
        P = [[zero + (1 if i == j else 0) for j in range(size)] for i in range(size)]
        for Q in mats:
            P = [[sum((P[i][k] * Q[k][j] for k in range(len(Q))), zero)
                  for j in range(len(Q[0]))] for i in range(len(P))]
        return P

    def derivs(self, th: list, zero: Any) -> tuple:
        """Loss, gradient, Hessian and factors at ``th`` (any number type with + - *)."""
        F = self.factors(th, zero)
        m, n = self.dims[0], self.dims[-1]
        left = [self._prod(F[:t], m, zero) for t in range(self.L)]
        right = [self._prod(F[t + 1:], self.dims[t + 1], zero) for t in range(self.L)]
        P = self._prod(F, m, zero)
        R = [[self.A[i][j] - P[i][j] for j in range(n)] for i in range(m)]
        # J_u = d(product)/d theta_u = Left_t[:, a] Right_t[b, :]
        Jac = [[[left[t][i][a] * right[t][b][j] for j in range(n)] for i in range(m)]
               for t, a, b in self.pos]
        g = [zero - sum((R[i][j] * Ju[i][j] for i in range(m) for j in range(n)), zero)
             for Ju in Jac]
        # second derivatives of the product: Left_s[:, a] Mid_{s,t}[b, c] Right_t[d, :], s < t
        mids = {(s, t): self._prod(F[s + 1:t], self.dims[s + 1], zero)
                for s in range(self.L) for t in range(s + 1, self.L)}
        RL = [[[sum((R[i][j] * left[s][i][a] for i in range(m)), zero) for j in range(n)]
               for a in range(self.dims[s])] for s in range(self.L)]
        H = [[zero] * self.p for _ in range(self.p)]
        for u, (s, a, b) in enumerate(self.pos):
            for v in range(u, self.p):
                t, c, d = self.pos[v]
                h = sum((Jac[u][i][j] * Jac[v][i][j] for i in range(m) for j in range(n)), zero)
                if s < t:
                    h = h - mids[(s, t)][b][c] * sum((RL[s][a][j] * right[t][d][j]
                                                      for j in range(n)), zero)
                H[u][v] = H[v][u] = h
        val = sum((e * e for row in R for e in row), zero) * Fraction(1, 2)
        return val, g, H, F

    def gen_ok(self, gen: tuple[int, int, int]) -> bool:
        t, k, l = gen
        if not (0 <= t < self.L - 1 and 0 <= k < self.dims[t + 1] and 0 <= l < self.dims[t + 1]):
            return False
        P, Q = self.M[t], self.M[t + 1]
        col_k = {a for a in range(len(P)) if P[a][k]}
        col_l = {a for a in range(len(P)) if P[a][l]}
        row_k = {b for b in range(len(Q[0])) if Q[k][b]}
        row_l = {b for b in range(len(Q[0])) if Q[l][b]}
        return k == l or (col_k <= col_l and row_l <= row_k)

    def gen_vec(self, F: list, gen: tuple[int, int, int], zero: Any) -> list:
        """Tangent of ``F_t (1 + s E_kl)``, ``(1 - s E_kl) F_{t+1}`` at ``s = 0``."""
        t, k, l = gen
        return [F[t][a][k] if (s == t and b == l) else
                (zero - F[t + 1][l][b] if (s == t + 1 and a == k) else zero)
                for s, a, b in self.pos]


def _verify_chain(data: dict[str, Any], checks: list[str]) -> bool:
    inp, ev = data["inputs"], data["evidence"]
    masks = inp["factors"]
    A = [[_q(v) for v in row] for row in inp["A"]]
    if len(masks) < 2 or any(not M or any(len(row) != len(M[0]) for row in M) for M in masks) \
            or any(v not in (0, 1) for M in masks for row in M for v in row) \
            or any(len(masks[t][0]) != len(masks[t + 1]) for t in range(len(masks) - 1)):
        checks.append("FAIL inputs: the factors must be >= 2 chaining 0/1 masks")
        return False
    ch = _Chain(masks, A)
    if len(A) != ch.dims[0] or any(len(row) != ch.dims[-1] for row in A):
        checks.append("FAIL inputs: A does not have the shape of the chain's product")
        return False
    fixed, free = [int(a) for a in ev["fixed"]], [int(a) for a in ev["free"]]
    if sorted(fixed + free) != list(range(ch.p)):
        checks.append("FAIL fixed and free coordinates must partition the parameters")
        return False
    gens = [(int(t), int(k), int(l)) for t, k, l in ev["generators"]]
    if len(gens) != len(fixed):
        checks.append("FAIL one symmetry generator per fixed coordinate is needed")
        return False
    for gen in gens:
        if not ch.gen_ok(gen):
            checks.append(f"FAIL generator {list(gen)} does not preserve the masks")
            return False
    checks.append(f"ok   chain of {ch.L} factors, {ch.p} parameters; {len(gens)} generator(s) "
                  "are mask-preserving interface symmetries (scalings F_t D, D^-1 F_t+1; "
                  "mixings F_t(1+sE_kl), (1-sE_kl)F_t+1 with col k ⊆ col l, row l ⊆ row k)")
    lo = _check_strict_minimum(ch, ev, fixed, free, gens, checks)
    return lo is not None and _better_point(ch, ev, lo, checks)


def _check_strict_minimum(ch: _TwoFactor | _Chain, ev: dict[str, Any], fixed: list[int],
                          free: list[int], gens: list[Any], checks: list[str]
                          ) -> Fraction | None:
    """Exact or Krawczyk evidence of a strict local minimum modulo ``gens``; its loss bound."""
    method = ev["method"]
    zq = Fraction(0)
    if method == "exact":
        th = [_q(v) for v in ev["point"]]
        if len(th) != ch.p:
            checks.append("FAIL point has the wrong length")
            return None
        val, g, H, F = ch.derivs(th, zq)
        if any(v != 0 for v in g):
            checks.append("FAIL the gradient at the point is not exactly zero")
            return None
        checks.append(f"ok   exact gradient at the rational point is 0; loss = {val}")
        if _ldl([[H[a][b] for b in free] for a in free], lambda s: s > 0,
                lambda x, y: x / y, zq) is None:
            checks.append("FAIL the slice Hessian is not positive definite (exact LDL^T)")
            return None
        checks.append(f"ok   exact LDL^T of the {len(free)} x {len(free)} slice Hessian has "
                      "positive pivots (Sylvester)")
        M = [[ch.gen_vec(F, gn, zq)[f] for gn in gens] for f in fixed]
        if not _ge(M, lambda v: v != 0, lambda x, y: x / y):
            checks.append("FAIL the generators are not transversal to the slice")
            return None
        checks.append("ok   generator matrix on the fixed coordinates is exactly nonsingular")
        return val
    if method != "krawczyk":
        checks.append(f"FAIL unknown evidence method {method!r}")
        return None
    center = [_q(v) for v in ev["center"]]
    radius = [_q(v) for v in ev["radius"]]
    C = [[_q(v) for v in row] for row in ev["C"]]
    q = len(free)
    if len(center) != ch.p or len(radius) != q or any(x <= 0 for x in radius) or \
            len(C) != q or any(len(row) != q for row in C):
        checks.append("FAIL box or preconditioner has the wrong shape")
        return None
    box: list[_Iv] = [_Iv(c) for c in center]
    for f, rho in zip(free, radius, strict=True):
        box[f] = _Iv(center[f] - rho, center[f] + rho)
    zi = _Iv(Fraction(0))
    valB, _, HB, FB = ch.derivs(box, zi)
    M = [[ch.gen_vec(FB, gn, zi)[f] for gn in gens] for f in fixed]
    if not _ge(M, lambda v: not (v.lo <= 0 <= v.hi), lambda x, y: x.div(y)):
        checks.append("FAIL the generators are not proven transversal on the box")
        return None
    checks.append("ok   generator matrix on the fixed coordinates is nonsingular on the whole "
                  "box (interval elimination)")
    g0 = ch.derivs(center, zq)[1]
    Hs = [[HB[a][b] for b in free] for a in free]
    for a in range(q):
        kb = _iv(center[free[a]] - sum((C[a][b] * g0[free[b]] for b in range(q)), zq))
        for b in range(q):
            coef = _iv(1 if a == b else 0) - sum((Hs[c][b] * C[a][c] for c in range(q)), zi)
            kb = kb + coef * _Iv(-radius[b], radius[b])
        if not (kb - center[free[a]]).mag() < radius[a]:
            checks.append(f"FAIL Krawczyk inclusion fails on free coordinate {free[a]}")
            return None
    checks.append("ok   Krawczyk: K(B) lies in the interior of B, so B holds exactly one "
                  "critical point of the loss on the slice")
    if _ldl(Hs, lambda s: s.lo > 0, lambda x, y: x.div(y), zi) is None:
        checks.append("FAIL interval LDL^T of the slice Hessian has a pivot not > 0")
        return None
    checks.append("ok   interval LDL^T of the slice Hessian has positive pivots on the whole box: "
                  "the loss is strictly convex there, the critical point is a strict local "
                  "minimum on the slice")
    checks.append(f"ok   loss on the box >= {valB.lo} (~{float(valB.lo):.12g})")
    return valB.lo
