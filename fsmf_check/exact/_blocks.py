r"""Exact block routines shared by the two-factor and chain engines (producer side only).

* :func:`block_factor` writes a block ``B`` of rank <= p as ``U @ V.T`` exactly, or returns a
  nonzero (p+1)-minor. For p = 1 it uses the outer-product identity
  ``B * b_pq == B[:, q] (x) B[p, :]`` (theory §4.4 exact-arithmetic variant; EXACT_NOTES: never a
  general rank routine for "rank <= 1"), O(|B|). For p >= 2 it uses the exact rref:
  ``B = B[:, pivots] @ rref(B)[:k]``, and the minor comes from the pivots of ``B`` and of
  ``B[:, pivots].T``.
* :func:`minor_value` is the exact determinant of ``A[rows][:, cols]`` (rows, cols sorted).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fsmf_check.exact._backend import ExactBackend
from fsmf_check.model.numbers import format_exact as format_scalar

__all__ = ["block_factor", "minor_value", "connected_spanning"]


def block_factor(B: np.ndarray, p: int, bk: ExactBackend, build: bool = True,
                 ) -> tuple[str, Any, Any]:
    """Factor ``B`` (rank <= p) or find a nonzero (p+1)-minor.

    Returns ``("zero", None, None)``, ``("ok", U, V)`` with ``B == U @ V.T`` (``U`` has
    ``rank(B) <= p`` columns; None when ``build`` is False), or ``("minor", rows, cols)`` with
    local, sorted index lists of a nonsingular (p+1) x (p+1) submatrix.
    """
    nz = bk.nonzero_mask(B)
    if not nz.any():
        return ("zero", None, None)
    if p <= 0:
        i, j = np.argwhere(nz)[0]
        return ("minor", [int(i)], [int(j)])
    if p == 1:
        i0, j0 = (int(v) for v in np.argwhere(nz)[0])
        b = B[i0, j0]
        col, row = B[:, j0], B[i0, :]
        bad = bk.nonzero_mask(B * b - np.multiply.outer(col, row))
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            return ("minor", sorted({i0, i}), sorted({j0, j}))
        if not build:
            return ("ok", None, None)
        inv = bk.one / b
        return ("ok", col[:, None].copy(), (row * inv)[:, None].copy())
    if min(B.shape) <= p:
        if not build:
            return ("ok", None, None)
    R, piv = bk.rref(B)
    k = len(piv)
    if k > p:
        cols = [int(c) for c in piv[: p + 1]]
        sub = B[:, cols]
        _, rpiv = bk.rref(sub.T.copy())
        rows = sorted(int(r) for r in rpiv[: p + 1])
        return ("minor", rows, sorted(cols))
    if not build:
        return ("ok", None, None)
    U = B[:, list(piv)].copy()
    V = R[:k, :].T.copy()
    return ("ok", U, V)


def minor_value(A: np.ndarray, rows: list[int], cols: list[int], bk: ExactBackend) -> Any:
    """Exact determinant of ``A[rows][:, cols]``."""
    sub = A[np.ix_(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))]
    if sub.shape == (1, 1):
        return sub[0, 0]
    if sub.shape == (2, 2):
        return sub[0, 0] * sub[1, 1] - sub[0, 1] * sub[1, 0]
    return bk.det(sub)


def minor_evidence(A: np.ndarray, ref: dict[str, object], bk: ExactBackend
                   ) -> dict[str, object]:
    """Certificate evidence of a refuting minor.

    Rows, columns, its exact value (recomputed here from ``A``), how many rank-one supports
    meet it, and the block it lies in.
    """
    rows, cols = list(ref["rows"]), list(ref["cols"])  # type: ignore[call-overload]
    val = minor_value(A, rows, cols, bk)
    out: dict[str, object] = {"rows": rows, "cols": cols,
                              "value": format_scalar(bk.to_public(val)),
                              "supports_meeting": int(ref["meeting"])}  # type: ignore[call-overload]
    if "block" in ref:
        out["block"] = ref["block"]
    return out


def connected_spanning(obs: np.ndarray) -> bool:
    """Test whether the bipartite graph with edges ``obs`` is connected and spanning.

    ``obs`` is an |R| x |C| bool matrix; every row and column vertex must be reached
    (T1 graph 2, rank-one completability).
    """
    nr, nc = obs.shape
    if nr == 0 or nc == 0:
        return False
    if not obs.any(axis=1).all() or not obs.any(axis=0).all():
        return False
    seen_r = np.zeros(nr, dtype=bool)
    seen_c = np.zeros(nc, dtype=bool)
    seen_r[0] = True
    frontier_r = np.array([0])
    while frontier_r.size:
        new_c = obs[frontier_r].any(axis=0) & ~seen_c
        seen_c |= new_c
        new_r = obs[:, new_c].any(axis=1) & ~seen_r
        seen_r |= new_r
        frontier_r = np.flatnonzero(new_r)
    return bool(seen_r.all() and seen_c.all())
