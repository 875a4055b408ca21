r"""Globally optimal two-factor FSMF for certified patterns, by SVDs of sub-blocks (T2, T3).

``solve_tractable(pattern, A)`` minimizes ``||A - X Y^T||_F^2`` over ``supp(X) ⊆ I``,
``supp(Y) ⊆ J`` when :func:`~fsmf_check.analysis.tractability.decide_tractability` certifies
the pattern, and refuses otherwise (no silent local method):

* rule ``disjoint-or-identical`` (T2, Algorithm 1): one truncated SVD of rank ``|P|``
  per equivalence class ``P`` on the block ``A[R_P, C_P]``; the optimum is
  ``sum_{(i,j) not covered} |A_ij|^2 + sum_P sum_{t > |P|} sigma_t(A[R_P, C_P])^2``;
* rule ``cec-reduction`` (T3, derived): the DTO solution on the representative
  rectangles of ``A`` restricted to the complement of ``T`` (the union of complete
  rectangles), then the complete classes reproduce ``A`` exactly on ``T``.

Blocks of equal shape and class size are stacked and factored by ONE batched truncated SVD
(:func:`~fsmf_check.numeric._svd.truncated_split`); structured Kronecker pairs are gathered by a
reshape of ``A`` without materializing any mask. Complex ``A``: ``X = U sqrt(S)`` and
``Y = (sqrt(S) V^H)^T`` (a plain transpose, theory §1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check.analysis.tractability import TractabilityResult, decide_tractability
from fsmf_check.errors import NotApplicableError, ShapeError
from fsmf_check.inputs.matrix_specs import validate_matrix
from fsmf_check.model.supports import SupportPattern
from fsmf_check.numeric._svd import truncated_split
from fsmf_check.numeric._threads import single_blas_thread

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["TwoFactorSolution", "solve_tractable", "closed_form_value"]


@dataclass(frozen=True, eq=False)
class TwoFactorSolution:
    r"""A proven global optimum of two-factor FSMF (T2/T3).

    ``X`` (m x r) and ``Y`` (n x r) are scipy CSC arrays inside the supports ``I`` and ``J``.
    ``objective`` is the closed-form optimal value ``outside_mass + discarded`` (squared
    Frobenius norm) and ``residual`` the directly computed ``||A - X Y^T||_F^2``; they agree
    to rounding. ``class_discarded`` holds, per solved class (representative), the discarded
    squared singular values.
    """

    X: sp.csc_array
    Y: sp.csc_array
    objective: float
    residual: float
    outside_mass: float
    discarded: float
    norm_A: float
    theorem: str
    rule: str
    tractability: TractabilityResult
    n_blocks: int
    class_discarded: np.ndarray = field(repr=False)
    singular_values: tuple[np.ndarray, ...] = field(repr=False, default=())

    @property
    def rel_error(self) -> float:
        """``||A - X Y^T||_F / ||A||_F`` (0 when A = 0)."""
        return float(np.sqrt(max(self.objective, 0.0)) / self.norm_A) if self.norm_A else 0.0

    def product(self) -> np.ndarray:
        """Dense ``X @ Y.T``."""
        return np.asarray((self.X @ self.Y.T).toarray())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready numeric evidence."""
        return {"objective": self.objective, "residual_direct": self.residual,
                "outside_mass": self.outside_mass, "discarded_singular_values_sq":
                self.discarded, "rel_error": self.rel_error, "norm_A": self.norm_A,
                "n_blocks": self.n_blocks, "rule": self.rule, "theorem": self.theorem}


def _sq(x: np.ndarray) -> float:
    return float(np.sum(np.abs(x) ** 2))


def solve_tractable(pattern: SupportPattern, A: object,
                    tractability: TractabilityResult | None = None) -> TwoFactorSolution:
    r"""Globally optimal ``X, Y`` for ``min ||A - X Y^T||_F^2`` on a certified support pattern.

    Parameters
    ----------
    pattern : SupportPattern
        Masks ``I`` (m x r) and ``J`` (n x r), explicit or structured (Kronecker).
    A : array_like
        Target, m x n, real or complex, finite.
    tractability : TractabilityResult, optional
        A precomputed :func:`decide_tractability` result for ``pattern``.

    Returns
    -------
    TwoFactorSolution
        Factors inside their supports, the optimal value and its decomposition.

    Raises
    ------
    NotApplicableError
        If the pattern is not certified (T2/T3): the message names an overlapping pair.
    ShapeError, NonFiniteError
        If ``A`` has the wrong shape or non-finite entries.

    Notes
    -----
    T2 (Theorem 1 of [LZRG-ICASSP], Algorithm 1) and T3 (CEC reduction, derived).
    The optimal value is in closed form (sum of the mass outside every rank-one support and
    of the discarded squared singular values per class). Numeric (float64). Cost: one batched
    truncated SVD per distinct (block shape, class size), O(sum_P |R_P| |C_P| min(|R_P|,|C_P|)).

    Examples
    --------
    E1 of theory §5 (value 13) and E2 (value 5):

    >>> P = SupportPattern(["10", "01"], ["10", "01"])
    >>> sol = solve_tractable(P, [[1, 2], [3, 4]])
    >>> round(sol.objective, 12), sol.theorem, sol.product().tolist()
    (13.0, 'T2', [[1.0, 0.0], [0.0, 4.0]])
    >>> round(solve_tractable(SupportPattern(["1", "1", "1"], ["1", "1", "1"]),
    ...                       np.diag([3.0, 2.0, 1.0])).objective, 12)
    5.0
    >>> from fsmf_check.model import families
    >>> solve_tractable(families.lu(2), np.eye(2))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.NotApplicableError: solve_tractable needs a certified pattern ... apply
    """
    A = validate_matrix(A, "target A")
    if A.shape != (pattern.m, pattern.n):
        msg = (f"target A has shape {A.shape[0]} x {A.shape[1]} but the pattern needs "
               f"{pattern.m} x {pattern.n}")
        raise ShapeError(msg)
    res = tractability if tractability is not None else decide_tractability(pattern)
    if not res.tractable:
        w = res.witness or {}
        k1, k2 = (w.get("supports") or ["?", "?"])[:2]
        entry = tuple(w.get("entry") or ())
        msg = (f"solve_tractable needs a certified pattern (T2/T3); rank-one supports "
               f"S_{k1} and S_{k2} overlap at {entry} without being identical and the CEC "
               "reduction does not apply")
        raise NotApplicableError(msg)
    with single_blas_thread():
        if pattern.is_structured:
            return _solve_kronecker(pattern, A, res)
        if res.rule == "cec-reduction":
            return _solve_cec(pattern, A, res)
        return _solve_dto(pattern, A, res)


def closed_form_value(pattern: SupportPattern, A: object) -> float:
    r"""Optimal value of a certified pattern by the closed form, from full SVDs (independent check).

    Uses one dense ``np.linalg.svd`` per class (a loop, for tests and small inputs): the mass
    outside the covered entries plus the discarded squared singular values (T2/T3).

    Examples
    --------
    >>> round(closed_form_value(SupportPattern(["10", "01"], ["10", "01"]), [[1, 2], [3, 4]]), 12)
    13.0
    """
    A = validate_matrix(A, "target A")
    res = decide_tractability(pattern)
    if not res.tractable:
        msg = "closed_form_value needs a certified pattern (T2/T3)"
        raise NotApplicableError(msg)
    covered = np.zeros(A.shape, dtype=bool)
    total = 0.0
    if res.rule == "cec-reduction":
        for c in res.covered:
            covered[np.ix_(c.rows, c.cols)] = True
        classes = res.representatives
    else:
        classes = res.classes
    for c in classes:
        covered[np.ix_(c.rows, c.cols)] = True
        s = np.linalg.svd(A[np.ix_(c.rows, c.cols)], compute_uv=False)
        total += float(np.sum(s[c.size:] ** 2))
    return total + _sq(A[~covered])


class _Builder:
    """Accumulates COO entries of X and Y."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.xr: list[np.ndarray] = []
        self.xc: list[np.ndarray] = []
        self.xv: list[np.ndarray] = []
        self.yr: list[np.ndarray] = []
        self.yc: list[np.ndarray] = []
        self.yv: list[np.ndarray] = []

    def add_x(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> None:
        self.xr.append(np.asarray(rows).ravel())
        self.xc.append(np.asarray(cols).ravel())
        self.xv.append(np.asarray(vals).ravel())

    def add_y(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> None:
        self.yr.append(np.asarray(rows).ravel())
        self.yc.append(np.asarray(cols).ravel())
        self.yv.append(np.asarray(vals).ravel())

    def build(self, m: int, n: int, r: int) -> tuple[sp.csc_array, sp.csc_array]:
        import scipy.sparse as sp

        def mk(rs: list, cs: list, vs: list, shape: tuple[int, int]) -> sp.csc_array:
            if not rs:
                return sp.csc_array(shape, dtype=self.dtype)
            M = sp.csc_array((np.concatenate(vs).astype(self.dtype),
                              (np.concatenate(rs), np.concatenate(cs))), shape=shape)
            M.sum_duplicates()
            return M
        return mk(self.xr, self.xc, self.xv, (m, r)), mk(self.yr, self.yc, self.yv, (n, r))


def _factor_blocks(blocks: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                         np.ndarray]:
    """Factor a stack by truncated SVDs into balanced ``U sqrt(S)`` and ``sqrt(S) V^H``."""
    X, Y, s, err2 = truncated_split(blocks, k, "balanced")
    return X, Y, err2, s


def _rank_in_class(class_of: np.ndarray, members_order: np.ndarray) -> np.ndarray:
    """Position of each column inside its class (0-based), classes by increasing column."""
    cls = class_of[members_order]
    starts = np.r_[0, np.flatnonzero(np.diff(cls)) + 1]
    pos = np.arange(cls.size) - np.repeat(starts, np.diff(np.r_[starts, cls.size]))
    out = np.full(class_of.size, -1, dtype=np.int64)
    out[members_order] = pos
    return out


def _solve_kronecker(pattern: SupportPattern, A: np.ndarray,
                     res: TractabilityResult) -> TwoFactorSolution:
    # T6: a Kronecker pair's classes are keyed by (alpha, delta) of the left columns
    # and of the right rows; distinct keys give disjoint rows / columns, so the pattern is DTO.
    left, right = pattern.kronecker  # type: ignore[misc]
    a1, b1, c1, d1 = left.as_tuple()
    a2, b2, c2, d2 = right.as_tuple()
    m, n, r = pattern.shape
    reps = np.asarray(res.class_rep)
    la, ld = reps // (c1 * d1), reps % d1
    ra, rd = reps // (b2 * d2), reps % d2
    A6 = A.reshape(a1, b1, d1, a2, c2, d2)
    blocks = A6[la, :, ld, ra, :, rd]  # (n_classes, b1, c2)
    sizes = np.asarray(res.class_sizes)
    class_of = np.asarray(res.class_of)
    order = np.argsort(class_of, kind="stable")
    pos = _rank_in_class(class_of, order)
    builder = _Builder(A.dtype)
    class_err = np.zeros(sizes.size)
    svals: list[np.ndarray] = []
    beta = np.arange(b1, dtype=np.int64)
    gamma = np.arange(c2, dtype=np.int64)
    k_all = np.arange(r, dtype=np.int64)
    for size in np.unique(sizes).tolist():
        sel = np.flatnonzero(sizes == size)
        Xb, Yb, err2, s = _factor_blocks(blocks[sel], int(size))
        class_err[sel] = err2
        svals.append(s)
        # columns k of this size group: value block (class, :, pos[k])
        ks = k_all[np.isin(class_of, sel)]
        local = np.searchsorted(sel, class_of[ks])
        t = pos[ks]
        kl_a, kl_d = ks // (c1 * d1), ks % d1
        kr_a, kr_d = ks // (b2 * d2), ks % d2
        rows = kl_a[:, None] * b1 * d1 + kl_d[:, None] + d1 * beta[None, :]
        cols = kr_a[:, None] * c2 * d2 + kr_d[:, None] + d2 * gamma[None, :]
        builder.add_x(rows, np.repeat(ks, b1), Xb[local, :, t])
        builder.add_y(cols, np.repeat(ks, c2), Yb[local, t, :])
    X, Y = builder.build(m, n, r)
    norms = (np.abs(A6) ** 2).sum(axis=(1, 4))  # (a1, d1, a2, d2) block masses
    present = np.zeros(norms.shape, dtype=bool)
    present[la, ld, ra, rd] = True
    outside = float(norms[~present].sum())
    discarded = float(class_err.sum())
    return _finish(A, X, Y, outside, discarded, res, int(sizes.size), class_err, tuple(svals))


def _group_blocks(A: np.ndarray, classes: list, builder: _Builder
                  ) -> tuple[float, np.ndarray, list[np.ndarray], np.ndarray]:
    """Solve DTO classes grouped by (|R|, |C|, |P|): discarded, per-class errors, svals, covered."""
    covered = np.zeros(A.shape, dtype=bool)
    class_err = np.zeros(len(classes))
    svals: list[np.ndarray] = []
    groups: dict[tuple[int, int, int], list[int]] = {}
    for idx, c in enumerate(classes):
        groups.setdefault((c.rows.size, c.cols.size, c.size), []).append(idx)
    for (p, q, size), ids in groups.items():
        R = np.stack([classes[i].rows for i in ids])
        C = np.stack([classes[i].cols for i in ids])
        Mb = np.stack([classes[i].members for i in ids])  # (g, size)
        covered[R[:, :, None], C[:, None, :]] = True
        Xb, Yb, err2, s = _factor_blocks(A[R[:, :, None], C[:, None, :]], size)
        class_err[ids] = err2
        svals.append(s)
        builder.add_x(np.repeat(R[:, :, None], size, axis=2),
                      np.repeat(Mb[:, None, :], p, axis=1), Xb)
        builder.add_y(np.repeat(C[:, :, None], size, axis=2),
                      np.repeat(Mb[:, None, :], q, axis=1), Yb.transpose(0, 2, 1))
    return float(class_err.sum()), class_err, svals, covered


def _solve_dto(pattern: SupportPattern, A: np.ndarray,
               res: TractabilityResult) -> TwoFactorSolution:
    builder = _Builder(A.dtype)
    classes = list(res.classes)
    discarded, class_err, svals, covered = _group_blocks(A, classes, builder)
    X, Y = builder.build(pattern.m, pattern.n, pattern.r)
    outside = _sq(A[~covered])
    return _finish(A, X, Y, outside, discarded, res, len(classes), class_err, tuple(svals))


def _solve_cec(pattern: SupportPattern, A: np.ndarray,
               res: TractabilityResult) -> TwoFactorSolution:
    # T3 step 6: DTO on the representatives (their rectangles avoid T by construction),
    # then the complete classes reproduce A exactly on T; overlapping complete rectangles
    # share T, so each entry of T is assigned to the first rectangle containing it.
    builder = _Builder(A.dtype)
    reps = list(res.representatives)
    discarded, class_err, svals, covered = _group_blocks(A, reps, builder)
    assigned = np.zeros(A.shape, dtype=bool)
    for c in res.covered:
        R, C, P = c.rows, c.cols, c.members
        ix = np.ix_(R, C)
        M = np.where(assigned[ix], 0, A[ix])
        assigned[ix] = True
        if P.size >= R.size:
            builder.add_x(R, P[: R.size], np.ones(R.size))
            builder.add_y(np.repeat(C[None, :], R.size, axis=0),
                          np.repeat(P[: R.size, None], C.size, axis=1), M)
        else:
            builder.add_x(np.repeat(R[:, None], C.size, axis=1),
                          np.repeat(P[None, : C.size], R.size, axis=0), M)
            builder.add_y(C, P[: C.size], np.ones(C.size))
    covered |= assigned
    X, Y = builder.build(pattern.m, pattern.n, pattern.r)
    outside = _sq(A[~covered])
    return _finish(A, X, Y, outside, discarded, res, len(reps) + len(res.covered), class_err,
                   tuple(svals))


def _finish(A: np.ndarray, X: sp.csc_array, Y: sp.csc_array, outside: float, discarded: float,
            res: TractabilityResult, n_blocks: int, class_err: np.ndarray,
            svals: tuple[np.ndarray, ...]) -> TwoFactorSolution:
    X.eliminate_zeros()
    Y.eliminate_zeros()
    residual = _sq(A - np.asarray((X @ Y.T).toarray()))
    for arr in (X.data, X.indices, X.indptr, Y.data, Y.indices, Y.indptr, class_err):
        arr.flags.writeable = False
    return TwoFactorSolution(
        X=X, Y=Y, objective=outside + discarded, residual=residual, outside_mass=outside,
        discarded=discarded, norm_A=float(np.linalg.norm(A)), theorem=str(res.theorem),
        rule=str(res.rule), tractability=res, n_blocks=n_blocks, class_discarded=class_err,
        singular_values=svals)
