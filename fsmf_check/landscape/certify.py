r"""Local minima of ``1/2 ||A - X Y^T||^2`` for any two-factor pattern: search, then certify.

:func:`analyze_landscape` runs seeded starts (alternating exact rank-one updates, the
Sparse-2-Opt style of E8, and L-BFGS quasi-Newton), polishes each converged point by
Newton steps, clusters the stationary points by loss and certifies each local minimum it can:

* **gauge slice** — the mask-preserving symmetries (column scalings and the
  ``(X (1 + t E_kl), Y (1 - t E_lk))`` groups, :func:`~fsmf_check.landscape.polynomial.generators`)
  have an orbit through every point; ``s`` coordinates (one pivot per independent generator)
  are fixed to rationals and the others are free;
* **exact** — if rounding the free coordinates to small rationals gives an exact critical
  point (gradient exactly 0), the slice Hessian is proved positive definite by an exact
  ``LDL^T`` (Sylvester) and the generator matrix on the fixed coordinates is exactly
  nonsingular;
* **interval** — otherwise a box around the numeric point is proved (python-flint ``arb``,
  :mod:`fsmf_check.landscape.intervals`) to contain a unique slice-critical point, with a
  positive definite interval Hessian on the whole box;
* **spurious** — a feasible rational point (the best point found, rounded) whose exact loss
  is below the certified lower bound of the minimum's loss.

Why this proves a local minimum (T10, §2.5): the map
``(t, z) -> g_1(t_1) ... g_s(t_s) . (z, c)`` has an invertible differential at the certified
point (generators transversal to the slice), so every nearby point is a symmetry image of a
slice point near ``z*``; the loss is invariant, and on the slice it is strictly convex around
``z*`` with zero gradient there, hence ``L >= L(z*)`` nearby. The same transversality makes
the fixed-coordinate partial derivatives vanish, so ``z*`` is a critical point of ``L``.
Minima whose slice Hessian is singular (flat directions beyond the symmetries) are
``kind = "non-strict"``: second-order conditions do not prove a minimum there, and
:func:`~fsmf_check.landscape.flat.certify_flat` tries the **flat-family** certificate
instead (an exact rational critical point, an exact affine family of critical points through
it spanning the Hessian kernel with the symmetries, and an exact ``LDL^T`` on the
complementary coordinates; the Morse–Bott-type lemma in :mod:`fsmf_check.landscape.flat`).
When it fails the minimum is reported ``certified = false`` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from fsmf_check.errors import InvalidInputError, NotApplicableError
from fsmf_check.landscape import polynomial as poly
from fsmf_check.landscape.flat import certify_flat, exact_ldl_pivots
from fsmf_check.landscape.intervals import certify_box
from fsmf_check.landscape.search import alternating_rank_one
from fsmf_check.model.certificate_schema import Certificate
from fsmf_check.model.fields import Field
from fsmf_check.model.numbers import format_exact

__all__ = ["LandscapeMinimum", "LandscapeAnalysis", "analyze_landscape", "is_disjoint_or_identical",
           "MAX_PARAMETERS"]

#: Largest number of parameters the certifier accepts (dense interval Hessians).
MAX_PARAMETERS = 60
_GRAD_TOL = 1e-9
_SAME_VALUE = 1e-7


def is_disjoint_or_identical(I: Any, J: Any) -> bool:
    """Test whether the rank-one supports ``I_k x J_k`` are pairwise disjoint or identical (T2).

    Examples
    --------
    >>> is_disjoint_or_identical([[1, 0], [0, 1]], [[1, 0], [0, 1]])
    True
    >>> is_disjoint_or_identical([[1, 0], [1, 1]], [[1, 0], [1, 1]])
    False
    """
    Im = np.asarray(I, dtype=bool)
    Jm = np.asarray(J, dtype=bool)
    rects = [(Im[:, k], Jm[:, k]) for k in range(Im.shape[1]) if Im[:, k].any() and Jm[:, k].any()]
    for a in range(len(rects)):
        for b in range(a + 1, len(rects)):
            same = np.array_equal(rects[a][0], rects[b][0]) and np.array_equal(rects[a][1],
                                                                                rects[b][1])
            meet = (rects[a][0] & rects[b][0]).any() and (rects[a][1] & rects[b][1]).any()
            if meet and not same:
                return False
    return True


def _dyadic(x: float, bits: int = 60) -> Fraction:
    return Fraction(round(x * 2**bits), 2**bits)


def _num(lay: poly.Layout, A: np.ndarray, th: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss, gradient and ``theta`` in floats (any layout: two factors or a chain)."""
    f = float(poly.loss(lay, A.tolist(), list(th), 0.0, 0.5))
    g = np.array(poly.gradient(lay, A.tolist(), list(th), 0.0), dtype=float)
    return f, g, th


def _hess(lay: poly.Layout, A: np.ndarray, th: np.ndarray) -> np.ndarray:
    return np.array(poly.hessian(lay, A.tolist(), list(th), 0.0), dtype=float)


def _newton(lay: poly.Layout, A: np.ndarray, th: np.ndarray, free: list[int] | None = None,
            iters: int = 30) -> np.ndarray:
    th = th.copy()
    idx = list(range(lay.p)) if free is None else free
    for _ in range(iters):
        _, g, _ = _num(lay, A, th)
        if np.linalg.norm(g[idx]) < 1e-15 * max(1.0, np.abs(th).max()):
            break
        H = _hess(lay, A, th)[np.ix_(idx, idx)]
        step = np.linalg.lstsq(H, g[idx], rcond=1e-12)[0]
        th[idx] -= step
    return th


def _lbfgs(lay: poly.Layout, A: np.ndarray, th0: np.ndarray) -> np.ndarray:
    from scipy.optimize import minimize

    def fg(th: np.ndarray) -> tuple[float, np.ndarray]:
        f, g, _ = _num(lay, A, th)
        return f, g

    res = minimize(fg, th0, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-12,
                                                                     "ftol": 1e-16})
    return np.asarray(res.x, dtype=float)


def _gauge(lay: poly.Layout, th: np.ndarray, gens: list[tuple[int, int]]
           ) -> tuple[list[int], list[tuple[int, int]]]:
    """Pivoted elimination on the generator matrix: fixed coordinates and chosen generators."""
    if not gens:
        return [], []
    Xi = np.array([poly.generator_vector(lay, list(th), g, 0.0) for g in gens], dtype=float).T
    Xi = Xi.copy()
    scale = max(1.0, float(np.abs(Xi).max()))
    rows: list[int] = []
    cols: list[int] = []
    while True:
        sub = np.abs(Xi)
        sub[rows, :] = 0
        sub[:, cols] = 0
        i, j = np.unravel_index(int(np.argmax(sub)), sub.shape)
        if sub[i, j] <= 1e-8 * scale:
            break
        rows.append(int(i))
        cols.append(int(j))
        Xi = Xi - np.outer(Xi[:, j], Xi[i, :]) / Xi[i, j]
    return rows, [gens[j] for j in cols]


def _simple(x: float) -> Fraction:
    """Return a short rational close to ``x`` (gauge values; exactness does not depend on it)."""
    q = Fraction(x).limit_denominator(4)
    return q if q != 0 and abs(q - x) <= 0.25 * abs(x) else _dyadic(x, 20)


def _det_nonzero(M: list[list[Fraction]]) -> bool:
    M = [row[:] for row in M]
    s = len(M)
    for c in range(s):
        p = next((i for i in range(c, s) if M[i][c] != 0), None)
        if p is None:
            return False
        M[c], M[p] = M[p], M[c]
        for i in range(c + 1, s):
            f = M[i][c] / M[c][c]
            for j in range(c, s):
                M[i][j] -= f * M[c][j]
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class LandscapeMinimum:
    """One cluster of converged starts and what was proved about it."""

    objective: float
    hits: int
    kind: str
    certified: bool
    method: str | None
    objective_enclosure: tuple[Fraction, Fraction] | None
    point: tuple[float, ...]
    evidence: dict[str, Any] | None
    failed: str | None
    spurious: bool = False

    def to_dict(self, n_starts: int, better: dict[str, Any] | None) -> dict[str, Any]:
        """JSON form (exact numbers as strings, floats as numeric evidence)."""
        enc = self.objective_enclosure
        out: dict[str, Any] = {
            "objective": (format_exact(enc[0]) if enc is not None and enc[0] == enc[1]
                          else self.objective),
            "objective_numeric": self.objective,
            "objective_enclosure": None if enc is None else [format_exact(enc[0]),
                                                             format_exact(enc[1])],
            "certified": self.certified, "kind": self.kind, "method": self.method,
            "spurious": self.spurious, "hits": self.hits,
            "fraction_of_starts": round(self.hits / n_starts, 6) if n_starts else 0.0,
            "point": [round(v, 12) for v in self.point],
            "better_point": better if self.spurious else None}
        if self.failed:
            out["not_certified_because"] = self.failed
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class LandscapeAnalysis:
    """Result of :func:`analyze_landscape`."""

    verdict: str
    explanation: str
    exact: bool
    minima: tuple[LandscapeMinimum, ...] = ()
    n_starts: int = 0
    seed: int = 0
    n_stationary: int = 0
    n_saddles: int = 0
    better: dict[str, Any] | None = None
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """docs/reference/json-schema.md ``landscape`` result."""
        return {"verdict": self.verdict, "theorem": "T10", "explanation": self.explanation,
                "exact": self.exact, "n_starts": self.n_starts, "seed": self.seed,
                "n_stationary": self.n_stationary, "n_saddles": self.n_saddles,
                "tolerances": {"grad_norm": _GRAD_TOL, "same_value": _SAME_VALUE},
                "minima": [mn.to_dict(self.n_starts, self.better) for mn in self.minima]}

    def cited_minimum(self) -> LandscapeMinimum | None:
        """Return the most-reached certified spurious minimum (the one a certificate cites)."""
        cands = [mn for mn in self.minima if mn.spurious and mn.certified]
        if not cands or self.better is None:
            return None
        return max(cands, key=lambda m: (m.hits, -m.objective))

    def certificate(self) -> dict[str, Any] | None:
        """Certificate of the most-reached certified spurious minimum (or None)."""
        mn = self.cited_minimum()
        if mn is None:
            return None
        inp = self.inputs
        m, n = len(inp["A"]), len(inp["J"])
        data: dict[str, Any] = {
            "structure": {"kind": "two-factor",
                          "I": ["".join(str(int(v)) for v in row) for row in inp["I"]],
                          "J": ["".join(str(int(v)) for v in row) for row in inp["J"]]},
            "target": {"shape": [m, n], "rows": [list(row) for row in inp["A"]]},
            "field": Field(1).to_dict(),
            "loss": inp["loss"], "parameters_order": inp["parameters"],
            **(mn.evidence or {}), "better_point": self.better}
        return Certificate("spurious-local-minimum", "local-minimum-and-better-point",
                           data).to_dict()


def _to_fraction_matrix(A: Any) -> list[list[Fraction]]:
    out = []
    for row in A:
        r = []
        for v in row:
            if hasattr(v, "im"):
                if v.im != 0:
                    msg = "the landscape certifier handles real targets only"
                    raise NotApplicableError(msg)
                v = v.re
            if isinstance(v, complex):
                msg = "the landscape certifier handles real targets only"
                raise NotApplicableError(msg)
            if isinstance(v, float) and not np.isfinite(v):
                msg = f"target entries must be finite; got {v}"
                raise InvalidInputError(msg)
            r.append(Fraction(v))
        out.append(r)
    return out


def _certify_one(lay: poly.Layout, Af: np.ndarray, AQ: list[list[Fraction]], th: np.ndarray,
                 gens: list[tuple[int, int]]) -> tuple[str, bool, str | None, Any, Any, str | None]:
    """Return (kind, certified, method, enclosure, evidence, failed)."""
    fixed, chosen = _gauge(lay, th, gens)
    free = [a for a in range(lay.p) if a not in fixed]
    th0 = th
    th = th.copy()
    cvals = {}
    for a in fixed:
        cvals[a] = _simple(float(th[a]))
    # move along the orbit onto the slice with simple gauge values (Newton on the free part)
    trial = th.copy()
    for a in fixed:
        trial[a] = float(cvals[a])
    trial = _newton(lay, Af, trial, free)
    if np.linalg.norm(_num(lay, Af, trial)[1]) < 1e-10:
        th = trial
    else:
        for a in fixed:
            cvals[a] = _dyadic(float(th[a]))
            th[a] = float(cvals[a])
        th = _newton(lay, Af, th, free)
    Hs = _hess(lay, Af, th)[np.ix_(free, free)]
    ev = np.linalg.eigvalsh(Hs) if free else np.array([1.0])
    scale = max(1.0, float(np.abs(ev).max()))
    if ev.min() <= 1e-9 * scale:
        evid, val, why = certify_flat(lay, Af, AQ, th0, fixed, chosen, tol=1e-9,
                                      newton=_newton, simple=_simple)
        if evid is not None and val is not None:
            return "non-strict", True, "flat-family", (val, val), evid, None
        return ("non-strict", False, None, None, None,
                f"the Hessian on the gauge slice has smallest eigenvalue {ev.min():.3e} "
                "(flat directions beyond the symmetries, or numerically degenerate), so "
                "second-order conditions do not prove a local minimum; flat-family "
                f"certificate: {why}")
    base = {"parameters": lay.names(), "fixed": fixed, "free": free,
            "generators": [list(g) for g in chosen]}
    # exact attempt
    for den in (12, 1000, 10**6):
        z = [Fraction(float(th[a])).limit_denominator(den) for a in range(lay.p)]
        for a in fixed:
            z[a] = cvals[a]
        if all(v == 0 for v in poly.gradient(lay, AQ, z, Fraction(0))):
            H = poly.hessian(lay, AQ, z, Fraction(0))
            d = exact_ldl_pivots([[H[a][b] for b in free] for a in free])
            M = [[poly.generator_vector(lay, z, g, Fraction(0))[f] for g in chosen]
                 for f in fixed]
            if d is not None and _det_nonzero(M):
                val = poly.loss(lay, AQ, z, Fraction(0), Fraction(1, 2))
                ev_ = {**base, "method": "exact", "point": [format_exact(v) for v in z],
                       "objective": format_exact(val),
                       "ldl_pivots": [format_exact(v) for v in d]}
                return "strict", True, "exact", (val, val), ev_, None
    # interval attempt
    center = [_dyadic(float(v)) for v in th]
    for a in fixed:
        center[a] = cvals[a]
    Hc = _hess(lay, Af, np.array([float(v) for v in center]))[np.ix_(free, free)]
    Cn = np.linalg.inv(Hc)
    C = [[_dyadic(float(v), 50) for v in row] for row in Cn]
    size = max(1.0, float(np.abs(th).max()))
    last = "no box tried"
    for rel in (1e-9, 1e-7, 1e-11, 1e-5, 1e-13):
        rho = Fraction(2) ** int(np.floor(np.log2(rel * size)))
        radius = [rho] * len(free)
        res = certify_box(lay, AQ, center, free, radius, C, fixed, chosen)
        if res.ok:
            assert res.loss_lo is not None and res.loss_hi is not None
            ev_ = {**base, "method": "krawczyk",
                   "center": [format_exact(v) for v in center],
                   "radius": [format_exact(v) for v in radius],
                   "C": [[format_exact(v) for v in row] for row in C],
                   "objective_enclosure": [format_exact(res.loss_lo), format_exact(res.loss_hi)]}
            return "strict", True, "krawczyk", (res.loss_lo, res.loss_hi), ev_, None
        last = res.failed or last
    return "strict", False, None, None, None, f"interval certification failed: {last}"


def analyze_landscape(I: Any, J: Any, A: Any, *, starts: int = 20, seed: int = 0,
                      max_iter: int = 400) -> LandscapeAnalysis:
    r"""Search and certify local minima of ``1/2 ||A - X Y^T||^2`` (supp X ⊆ I, supp Y ⊆ J).

    Parameters
    ----------
    I, J : array-like
        0/1 masks (m x r) and (n x r).
    A : sequence of rows
        Real target (exact scalars or floats; floats are used as the exact binary values).
    starts, seed : int
        Start ``s`` draws from ``numpy.random.default_rng([seed, s])``; even starts run the
        alternating rank-one updates, odd ones L-BFGS; each is polished by Newton steps.
    max_iter : int
        Sweep cap of the alternating updates.

    Returns
    -------
    LandscapeAnalysis
        ``verdict``: ``not-applicable`` (disjoint-or-identical supports: no spurious minima,
        T10 / [LRG-SIMAX]), ``spurious-minimum`` (a certified local minimum above an
        exact feasible point) or ``no-spurious-found`` (proves nothing).

    Raises
    ------
    NotApplicableError
        Complex targets; more than ``MAX_PARAMETERS`` parameters.

    Examples
    --------
    >>> res = analyze_landscape([[1, 0], [1, 1], [0, 1]], [[1, 0], [1, 1], [0, 1]],
    ...                         [[1, 2, 0], [2, 10, 0], [0, 0, 4]], starts=10)
    >>> res.verdict, [m.objective_enclosure[0] for m in res.minima if m.spurious]
    ('spurious-minimum', [Fraction(8, 1)])
    """
    Im = np.asarray(I, dtype=bool)
    Jm = np.asarray(J, dtype=bool)
    AQ = _to_fraction_matrix(A)
    m, r = Im.shape
    n = Jm.shape[0]
    if len(AQ) != m or any(len(row) != n for row in AQ):
        msg = f"target shape must be {m} x {n} for this pattern"
        raise InvalidInputError(msg)
    if starts < 1:
        msg = f"--starts must be >= 1; got {starts}"
        raise InvalidInputError(msg)
    lay = poly.layout_of(Im, Jm)
    inputs = {"I": Im.astype(int).tolist(), "J": Jm.astype(int).tolist(),
              "A": [[format_exact(v) for v in row] for row in AQ],
              "loss": "1/2 ||A - X Y^T||_F^2",
              "parameters": "X entries on I (row-major), then Y entries on J (row-major)"}
    if is_disjoint_or_identical(Im, Jm):
        return LandscapeAnalysis(
            verdict="not-applicable", exact=True, inputs=inputs,
            explanation=("The rank-one supports are pairwise disjoint or identical: the loss "
                         "decouples into unconstrained low-rank problems, so every local "
                         "minimum is global (T10 / [LRG-SIMAX]); nothing to search."))
    if lay.p > MAX_PARAMETERS:
        msg = (f"the landscape certifier handles at most {MAX_PARAMETERS} parameters; "
               f"this pattern has {lay.p}")
        raise NotApplicableError(msg)
    Af = np.array([[float(v) for v in row] for row in AQ])
    gens = poly.generators(Im, Jm)
    MU = Im.astype(float)
    MV = Jm.T.astype(float)
    def runs() -> Iterator[np.ndarray]:
        for s in range(starts):
            rng = np.random.default_rng([seed, s])
            th0 = rng.standard_normal(lay.p)
            if s % 2 == 0:
                U0, V0 = poly.unpack(lay, list(th0), 0.0)
                U, V, _ = alternating_rank_one(Af, np.eye(n), MU, MV, np.array(U0),
                                               np.array(V0).T, max_iter=max_iter)
                yield np.concatenate([U[Im], V.T[Jm]])
            else:
                yield _lbfgs(lay, Af, th0)

    minima, better, n_stat, n_saddle = classify_runs(lay, Af, AQ, runs(), gens, run_off=1e6)
    n_sp = sum(mn.spurious for mn in minima)
    if n_sp:
        verdict = "spurious-minimum"
        expl = (f"{starts} seeded starts reached {len(minima)} local-minimum value(s); {n_sp} "
                "of them are certified local minima (strict modulo the symmetries, or "
                "non-strict with an exact flat family of critical points) whose loss "
                "exceeds the exact loss of a feasible rational point, i.e. spurious ("
                "T10; certificate re-checkable by fsmf-check verify).")
    else:
        verdict = "no-spurious-found"
        expl = (f"{starts} seeded starts reached {len(minima)} local-minimum value(s) and no "
                "certified spurious one; this proves nothing about the landscape "
                "(T10; the supports are not disjoint-or-identical).")
    return LandscapeAnalysis(verdict=verdict, explanation=expl, exact=bool(n_sp),
                             minima=tuple(minima), n_starts=starts, seed=seed,
                             n_stationary=n_stat, n_saddles=n_saddle, better=better,
                             inputs=inputs)


def classify_runs(lay: poly.Layout, Af: np.ndarray, AQ: list[list[Fraction]],
                  runs: Iterable[np.ndarray], gens: list[Any], run_off: float,
                  ) -> tuple[list[LandscapeMinimum], dict[str, Any] | None, int, int]:
    """Polish each run's end point, keep the stationary non-saddles, cluster them by loss.

    Shared by two-factor patterns and chains (any :class:`polynomial.Layout`): every end point
    gets Newton steps; points off to infinity (``|theta| > run_off``), non-stationary ones and
    saddles are dropped; each cluster is certified by :func:`_certify_one`, and the best
    cluster, rounded to a rational point, is the exact better point (T10).
    Returns ``(minima, better, n_stationary, n_saddles)``.
    """
    found: list[dict[str, Any]] = []
    n_stat = n_saddle = 0
    for th in runs:
        if not np.all(np.isfinite(th)) or np.abs(th).max() > run_off:
            continue
        th = _newton(lay, Af, th)
        f, g, _ = _num(lay, Af, th)
        if not np.all(np.isfinite(th)) or np.linalg.norm(g) > _GRAD_TOL:
            continue
        n_stat += 1
        ev = np.linalg.eigvalsh(_hess(lay, Af, th))
        if ev.min() < -1e-7 * max(1.0, float(np.abs(ev).max())):
            n_saddle += 1
            continue
        for rec in found:
            if abs(rec["f"] - f) <= _SAME_VALUE * max(1.0, abs(f)):
                rec["hits"] += 1
                if np.linalg.norm(g) < rec["g"]:
                    rec.update(th=th, g=float(np.linalg.norm(g)))
                break
        else:
            found.append({"f": f, "th": th, "g": float(np.linalg.norm(g)), "hits": 1})
    found.sort(key=lambda rec: rec["f"])
    better: dict[str, Any] | None = None
    better_val: Fraction | None = None
    if found:
        bq = [Fraction(float(v)).limit_denominator(10**6) for v in found[0]["th"]]
        better_val = poly.loss(lay, AQ, bq, Fraction(0), Fraction(1, 2))
        better = {"point": [format_exact(v) for v in bq], "objective": format_exact(better_val),
                  "objective_numeric": float(better_val)}
    minima = []
    for rec in found:
        kind, cert, method, enc, evid, failed = _certify_one(lay, Af, AQ, rec["th"], gens)
        spurious = bool(cert and enc is not None and better_val is not None
                        and better_val < enc[0])
        minima.append(LandscapeMinimum(
            objective=round(float(rec["f"]), 13), hits=rec["hits"], kind=kind, certified=cert,
            method=method, objective_enclosure=enc, point=tuple(float(v) for v in rec["th"]),
            evidence=evid, failed=failed, spurious=spurious))
    return minima, better, n_stat, n_saddle
