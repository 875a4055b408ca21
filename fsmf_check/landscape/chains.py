r"""Local minima of ``1/2 ||A - F_0 F_1 ... F_{L-1}||^2`` for a chain of masks: search, certify.

The chain loss is a polynomial like the two-factor one;
:class:`~fsmf_check.landscape.polynomial.ChainLayout` gives its value, gradient, Hessian and
symmetry generators, and the certification of :mod:`fsmf_check.landscape.certify`
(gauge slice, exact ``LDL^T`` or Krawczyk box of :mod:`fsmf_check.landscape.intervals`,
exact better point) runs on it unchanged. What is specific to chains:

* **gauge** — at each interface ``t`` (between ``F_t`` and ``F_{t+1}``) the diagonal scalings
  ``F_t D``, ``D^{-1} F_{t+1}`` and the mask-preserving elementary mixings
  (:func:`~fsmf_check.landscape.polynomial.chain_generators`) keep the product; one coordinate
  per independent generator is fixed on the slice;
* **search** — the loss is quadratic in each factor, so a block update (alternating least
  squares) solves ``min_{F_t} ||A - Left_t F_t Right_t||`` exactly (minimum-norm least squares
  on the masked entries); even starts run these sweeps, odd starts L-BFGS; every converged point
  is polished by Newton steps.

Notes
-----
T10 (docs/theory.md §2.5). No theorem excludes spurious minima for chains of three or more
factors, so a chain is always searched (never ``not-applicable``); a chain of two factors is
the two-factor problem and goes through :func:`~fsmf_check.landscape.certify.analyze_landscape`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from fsmf_check.errors import InvalidInputError, NotApplicableError
from fsmf_check.landscape import polynomial as poly
from fsmf_check.landscape.certify import (
    LandscapeAnalysis,
    _to_fraction_matrix,
    classify_runs,
)
from fsmf_check.model.certificate_schema import Certificate, encode_structure
from fsmf_check.model.fields import Field
from fsmf_check.model.numbers import format_exact
from fsmf_check.model.supports import Chain

__all__ = ["ChainLandscapeAnalysis", "analyze_chain_landscape", "chain_loss_numeric",
           "MAX_CHAIN_PARAMETERS"]

#: Largest number of chain parameters (mask entries of all factors) searched and certified:
#: the chain Hessian is built entry by entry, so the cost grows like ``p^2 L^2``.
MAX_CHAIN_PARAMETERS = 32

#: Starts whose parameters exceed this magnitude are dropped (no bounded minimum reached).
_RUN_OFF = 1e3


def _factors(lay: poly.ChainLayout, th: np.ndarray) -> list[np.ndarray]:
    out = []
    pos = 0
    for t, ent in enumerate(lay.entries):
        F = np.zeros((lay.dims[t], lay.dims[t + 1]))
        for a, b in ent:
            F[a, b] = th[pos]
            pos += 1
        out.append(F)
    return out


def _prefix_suffix(F: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    left = [np.eye(F[0].shape[0])]
    for t in range(len(F) - 1):
        left.append(left[-1] @ F[t])
    right = [np.eye(F[-1].shape[1])]
    for t in range(len(F) - 1, 0, -1):
        right.append(F[t] @ right[-1])
    right.reverse()
    return left, right


def chain_loss_numeric(lay: poly.ChainLayout, A: np.ndarray, th: np.ndarray
                       ) -> tuple[float, np.ndarray]:
    """Loss and gradient of the chain loss in float64 (numpy; the search's fast path).

    Examples
    --------
    >>> lay = poly.chain_layout_of([[[1]], [[1]], [[1]]])
    >>> f, g = chain_loss_numeric(lay, np.array([[9.0]]), np.array([1.0, 2.0, 3.0]))
    >>> f, g.tolist()
    (4.5, [-18.0, -9.0, -6.0])
    """
    F = _factors(lay, th)
    left, right = _prefix_suffix(F)
    R = A - left[-1] @ F[-1]
    g: list[float] = []
    for t, ent in enumerate(lay.entries):
        G = left[t].T @ R @ right[t].T
        g.extend(-G[a, b] for a, b in ent)
    return 0.5 * float(np.sum(R * R)), np.array(g, dtype=float)


def _als(lay: poly.ChainLayout, A: np.ndarray, th: np.ndarray, sweeps: int) -> np.ndarray:
    """Alternating exact block updates: each factor in turn solves its least-squares problem."""
    th = th.copy()
    off = lay.offsets()
    a_vec = A.ravel()
    prev = np.inf
    for _ in range(sweeps):
        for t, ent in enumerate(lay.entries):
            if not ent:
                continue
            F = _factors(lay, th)
            left, right = _prefix_suffix(F)
            K = np.kron(left[t], right[t].T)  # vec_r(Left F Right) = (Left ⊗ Right^T) vec_r(F)
            cols = [a * lay.dims[t + 1] + b for a, b in ent]
            sol = np.linalg.lstsq(K[:, cols], a_vec, rcond=1e-12)[0]
            th[off[t]:off[t] + len(ent)] = sol
        f = chain_loss_numeric(lay, A, th)[0]
        if prev - f <= 1e-15 * max(1.0, f):
            break
        prev = f
    return th


def _lbfgs(lay: poly.ChainLayout, A: np.ndarray, th0: np.ndarray) -> np.ndarray:
    """L-BFGS; gives up early when the parameters run off (a valley at infinity, T5)."""
    from scipy.optimize import minimize

    def stop(xk: np.ndarray) -> None:
        if float(np.abs(xk).max()) > _RUN_OFF:
            raise StopIteration

    res = minimize(lambda th: chain_loss_numeric(lay, A, th), th0, jac=True, method="L-BFGS-B",
                   callback=stop, options={"maxiter": 600, "maxfun": 1200, "gtol": 1e-12,
                                           "ftol": 1e-16})
    return np.asarray(res.x, dtype=float)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainLandscapeAnalysis(LandscapeAnalysis):
    """:class:`~fsmf_check.landscape.certify.LandscapeAnalysis` of a chain (``L >= 3``)."""

    masks: tuple[tuple[tuple[int, ...], ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the two-factor ``landscape`` result plus ``structure: chain``, ``n_factors``."""
        out = LandscapeAnalysis.to_dict(self)
        out["structure"] = "chain"
        out["n_factors"] = len(self.masks)
        return out

    def certificate(self) -> dict[str, Any] | None:
        """Certificate of the most-reached certified spurious minimum (or None)."""
        mn = self.cited_minimum()
        if mn is None:
            return None
        inp = self.inputs
        A = inp["A"]
        data: dict[str, Any] = {
            "structure": encode_structure(Chain([np.array(M) for M in self.masks])),
            "target": {"shape": [len(A), len(A[0])], "rows": [list(row) for row in A]},
            "field": Field(1).to_dict(),
            "loss": inp["loss"], "parameters_order": inp["parameters"],
            **(mn.evidence or {}), "better_point": self.better}
        return Certificate("spurious-local-minimum", "local-minimum-and-better-point",
                           data).to_dict()


def analyze_chain_landscape(masks: Any, A: Any, *, starts: int = 20, seed: int = 0,
                            max_sweeps: int = 300) -> ChainLandscapeAnalysis:
    r"""Search and certify local minima of ``1/2 ||A - F_0 ... F_{L-1}||^2`` (``supp F_t ⊆ M_t``).

    Parameters
    ----------
    masks : sequence of 0/1 matrices
        ``M_t`` of shape ``d_t x d_{t+1}``, ``L >= 2`` of them.
    A : sequence of rows
        Real target (``d_0 x d_L``; exact scalars or floats, floats used as exact binaries).
    starts, seed : int
        Start ``s`` draws from ``numpy.random.default_rng([seed, s])``; even starts run
        alternating exact block (least-squares) updates, odd starts L-BFGS; each is polished
        by Newton steps.
    max_sweeps : int
        Sweep cap of the block updates.

    Returns
    -------
    ChainLandscapeAnalysis
        ``spurious-minimum`` (a certified local minimum, strict modulo the interface
        symmetries, above an exact feasible point) or ``no-spurious-found`` (proves nothing).

    Raises
    ------
    NotApplicableError
        Complex targets; more than ``MAX_CHAIN_PARAMETERS`` parameters.
    InvalidInputError
        Shapes that do not chain, ``starts < 1``.

    Notes
    -----
    T10. A certified point is a local minimum of the chain loss by the argument of
    :mod:`fsmf_check.landscape.certify` (transversal generators, strictly convex slice).

    Examples
    --------
    >>> E7 = [[1, 0], [1, 1], [0, 1]]
    >>> res = analyze_chain_landscape([E7, [[1, 0], [0, 1]], [[1, 1, 0], [0, 1, 1]]],
    ...                               [[1, 2, 0], [2, 10, 0], [0, 0, 4]], starts=8)
    >>> res.verdict, sorted({str(m.objective_enclosure[0]) for m in res.minima if m.spurious})
    ('spurious-minimum', ['8'])
    """
    Ms = [np.asarray(M, dtype=bool) for M in masks]
    if len(Ms) < 2 or any(M.ndim != 2 for M in Ms):
        msg = f"a chain needs at least two 2-D factor masks; got {len(Ms)}"
        raise InvalidInputError(msg)
    for t in range(len(Ms) - 1):
        if Ms[t].shape[1] != Ms[t + 1].shape[0]:
            msg = (f"factor F[{t}] has {Ms[t].shape[1]} columns but F[{t + 1}] has "
                   f"{Ms[t + 1].shape[0]} rows; consecutive factors must agree")
            raise InvalidInputError(msg)
    if starts < 1:
        msg = f"--starts must be >= 1; got {starts}"
        raise InvalidInputError(msg)
    AQ = _to_fraction_matrix(A)
    m, n = Ms[0].shape[0], Ms[-1].shape[1]
    if len(AQ) != m or any(len(row) != n for row in AQ):
        msg = f"target shape must be {m} x {n} for this chain"
        raise InvalidInputError(msg)
    lay = poly.chain_layout_of(Ms)
    if lay.p > MAX_CHAIN_PARAMETERS:
        msg = (f"the chain landscape certifier handles at most MAX_CHAIN_PARAMETERS = "
               f"{MAX_CHAIN_PARAMETERS} parameters; this chain has {lay.p}")
        raise NotApplicableError(msg)
    inputs = {"A": [[format_exact(v) for v in row] for row in AQ],
              "loss": "1/2 ||A - F_0 F_1 ... F_{L-1}||_F^2",
              "parameters": "entries of F_0 on its mask (row-major), then F_1, ..., F_{L-1}"}
    mask_rows = tuple(tuple(tuple(int(v) for v in row) for row in M) for M in Ms)
    Af = np.array([[float(v) for v in row] for row in AQ])
    gens = poly.chain_generators(Ms)
    def runs() -> Iterator[np.ndarray]:
        for s in range(starts):
            rng = np.random.default_rng([seed, s])
            th0 = rng.standard_normal(lay.p)
            th = _als(lay, Af, th0, max_sweeps) if s % 2 == 0 else th0
            yield _lbfgs(lay, Af, th)

    minima, better, n_stat, n_saddle = classify_runs(lay, Af, AQ, runs(), cast(Any, gens),
                                                     run_off=_RUN_OFF)
    n_sp = sum(mn.spurious for mn in minima)
    L = len(Ms)
    if n_sp:
        verdict = "spurious-minimum"
        expl = (f"{starts} seeded starts on the {L}-factor chain reached {len(minima)} "
                f"local-minimum value(s); {n_sp} of them are certified local minima (strict "
                "modulo the interface scalings and mixings) whose loss exceeds the exact loss "
                "of a feasible rational point, i.e. spurious (T10; certificate re-checkable by "
                "fsmf-check verify).")
    else:
        verdict = "no-spurious-found"
        expl = (f"{starts} seeded starts on the {L}-factor chain reached {len(minima)} "
                "local-minimum value(s) and no certified spurious one; this proves nothing "
                "about the landscape (T10; no theorem excludes spurious minima for chains).")
    return ChainLandscapeAnalysis(verdict=verdict, explanation=expl, exact=bool(n_sp),
                                  minima=tuple(minima), n_starts=starts, seed=seed,
                                  n_stationary=n_stat, n_saddles=n_saddle, better=better,
                                  inputs=inputs, masks=mask_rows)
