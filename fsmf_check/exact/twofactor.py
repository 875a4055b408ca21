r"""Exact membership and identifiability for two-factor FSMF (T2, T3, T8).

Membership: is ``A = X @ Y.T`` exactly, with ``supp(X) ⊆ I`` and ``supp(Y) ⊆ J``?

* Tractable patterns (T2 disjoint-or-identical, T3 CEC reduction, decided by
  :func:`fsmf_check.analysis.tractability.decide_tractability`): ``A`` is a product iff it
  vanishes outside the union of the rank-one supports and every (representative) class block
  has rank <= its class size. The answer is a decision, with exact factors (block pivots, no
  SVD) or an exact refutation.
* Other patterns: an entry outside every support, or a nonzero (t+1)-minor on a rectangle met
  by only t rank-one supports, refutes membership for any pattern (``A[R, C] = sum_k x_k[R]
  y_k[C]^T`` has rank <= the number of supports meeting ``R x C``). A Gröbner basis equal to
  ``[1]`` (tiny systems over Q) refutes it too. Membership is proved constructively by the
  iterative rank-one completion of T8 (§2.6) followed by an exact product check (this decides
  E4: ``[[1, 2], [3, 4]]`` is an LU product). Otherwise the verdict is ``undecided``.

Identifiability (T8, §2.6): trivial degeneracies (a zero contribution leaves a factor column
free) and classes of size >= 2 (``X G``, ``Y G^-T``) give an explicit second factorization;
disjoint singleton supports with nonzero blocks, or a forced iterative rank-one completion,
prove uniqueness up to column scaling.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from fsmf_check.analysis.tractability import SupportClass, TractabilityResult, decide_tractability
from fsmf_check.errors import NotApplicableError, ShapeError
from fsmf_check.exact._backend import ExactBackend, Field
from fsmf_check.exact._blocks import block_factor, connected_spanning, minor_evidence, minor_value
from fsmf_check.exact.certificates import Certificate, encode_dense, encode_sparse, encode_structure
from fsmf_check.exact.targets import ExactTarget, as_exact_matrix
from fsmf_check.model.polynomials import (
    GROEBNER_MAX_VARS,
    Equation,
    groebner_is_one,
    nullstellensatz_proof,
    two_factor_equations,
)
from fsmf_check.model.supports import SupportPattern

__all__ = ["MembershipResult", "IdentifiabilityResult", "decide_membership",
           "decide_identifiability", "two_factor_scalings"]

#: Gröbner infeasibility is attempted only for systems with at most this many unknowns.
#: Candidate rectangles for counting refutations on non-certified patterns (pairs of classes).
_MAX_RECT_PAIRS = 4000


@dataclass(frozen=True, eq=False)
class MembershipResult:
    """Exact membership verdict (``member`` | ``not-member`` | ``undecided``) with evidence.

    ``factors`` are backend matrices (``[X, Y]`` for two factors, ``F[0..L-1]`` for chains)
    when the verdict is ``member``; ``certificate`` re-checks with
    :func:`fsmf_check.verify.certificates.verify_certificate`.
    """

    verdict: str
    theorem: str | None
    explanation: str
    method: str
    field: Field
    backend: ExactBackend = dataclasses.field(repr=False)
    factors: tuple[np.ndarray, ...] | None = None
    certificate: Certificate | None = None
    tried: tuple[str, ...] = ()
    evidence: dict[str, object] = dataclasses.field(default_factory=dict)

    def public_factors(self) -> list[list[list[object]]] | None:
        """Factors as rows of public exact scalars (Fraction / GaussianRational / Cyclotomic)."""
        if self.factors is None:
            return None
        return [self.backend.to_public_array(F) for F in self.factors]

    def to_dict(self, certificate: bool = True) -> dict[str, object]:
        """docs/reference/json-schema.md result object."""
        out: dict[str, object] = {"verdict": self.verdict, "theorem": self.theorem,
                                  "explanation": self.explanation, "exact": True,
                                  "method": self.method, "field": self.field.name}
        if self.tried:
            out["tried"] = list(self.tried)
        out.update(self.evidence)
        if certificate:
            out["certificate"] = self.certificate.to_dict() if self.certificate else None
        return out


@dataclass(frozen=True, eq=False)
class IdentifiabilityResult:
    """Exact identifiability verdict (``identifiable`` | ``not-identifiable`` | ``undecided``).

    ``scope`` is ``"target"`` (the factorization of the given A) or ``"pattern"`` (every
    product of the pattern whose rank-one contributions have full support), ``up_to`` names
    the ambiguity that remains.
    """

    verdict: str
    theorem: str | None
    explanation: str
    method: str
    scope: str
    up_to: str | None
    certificate: Certificate | None = None
    second_factors: tuple[np.ndarray, ...] | None = None
    scalings: object = None
    evidence: dict[str, object] = dataclasses.field(default_factory=dict)

    def to_dict(self, certificate: bool = True) -> dict[str, object]:
        """docs/reference/json-schema.md result object."""
        out: dict[str, object] = {"verdict": self.verdict, "theorem": self.theorem,
                                  "explanation": self.explanation, "exact": True,
                                  "method": self.method, "scope": self.scope,
                                  "up_to": self.up_to}
        out.update(self.evidence)
        if certificate:
            out["certificate"] = self.certificate.to_dict() if self.certificate else None
        return out


# --------------------------------------------------------------------------------------------
# internal run of the tractable decision


@dataclass
class _Run:
    ok: bool
    X: np.ndarray | None = None
    Y: np.ndarray | None = None
    refutation: dict[str, Any] | None = None


def _outside(A: np.ndarray, covered: np.ndarray, bk: ExactBackend) -> dict[str, Any] | None:
    bad = bk.nonzero_mask(A) & ~covered
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        return {"kind": "entry", "row": i, "col": j}
    return None


def _factor_blocks(classes: Sequence[SupportClass], A: np.ndarray, bk: ExactBackend,
                   build: bool, X: np.ndarray | None, Y: np.ndarray | None
                   ) -> dict[str, Any] | None:
    """Factor each class block exactly (rank <= class size, T2/T3) into X and Y.

    Returns ``None`` when every block has rank <= its class size (factors written into the
    class's rows/columns of ``X``/``Y`` when ``build``), else the refutation: a nonzero
    ``(|P|+1)``-minor of the first block that has too large a rank.
    """
    for c in classes:
        res, U, V = block_factor(A[np.ix_(c.rows, c.cols)], c.size, bk, build)
        if res == "minor":
            return {"kind": "minor", "rows": c.rows[U].tolist(), "cols": c.cols[V].tolist(),
                    "meeting": c.size, "block": {"rows": c.rows.tolist(),
                                                 "cols": c.cols.tolist()}}
        if res == "ok" and build and X is not None and Y is not None:
            k = U.shape[1]
            X[np.ix_(c.rows, c.members[:k])] = U
            Y[np.ix_(c.cols, c.members[:k])] = V
    return None


def factor_tractable(A: np.ndarray, pattern: SupportPattern, tract: TractabilityResult,
                     bk: ExactBackend, build: bool = True) -> _Run:
    """Decide membership for a certified pattern; exact factors or a refutation (T2/T3)."""
    m, n, r = pattern.shape
    X = bk.zeros(m, r) if build else None
    Y = bk.zeros(n, r) if build else None
    if tract.rule == "disjoint-or-identical":
        classes = tract.classes
        cnt = np.zeros((m, n), dtype=np.int32)
        for c in classes:
            cnt[np.ix_(c.rows, c.cols)] += 1
        if cnt.max(initial=0) > 1:
            i, j = (int(v) for v in np.argwhere(cnt > 1)[0])
            msg = (f"classes reported disjoint overlap at ({i}, {j}); refusing to certify "
                   "(T2 precondition)")
            raise NotApplicableError(msg)
        ref = _outside(A, cnt > 0, bk)
        if ref:
            return _Run(False, refutation=ref)
        minor = _factor_blocks(classes, A, bk, build, X, Y)
        return _Run(False, refutation=minor) if minor else _Run(True, X, Y)
    if tract.rule != "cec-reduction":
        msg = "factor_tractable needs a tractable pattern"
        raise NotApplicableError(msg)
    T = np.zeros((m, n), dtype=bool)
    for t in tract.covered:
        T[np.ix_(t.rows, t.cols)] = True
    union = T.copy()
    for rep in tract.representatives:
        union[np.ix_(rep.rows, rep.cols)] = True
    ref = _outside(A, union, bk)
    if ref:
        return _Run(False, refutation=ref)
    minor = _factor_blocks(tract.representatives, A, bk, build, X, Y)
    if minor:
        return _Run(False, refutation=minor)
    if build and X is not None and Y is not None:
        # T3: the complete classes reproduce A on T exactly (representatives are 0 there);
        # each entry of T is assigned to the first complete rectangle containing it.
        assigned = np.zeros((m, n), dtype=bool)
        for t in tract.covered:
            R, C, K = t.rows, t.cols, t.members
            M = A[np.ix_(R, C)].copy()
            M[assigned[np.ix_(R, C)]] = bk.zero
            assigned[np.ix_(R, C)] = True
            if K.size >= R.size:
                X[np.ix_(R, K[: R.size])] = bk.identity(R.size)
                Y[np.ix_(C, K[: R.size])] = M.T
            else:
                X[np.ix_(R, K[: C.size])] = M
                Y[np.ix_(C, K[: C.size])] = bk.identity(C.size)
    return _Run(True, X, Y)


# --------------------------------------------------------------------------------------------
# non-certified patterns


def _dense_masks(pattern: SupportPattern) -> tuple[np.ndarray, np.ndarray]:
    return pattern.I_dense().astype(bool), pattern.J_dense().astype(bool)


def _union(pattern: SupportPattern) -> np.ndarray:
    prod = sp.csr_array(pattern.I, dtype=np.int64) @ sp.csr_array(pattern.J, dtype=np.int64).T
    from fsmf_check._limits import check_dense

    check_dense("union of rank-one supports", pattern.m, pattern.n)
    return sp.csr_array(prod).toarray() > 0


def _counting_refutation(A: np.ndarray, pattern: SupportPattern, tract: TractabilityResult,
                         bk: ExactBackend) -> dict[str, Any] | None:
    """Find a nonzero (t+1)-minor on a rectangle met by only t supports (any pattern)."""
    Ib, Jb = _dense_masks(pattern)
    rects = [(c.rows, c.cols) for c in tract.classes]
    pairs = 0
    for a in range(len(tract.classes)):
        for b in range(a + 1, len(tract.classes)):
            if pairs >= _MAX_RECT_PAIRS:
                break
            R = np.intersect1d(rects[a][0], rects[b][0])
            C = np.intersect1d(rects[a][1], rects[b][1])
            if R.size and C.size:
                rects.append((R, C))
                pairs += 1
    for R, C in rects:
        t = int((Ib[R].any(axis=0) & Jb[C].any(axis=0)).sum())
        if t >= min(R.size, C.size):
            continue
        res, rl, cl = block_factor(A[np.ix_(R, C)], t, bk, build=False)
        if res == "minor":
            return {"kind": "minor", "rows": R[rl].tolist(), "cols": C[cl].tolist(),
                    "meeting": t}
    return None


@dataclass
class _Completion:
    ok: bool
    X: np.ndarray | None
    Y: np.ndarray | None
    order: list[int]
    forced: bool
    reason: str | None = None


def rank_one_completion(A: np.ndarray, pattern: SupportPattern, bk: ExactBackend,
                        require_forced: bool = False) -> _Completion:
    r"""Run the iterative rank-one completion (T8 §2.6) in exact arithmetic.

    Repeatedly pick an unresolved column k whose observable support (entries covered by no
    other unresolved column) is connected and spanning, complete ``x_k y_k^T`` from the data
    along the nonzero entries (``x`` normalized to 1 at the first nonzero), check it on every
    observed entry, subtract it and continue. ``forced`` is True when every completed
    contribution was uniquely determined (all of R_k and C_k reached through nonzero data).
    With ``require_forced`` the run stops at the first undetermined contribution.
    """
    m, n, r = pattern.shape
    Ib, Jb = _dense_masks(pattern)
    active = [k for k in range(r) if Ib[:, k].any() and Jb[:, k].any()]
    cnt = np.zeros((m, n), dtype=np.int32)
    rows = {k: np.flatnonzero(Ib[:, k]) for k in active}
    cols = {k: np.flatnonzero(Jb[:, k]) for k in active}
    for k in active:
        cnt[np.ix_(rows[k], cols[k])] += 1
    Z = A.copy()
    X, Y = bk.zeros(m, r), bk.zeros(n, r)
    order: list[int] = []
    forced = True
    todo = list(active)
    while todo:
        chosen = None
        for k in todo:
            if connected_spanning(cnt[np.ix_(rows[k], cols[k])] == 1):
                chosen = k
                break
        if chosen is None:
            return _Completion(False, None, None, order, forced,
                               f"no unresolved support among {sorted(todo)} has a connected "
                               "spanning observable part")
        k = chosen
        R, C = rows[k], cols[k]
        obs = cnt[np.ix_(R, C)] == 1
        data = Z[np.ix_(R, C)]
        live = bk.nonzero_mask(data) & obs
        x: list[object] = [None] * R.size
        y: list[object] = [None] * C.size
        if live.any():
            i0 = int(np.argwhere(live)[0][0])
            x[i0] = bk.one
            stack = [("r", i0)]
            while stack:
                side, idx = stack.pop()
                if side == "r":
                    for j in np.flatnonzero(obs[idx]).tolist():
                        if y[j] is None:
                            y[j] = data[idx, j] / x[idx]
                            if not bk.is_zero(y[j]):
                                stack.append(("c", j))
                else:
                    for i in np.flatnonzero(obs[:, idx]).tolist():
                        if x[i] is None:
                            x[i] = data[i, idx] / y[idx]
                            if not bk.is_zero(x[i]):
                                stack.append(("r", i))
        if any(v is None for v in x) or any(v is None for v in y):
            forced = False
            if require_forced:
                return _Completion(False, None, None, order, False,
                                   f"the contribution of support {k} is not determined by "
                                   "the data (zero entries disconnect its observable part)")
        xv = np.array([bk.zero if v is None else v for v in x], dtype=object)
        yv = np.array([bk.zero if v is None else v for v in y], dtype=object)
        contrib = np.multiply.outer(xv, yv)
        if (bk.nonzero_mask(contrib - data) & obs).any():
            return _Completion(False, None, None, order, forced,
                               f"the observed entries of support {k} are not rank one")
        Z[np.ix_(R, C)] = data - contrib
        X[R, k] = xv
        Y[C, k] = yv
        cnt[np.ix_(R, C)] -= 1
        todo.remove(k)
        order.append(k)
    if bk.nonzero_mask(Z).any():
        return _Completion(False, None, None, order, forced,
                           "the completed contributions leave a nonzero residual")
    return _Completion(True, X, Y, order, forced)


def _groebner_infeasible(A: np.ndarray, pattern: SupportPattern, bk: ExactBackend) -> bool | None:
    """Return True if X Y^T = A has no complex solution (Gröbner basis [1])."""
    if bk.field.N != 1:
        return None
    Ib, Jb = _dense_masks(pattern)
    if int(Ib.sum() + Jb.sum()) > GROEBNER_MAX_VARS:
        return None
    return groebner_is_one(_equations(A, Ib, Jb, bk))[0]


def _equations(A: np.ndarray, Ib: np.ndarray, Jb: np.ndarray, bk: ExactBackend
               ) -> list[Equation]:
    """Build the equations ``(X Y^T)_ij = A_ij`` of every entry (over Q)."""
    I_rows = {int(i): np.flatnonzero(Ib[i]).tolist() for i in range(Ib.shape[0])}
    J_rows = {int(j): np.flatnonzero(Jb[j]).tolist() for j in range(Jb.shape[0])}
    entries = [(i, j) for i in range(Ib.shape[0]) for j in range(Jb.shape[0])]
    values = {(i, j): Fraction(cast(Fraction, bk.to_public(A[i, j]))) for i, j in entries}
    return two_factor_equations(I_rows, J_rows, entries, values)


# --------------------------------------------------------------------------------------------
# certificates


def _base_data(pattern: SupportPattern, target: ExactTarget) -> dict[str, object]:
    return {"field": target.field.to_dict(), "structure": encode_structure(pattern),
            "target": target.dense()}


def _refutation_certificate(ref: dict[str, Any], pattern: SupportPattern,
                            target: ExactTarget, split: dict[str, object] | None = None,
                            structure: dict[str, object] | None = None) -> Certificate | None:
    bk = target.backend
    data = _base_data(pattern, target)
    if structure is not None:
        data["structure"] = structure
    if split is not None:
        data["split"] = split
    if ref["kind"] == "entry":
        i, j = int(ref["row"]), int(ref["col"])
        data["entry"] = {"row": i, "col": j,
                         "value": encode_dense(target.A[i : i + 1, j : j + 1], bk)["rows"][0][0]}
        return Certificate("not-member", "entry-outside-supports", data)
    if ref["kind"] == "minor":
        data["minor"] = minor_evidence(target.A, ref, bk)
        return Certificate("not-member", "minor", data)
    Ib, Jb = _dense_masks(pattern)
    proof = nullstellensatz_evidence(target.A, Ib, Jb, bk)
    if proof is None:
        return None
    data.update(proof)
    return Certificate("not-member", "nullstellensatz", data)


def nullstellensatz_evidence(A: np.ndarray, Ib: np.ndarray, Jb: np.ndarray, bk: ExactBackend
                             ) -> dict[str, object] | None:
    """Cofactors ``c_e`` with ``sum_e c_e (X Y^T - A)[e] == 1`` (variables ``x_i_k``, ``y_j_k``).

    Certificate evidence for a Gröbner refutation that the checker verifies by expanding
    polynomials; None if the cofactor search runs out of budget.
    """
    eqs = [e for e in _equations(A, Ib, Jb, bk) if e[1] or e[2]]
    return nullstellensatz_proof(eqs)


def _refutation_text(ref: dict[str, Any], target: ExactTarget, where: str = "") -> str:
    from fsmf_check.model.numbers import format_exact as format_scalar

    bk = target.backend
    if ref["kind"] == "entry":
        i, j = ref["row"], ref["col"]
        return (f"A[{i}, {j}] = {format_scalar(bk.to_public(target.A[i, j]))} is nonzero but "
                f"({i}, {j}) lies outside every rank-one support{where}")
    if ref["kind"] == "minor":
        rows, cols = ref["rows"], ref["cols"]
        val = minor_value(target.A, list(rows), list(cols), bk)
        t = ref["meeting"]
        return (f"the {len(rows)}x{len(rows)} minor of A on rows {list(rows)} and columns "
                f"{list(cols)} equals {format_scalar(bk.to_public(val))} != 0, but only {t} "
                f"rank-one support(s) meet that rectangle, so its rank is at most {t}{where}")
    return ("the polynomial system X Y^T = A has Gröbner basis [1]: no complex solution, "
            "hence no exact one")


# --------------------------------------------------------------------------------------------
# public decisions


def decide_membership(A: object, pattern: SupportPattern, *, backend: str = "flint",
                      tract: TractabilityResult | None = None) -> MembershipResult:
    r"""Decide exactly whether ``A = X @ Y.T`` with ``supp(X) ⊆ I``, ``supp(Y) ⊆ J``.

    Parameters
    ----------
    A : array-like of exact scalars, or ExactTarget
        Entries int / Fraction / GaussianRational / CyclotomicNumber (floats are refused).
    pattern : SupportPattern
        The two-factor pattern.
    backend : {"flint", "sympy"}
        Exact backend.
    tract : TractabilityResult, optional
        Precomputed :func:`decide_tractability` result.

    Returns
    -------
    MembershipResult
        ``member`` with exact factors ``[X, Y]`` and a certificate, ``not-member`` with an
        exact refutation (an entry outside every support, a nonzero minor with the number of
        supports meeting it, or a Gröbner basis [1]), or ``undecided`` with what was tried.

    Raises
    ------
    ExactnessError
        If ``A`` has float entries.
    ShapeError
        If ``A`` is not m x n.

    Notes
    -----
    T2 (disjoint-or-identical: block rank <= class size), T3 (CEC reduction, derived),
    T8 §2.6 (iterative rank-one completion, used constructively for other patterns). Exact.
    Tractable patterns: O(sum of block sizes) for rank-one classes (outer-product identity)
    plus one exact rref per larger class.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from fsmf_check.model import families
    >>> res = decide_membership([[1, 2], [3, 4]], families.lu(2))
    >>> res.verdict, [[str(v) for v in row] for row in res.public_factors()[1]]
    ('member', [['1', '0'], ['2', '-2']])
    >>> decide_membership([[0, 1], [1, 0]], families.lu(2)).method
    'groebner'
    >>> P = SupportPattern(["10", "01"], ["10", "01"])
    >>> res = decide_membership([[1, 2], [3, 4]], P)
    >>> res.verdict, res.certificate.method, res.evidence["refutation"]
    ('not-member', 'entry-outside-supports', {'kind': 'entry', 'row': 0, 'col': 1})
    """
    target = as_exact_matrix(A, backend) if not isinstance(A, ExactTarget) else A
    bk = target.backend
    M = target.A
    if M.shape != (pattern.m, pattern.n):
        msg = f"A has shape {M.shape} but the pattern needs {pattern.m} x {pattern.n}"
        raise ShapeError(msg)
    if tract is None:
        try:
            tract = decide_tractability(pattern)
        except NotApplicableError:
            # every rank-one support is empty: the only product is the zero matrix
            ref = _outside(M, np.zeros(M.shape, dtype=bool), bk)
            if ref:
                return _not_member(pattern, target, ref, "T1", "every rank-one support is empty")
            Z = bk.zeros(pattern.m, pattern.r), bk.zeros(pattern.n, pattern.r)
            return _member(pattern, target, *Z, "T1", "zero",
                           "A = 0 is the product of zero factors (every rank-one support is "
                           "empty).")
    tried: list[str] = []
    if tract.tractable:
        run = factor_tractable(M, pattern, tract, bk)
        if run.ok:
            assert run.X is not None and run.Y is not None  # built: factor_tractable(build=True)
            return _member(pattern, target, run.X, run.Y, tract.theorem or "T2",
                           f"tractable-{tract.rule}",
                           f"A is exactly a product: the pattern is {tract.rule} "
                           f"({tract.theorem}) and every class block has rank at most "
                           "its class size; exact factors were built from block pivots.")
        assert run.refutation is not None  # a failed run always carries its refutation
        return _not_member(pattern, target, run.refutation, tract.theorem or "T2",
                           f"the pattern is {tract.rule} ({tract.theorem})")
    # not certified: exact arguments that hold for every pattern
    tried.append("entry outside every support")
    ref = _outside(M, _union(pattern), bk)
    if ref:
        return _not_member(pattern, target, ref, "T1", "this holds for any pattern")
    tried.append("minors on rectangles met by few supports")
    ref = _counting_refutation(M, pattern, tract, bk)
    if ref:
        return _not_member(pattern, target, ref, "T1", "this holds for any pattern")
    tried.append("iterative rank-one completion (T8) + exact product check")
    comp = rank_one_completion(M, pattern, bk)
    if comp.ok:
        assert comp.X is not None and comp.Y is not None  # a successful completion has factors
        return _member(pattern, target, comp.X, comp.Y, "T8", "rank-one-completion",
                       "A is exactly a product: the iterative rank-one completion (T8, "
                       f"order {comp.order}) built exact factors and X @ Y.T == A was checked "
                       "exactly (the pattern itself is not certified tractable).",
                       extra={"completion_order": comp.order})
    tried.append(f"Gröbner basis of X Y^T = A (at most {GROEBNER_MAX_VARS} unknowns, over Q)")
    infeasible = _groebner_infeasible(M, pattern, bk)
    if infeasible:
        return _not_member(pattern, target, {"kind": "groebner"}, "T5",
                           "the pattern is not certified tractable")
    why = comp.reason or "no construction applied"
    return MembershipResult(
        verdict="undecided", theorem=None,
        explanation=("No exact decision: the pattern is not certified tractable, no entry or "
                     f"minor refutes membership, the rank-one completion stopped ({why}) and "
                     + ("the Gröbner basis is not [1]." if infeasible is False else
                        "the system is too large or not over Q for the Gröbner test.")),
        method="none", field=target.field, backend=bk, tried=tuple(tried))


def _member(pattern: SupportPattern, target: ExactTarget, X: np.ndarray, Y: np.ndarray,
            theorem: str, method: str, text: str,
            extra: dict[str, object] | None = None) -> MembershipResult:
    bk = target.backend
    if not bk.equal(bk.matmul(X, Y.T.copy()), target.A):  # pragma: no cover - internal check
        msg = "internal error: constructed factors do not reproduce A"
        raise AssertionError(msg)
    data = _base_data(pattern, target)
    data["factors"] = [encode_sparse(X, bk), encode_sparse(Y, bk)]
    cert = Certificate("member", "factors", data)
    return MembershipResult(verdict="member", theorem=theorem, explanation=text, method=method,
                            field=target.field, backend=bk, factors=(X, Y), certificate=cert,
                            evidence=dict(extra or {}))


def _not_member(pattern: SupportPattern, target: ExactTarget, ref: dict[str, Any],
                theorem: str, context: str) -> MembershipResult:
    cert = _refutation_certificate(ref, pattern, target)
    text = f"A is not a product: {_refutation_text(ref, target)} ({context})."
    method = {"entry": "entry-outside-supports", "minor": "minor"}.get(str(ref["kind"]),
                                                                          "groebner")
    return MembershipResult(verdict="not-member", theorem=theorem, explanation=text,
                            method=method, field=target.field, backend=target.backend,
                            certificate=cert, evidence={"refutation": _jsonable_ref(ref)})


def _jsonable_ref(ref: dict[str, object]) -> dict[str, object]:
    return {k: (list(v) if isinstance(v, list | tuple | np.ndarray) else v)
            for k, v in ref.items()}


# --------------------------------------------------------------------------------------------
# identifiability


def _pair_compatible(x: np.ndarray, y: np.ndarray, x2: np.ndarray, y2: np.ndarray,
                     bk: ExactBackend) -> bool:
    """Test whether (x2, y2) = (d x, y / d) for some nonzero d."""
    nx, nx2 = bk.nonzero_mask(x[:, None])[:, 0], bk.nonzero_mask(x2[:, None])[:, 0]
    ny, ny2 = bk.nonzero_mask(y[:, None])[:, 0], bk.nonzero_mask(y2[:, None])[:, 0]
    if (nx != nx2).any() or (ny != ny2).any():
        return False
    if nx.any():
        i = int(np.flatnonzero(nx)[0])
        d = x2[i] / x[i]
        if bk.nonzero_mask((x2 - x * d)[:, None]).any():
            return False
        return not bk.nonzero_mask((y2 * d - y)[:, None]).any()
    if ny.any():
        j = int(np.flatnonzero(ny)[0])
        d = y2[j] / y[j]
        return not bk.nonzero_mask((y2 - y * d)[:, None]).any()
    return True


def equivalent_up_to_scaling(X: np.ndarray, Y: np.ndarray, X2: np.ndarray, Y2: np.ndarray,
                             bk: ExactBackend) -> bool:
    """Test whether ``(X2, Y2) = (X P D, Y P D^-1)`` (P permutation, D invertible diagonal)."""
    from scipy.sparse.csgraph import maximum_bipartite_matching

    r = X.shape[1]
    comp = np.zeros((r, r), dtype=np.int8)
    for a in range(r):
        for b in range(r):
            comp[a, b] = _pair_compatible(X[:, a], Y[:, a], X2[:, b], Y2[:, b], bk)
    match = maximum_bipartite_matching(sp.csr_array(comp), perm_type="column")
    return bool((match >= 0).all())


def _unit(size: int, idx: int, bk: ExactBackend) -> np.ndarray:
    v = np.array([bk.zero] * size, dtype=object)
    v[idx] = bk.one
    return v


def _degenerate_second(X: np.ndarray, Y: np.ndarray, Ib: np.ndarray, Jb: np.ndarray,
                       bk: ExactBackend) -> tuple[np.ndarray, np.ndarray, int] | None:
    for k in range(X.shape[1]):
        xz = not bk.nonzero_mask(X[:, k][:, None]).any()
        yz = not bk.nonzero_mask(Y[:, k][:, None]).any()
        if not (xz or yz):
            continue
        X2, Y2 = X.copy(), Y.copy()
        if xz and not yz:
            Y2[:, k] = bk.zero
        elif yz and not xz:
            X2[:, k] = bk.zero
        elif Jb[:, k].any():
            Y2[:, k] = _unit(Y.shape[0], int(np.flatnonzero(Jb[:, k])[0]), bk)
        elif Ib[:, k].any():
            X2[:, k] = _unit(X.shape[0], int(np.flatnonzero(Ib[:, k])[0]), bk)
        else:
            continue
        if not equivalent_up_to_scaling(X, Y, X2, Y2, bk):
            return X2, Y2, k
    return None


def _gl_second(X: np.ndarray, Y: np.ndarray, k1: int, k2: int, bk: ExactBackend,
               ) -> tuple[np.ndarray, np.ndarray, list[list[int]]] | None:
    one, two = bk.one, bk.one + bk.one
    x1, x2, y1, y2 = X[:, k1], X[:, k2], Y[:, k1], Y[:, k2]
    # (G, columns of X G, columns of Y G^-T) for G in GL(2) with integer entries
    candidates = [
        ([[1, 1], [0, 1]], (x1, x1 + x2), (y1 - y2, y2)),
        ([[1, 0], [1, 1]], (x1 + x2, x2), (y1, y2 - y1)),
        ([[1, 1], [1, 2]], (x1 + x2, x1 + x2 * two), (y1 * two - y2, y2 - y1)),
    ]
    _ = one
    for G, (a1, a2), (b1, b2) in candidates:
        X2, Y2 = X.copy(), Y.copy()
        X2[:, k1], X2[:, k2], Y2[:, k1], Y2[:, k2] = a1, a2, b1, b2
        if not equivalent_up_to_scaling(X, Y, X2, Y2, bk):
            return X2, Y2, G
    return None


def _planted_generic(pattern: SupportPattern, bk: ExactBackend, seed: int = 0,
                     ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Ib, Jb = _dense_masks(pattern)
    X, Y = bk.zeros(*Ib.shape), bk.zeros(*Jb.shape)
    for M, B in ((X, Ib), (Y, Jb)):
        for i, k in np.argwhere(B):
            M[i, k] = bk.scalar(int(rng.integers(1, 10)))
    return X, Y


def decide_identifiability(A: object, pattern: SupportPattern, *, backend: str = "flint",
                           membership: MembershipResult | None = None,
                           tract: TractabilityResult | None = None) -> IdentifiabilityResult:
    r"""Decide whether the exact factorization of ``A`` is unique up to column scaling.

    Two factorizations are equivalent when ``X2 = X P D`` and ``Y2 = Y P D^-1`` for a
    permutation P (preserving supports) and an invertible diagonal D (T8 §2.6). When
    ``A`` is not a product (or is None), the question is asked for the pattern: every product
    whose rank-one contributions have full support on their rectangles.

    Parameters
    ----------
    A : array-like of exact scalars, ExactTarget or None
        The target (None: pattern-level question).
    pattern : SupportPattern
        The two-factor pattern.
    backend : {"flint", "sympy"}
        Exact backend.
    membership : MembershipResult, optional
        A precomputed membership result for ``A``.
    tract : TractabilityResult, optional
        A precomputed tractability result.

    Returns
    -------
    IdentifiabilityResult
        ``identifiable`` (with the argument), ``not-identifiable`` with a second,
        genuinely different factorization in the certificate, or ``undecided``.

    Notes
    -----
    T8: trivial degeneracy (a zero contribution leaves a column free), classes of size
    >= 2 are never identifiable (``X G``, ``Y G^-T``), disjoint singleton supports with
    nonzero blocks are identifiable [V], iteratively rank-one completable supports are
    identifiable (sufficient for all r [V]); the completion is run in exact arithmetic and is
    accepted only when every contribution is forced by nonzero data. Non-equivalence of the
    second factorization is checked by a bipartite matching of compatible column pairs.

    Examples
    --------
    >>> P = SupportPattern(["10", "01"], ["10", "01"])
    >>> decide_identifiability([[1, 0], [0, 4]], P).verdict
    'identifiable'
    >>> res = decide_identifiability([[1, 2], [3, 4]], SupportPattern(["11", "11"], ["11", "11"]))
    >>> res.verdict, res.evidence["G"]
    ('not-identifiable', [[1, 1], [0, 1]])
    """
    if tract is None:
        tract = decide_tractability(pattern)
    if A is None:
        return _pattern_identifiability(pattern, tract, backend)
    target = as_exact_matrix(A, backend) if not isinstance(A, ExactTarget) else A
    if membership is None:
        membership = decide_membership(target, pattern, backend=backend, tract=tract)
    if membership.verdict != "member":
        res = _pattern_identifiability(pattern, tract, backend)
        note = ("A is not a product of the pattern" if membership.verdict == "not-member"
                else "membership of A is undecided")
        return IdentifiabilityResult(
            verdict=res.verdict, theorem=res.theorem,
            explanation=f"{note}, so the question is answered for the pattern: {res.explanation}",
            method=res.method, scope="pattern", up_to=res.up_to, certificate=res.certificate,
            second_factors=res.second_factors, evidence=res.evidence)
    X, Y = membership.factors  # type: ignore[misc]
    return _target_identifiability(target, pattern, tract, X, Y, scope="target")


def _target_identifiability(target: ExactTarget, pattern: SupportPattern,
                            tract: TractabilityResult, X: np.ndarray, Y: np.ndarray,
                            scope: str) -> IdentifiabilityResult:
    bk = target.backend
    Ib, Jb = _dense_masks(pattern)
    data = _base_data(pattern, target)
    data["factors"] = [encode_sparse(X, bk), encode_sparse(Y, bk)]
    deg = _degenerate_second(X, Y, Ib, Jb, bk)
    if deg is not None:
        X2, Y2, k = deg
        data["second_factors"] = [encode_sparse(X2, bk), encode_sparse(Y2, bk)]
        return IdentifiabilityResult(
            verdict="not-identifiable", theorem="T8",
            explanation=(f"trivial degeneracy: column {k} contributes X_k Y_k^T = 0, so one of "
                         "its factor columns is free; the certificate gives a second "
                         "factorization that is not a scaling/permutation of the first."),
            method="degenerate-column", scope=scope, up_to="column scaling",
            certificate=Certificate("not-identifiable", "second-factorization", data),
            second_factors=(X2, Y2), evidence={"column": k})
    big = [c for c in tract.classes if c.size >= 2]
    if big:
        c = big[0]
        k1, k2 = int(c.members[0]), int(c.members[1])
        gl = _gl_second(X, Y, k1, k2, bk)
        if gl is not None:
            X2, Y2, G = gl
            data["second_factors"] = [encode_sparse(X2, bk), encode_sparse(Y2, bk)]
            return IdentifiabilityResult(
                verdict="not-identifiable", theorem="T8",
                explanation=(f"columns {k1} and {k2} have identical supports (a class of size "
                             f"{c.size}), so (X G, Y G^-T) with G = {G} on them is another "
                             "factorization that is not a scaling/permutation of the first "
                             "(the factorization is unique at best up to GL within classes)."),
                method="class-gl", scope=scope, up_to="column scaling",
                certificate=Certificate("not-identifiable", "second-factorization", data),
                second_factors=(X2, Y2), evidence={"columns": [k1, k2], "G": G})
    if tract.rule == "disjoint-or-identical" and not big:
        return IdentifiabilityResult(
            verdict="identifiable", theorem="T8",
            explanation=("the rank-one supports are pairwise disjoint, so each contribution "
                         "X_k Y_k^T is the block of A on S_k, and every block is nonzero: the "
                         "factors are unique up to column scaling (T8, [ZRG-2L])."),
            method="disjoint-supports", scope=scope, up_to="column scaling",
            certificate=Certificate("identifiable", "disjoint-supports", data))
    comp = rank_one_completion(target.A, pattern, bk, require_forced=True)
    if comp.ok and comp.forced:
        data["completion_order"] = comp.order
        return IdentifiabilityResult(
            verdict="identifiable", theorem="T8",
            explanation=("the rank-one supports are iteratively completable and every "
                         f"contribution is forced by nonzero data (order {comp.order}): the "
                         "factors are unique up to column scaling (T8 §2.6)."),
            method="rank-one-completion", scope=scope, up_to="column scaling",
            certificate=Certificate("identifiable", "completion", data),
            evidence={"completion_order": comp.order})
    return IdentifiabilityResult(
        verdict="undecided", theorem=None,
        explanation=("no degeneracy or class of size >= 2 gives a second factorization, and the "
                     f"iterative rank-one completion is not forced ({comp.reason}); "
                     "completability is only sufficient (T8)."),
        method="none", scope=scope, up_to=None)


def _pattern_identifiability(pattern: SupportPattern, tract: TractabilityResult,
                             backend: str) -> IdentifiabilityResult:
    from fsmf_check.exact._backend import get_backend

    bk = get_backend(backend, 1)
    X, Y = _planted_generic(pattern, bk)
    A = bk.matmul(X, Y.T.copy())
    target = ExactTarget(A, Field(1), bk, "generic planted product (integers 1..9, seed 0)")
    res = _target_identifiability(target, pattern, tract, X, Y, scope="pattern")
    if res.verdict == "identifiable":
        text = ("for every product whose rank-one contributions have full support on their "
                "rectangles: " + res.explanation + " (checked on a generic planted product, "
                "the argument is combinatorial)")
    elif res.verdict == "not-identifiable":
        text = ("a generic planted product already has two inequivalent factorizations: "
                + res.explanation)
    else:
        text = res.explanation
    return IdentifiabilityResult(verdict=res.verdict, theorem=res.theorem, explanation=text,
                                 method=res.method, scope="pattern", up_to=res.up_to,
                                 certificate=res.certificate, second_factors=res.second_factors,
                                 evidence=res.evidence)


def two_factor_scalings(X: np.ndarray, Y: np.ndarray, X2: np.ndarray, Y2: np.ndarray,
                        bk: ExactBackend) -> tuple[list[int], list[object]] | None:
    r"""Find the permutation and column scalings mapping ``(X, Y)`` onto ``(X2, Y2)``.

    Returns ``(perm, d)`` with ``X2[:, perm[k]] = d_k X[:, k]`` and
    ``Y2[:, perm[k]] = Y[:, k] / d_k``, or None when the factorizations are not equivalent.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from fsmf_check.exact._backend import get_backend
    >>> bk = get_backend("flint", 1)
    >>> X, Y = bk.array([[1, 0], [0, 2]]), bk.array([[3, 0], [0, 1]])
    >>> perm, d = two_factor_scalings(X, Y, bk.array([[2, 0], [0, 2]]),
    ...                               bk.array([[Fraction(3, 2), 0], [0, 1]]), bk)
    >>> perm, [str(v) for v in d]
    ([0, 1], ['2', '1'])
    """
    from scipy.sparse.csgraph import maximum_bipartite_matching

    r = X.shape[1]
    comp = np.zeros((r, r), dtype=np.int8)
    for a in range(r):
        for b in range(r):
            comp[a, b] = _pair_compatible(X[:, a], Y[:, a], X2[:, b], Y2[:, b], bk)
    match = maximum_bipartite_matching(sp.csr_array(comp), perm_type="column")
    if (match < 0).any():
        return None
    d = []
    for a in range(r):
        b = int(match[a])
        nx = np.flatnonzero(bk.nonzero_mask(X[:, a][:, None])[:, 0])
        ny = np.flatnonzero(bk.nonzero_mask(Y[:, a][:, None])[:, 0])
        if nx.size:
            d.append(X2[nx[0], b] / X[nx[0], a])
        elif ny.size:
            d.append(Y[ny[0], a] / Y2[ny[0], b])
        else:
            d.append(bk.one)
    return [int(v) for v in match], d

