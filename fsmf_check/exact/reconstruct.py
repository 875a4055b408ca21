r"""Rational reconstruction of numeric chain factors: candidates for an exact membership proof.

When the exact chain engine cannot decide membership (no bracketing tree is certified
tractable and no split refutes ``A``), a rational factorization may still exist. This module
searches for one, numerically, and proposes it:

1. **Float search.** Levenberg-Marquardt on the masked entries of ``F[0..L-1]`` for the
   equations ``F[0] @ ... @ F[L-1] = A`` (a few seeded random starts, least-squares steps).
2. **Gauge.** Between consecutive factors the product is invariant under
   ``F[l-1] D^-1``, ``D F[l]`` (T8). For every interface index ``k`` the entry of largest
   modulus in column ``k`` of ``F[l-1]`` is scaled to exactly ``1`` (left to right, so later
   scalings never touch an entry fixed before).
3. **Reconstruction.** Every entry within ``RECON_TOLERANCE`` (relative) of a fraction with
   denominator at most ``RECON_DENOMINATOR_BOUND`` (:meth:`fractions.Fraction.limit_denominator`,
   continued fractions) is fixed to that fraction and the remaining entries are re-solved.
   Entries near no such fraction lie on a free direction of the solution set: they are fixed
   to the nearest integer and the rest re-solved.
4. **Exact check.** The fractions are multiplied in exact rational arithmetic; a candidate is
   returned only if the product equals ``A``.

Floats only *propose* candidates here. The caller re-checks the product with its exact backend
and is the only one who answers ``member``; a numeric failure never means ``not-member``.
Only targets over Q are handled (cyclotomic and Gaussian targets are skipped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from fsmf_check.errors import ExactnessError
from fsmf_check.model.numbers import fraction_rref

__all__ = ["ReconstructionResult", "reconstruct_chain", "RECON_MAX_UNKNOWNS",
           "RECON_MAX_ENTRIES", "RECON_DENOMINATOR_BOUND", "RECON_RESTARTS",
           "RECON_WORK_BUDGET", "RECON_RESIDUAL_TOLERANCE"]

#: largest number of masked factor entries the float search attempts
RECON_MAX_UNKNOWNS = 128
#: largest number of entries of ``A`` (equations) the float search attempts
RECON_MAX_ENTRIES = 4096
#: denominator bound of the rational reconstruction (continued fractions)
RECON_DENOMINATOR_BOUND = 10_000
#: seeded random starts of the float search
RECON_RESTARTS = 6
#: relative distance below which a float entry is identified with a fraction
RECON_TOLERANCE = 1e-10
#: a float solution is accepted (and rounded) when max |F[0] ... F[L-1] - A| <= this times max |A|
RECON_RESIDUAL_TOLERANCE = 1e-11
_MAX_ITER = 300
#: floating-point work budget of one search (sum of ``rows * unknowns^2`` over the steps)
RECON_WORK_BUDGET = 1e9


class _OutOfBudget(Exception):
    """The float search used up :data:`RECON_WORK_BUDGET`."""


@dataclass
class ReconstructionResult:
    """Outcome of :func:`reconstruct_chain`.

    ``factors`` are rows of :class:`fractions.Fraction` whose product equals ``A`` exactly
    (checked in rational arithmetic), or ``None``. ``residual`` is the smallest relative float
    residual ``max |F[0] ... F[L-1] - A| / max |A|`` reached, ``reason`` says why no candidate
    was produced.
    """

    factors: list[list[list[Fraction]]] | None
    residual: float | None
    denominator_bound: int = RECON_DENOMINATOR_BOUND
    restarts: int = 0
    reason: str = ""
    details: dict[str, object] = field(default_factory=dict)

    def describe(self) -> str:
        """One phrase for the ``tried`` list and explanations."""
        res = "none" if self.residual is None else f"{self.residual:.1e}"
        text = (f"rational reconstruction of numeric factors (residual {res}, denominator "
                f"bound {self.denominator_bound}, {self.restarts} seeded starts)")
        return text if self.factors is not None or not self.reason else \
            f"{text}: {self.reason}"


class _Chain:
    """Float model of a masked chain: unknowns, product, Jacobian."""

    def __init__(self, masks: list[np.ndarray]) -> None:
        self.work = 0.0
        self.masks = [np.asarray(M, dtype=bool) for M in masks]
        self.pos = [np.nonzero(M) for M in self.masks]
        sizes = [int(M.sum()) for M in self.masks]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.n = int(self.offsets[-1])
        self.m, self.ncol = self.masks[0].shape[0], self.masks[-1].shape[1]

    def factors(self, x: np.ndarray) -> list[np.ndarray]:
        out = []
        for l, M in enumerate(self.masks):
            F = np.zeros(M.shape)
            F[self.pos[l]] = x[self.offsets[l]:self.offsets[l + 1]]
            out.append(F)
        return out

    def pack(self, F: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([F[l][self.pos[l]] for l in range(len(F))])

    def product(self, x: np.ndarray) -> np.ndarray:
        F = self.factors(x)
        P = F[0]
        for G in F[1:]:
            P = P @ G
        return P

    def jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(product, d vec(product) / d x) with rows in C order of the product."""
        F = self.factors(x)
        L = len(F)
        pre = [np.eye(self.m)]
        for G in F:
            pre.append(pre[-1] @ G)
        suf = [np.eye(self.ncol)]
        for G in reversed(F):
            suf.append(G @ suf[-1])
        suf = suf[::-1]  # suf[l] = F[l] ... F[L-1]; suf[L] = I
        J = np.empty((self.m * self.ncol, self.n))
        for l in range(L):
            ii, jj = self.pos[l]
            left, right = pre[l][:, ii], suf[l + 1][jj, :]
            cols = left[:, None, :] * right.T[None, :, :]
            J[:, self.offsets[l]:self.offsets[l + 1]] = cols.reshape(self.m * self.ncol, -1)
        return pre[-1], J


def _solve(ch: _Chain, A: np.ndarray, x: np.ndarray, free: np.ndarray, tol: float,
           ) -> tuple[np.ndarray, float]:
    """Levenberg-Marquardt on the free unknowns; returns (x, max |residual|).

    Steps solve the damped normal equations ``(J^T J + lam diag(J^T J)) dx = -J^T r``; the
    Gram matrix is formed once per accepted step.
    """
    x = x.copy()
    P, J = ch.jacobian(x)
    r = (P - A).reshape(-1)
    cost = float(r @ r)
    if not free.any():
        return x, float(np.abs(r).max(initial=0.0))
    lam = 1e-3
    target = tol * 1e-4  # polish well below the acceptance tolerance: entries get identified
    H: np.ndarray | None = None
    g = dd = np.zeros(0)
    for _ in range(_MAX_ITER):
        if np.abs(r).max(initial=0.0) <= target:
            break
        if H is None:
            Jf = J[:, free]
            ch.work += Jf.shape[0] * Jf.shape[1] ** 2
            if ch.work > RECON_WORK_BUDGET:
                raise _OutOfBudget
            H, g = Jf.T @ Jf, Jf.T @ r
            dd = np.maximum(np.diag(H), 1e-12 * max(1.0, float(np.diag(H).max())))
        try:
            step = np.linalg.solve(H + lam * np.diag(dd), -g)
        except np.linalg.LinAlgError:
            step = None
        if step is not None:
            trial = x.copy()
            trial[free] += step
            r_new = (ch.product(trial) - A).reshape(-1)
            c_new = float(r_new @ r_new)
            if np.isfinite(c_new) and c_new < cost:
                x, cost = trial, c_new
                P, J = ch.jacobian(x)
                r = (P - A).reshape(-1)
                lam = max(lam / 5.0, 1e-15)
                H = None
                continue
        lam *= 8.0
        if lam > 1e12:
            break
    return x, float(np.abs(r).max(initial=0.0))


def _gauge(ch: _Chain, x: np.ndarray, floor: float) -> tuple[np.ndarray, list[int]]:
    """Scale the largest entry of every interface column of ``F[l-1]`` to 1 (left to right)."""
    F = ch.factors(x)
    fixed: list[int] = []
    for l in range(1, len(F)):
        for k in range(F[l - 1].shape[1]):
            col = np.where(ch.masks[l - 1][:, k], np.abs(F[l - 1][:, k]), 0.0)
            i = int(np.argmax(col)) if col.size else 0
            if col.size == 0 or col[i] <= floor:
                continue
            c = F[l - 1][i, k]
            F[l - 1][:, k] /= c
            F[l][k, :] *= c
            F[l - 1][i, k] = 1.0
            rows, cols = ch.pos[l - 1]
            fixed.append(int(ch.offsets[l - 1]
                             + np.flatnonzero((rows == i) & (cols == k))[0]))
    return ch.pack(F), fixed


def _near_fraction(v: float, bound: int) -> Fraction | None:
    """Return the fraction ``p/d`` (``d <= bound``) nearest ``v`` if it is a *surprising* match.

    A match needs ``|v - p/d| <= RECON_TOLERANCE * max(1, |v|)`` and ``d^2`` times that
    tolerance below ``1e-3``: about one float in a thousand lies that close to some fraction
    with such a denominator by chance (continued-fraction argument).
    """
    err = RECON_TOLERANCE * max(1.0, abs(v))
    q = Fraction(float(v)).limit_denominator(bound)
    if abs(float(q) - v) > err or q.denominator ** 2 * err > 1e-3:
        return None
    return q


def _exact_product(ch: _Chain, vals: dict[int, Fraction]) -> list[list[Fraction]]:
    mats = _as_rows(ch, vals)
    P = mats[0]
    for G in mats[1:]:
        P = [[sum((row[k] * G[k][j] for k in range(len(G))), Fraction(0))
              for j in range(len(G[0]))] for row in P]
    return P


def _solve_exact(M: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    """One solution of ``M y = b`` over Q (free unknowns 0), or None if inconsistent."""
    rows = [list(r) + [c] for r, c in zip(M, b, strict=True)]
    n = len(M[0]) if M else 0
    rows, piv = fraction_rref(rows, n)
    r0 = len(piv)
    if any(row[-1] != 0 for row in rows[r0:]):
        return None
    y = [Fraction(0)] * n
    for i, c in enumerate(piv):
        y[c] = rows[i][-1]
    return y


def _last_factor_exact(ch: _Chain, fixed: dict[int, Fraction], Aq: list[list[Fraction]],
                       ) -> dict[int, Fraction] | None:
    """With ``F[0..L-2]`` fixed, ``P F[L-1] = A`` is linear: solve it exactly, column by column."""
    L = len(ch.masks)
    last = ch.offsets[L - 1]
    vals = dict(fixed)
    for v in range(int(last), ch.n):
        vals.setdefault(v, Fraction(0))
    mats = _as_rows(ch, vals)
    P = [[Fraction(int(i == j)) for j in range(ch.m)] for i in range(ch.m)]
    for G in mats[:-1]:
        P = [[sum((row[k] * G[k][j] for k in range(len(G))), Fraction(0))
              for j in range(len(G[0]))] for row in P]
    rows, cols = ch.pos[L - 1]
    for j in range(ch.ncol):
        idx = np.flatnonzero(cols == j)
        b = [Aq[i][j] for i in range(ch.m)]
        if idx.size == 0:
            if any(b):
                return None
            continue
        y = _solve_exact([[P[i][int(rows[t])] for t in idx] for i in range(ch.m)], b)
        if y is None:
            return None
        for t, val in zip(idx, y, strict=True):
            vals[int(last + t)] = val
    return vals


def _free_order(ch: _Chain, x: np.ndarray, free_idx: list[int]) -> list[int]:
    """Free unknowns along which the float solution set extends, earlier factors first."""
    _, J = ch.jacobian(x)
    Jf = J[:, free_idx]
    ch.work += Jf.shape[0] * Jf.shape[1] ** 2
    _, sv, vt = np.linalg.svd(Jf, full_matrices=True)
    rank = int((sv > 1e-9 * max(1.0, float(sv.max(initial=0.0)))).sum())
    null = vt[rank:].T  # columns: directions of the solution set (first order)
    weight = np.linalg.norm(null, axis=1) if null.size else np.zeros(len(free_idx))
    factor = np.searchsorted(ch.offsets, np.array(free_idx), side="right") - 1
    order = sorted(range(len(free_idx)), key=lambda t: (weight[t] < 1e-6, factor[t], -weight[t]))
    return [free_idx[t] for t in order]


def _round_all(ch: _Chain, A: np.ndarray, Aq: list[list[Fraction]], x: np.ndarray,
               fixed: dict[int, Fraction], tol: float, bound: int) -> dict[int, Fraction] | None:
    """Fix every unknown to a fraction, re-solving the others after each batch."""
    fixed = dict(fixed)
    last = int(ch.offsets[len(ch.masks) - 1])
    while len(fixed) < ch.n:
        free_idx = [v for v in range(ch.n) if v not in fixed]
        if free_idx[0] >= last:
            return _last_factor_exact(ch, fixed, Aq)
        near = {v: q for v in free_idx if (q := _near_fraction(x[v], bound)) is not None}
        batches: list[dict[int, Fraction]] = []
        if near:
            batches.append(near)
            best = min(near, key=lambda v: abs(float(near[v]) - x[v]))
            if len(near) > 1:
                batches.append({best: near[best]})
        else:
            for v in _free_order(ch, x, free_idx)[:3]:
                batches.append({v: Fraction(round(float(x[v])))})
                batches.append({v: Fraction(float(x[v])).limit_denominator(16)})
        for batch in batches:
            trial = dict(fixed)
            trial.update(batch)
            y = x.copy()
            for v, q in batch.items():
                y[v] = float(q)
            free = np.ones(ch.n, dtype=bool)
            free[list(trial)] = False
            y, res = _solve(ch, A, y, free, tol)
            if res <= tol:
                fixed, x = trial, y
                break
        else:
            return None
    return fixed


def reconstruct_chain(A: Sequence[Sequence[object]], masks: list[np.ndarray], *, seed: int = 0,
                      restarts: int = RECON_RESTARTS,
                      denominator_bound: int = RECON_DENOMINATOR_BOUND,
                      ) -> ReconstructionResult:
    """Search rational factors with the given masks whose product is exactly ``A``.

    Parameters
    ----------
    A : rows of Fraction or int
        The target over Q (other scalars raise :class:`~fsmf_check.errors.ExactnessError`).
    masks : list of boolean arrays
        The factor masks, left to right (inner dimensions chained).
    seed : int
        Seed of the random starts (the search is deterministic for a given seed).
    restarts : int
        Number of random starts.
    denominator_bound : int
        Largest denominator the reconstruction proposes.

    Returns
    -------
    ReconstructionResult
        ``factors`` (exact, product checked in rational arithmetic) or ``None`` with the
        smallest float residual reached and the reason.

    Notes
    -----
    Gauge: diagonal scalings between consecutive factors (T8). A failure proves nothing
    about membership.

    Examples
    --------
    >>> import numpy as np
    >>> masks = [np.array([[1, 1], [1, 0], [1, 1]], bool), np.array([[1, 1, 1], [1, 1, 1]], bool)]
    >>> A = [[3, -3, 23], [-1, 5, 3], [3, -12, -1]]
    >>> res = reconstruct_chain(A, masks)
    >>> X, Y = (np.array(F, dtype=object) for F in res.factors)
    >>> (X.dot(Y) == np.array(A, dtype=object)).all()
    np.True_
    """
    Aq = [[_fraction(v) for v in row] for row in A]
    ch = _Chain(masks)
    out = ReconstructionResult(None, None, denominator_bound=denominator_bound)
    if ch.n > RECON_MAX_UNKNOWNS or ch.m * ch.ncol > RECON_MAX_ENTRIES:
        out.reason = (f"not attempted: {ch.n} unknowns and {ch.m * ch.ncol} equations (limits "
                      f"{RECON_MAX_UNKNOWNS} and {RECON_MAX_ENTRIES})")
        return out
    Af = np.array([[float(v) for v in row] for row in Aq]).reshape(ch.m, ch.ncol)
    scale = float(np.abs(Af).max(initial=0.0)) or 1.0
    tol = RECON_RESIDUAL_TOLERANCE * scale
    rng = np.random.default_rng(seed)
    best = np.inf
    try:
        for start in range(restarts):
            out.restarts = start + 1
            x0 = rng.standard_normal(ch.n) * scale ** (1.0 / max(1, len(masks)))
            x, res = _solve(ch, Af, x0, np.ones(ch.n, dtype=bool), tol)
            best = min(best, res / scale)
            if res > tol:
                continue
            y, gauge = _gauge(ch, x, 1e-6 * scale ** (1.0 / max(1, len(masks))))
            vals = _round_all(ch, Af, Aq, y, dict.fromkeys(gauge, Fraction(1)), tol,
                              denominator_bound)
            if vals is None:
                continue
            if _exact_product(ch, vals) == Aq:
                out.residual = best
                out.factors = _as_rows(ch, vals)
                out.details = {"start": start, "gauge_entries": len(gauge)}
                return out
    except _OutOfBudget:
        out.residual = None if not np.isfinite(best) else best
        out.reason = f"work budget of {RECON_WORK_BUDGET:.0e} flops used up"
        return out
    out.residual = None if not np.isfinite(best) else best
    out.reason = ("no float solution reached the residual tolerance"
                  if best > RECON_RESIDUAL_TOLERANCE
                  else "no rational point found near the float solutions")
    return out


def _fraction(v: object) -> Fraction:
    if isinstance(v, Fraction | int | np.integer):
        return Fraction(int(v)) if isinstance(v, np.integer) else Fraction(v)
    msg = f"rational reconstruction needs entries over Q; got {type(v).__name__}"
    raise ExactnessError(msg)


def _as_rows(ch: _Chain, vals: dict[int, Fraction]) -> list[list[list[Fraction]]]:
    out = []
    for l, M in enumerate(ch.masks):
        F = [[Fraction(0)] * M.shape[1] for _ in range(M.shape[0])]
        for t, (i, j) in enumerate(zip(*ch.pos[l], strict=True)):
            F[int(i)][int(j)] = vals[int(ch.offsets[l]) + t]
        out.append(F)
    return out
