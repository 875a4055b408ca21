r"""Random chains of a ``kind = "chain"`` sweep: explicit masks or Kronecker patterns, and targets.

Case ``i`` draws its chain from ``numpy.random.default_rng([seed, i, 0])`` and its target from
``[seed, i, 1]``, so a case never depends on how the work is split.

* ``family = "explicit"``: the number of factors ``L`` uniform in the ``factors`` range, the
  ``L + 1`` dimensions (rows of ``F[0]``, the inner dimensions, columns of ``F[L-1]``) uniform
  in the ``dims`` range, each mask entry 1 with probability ``density``.
* ``family = "kronecker"``: ``L`` uniform in the ``factors`` range, then each factor
  ``(a, b, c, d)`` (the pattern ``I_a ⊗ 1_{b x c} ⊗ I_d``) uniform among the patterns of the
  ranges whose rows ``a*b*d`` equal the columns of the previous factor (and, with
  ``chainable = true``, that form a chainable pair with it, T6) and from which a chain
  of the remaining length can still be completed. The candidates are listed in increasing
  ``(a, b, c, d)`` order, so the draw is reproducible and never rejected.
* ``target = "planted"``: nonzero integer factors (entries in ``±[1, 3]``) on the masks, the
  exact integer product as target (a member by construction); ``"integer"``: every entry of
  the target an integer in ``[-3, 3]``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check.model.kronecker import KronPattern, is_chainable
from fsmf_check.model.supports import Chain

if TYPE_CHECKING:  # the spec module imports this one to check Kronecker ranges
    from fsmf_check.sweep.spec import SweepSpec

__all__ = ["ChainCase", "chain_case", "kronecker_feasibility", "TARGET_RANGE"]

#: Targets and planted factors have integer entries in [-TARGET_RANGE, TARGET_RANGE].
TARGET_RANGE = 3

Quad = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class ChainCase:
    """One random chain: explicit masks (0/1 row strings per factor) or Kronecker patterns.

    Exactly one of ``factors`` and ``patterns`` is set; ``target`` (integer rows) is present
    when the sweep generates targets.
    """

    index: int
    factors: tuple[tuple[str, ...], ...] | None = None
    patterns: tuple[Quad, ...] | None = None
    target: tuple[tuple[int, ...], ...] | None = None

    def chain(self) -> Chain:
        """Return the :class:`~fsmf_check.model.supports.Chain` of the case."""
        if self.patterns is not None:
            return Chain([KronPattern(*p) for p in self.patterns])
        assert self.factors is not None
        return Chain([_mask(rows) for rows in self.factors])

    def masks(self) -> list[np.ndarray]:
        """Dense 0/1 masks of the factors, left to right."""
        if self.patterns is not None:
            return [KronPattern(*p).to_dense().astype(np.int64) for p in self.patterns]
        assert self.factors is not None
        return [_mask(rows) for rows in self.factors]

    def nnz(self) -> int:
        """Count the ones of all masks together (the size used for "smallest")."""
        if self.patterns is not None:
            return sum(a * b * c * d for a, b, c, d in self.patterns)
        assert self.factors is not None
        return sum(row.count("1") for rows in self.factors for row in rows)

    def to_json(self) -> dict[str, object]:
        """Return the ``chain`` object of a results line.

        ``{"factors": [[row strings], ...]}`` for explicit chains; ``{"patterns":
        [[a, b, c, d], ...], "chainable": bool}`` for Kronecker chains (``chainable``: every
        consecutive pair chainable as given, T6).
        """
        if self.patterns is not None:
            pats = [KronPattern(*p) for p in self.patterns]
            return {"patterns": [list(p) for p in self.patterns],
                    "chainable": all(is_chainable(p, q) for p, q in itertools.pairwise(pats))}
        assert self.factors is not None
        return {"factors": [list(rows) for rows in self.factors]}


def _mask(rows: tuple[str, ...]) -> np.ndarray:
    return np.array([[c == "1" for c in row] for row in rows], dtype=np.int64)


@lru_cache(maxsize=16)
def _kron_tables(kron: tuple[tuple[int, int], ...], chainable: bool, max_len: int
                 ) -> tuple[tuple[Quad, ...], dict[Quad, tuple[Quad, ...]],
                            tuple[frozenset[Quad], ...]]:
    """Candidates, successors and ``good[k]`` (patterns that start a chain of k factors)."""
    (la, ha), (lb, hb), (lc, hc), (ld, hd) = kron
    cands: tuple[Quad, ...] = tuple(itertools.product(range(la, ha + 1), range(lb, hb + 1),
                                                      range(lc, hc + 1), range(ld, hd + 1)))
    pats = {q: KronPattern(*q) for q in cands}
    by_rows: dict[int, list[Quad]] = {}
    for q in cands:
        by_rows.setdefault(pats[q].shape[0], []).append(q)
    succ: dict[Quad, tuple[Quad, ...]] = {}
    for p in cands:
        nxt = by_rows.get(pats[p].shape[1], [])
        succ[p] = tuple(q for q in nxt if not chainable or is_chainable(pats[p], pats[q]))
    good: list[frozenset[Quad]] = [frozenset(), frozenset(cands)]
    for _ in range(2, max_len + 1):
        prev = good[-1]
        good.append(frozenset(p for p in cands if any(q in prev for q in succ[p])))
    return cands, succ, tuple(good)


def kronecker_feasibility(spec: SweepSpec) -> list[int]:
    """Numbers of factors in the spec's range for which no Kronecker chain fits the ranges.

    Examples
    --------
    >>> from fsmf_check.sweep.spec import parse_sweep
    >>> spec = parse_sweep({"name": "k", "kind": "chain", "questions": ["tractability"],
    ...     "sample": {"family": "kronecker", "factors": [2, 3], "count": 1}})
    >>> kronecker_feasibility(spec)
    []
    """
    _, _, good = _kron_tables(spec.kron, spec.chainable, spec.factors[1])
    return [k for k in range(spec.factors[0], spec.factors[1] + 1) if not good[k]]


def _draw_kronecker(spec: SweepSpec, rng: np.random.Generator, n_factors: int
                    ) -> tuple[Quad, ...]:
    _, succ, good = _kron_tables(spec.kron, spec.chainable, spec.factors[1])
    options = sorted(good[n_factors])
    out: list[Quad] = []
    for left in range(n_factors, 0, -1):
        pick = options[int(rng.integers(len(options)))]
        out.append(pick)
        if left > 1:
            options = [q for q in succ[pick] if q in good[left - 1]]
    return tuple(out)


def _target(spec: SweepSpec, index: int, masks: list[np.ndarray]
            ) -> tuple[tuple[int, ...], ...] | None:
    if spec.target == "none":
        return None
    rng = np.random.default_rng([spec.seed, index, 1])
    m, n = masks[0].shape[0], masks[-1].shape[1]
    if spec.target == "integer":
        A = rng.integers(-TARGET_RANGE, TARGET_RANGE + 1, size=(m, n)).astype(object)
    else:
        planted = []
        for M in masks:
            mags = rng.integers(1, TARGET_RANGE + 1, size=M.shape)
            signs = rng.choice(np.array([-1, 1]), size=M.shape)
            planted.append((M * mags * signs).astype(object))  # Python ints: no overflow
        A = planted[0]
        for F in planted[1:]:
            A = A @ F
    return tuple(tuple(int(v) for v in row) for row in A.tolist())


def chain_case(spec: SweepSpec, index: int) -> ChainCase:
    """Draw case ``index`` of a chain sweep (see the module docstring).

    Examples
    --------
    >>> from fsmf_check.sweep.spec import parse_sweep
    >>> spec = parse_sweep({"name": "k", "kind": "chain", "questions": ["tractability"],
    ...     "sample": {"family": "explicit", "factors": 2, "dims": 2, "density": 1.0,
    ...                "count": 1, "target": "planted"}})
    >>> case = chain_case(spec, 0)
    >>> case.factors
    (('11', '11'), ('11', '11'))
    >>> len(case.target), len(case.target[0])
    (2, 2)
    """
    rng = np.random.default_rng([spec.seed, index, 0])
    lo, hi = spec.factors
    n_factors = int(rng.integers(lo, hi + 1))
    if spec.family == "kronecker":
        patterns = _draw_kronecker(spec, rng, n_factors)
        case = ChainCase(index=index, patterns=patterns)
    else:
        dims = rng.integers(spec.dims[0], spec.dims[1] + 1, size=n_factors + 1).tolist()
        factors = []
        for k in range(n_factors):
            M = (rng.random((dims[k], dims[k + 1])) < spec.density).astype(np.int8)
            factors.append(tuple("".join(map(str, row)) for row in M.tolist()))
        case = ChainCase(index=index, factors=tuple(factors))
    target = _target(spec, index, case.masks())
    return ChainCase(index=index, factors=case.factors, patterns=case.patterns, target=target)
