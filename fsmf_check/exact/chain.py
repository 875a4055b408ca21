r"""Exact membership, recovery and identifiability for chains ``A = F[0] @ ... @ F[L-1]``.

Two independent routes (T7, T9):

* **Hierarchical recovery in exact arithmetic** (T7, §4.4 "Exact-arithmetic variant"): along a
  factor-bracketing tree, every node ``F[p..q-1]`` is split into a two-factor problem whose
  pattern is certified tractable (chainable Kronecker splits are disjoint-or-identical, T6);
  each class block is factored through a pivot (rank one) or an exact rref (rank r), never an
  SVD. The leaves are the exact factors, and ``F[0] @ ... @ F[L-1] == A`` is checked exactly.
* **Complementary low rank** (T9, §4.2): for every split ``s`` of the whole chain, ``A`` must
  vanish outside the split's supports and every class block must have rank <= its class size.
  For the square dyadic butterfly this is an iff (GRETSI 2023 theorem [V]); for
  roots-of-unity targets (the DFT) the 2x2 minors vanish iff
  ``(E[j,k] + E[j',k'] - E[j,k'] - E[j',k]) = 0 mod N`` (pure integer arithmetic).

A refutation is always a statement about ``A`` itself: an entry outside the product support,
or a nonzero minor of a class block of some split ``s`` of the whole chain (with the number of
rank-one supports meeting it). Identifiability (T8, §4.3): every class block of every split
has full rank (nonzero for rank one) => unique up to diagonal scalings (block-diagonal GL(r)
for rank-r chains); a rank-deficient block gives an explicit second factorization, which a
changed class-block rank or an inconsistent block-gauge linear system proves is not a gauge of
the first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fsmf_check.analysis.tractability import TractabilityResult, decide_tractability
from fsmf_check.errors import InvalidInputError, ShapeError
from fsmf_check.exact._backend import ExactBackend
from fsmf_check.exact._blocks import minor_evidence
from fsmf_check.exact.certificates import (
    Certificate,
    ScalarFormatter,
    encode_sparse,
    encode_structure,
    full_rank_minor,
)
from fsmf_check.exact.targets import ExactTarget, as_exact_matrix, chain_product
from fsmf_check.exact.twofactor import (
    IdentifiabilityResult,
    MembershipResult,
    _jsonable_ref,
    _refutation_text,
    decide_membership,
    factor_tractable,
)
from fsmf_check.model.families import butterfly
from fsmf_check.model.fields import Field
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.numbers import format_exact as format_scalar
from fsmf_check.model.supports import Chain, SupportPattern

__all__ = ["decide_chain_membership", "decide_chain_identifiability", "chain_scalings",
           "clr_check", "is_square_butterfly", "TREES"]

TREES = ("left", "right", "balanced")


def _split_of(p: int, q: int, tree: str) -> int:
    if tree == "left":
        return p + 1
    if tree == "right":
        return q - 1
    if tree == "balanced":
        return p + (q - p + 1) // 2
    msg = f"tree must be one of {', '.join(TREES)}; got {tree!r}"
    raise InvalidInputError(msg)


def is_square_butterfly(chain: Chain) -> str | None:
    """Return ``"standard"`` / ``"reversed"`` for a square dyadic butterfly, else None.

    Examples
    --------
    >>> from fsmf_check.model.families import butterfly
    >>> is_square_butterfly(butterfly(8)), is_square_butterfly(butterfly(8, "reversed"))
    ('standard', 'reversed')
    """
    if not chain.is_structured:
        return None
    n = chain.shape[0]
    if n < 2 or n & (n - 1) or chain.shape[1] != n:
        return None
    for order in ("standard", "reversed"):
        if tuple(chain.factors) == tuple(butterfly(n, order).factors):
            return order
    return None


class _Tract:
    """Cache of tractability results per node (p, s, q)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.target_field: Field = Field(1)
        self.cache: dict[tuple[int, int, int], tuple[SupportPattern, TractabilityResult]] = {}

    def get(self, p: int, s: int, q: int) -> tuple[SupportPattern, TractabilityResult]:
        key = (p, s, q)
        if key not in self.cache:
            pattern = self.chain.split(s, p, q)
            self.cache[key] = (pattern, decide_tractability(pattern))
        return self.cache[key]


def _dense_support(chain: Chain, p: int, q: int) -> np.ndarray:
    sup = chain.partial_support(p, q)
    if isinstance(sup, KronPattern):
        return sup.to_dense().astype(bool)
    return sup.toarray().astype(bool)


def _leaf(H: np.ndarray, nonzero: np.ndarray, p: int, tr: _Tract,
          leaves: dict[int, np.ndarray]) -> dict[str, Any] | None:
    """Store the leaf ``H`` of factor ``p`` after checking that it lies in the factor's mask."""
    mask = tr.chain.factor_mask(p).toarray().astype(bool)
    if (nonzero & ~mask).any():  # pragma: no cover - supports guarantee this never happens
        return {"node": [p, p + 1, p + 1], "reason": "leaf outside its support"}
    leaves[p] = H
    return None


def _hierarchy(H: np.ndarray, p: int, q: int, tree: str, tr: _Tract, bk: ExactBackend,
               leaves: dict[int, np.ndarray]) -> dict[str, Any] | None:
    if q - p == 1:
        return _leaf(H, bk.nonzero_mask(H), p, tr, leaves)
    s = _split_of(p, q, tree)
    pattern, tract = tr.get(p, s, q)
    if not tract.tractable:
        if q - p != 2 or p == 0 and q == tr.chain.n_factors:
            return {"node": [p, s, q], "reason": "split not certified tractable"}
        # a two-factor node: the two-factor engine decides it exactly (completion,
        # Groebner); only a `member` answer is used, since H carries the gauge of its parent
        node = ExactTarget(H, tr.target_field, bk, f"node {[p, s, q]}")
        two = decide_membership(node, pattern)  # type: ignore[arg-type]
        if two.verdict != "member":
            return {"node": [p, s, q], "reason": "split not certified tractable and the "
                    f"two-factor engine says {two.verdict} for the node matrix"}
        X, Y = two.factors  # type: ignore[misc]
        leaves[p], leaves[s] = X, Y.T.copy()
        return None
    run = factor_tractable(H, pattern, tract, bk)
    if not run.ok:
        return {"node": [p, s, q], "refutation": run.refutation}
    assert run.X is not None and run.Y is not None  # built: factor_tractable(build=True)
    fail = _hierarchy(run.X, p, s, tree, tr, bk, leaves)
    if fail:
        return fail
    return _hierarchy(run.Y.T.copy(), s, q, tree, tr, bk, leaves)


class _NotFast(Exception):
    """The roots-of-unity fast path does not apply to this node (general path instead)."""


def _roots_hierarchy(E: np.ndarray, nz: np.ndarray, p: int, q: int, tree: str, tr: _Tract,
                     N: int, leaves: dict[int, tuple[np.ndarray, np.ndarray]],
                     ) -> dict[str, object] | None:
    """:func:`_hierarchy` in exponents mod N (module :mod:`._roots`); raises _NotFast."""
    from fsmf_check.exact._roots import roots_factor_node

    if q - p == 1:
        mask = tr.chain.factor_mask(p).toarray().astype(bool)
        if (nz & ~mask).any():  # pragma: no cover - supports guarantee this never happens
            return {"node": [p, p + 1, q], "reason": "leaf outside its support"}
        leaves[p] = (E, nz)
        return None
    s = _split_of(p, q, tree)
    pattern, tract = tr.get(p, s, q)
    if not tract.tractable:
        raise _NotFast
    res = roots_factor_node(E, nz, tract, N, pattern.r)  # type: ignore[attr-defined]
    if res is None:
        raise _NotFast
    kind, X, Y = res
    if kind == "ref":
        return {"node": [p, s, q], "refutation": X}
    pair_x: Any = X
    pair_y: Any = Y
    EX, nX = pair_x
    EY, nY = pair_y
    fail = _roots_hierarchy(EX, nX, p, s, tree, tr, N, leaves)
    if fail:
        return fail
    return _roots_hierarchy(EY.T.copy(), nY.T.copy(), s, q, tree, tr, N, leaves)


def _roots_recovery(target: ExactTarget, tree: str, tr: _Tract,
                    ) -> tuple[dict[str, object] | None, dict[int, np.ndarray], bool] | None:
    """Exponent version of the recovery for roots-of-unity targets, or None (not applicable).

    Returns ``(fail, leaves, product_ok)``; the leaves are backend scalars, identical to the
    ones the general path builds. ``product_ok`` is the exact product check.
    """
    from fsmf_check.exact._roots import roots_product_equals

    E, N, bk = target.exponents, target.field.N, target.backend
    if E is None or N <= 2 or E.shape != target.A.shape:
        return None
    nz = np.ones(E.shape, dtype=bool)
    L = tr.chain.n_factors
    rl: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    try:
        fail = _roots_hierarchy(np.asarray(E, dtype=np.int64) % N, nz, 0, L, tree, tr, N, rl)
    except _NotFast:
        return None
    if fail is not None:
        return fail, {}, False
    ok = roots_product_equals([rl[i] for i in range(L)], np.asarray(E, dtype=np.int64), nz,
                              N, tr.chain)
    if ok is None:
        return None
    roots = np.empty(N, dtype=object)
    roots[:] = [bk.root_of_unity(e) for e in range(N)]
    leaves: dict[int, np.ndarray] = {}
    for i in range(L):
        El, nl = rl[i]
        F = bk.zeros(*El.shape)
        F[nl] = roots[El[nl] % N]
        leaves[i] = F
    return None, leaves, ok


def _int_hierarchy(H: np.ndarray, p: int, q: int, tree: str, tr: _Tract,
                   leaves: dict[int, np.ndarray]) -> dict[str, object] | None:
    """:func:`_hierarchy` in int64, integer gauge (module :mod:`._integers`); raises _NotFast.

    Every internal node is also checked exactly, ``H == X @ Y.T`` (residues with a proved
    bound), so that by induction over the tree the product of the leaves is the root.
    """
    from fsmf_check.exact._integers import int_factor_node, node_product_equals

    if q - p == 1:
        return _leaf(H, H != 0, p, tr, leaves)
    s = _split_of(p, q, tree)
    pattern, tract = tr.get(p, s, q)
    if not tract.tractable:
        raise _NotFast
    res = int_factor_node(H, tract, pattern.r)  # type: ignore[attr-defined]
    if res is None:
        raise _NotFast
    kind, X, Y = res
    if kind == "ref":
        return {"node": [p, s, q], "refutation": X}
    assert isinstance(X, np.ndarray) and isinstance(Y, np.ndarray)
    same = node_product_equals(X, Y, H)
    if same is None:
        raise _NotFast
    if not same:  # pragma: no cover - contradicts the exact block checks
        msg = f"internal error: node {[p, s, q]} is not the product of its integer factors"
        raise AssertionError(msg)
    fail = _int_hierarchy(X, p, s, tree, tr, leaves)
    if fail:
        return fail
    return _int_hierarchy(Y.T.copy(), s, q, tree, tr, leaves)


def _int_recovery(target: ExactTarget, tree: str, tr: _Tract,
                  ) -> tuple[dict[str, object] | None, dict[int, np.ndarray], bool,
                             dict[int, np.ndarray]] | None:
    """Integer-gauge recovery for integer targets over Q, or None (not applicable).

    Returns ``(fail, leaves, product_ok, int_leaves)`` like :func:`_roots_recovery`; the leaves
    are integer factors (primitive integer columns, integer rows) as backend scalars,
    ``product_ok`` is the exact product check (node by node, :mod:`._integers`) and
    ``int_leaves`` the same leaves as int64 arrays.
    """
    from fsmf_check.exact._integers import integer_matrix

    Z = integer_matrix(target) if tr.chain.n_factors > 1 else None
    if Z is None:
        return None
    L = tr.chain.n_factors
    il: dict[int, np.ndarray] = {}
    try:
        fail = _int_hierarchy(Z, 0, L, tree, tr, il)
    except _NotFast:
        return None
    if fail is not None:
        return fail, {}, False, {}
    bk = target.backend
    cache: dict[int, object] = {}
    leaves: dict[int, np.ndarray] = {}
    for i in range(L):
        Fi = il[i]
        F = bk.zeros(*Fi.shape)
        rows, cols = np.nonzero(Fi)
        vals = Fi[rows, cols].tolist()
        for v in set(vals):
            if v not in cache:
                cache[v] = bk.scalar(v)
        objs = np.empty(len(vals), dtype=object)
        objs[:] = [cache[v] for v in vals]
        F[rows, cols] = objs
        leaves[i] = F
    return None, leaves, True, il


def clr_check(target: ExactTarget, chain: Chain, tr: _Tract | None = None,
              ) -> dict[str, Any]:
    r"""Complementary low-rank test (T9): every split of the whole chain, on ``A``.

    Returns ``{"verdict": "holds" | "violated" | "incomplete", "split": s, "refutation": ...,
    "splits_checked": [...], "method": ...}``. For roots-of-unity targets the rank-one blocks
    use the integer criterion; otherwise the exact block tests of :func:`factor_tractable`.

    Examples
    --------
    >>> from fsmf_check.exact.targets import dft_matrix
    >>> from fsmf_check.model.families import butterfly
    >>> clr_check(dft_matrix(8, "bitrev"), butterfly(8))["verdict"]
    'holds'
    >>> res = clr_check(dft_matrix(8), butterfly(8))
    >>> res["verdict"], res["split"], res["refutation"]["rows"]
    ('violated', 1, [0, 4])
    """
    tr = tr or _Tract(chain)
    bk = target.backend
    L = chain.n_factors
    checked: list[int] = []
    skipped: list[int] = []
    E, N = target.exponents, target.field.N
    Z = None
    if N == 1 and L > 1:
        from fsmf_check.exact._integers import int_factor_node, integer_matrix

        Z = integer_matrix(target)
    for s in range(1, L):
        pattern, tract = tr.get(0, s, L)
        if not tract.tractable:
            skipped.append(s)
            continue
        if Z is not None:  # integer target: the same block tests in int64 (module _integers)
            fast = int_factor_node(Z, tract, pattern.r, build=False)  # type: ignore[attr-defined]
            if fast is not None:
                if fast[0] == "ref":
                    return {"verdict": "violated", "split": s, "refutation": fast[1],
                            "method": "exact block ranks", "splits_checked": checked}
                checked.append(s)
                continue
        if E is not None and tract.rule == "disjoint-or-identical" and N > 1:
            for c in tract.classes:
                if c.size != 1:
                    continue
                S = E[np.ix_(c.rows, c.cols)]
                V = (S - S[:, :1] - S[:1, :] + S[0, 0]) % N
                if V.any():
                    i, j = (int(v) for v in np.argwhere(V)[0])
                    ref = {"kind": "minor", "rows": sorted({int(c.rows[0]), int(c.rows[i])}),
                           "cols": sorted({int(c.cols[0]), int(c.cols[j])}), "meeting": 1,
                           "block": {"rows": c.rows.tolist(), "cols": c.cols.tolist()}}
                    return {"verdict": "violated", "split": s, "refutation": ref,
                            "method": "roots-of-unity exponents", "splits_checked": checked}
            if all(c.size == 1 for c in tract.classes):
                checked.append(s)
                continue
        run = factor_tractable(target.A, pattern, tract, bk, build=False)
        if not run.ok:
            return {"verdict": "violated", "split": s, "refutation": run.refutation,
                    "method": "exact block ranks", "splits_checked": checked}
        checked.append(s)
    return {"verdict": "incomplete" if skipped else "holds", "splits_checked": checked,
            "splits_not_certified": skipped,
            "method": "roots-of-unity exponents" if E is not None else "exact block ranks"}


def _chain_refutation(ref: dict[str, Any], chain: Chain, target: ExactTarget,
                      split: int | None) -> tuple[Certificate, str]:
    bk = target.backend
    data: dict[str, Any] = {"field": target.field.to_dict(),
                               "structure": encode_structure(chain),
                               "target": target.dense(), "split": split}
    where = "" if split is None else f" for the split after factor {split}"
    if ref["kind"] == "entry":
        i, j = int(ref["row"]), int(ref["col"])
        data["entry"] = {"row": i, "col": j,
                         "value": format_scalar(bk.to_public(target.A[i, j]))}
        text = (f"A[{i}, {j}] = {format_scalar(bk.to_public(target.A[i, j]))} is nonzero but "
                f"({i}, {j}) is outside the support of every product of the chain")
        return Certificate("not-member", "entry-outside-supports", data), text
    data["minor"] = minor_evidence(target.A, ref, bk)
    return Certificate("not-member", "minor", data), _refutation_text(ref, target, where)


def decide_chain_membership(A: object, chain: Chain, *, tree: str = "balanced",
                            backend: str = "flint", cross_check: bool = True,
                            ) -> MembershipResult:
    r"""Decide exactly whether ``A = F[0] @ ... @ F[L-1]`` with ``supp(F[l]) ⊆`` mask ``l``.

    Parameters
    ----------
    A : array-like of exact scalars, or ExactTarget
        The target (floats are refused).
    chain : Chain
        The factor masks, left to right.
    tree : {"balanced", "left", "right"}
        Factor-bracketing tree of the hierarchical recovery (any tree works exactly, T7).
    backend : {"flint", "sympy"}
        Exact backend.
    cross_check : bool
        Also run the complementary low-rank test (T9) as a second route.

    Returns
    -------
    MembershipResult
        ``member`` with the exact factors ``F[0..L-1]``, ``not-member`` with a refutation on
        ``A`` (split, rows, columns, exact minor value), or ``undecided``.

    Notes
    -----
    T7 (hierarchical algorithm, exact variant: pivots, no SVD), T6 (chainable splits
    are disjoint-or-identical), T9 (complementary low rank; integer criterion for roots of
    unity). Exact. Cost O(sum over tree nodes of the node's support size) scalar operations for
    rank-one chains, plus an exact product check O(L N^2) for butterflies.

    Examples
    --------
    >>> from fsmf_check.exact.targets import dft_matrix, hadamard_matrix
    >>> from fsmf_check.model.families import butterfly
    >>> decide_chain_membership(hadamard_matrix(8), butterfly(8)).verdict
    'member'
    >>> res = decide_chain_membership(dft_matrix(8), butterfly(8))
    >>> res.verdict, res.certificate.data["split"], res.certificate.data["minor"]["value"]
    ('not-member', 1, '-2')
    """
    target = as_exact_matrix(A, backend) if not isinstance(A, ExactTarget) else A
    bk = target.backend
    if target.A.shape != chain.shape:
        msg = f"A has shape {target.A.shape} but the chain's product is {chain.shape}"
        raise ShapeError(msg)
    tr = _Tract(chain)
    L = chain.n_factors
    tried: list[str] = []
    evidence: dict[str, Any] = {"tree": tree, "factors": L}
    order = is_square_butterfly(chain)
    # 1. entries outside the support of the whole product refute membership for any chain
    tried.append("entries outside the product support")
    support = _dense_support(chain, 0, L)
    bad = bk.nonzero_mask(target.A) & ~support
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        cert, text = _chain_refutation({"kind": "entry", "row": i, "col": j}, chain, target,
                                       None)
        return MembershipResult(verdict="not-member", theorem="T6", explanation=f"A is not a "
                                f"product: {text}.", method="entry-outside-supports",
                                field=target.field, backend=bk, certificate=cert,
                                tried=tuple(tried),
                                evidence={**evidence, "refutation": {"kind": "entry", "row": i,
                                                                     "col": j}})
    # 2. roots-of-unity fast path (T9 integer criterion) as an early refutation
    clr = None
    product_checked = False  # set by the roots-of-unity path (exponent product check)
    int_leaves: dict[int, np.ndarray] = {}  # int64 leaves of the integer path (same factors)
    if target.exponents is not None and L > 1:
        tried.append("complementary low rank, integer criterion for roots of unity (T9)")
        clr = clr_check(target, chain, tr)
        if clr["verdict"] == "violated":
            return _refuted_by(clr, chain, target, tried, evidence, order)
    # 3. hierarchical recovery in exact arithmetic (T7)
    if L == 1:
        leaves: dict[int, np.ndarray] = {0: target.A}
        fail = None
    else:
        tried.append(f"hierarchical exact recovery ({tree} tree, T7)")
        tr.target_field = target.field
        leaves = {}
        fast = _roots_recovery(target, tree, tr)
        if fast is None and target.field.N == 1:
            ifast = _int_recovery(target, tree, tr)
            if ifast is not None:
                fail, leaves, product_checked, int_leaves = ifast
                fast = (fail, leaves, product_checked)
        if fast is not None:
            fail, leaves, product_checked = fast
        else:
            fail = _hierarchy(target.A, 0, L, tree, tr, bk, leaves)
        top = fail is not None and fail.get("node") == [0, _split_of(0, L, tree), L]
        if fail is not None and not (top and "refutation" in fail) and L > 2:
            # any bracketing tree is exact (T7): try the others before giving up
            for other in TREES:
                if other == tree:
                    continue
                leaves2: dict[int, np.ndarray] = {}
                fail2 = _hierarchy(target.A, 0, L, other, tr, bk, leaves2)
                if fail2 is None:
                    tried.append(f"hierarchical exact recovery ({other} tree, T7)")
                    fail, leaves, tree = None, leaves2, other
                    evidence["tree"] = other
                    break
    if fail is None:
        factors = [leaves[i] for i in range(L)]
        if not (product_checked  # pragma: no cover
                or bk.equal(chain_product(factors, bk), target.A)):
            msg = "internal error: recovered chain factors do not reproduce A"
            raise AssertionError(msg)
        if cross_check and clr is None and L > 1:
            clr = clr_check(target, chain, tr)
        if clr is not None:
            evidence["clr"] = _clr_summary(clr)
            if clr["verdict"] == "violated":  # pragma: no cover - contradicts exact factors
                msg = "internal error: CLR refutes a verified factorization"
                raise AssertionError(msg)
        fmt = ScalarFormatter(bk)
        data = {"field": target.field.to_dict(), "structure": encode_structure(chain),
                "target": target.dense(),
                "factors": [encode_sparse(F, bk, fmt, int_leaves.get(i))
                            for i, F in enumerate(factors)]}
        cert = Certificate("member", "factors", data)
        gauge = (" in the integer gauge (primitive integer columns, int64 with exact residue "
                 "checks)" if int_leaves else "")
        text = (f"A is exactly a product of the {L} factors: the hierarchical algorithm "
                f"({tree} tree) recovered exact factors over {target.field.name} through block "
                f"pivots (T7, exact variant){gauge} and their product equals A exactly")
        if clr is not None:
            text += "; the complementary low-rank test (T9) agrees"
        return MembershipResult(verdict="member", theorem="T7", explanation=text + ".",
                                method="hierarchical-exact", field=target.field, backend=bk,
                                factors=tuple(factors), certificate=cert, tried=tuple(tried),
                                evidence=evidence)
    evidence["hierarchy_stopped"] = _jsonable_ref(fail)
    top = fail["node"] == [0, _split_of(0, L, tree), L] if "node" in fail else False
    if "refutation" in fail and top:
        node: Any = fail["node"]
        clr = {"verdict": "violated", "split": node[1], "refutation": fail["refutation"],
               "method": "exact block ranks"}
        return _refuted_by(clr, chain, target, tried, evidence, order)
    # 4. the failure is inside the tree: decide with the CLR route on A itself
    tried.append("complementary low rank on every split (T9)")
    if clr is None or clr["verdict"] != "violated":
        clr = clr_check(target, chain, tr)
    if clr["verdict"] == "violated":
        return _refuted_by(clr, chain, target, tried, evidence, order)
    if L == 2:
        # the only split is not certified: use the two-factor machinery on it
        pattern, _ = tr.get(0, 1, 2)
        two = decide_membership(target, pattern)
        if two.verdict == "member":
            X, Y = two.factors  # type: ignore[misc]
            factors = [X, Y.T.copy()]
            data = {"field": target.field.to_dict(), "structure": encode_structure(chain),
                    "target": target.dense(),
                    "factors": [encode_sparse(F, bk) for F in factors]}
            return MembershipResult(verdict="member", theorem=two.theorem,
                                    explanation=two.explanation, method=two.method,
                                    field=target.field, backend=bk, factors=tuple(factors),
                                    certificate=Certificate("member", "factors", data),
                                    tried=tuple(tried) + two.tried, evidence=evidence)
        if two.verdict == "not-member" and two.certificate is not None:
            cdata = dict(two.certificate.data)
            cdata["structure"] = encode_structure(chain)
            cdata["split"] = 1
            return MembershipResult(verdict="not-member", theorem=two.theorem,
                                    explanation=two.explanation, method=two.method,
                                    field=target.field, backend=bk,
                                    certificate=Certificate("not-member", two.certificate.method,
                                                            cdata),
                                    tried=tuple(tried) + two.tried, evidence=evidence)
        tried.extend(two.tried)
    if order is not None and clr["verdict"] == "holds":
        return MembershipResult(
            verdict="member", theorem="T9",
            explanation=("A is a butterfly product: every level block has rank <= 1 "
                         "(complementary low rank, T9, an iff for the square dyadic "
                         "butterfly), although the exact recovery stopped at node "
                         f"{fail.get('node')}."),
            method="complementary-low-rank", field=target.field, backend=bk,
            tried=tuple(tried), evidence={**evidence, "clr": _clr_summary(clr)})
    # 5. numeric factors, gauge-fixed and rationally reconstructed, checked exactly
    evidence["clr"] = _clr_summary(clr)
    recon = _reconstructed_member(target, chain, tried, evidence)
    if isinstance(recon, MembershipResult):
        return recon
    return MembershipResult(
        verdict="undecided", theorem=None,
        explanation=("No exact decision: the hierarchical recovery stopped at node "
                     f"{fail.get('node')} ({fail.get('reason', 'a block test failed')}), no "
                     f"split of A refutes membership, and {recon}."),
        method="none", field=target.field, backend=bk, tried=tuple(tried), evidence=evidence)


def _reconstructed_member(target: ExactTarget, chain: Chain, tried: list[str],
                          evidence: dict[str, Any]) -> MembershipResult | str:
    """Membership by rational reconstruction of numeric factors (targets over Q only).

    Returns a ``member`` result whose factors multiply to ``A`` exactly (checked with the exact
    backend), or the phrase saying what was tried (appended to ``tried``; the float residual and
    the denominator bound also go to ``evidence["reconstruction"]``). Floats only propose the
    factors; a failure proves nothing, so it never yields ``not-member``.
    """
    from fsmf_check.exact.reconstruct import RECON_RESIDUAL_TOLERANCE, reconstruct_chain

    bk = target.backend
    if target.field.N != 1:
        phrase = (f"rational reconstruction of numeric factors: not attempted over "
                  f"{target.field.name} (targets over Q only)")
        tried.append(phrase)
        return phrase
    masks = [chain.factor_mask(i).toarray().astype(bool) for i in range(chain.n_factors)]
    rows = bk.to_public_array(target.A)
    res = reconstruct_chain(rows, masks)
    phrase = res.describe()
    tried.append(phrase)
    if res.factors is None:
        evidence["reconstruction"] = {"residual": res.residual,
                                      "residual_tolerance": RECON_RESIDUAL_TOLERANCE,
                                      "denominator_bound": res.denominator_bound,
                                      "restarts": res.restarts, "reason": res.reason}
        return phrase
    factors = [bk.array(F) for F in res.factors]
    if not bk.equal(chain_product(factors, bk), target.A):  # pragma: no cover - checked twice
        return phrase + ": the exact product check failed"
    L = chain.n_factors
    fmt = ScalarFormatter(bk)
    data = {"field": target.field.to_dict(), "structure": encode_structure(chain),
            "target": target.dense(), "factors": [encode_sparse(F, bk, fmt) for F in factors]}
    evidence = {**evidence, "reconstruction": {
        "residual": res.residual, "denominator_bound": res.denominator_bound,
        "restarts": res.restarts, "residual_tolerance": RECON_RESIDUAL_TOLERANCE}}
    text = (f"A is exactly a product of the {L} factors: the exact routes did not decide, so "
            "factors were found numerically (Levenberg-Marquardt on the masked "
            f"entries, float residual {res.residual:.1e}), gauge-fixed by the diagonal scalings "
            "between consecutive factors (T8), reconstructed as fractions (denominators at most "
            f"{res.denominator_bound}, the last factor solved exactly), and their product equals "
            f"A exactly over {target.field.name}.")
    return MembershipResult(verdict="member", theorem=None, explanation=text,
                            method="numeric-reconstruction", field=target.field, backend=bk,
                            factors=tuple(factors), certificate=Certificate("member", "factors",
                                                                            data),
                            tried=tuple(tried), evidence=evidence)


def _clr_summary(clr: dict[str, Any]) -> dict[str, Any]:
    out = {"verdict": clr["verdict"], "method": clr.get("method"),
           "splits_checked": list(clr.get("splits_checked", []))}
    if clr.get("splits_not_certified"):
        out["splits_not_certified"] = list(clr["splits_not_certified"])
    if clr["verdict"] == "violated":
        out["split"] = clr["split"]
    return out


def _refuted_by(clr: dict[str, Any], chain: Chain, target: ExactTarget, tried: list[str],
                evidence: dict[str, Any], order: str | None) -> MembershipResult:
    ref = clr["refutation"]
    cert, text = _chain_refutation(ref, chain, target, int(clr["split"]))
    theorem = "T9" if order is not None else "T6"
    return MembershipResult(
        verdict="not-member", theorem=theorem,
        explanation=(f"A is not a product: {text}; every product of the chain factors through "
                     f"this split ({theorem})."),
        method="minor", field=target.field, backend=target.backend, certificate=cert,
        tried=tuple(tried), evidence={**evidence, "refutation": _jsonable_ref(ref),
                                      "split": clr["split"], "clr": _clr_summary(clr)})


# --------------------------------------------------------------------------------------------
# identifiability and scalings


def chain_scalings(F: list[np.ndarray], G: list[np.ndarray], bk: ExactBackend,
                   ) -> tuple[list[np.ndarray] | None, str]:
    r"""Find diagonal scalings with ``G[l] = D_l^-1 F[l] D_{l+1}`` (``D_0 = D_L = I``).

    Returns ``(D, reason)`` where ``D`` lists the L+1 interface vectors (first and last all
    ones) as object arrays of backend scalars.

    Notes
    -----
    T8 §4.3 equivalence test: supports must agree, then every nonzero entry gives
    ``d_{l+1}[c] = d_l[r] G[l][r, c] / F[l][r, c]``; values are propagated from the fixed
    outer interfaces (and from a free root, set to 1, in components that do not reach them)
    and checked on every entry. Exact, linear in the number of nonzeros.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from fsmf_check.exact._backend import get_backend
    >>> bk = get_backend("flint", 1)
    >>> F = [bk.array([[1, 2]]), bk.array([[3], [4]])]
    >>> G = [bk.array([[2, 2]]), bk.array([[Fraction(3, 2)], [4]])]
    >>> D, _ = chain_scalings(F, G, bk)
    >>> [str(v) for v in D[1]]
    ['2', '1']
    """
    L = len(F)
    if len(G) != L or any(a.shape != b.shape for a, b in zip(F, G, strict=True)):
        return None, "the two chains have different numbers or shapes of factors"
    dims = [F[0].shape[0]] + [f.shape[1] for f in F]
    val: list[list[Any]] = [[None] * d for d in dims]
    val[0] = [bk.one] * dims[0]
    val[L] = [bk.one] * dims[L]
    adj: list[list[list[tuple[int, int, Any]]]] = [[[] for _ in range(d)] for d in dims]
    for l in range(L):
        nzF, nzG = bk.nonzero_mask(F[l]), bk.nonzero_mask(G[l])
        if (nzF != nzG).any():
            r, c = (int(v) for v in np.argwhere(nzF != nzG)[0])
            return None, f"factor {l} has different supports at ({r}, {c})"
        for r, c in np.argwhere(nzF):
            rho = G[l][r, c] / F[l][r, c]
            adj[l][r].append((l + 1, int(c), rho))
            adj[l + 1][c].append((l, int(r), bk.one / rho))
    stack = [(0, i) for i in range(dims[0])] + [(L, i) for i in range(dims[L])]
    starts = [(l, i) for l in range(1, L) for i in range(dims[l])]
    while True:
        while stack:
            l, i = stack.pop()
            for l2, i2, rho in adj[l][i]:
                v = val[l][i] * rho
                if val[l2][i2] is None:
                    val[l2][i2] = v
                    stack.append((l2, i2))
                elif val[l2][i2] != v:
                    return None, (f"inconsistent scaling at interface {max(l, l2)} index "
                                  f"{i2 if l2 > l else i}")
        nxt = next(((l, i) for l, i in starts if val[l][i] is None), None)
        if nxt is None:
            break
        val[nxt[0]][nxt[1]] = bk.one
        stack.append(nxt)
    return [np.array(v, dtype=object) for v in val], "ok"


def decide_chain_identifiability(target: ExactTarget, chain: Chain,
                                 membership: MembershipResult) -> IdentifiabilityResult:
    r"""Decide whether the exact chain factorization is unique up to the unavoidable ambiguity.

    Notes
    -----
    Exact, in this order; each claim names the argument that proves it.

    1. **Free entries** (any chain with explicit masks): an entry of factor ``l`` whose row
       index meets an empty column of the support of ``F[0..l-1]`` (or whose column index meets
       an empty row of the support of ``F[l+1..L-1]``) never reaches the product; changing it
       gives a second factorization, ``not-identifiable`` (verified exactly, and no diagonal
       scaling maps one onto the other since supports differ).
    2. **Chainable Kronecker chains** (butterfly, Monarch, rank-r deformable chains): docs/theory.md
       T8 §4.3 level blocks, every class block of every split of ``A`` has full rank
       ([ZRG-SIMODS] main theorem for the square dyadic butterfly; derived for the other
       chainable Kronecker chains, with block-diagonal GL(r) for rank-r chains). A
       rank-deficient class block gives ``not-identifiable`` when an exact kernel move of a
       partial product (or a one-factor Jacobian kernel direction) yields a second
       factorization that no invertible block-diagonal gauge reaches (a class block of a
       factor changes rank, or the system of :func:`gauge_system` is inconsistent);
       otherwise ``undecided``.
    3. **Explicit chains, tree argument** (T8 proof sketch §4.3 with §2.6 "disjoint supports
       => identifiable"): along a factor-bracketing tree, every node's two-factor split has
       pairwise disjoint nonempty rank-one supports and every contribution of the node's
       matrix is nonzero. Then each node pair is unique up to diagonal scaling, and by
       induction down the tree every factor is. The certificate lists, per node, a nonzero
       entry of every contribution.
    4. **Jacobian of the product map** at the recovered factors (exact rank): a kernel
       direction inside one factor that is not a scaling gives an exact second
       factorization (``not-identifiable``); full rank ``n - dim(orbit)`` proves *local*
       identifiability only, reported with ``undecided``.

    Examples
    --------
    >>> from fsmf_check.exact.targets import hadamard_matrix
    >>> from fsmf_check.model.families import butterfly
    >>> T = hadamard_matrix(8)
    >>> m = decide_chain_membership(T, butterfly(8))
    >>> decide_chain_identifiability(T, butterfly(8), m).verdict
    'identifiable'
    >>> ch = Chain([["111", "111", "111"], ["111", "111", "000"], ["100", "010", "001"]])
    >>> A = [[1, 2, 3], [4, 5, 6], [5, 7, 9]]
    >>> res = decide_chain_identifiability(as_exact_matrix(A), ch, decide_chain_membership(A, ch))
    >>> res.verdict, res.method, res.evidence["free_entry"]
    ('not-identifiable', 'free-entry', {'factor': 0, 'row': 0, 'col': 2})
    """
    bk = target.backend
    L = chain.n_factors
    if membership.verdict != "member" or membership.factors is None:
        return IdentifiabilityResult(
            verdict="undecided", theorem=None,
            explanation=("identifiability is decided for exact products with recovered factors; "
                         f"membership is {membership.verdict}."),
            method="none", scope="target", up_to=None)
    factors = list(membership.factors)
    mcert = membership.certificate
    if mcert is not None and mcert.method == "factors" and "factors" in mcert.data:
        encoded = mcert.data["factors"]  # the same factors, already encoded
    else:
        fmt = ScalarFormatter(bk)
        encoded = [encode_sparse(F, bk, fmt) for F in factors]
    data: dict[str, Any] = {"field": target.field.to_dict(),
                               "structure": encode_structure(chain),
                               "target": target.dense(), "factors": encoded}
    if L == 1:
        return IdentifiabilityResult(
            verdict="identifiable", theorem="T8", explanation="a single factor equals A.",
            method="single-factor", scope="target", up_to="nothing",
            certificate=Certificate("identifiable", "nondegenerate-splits",
                                    {**data, "split_minors": []}))
    kron = chain.is_structured and chain.kronecker_report.chainable
    if kron:
        return _kronecker_identifiability(target, chain, factors, data)
    masks = [chain.factor_mask(i).toarray().astype(bool) for i in range(L)]
    tried = ["free entries (structurally empty partial products)"]
    free = _free_entry(masks)
    if free is not None:
        fi, r, c, side = free
        second = [F.copy() for F in factors]
        second[fi][r, c] = bk.zero if not bk.is_zero(second[fi][r, c]) else bk.one
        if bk.equal(chain_product(second, bk), target.A):  # always, by construction
            data["second_factors"] = [encode_sparse(F, bk) for F in second]
            data["free_entry"] = {"factor": fi, "row": r, "col": c}
            return IdentifiabilityResult(
                verdict="not-identifiable", theorem="T8",
                explanation=(f"entry ({r}, {c}) of factor {fi} never reaches the product ({side}),"
                             " so it is free: changing it gives a second factorization with a "
                             "different support, which no diagonal scaling produces "
                             "(certificate)."),
                method="free-entry", scope="target", up_to="diagonal scaling",
                certificate=Certificate("not-identifiable", "second-factorization", data),
                second_factors=tuple(second),
                evidence={"free_entry": {"factor": fi, "row": r, "col": c}, "tried": tried})
    tried.append("tree argument: disjoint nonzero contributions at every node (T8)")
    best_fail: dict[str, Any] | None = None
    for tree in TREES:
        nodes, fail = _tree_proof(factors, masks, tree, bk)
        if fail is None:
            data["tree"] = tree
            data["nodes"] = nodes
            return IdentifiabilityResult(
                verdict="identifiable", theorem="T8",
                explanation=(f"along the {tree} factor-bracketing tree, every node's two-factor "
                             "split has pairwise disjoint rank-one supports and every "
                             "contribution is nonzero, and no factor entry is free: each node "
                             "is unique up to diagonal scaling (T8 §2.6, disjoint "
                             "supports), so by induction down the tree the factors are unique "
                             "up to diagonal scaling between consecutive factors (T8 "
                             "§4.3 proof of exact recovery)."),
                method="nondegenerate-tree", scope="target", up_to="diagonal scaling",
                certificate=Certificate("identifiable", "nondegenerate-tree", data),
                evidence={"tree": tree, "tried": tried})
        if best_fail is None:
            best_fail = fail
        if "zero_contribution" in fail:
            node, k = fail["node"], int(fail["zero_contribution"])  # type: ignore[call-overload]
            deg = _degenerate_node_second(factors, node, k, masks, bk)  # type: ignore[arg-type]
            if deg is not None:
                data["second_factors"] = [encode_sparse(F, bk) for F in deg]
                return IdentifiabilityResult(
                    verdict="not-identifiable", theorem="T8",
                    explanation=(f"trivial degeneracy: at node {node} ({tree} tree) the "
                                 f"contribution through interface index {k} is zero, which "
                                 "leaves a factor row or column free; the certificate gives a "
                                 "second factorization that no scaling maps to the first."),
                    method="degenerate-node", scope="target", up_to="diagonal scaling",
                    certificate=Certificate("not-identifiable", "second-factorization", data),
                    second_factors=tuple(deg), evidence={"node": node, "tried": tried})
    tried.append("exact Jacobian rank of the product map against the scaling orbit")
    jac = _jacobian_test(factors, masks, bk)
    ev: dict[str, Any] = {"tried": tried, "tree_stopped": best_fail}
    if jac is None:
        return IdentifiabilityResult(
            verdict="undecided", theorem=None,
            explanation=("no tree of the chain has disjoint nonzero contributions at every node "
                         f"(first failure: {_fail_text(best_fail)}), and the Jacobian is above "
                         "the size limit of the exact test."),
            method="none", scope="target", up_to=None, evidence=ev)
    ev["jacobian"] = {k: v for k, v in jac.items() if k != "second"}
    kernel_second: list[np.ndarray] | None = jac.get("second")  # type: ignore[assignment]
    if kernel_second is not None:
        data["second_factors"] = [encode_sparse(F, bk) for F in kernel_second]
        data["jacobian"] = ev["jacobian"]
        return IdentifiabilityResult(
            verdict="not-identifiable", theorem="T8",
            explanation=(f"the Jacobian of the product map has rank {jac['rank']} < "
                         f"{jac['free_entries']} free entries - {jac['orbit_dimension']} "
                         f"(scaling orbit); a kernel direction inside factor {jac['factor']} "
                         "keeps the product exactly (the product is linear in one factor), "
                         "and the certificate's second factorization is not a scaling of the "
                         "first."),
            method="jacobian-kernel", scope="target", up_to="diagonal scaling",
            certificate=Certificate("not-identifiable", "second-factorization", data),
            second_factors=tuple(kernel_second), evidence=ev)
    if jac["locally_identifiable"]:
        text = (f"locally identifiable only: the Jacobian of the product map has rank "
                f"{jac['rank']} = {jac['free_entries']} free entries - "
                f"{jac['orbit_dimension']} (scaling orbit), so near these factors every "
                "factorization is a scaling; global uniqueness is not proven because no tree "
                f"has disjoint nonzero contributions at every node ({_fail_text(best_fail)}).")
    else:
        text = (f"the Jacobian of the product map has rank {jac['rank']} < "
                f"{jac['free_entries']} - {jac['orbit_dimension']} (a first-order direction "
                "that is not a scaling), but no exact second factorization was found along it; "
                "first-order freedom alone does not prove non-identifiability.")
    return IdentifiabilityResult(verdict="undecided", theorem=None, explanation=text,
                                 method="none", scope="target", up_to=None, evidence=ev)


#: The exact Jacobian test runs only below this many matrix entries (rows x free entries).
_JACOBIAN_MAX_ENTRIES = 400_000


def _free_entry(masks: list[np.ndarray]) -> tuple[int, int, int, str] | None:
    """First mask entry ``(l, r, c)`` that no path from a row of A to a column of A uses."""
    L = len(masks)
    reach_left = [np.ones(masks[0].shape[0], dtype=bool)]
    for M in masks:
        reach_left.append((reach_left[-1].astype(np.int64) @ M.astype(np.int64)) > 0)
    reach_right = [np.ones(masks[-1].shape[1], dtype=bool)]
    for M in reversed(masks):
        reach_right.append((M.astype(np.int64) @ reach_right[-1].astype(np.int64)) > 0)
    reach_right.reverse()  # reach_right[l] = rows of F[l..L-1] with a nonempty support row
    for fi in range(L):
        live = np.outer(reach_left[fi], reach_right[fi + 1])
        dead = masks[fi] & ~live
        if dead.any():
            r, c = (int(v) for v in np.argwhere(dead)[0])
            side = (f"column {r} of the support of F[0..{fi - 1}] is empty"
                    if not reach_left[fi][r]
                    else f"row {c} of the support of F[{fi + 1}..{L - 1}] is empty")
            return fi, r, c, side
    return None


def _tree_nodes(p: int, q: int, tree: str) -> list[tuple[int, int, int]]:
    if q - p < 2:
        return []
    s = _split_of(p, q, tree)
    return [(p, s, q), *_tree_nodes(p, s, tree), *_tree_nodes(s, q, tree)]


def _tree_proof(factors: list[np.ndarray], masks: list[np.ndarray], tree: str,
                bk: ExactBackend) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Check the T8 tree argument; return (per-node evidence, first failure or None)."""
    nodes: list[dict[str, Any]] = []
    for p, s, q in _tree_nodes(0, len(factors), tree):
        left = _bool_chain(masks[p:s])
        right = _bool_chain(masks[s:q])
        cover = left.astype(np.int64) @ right.astype(np.int64)
        if cover.max(initial=0) > 1:
            i, j = (int(v) for v in np.argwhere(cover > 1)[0])
            return nodes, {"node": [p, s, q], "reason": "overlapping rank-one supports",
                           "entry": [i, j]}
        H = chain_product(factors[p:q], bk)
        nz = bk.nonzero_mask(H)
        witnesses = []
        for k in range(left.shape[1]):
            rows, cols = np.flatnonzero(left[:, k]), np.flatnonzero(right[k])
            if rows.size == 0 or cols.size == 0:
                continue  # no free entry: both sides are structurally zero
            hit = np.argwhere(nz[np.ix_(rows, cols)])
            if hit.size == 0:
                return nodes, {"node": [p, s, q], "reason": "zero contribution",
                               "zero_contribution": k}
            i, j = int(rows[hit[0][0]]), int(cols[hit[0][1]])
            witnesses.append({"index": k, "row": i, "col": j,
                              "value": format_scalar(bk.to_public(H[i, j]))})
        nodes.append({"node": [p, s, q], "contributions": witnesses})
    return nodes, None


def _bool_chain(masks: list[np.ndarray]) -> np.ndarray:
    acc = masks[0]
    for M in masks[1:]:
        acc = (acc.astype(np.int64) @ M.astype(np.int64)) > 0
    return acc


def _fail_text(fail: dict[str, Any] | None) -> str:
    if fail is None:
        return "none"
    return f"node {fail['node']}: {fail['reason']}"


def _degenerate_node_second(factors: list[np.ndarray], node: list[int], k: int,
                            masks: list[np.ndarray], bk: ExactBackend,
                            ) -> list[np.ndarray] | None:
    """Second factorization from a zero contribution through index k at a tree node."""
    p, s, q = node
    left = chain_product(factors[p:s], bk)
    right = chain_product(factors[s:q], bk)
    out = [F.copy() for F in factors]
    if not bk.nonzero_mask(left[:, k][:, None]).any():
        cols = np.flatnonzero(masks[s][k])
        if cols.size == 0:
            return None
        if bk.nonzero_mask(out[s][k][None, :]).any():
            out[s][k] = bk.zero
        else:
            out[s][k, int(cols[0])] = bk.one
    elif not bk.nonzero_mask(right[k][None, :]).any():
        rows = np.flatnonzero(masks[s - 1][:, k])
        if rows.size == 0:
            return None
        if bk.nonzero_mask(out[s - 1][:, k][:, None]).any():
            out[s - 1][:, k] = bk.zero
        else:
            out[s - 1][int(rows[0]), k] = bk.one
    else:
        return None
    if not bk.equal(chain_product(out, bk), chain_product(factors, bk)):
        return None
    if chain_scalings(factors, out, bk)[0] is not None:
        return None
    return out


def jacobian_matrices(factors: list[np.ndarray], masks: list[np.ndarray], bk: ExactBackend,
                      ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, int]]]:
    r"""Exact Jacobian ``J`` of ``(F_1..F_L) -> F_1 ... F_L`` on the mask entries, and ``T``.

    ``J`` has one row per entry of the product (row-major) and one column per mask entry
    ``(l, r, c)`` (listed in the returned positions); its column is
    ``vec(P_l[:, r] P'_l[c, :])`` with ``P_l = F_0 ... F_{l-1}`` and
    ``P'_l = F_{l+1} ... F_{L-1}``. The columns of ``T`` span the tangent space of the
    scaling orbit: for interface ``t`` and index ``i``, column ``i`` of ``F[t-1]`` and minus
    row ``i`` of ``F[t]``. ``J @ T == 0`` always.
    """
    L = len(factors)
    pos = [(fi, int(r), int(c)) for fi in range(L) for r, c in np.argwhere(masks[fi])]
    index = {p: t for t, p in enumerate(pos)}
    m, n = factors[0].shape[0], factors[-1].shape[1]
    pre = [bk.identity(m)]
    for F in factors[:-1]:
        pre.append(bk.matmul(pre[-1], F))
    post = [bk.identity(n)]
    for F in reversed(factors[1:]):
        post.append(bk.matmul(F, post[-1]))
    post.reverse()  # post[fi] = F[fi+1] ... F[L-1]
    J = bk.zeros(m * n, len(pos))
    for t, (fi, r, c) in enumerate(pos):
        J[:, t] = np.multiply.outer(pre[fi][:, r], post[fi][c, :]).reshape(-1)
    dims = [f.shape[1] for f in factors[:-1]]
    T = bk.zeros(len(pos), sum(dims))
    col = 0
    for t in range(1, L):
        for i in range(dims[t - 1]):
            for rr in np.flatnonzero(masks[t - 1][:, i]):
                T[index[(t - 1, int(rr), i)], col] = factors[t - 1][rr, i]
            for cc in np.flatnonzero(masks[t][i]):
                T[index[(t, i, int(cc))], col] = -factors[t][i, cc]
            col += 1
    return J, T, pos


def _jacobian_test(factors: list[np.ndarray], masks: list[np.ndarray], bk: ExactBackend,
                   ) -> dict[str, Any] | None:
    """Exact Jacobian rank vs. the scaling orbit; a one-factor kernel direction if any."""
    m, n = factors[0].shape[0], factors[-1].shape[1]
    nfree = int(sum(M.sum() for M in masks))
    if m * n * max(nfree, 1) > _JACOBIAN_MAX_ENTRIES:
        return None
    J, T, pos = jacobian_matrices(factors, masks, bk)
    rank = bk.rank(J) if J.size else 0
    orbit = bk.rank(T) if T.size else 0
    out: dict[str, Any] = {"rank": rank, "free_entries": nfree, "orbit_dimension": orbit,
                              "locally_identifiable": rank == nfree - orbit}
    if rank == nfree - orbit:
        return out
    target = chain_product(factors, bk)
    for fi in range(len(factors)):
        cols = [t for t, p in enumerate(pos) if p[0] == fi]
        if not cols:
            continue
        K = bk.nullspace(J[:, cols])
        for v in range(K.shape[1]):
            second = [F.copy() for F in factors]
            for t, idx in enumerate(cols):
                _, r, c = pos[idx]
                second[fi][r, c] = second[fi][r, c] + K[t, v]
            if not bk.equal(chain_product(second, bk), target):  # pragma: no cover
                continue
            if chain_scalings(factors, second, bk)[0] is None:
                out["factor"] = fi
                out["second"] = second
                return out
    return out


def _kronecker_identifiability(target: ExactTarget, chain: Chain, factors: list[np.ndarray],
                               data: dict[str, Any]) -> IdentifiabilityResult:
    """T8 level-block argument for chainable Kronecker chains (see the caller's Notes)."""
    bk = target.backend
    L = chain.n_factors
    tr = _Tract(chain)
    max_class = 1
    split_minors: list[dict[str, Any]] = []
    nzA = (np.ones(target.A.shape, dtype=bool) if target.exponents is not None
           else bk.nonzero_mask(target.A))  # roots of unity are never zero
    fmt = ScalarFormatter(bk)
    for s in range(1, L):
        pattern, tract = tr.get(0, s, L)
        if not tract.tractable or tract.rule != "disjoint-or-identical":
            return IdentifiabilityResult(
                verdict="undecided", theorem=None,
                explanation=(f"split {s} is not disjoint-or-identical, so the level-block "
                             "argument of T8 does not apply."),
                method="none", scope="target", up_to=None)
        for c in tract.classes:
            max_class = max(max_class, c.size)
            if c.size > min(c.rows.size, c.cols.size):
                # the block has rank <= min(|R|, |C|) < size: look for a second factorization
                res = _deficient_class(target, chain, factors, data, tr, s, c)
                if res.verdict == "not-identifiable":
                    return res
                return IdentifiabilityResult(
                    verdict="undecided", theorem=None,
                    explanation=(f"split {s} has a complete class of size {c.size} on a "
                                 f"{c.rows.size}x{c.cols.size} block (a redundant pair, T6): "
                                 "the level-block argument of T8 does not apply."),
                    method="none", scope="target", up_to=None)
            if c.size == 1:
                full, minor = _nonzero_minor(target.A, nzA, c.rows, c.cols, fmt)
            else:
                full = bk.rank(target.A[np.ix_(c.rows, c.cols)]) == c.size
                minor = full_rank_minor(target.A, c.rows, c.cols, c.size, bk) if full else None
            if minor is not None:
                split_minors.append({"split": s, **minor})
            if not full:
                return _deficient_class(target, chain, factors, data, tr, s, c)
    bfly = is_square_butterfly(chain)
    up_to = "diagonal scaling" if max_class == 1 else f"block-diagonal GL({max_class})"
    theorem_note = ("[ZRG-SIMODS] main theorem for the square dyadic butterfly" if bfly
                    else "derived from the level-block argument for chainable Kronecker chains")
    return IdentifiabilityResult(
        verdict="identifiable", theorem="T8",
        explanation=(f"every class block of every split of A has full rank (class size "
                     f"{max_class}), so the factors are unique up to {up_to} between "
                     f"consecutive factors (T8; {theorem_note})."),
        method="nondegenerate-splits", scope="target", up_to=up_to,
        certificate=Certificate("identifiable", "nondegenerate-splits",
                                {**data, "split_minors": split_minors}),
        evidence={"derived": bfly is None})


def _deficient_class(target: ExactTarget, chain: Chain, factors: list[np.ndarray],
                     data: dict[str, Any], tr: _Tract, s: int, c: Any) -> IdentifiabilityResult:
    """Answer for a rank-deficient class block ``c`` at split ``s`` (T8 §4.3 fails there).

    With classes of size one everywhere the gauge is diagonal scaling and
    :func:`_degenerate_chain_second` zeroes a row or column; otherwise the gauge is
    block-diagonal GL(r) (r the largest class) and :func:`_class_second` looks for a second
    factorization that is provably not a gauge of the first. Complete classes (size above
    the block's side) are rank-deficient too and come here first.
    """
    bk = target.backend
    L = chain.n_factors
    splits_ok = all(tr.get(0, t, L)[1].tractable
                    and tr.get(0, t, L)[1].rule == "disjoint-or-identical" for t in range(1, L))
    blocks = _gauge_blocks(chain, tr) if splits_ok else None
    r_max = max((int(Q.size) for bl in blocks or [] for Q in bl), default=1)
    where = (f"at the split after factor {s} the block of A on rows {c.rows.tolist()[:8]}... "
             f"and columns {c.cols.tolist()[:8]}... has rank < {c.size}")

    def masks() -> list[np.ndarray]:
        return [chain.factor_mask(i).toarray().astype(bool) for i in range(L)]

    if r_max == 1:
        second = _degenerate_chain_second(factors, s, c.members, chain, bk)
        if second is None and blocks is not None:  # 1 x 1 blocks: the diagonal scalings
            found1 = _class_second(factors, s, np.asarray(c.members), masks(), blocks,
                                   target.A, bk)
            second = None if found1 is None else found1[0]
        if second is not None:
            data["second_factors"] = [encode_sparse(F, bk) for F in second]
            return IdentifiabilityResult(
                verdict="not-identifiable", theorem="T8",
                explanation=(f"trivial degeneracy: {where}; a second factorization with the "
                             "same product is not a scaling of the first (certificate)."),
                method="degenerate-level-block", scope="target", up_to="diagonal scaling",
                certificate=Certificate("not-identifiable", "second-factorization", data),
                second_factors=tuple(second), evidence={"split": s})
        tried = ("zeroing a row or column of the adjacent factors, kernel moves against the "
                 "diagonal-scaling system")
    elif blocks is not None:
        found = _class_second(factors, s, np.asarray(c.members), masks(), blocks, target.A,
                              bk)
        if found is not None:
            second, move = found
            up_to = f"block-diagonal GL({r_max})"
            data["second_factors"] = [encode_sparse(F, bk) for F in second]
            data["up_to"] = up_to
            return IdentifiabilityResult(
                verdict="not-identifiable", theorem="T8",
                explanation=(f"{where}; changing {move} keeps the product exactly, and no "
                             "invertible block-diagonal gauge G (one block per class of each "
                             "split, G at the ends the identity) relates the two "
                             "factorizations: a class row or column block of a factor changes "
                             "rank, or the exact linear system F[l] G[l+1] = G[l] F'[l] has no "
                             "solution (certificate)."),
                method="degenerate-level-block", scope="target", up_to=up_to,
                certificate=Certificate("not-identifiable", "second-factorization", data),
                second_factors=tuple(second), evidence={"split": s, "move": move})
        tried = ("kernel moves of the partial products at the split and one-factor Jacobian "
                 "kernel directions, each against the class-block ranks and the exact "
                 "block-gauge system")
    else:
        tried = "nothing (some split is not disjoint-or-identical, so no gauge blocks)"
    return IdentifiabilityResult(
        verdict="undecided", theorem=None,
        explanation=(f"the block of class {c.members.tolist()} at split {s} is rank-deficient, "
                     f"but no second factorization outside the gauge orbit was found (tried: "
                     f"{tried})."),
        method="none", scope="target", up_to=None)


def _nonzero_minor(A: np.ndarray, nzA: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                   fmt: ScalarFormatter) -> tuple[bool, dict[str, object] | None]:
    """Compute the 1x1 case of :func:`full_rank_minor` from a nonzero mask (the same minor).

    ``full_rank_minor`` takes the first pivot column of the block and then the first nonzero
    row of that column: the first nonzero entry in column-major order.
    """
    sub = nzA[np.ix_(rows, cols)]
    if not sub.any():
        return False, None
    j, i = (int(v) for v in np.argwhere(sub.T)[0])
    r, c = int(rows[i]), int(cols[j])
    return True, {"rows": [r], "cols": [c], "value": fmt(A[r, c])}


def _degenerate_chain_second(factors: list[np.ndarray], s: int, members: np.ndarray,
                             chain: Chain, bk: ExactBackend) -> list[np.ndarray] | None:
    """Second factorization from a zero contribution at split s (rank-one classes).

    If column k of the left partial product vanishes, row k of F[s] does not influence the
    product: zero it (or, if it is zero, put a 1 on its support); symmetrically for a zero row
    of the right partial product and column k of F[s-1]. A zero row/column cannot be mapped to
    a nonzero one by invertible diagonal scalings, and :func:`chain_scalings` confirms it.
    """
    if members.size != 1:
        return None
    k = int(members[0])
    masks = [chain.factor_mask(i) for i in range(len(factors))]
    # column k of F[0..s-1] and row k of F[s..L-1]: vector chain products on the supports
    col = _chain_vector(factors[:s][::-1], masks[:s][::-1], k, bk, transpose=False)
    row = _chain_vector(factors[s:], masks[s:], k, bk, transpose=True)
    out = [F.copy() for F in factors]
    # the product changes by col (x) (change of row k of F[s]) F[s+1..] (or symmetrically by
    # F[..s-2] (change of column k of F[s-1]) (x) row): zero when col (row) is zero, so
    # prod(out) == prod(factors) holds exactly by construction
    if not any(col):
        if bk.nonzero_mask(out[s][k][None, :]).any():
            out[s][k] = bk.zero
        else:
            cols = chain.factor_mask(s).toarray()[k].nonzero()[0]
            if cols.size == 0:
                return None
            out[s][k, int(cols[0])] = bk.one
    elif not any(row):
        if bk.nonzero_mask(out[s - 1][:, k][:, None]).any():
            out[s - 1][:, k] = bk.zero
        else:
            rows = chain.factor_mask(s - 1).toarray()[:, k].nonzero()[0]
            if rows.size == 0:
                return None
            out[s - 1][int(rows[0]), k] = bk.one
    else:
        return None
    if chain_scalings(factors, out, bk)[0] is not None:
        return None
    return out


def _chain_vector(factors: list[np.ndarray], masks: list[object], k: int, bk: ExactBackend,
                  transpose: bool) -> list[object]:
    """``F[0] @ ... @ F[s-1] @ e_k`` (factors given right to left) or ``e_k^T @ F[s] @ ...``.

    Only the entries on each factor's support mask are read (entries off the mask are zero
    for recovered factors), so the cost is the number of mask entries, not N^2 per factor.
    """
    v: dict[int, object] = {k: bk.one}
    for F, M in zip(factors, masks, strict=True):
        rows, cols = M.nonzero()  # type: ignore[attr-defined]
        nxt: dict[int, object] = {}
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            src, dst = (r, c) if transpose else (c, r)
            x = v.get(src)
            if x is None or not x:
                continue
            f = F[r, c]
            if not f:
                continue
            t = x * f if transpose else f * x
            nxt[dst] = nxt[dst] + t if dst in nxt else t
        v = nxt
    return [x for x in v.values() if x]


# --------------------------------------------------------------------------------------------
# rank-r Kronecker chains: block-diagonal gauges and second factorizations


def _gauge_blocks(chain: Chain, tr: _Tract) -> list[list[np.ndarray]]:
    """Per interface ``1..L-1``: the classes of that split (members), singletons for the rest.

    These blocks define the gauge group of the level-block argument: ``G_l`` is
    block-diagonal with one block per class of split ``l`` (T8 §4.3, block-diagonal GL(r)).
    """
    L = chain.n_factors
    out: list[list[np.ndarray]] = []
    for s in range(1, L):
        _, tract = tr.get(0, s, L)
        dim = chain.factor_mask(s).shape[0]
        seen = np.zeros(dim, dtype=bool)
        blocks = []
        for c in tract.classes:
            members = np.asarray(c.members, dtype=np.int64)
            seen[members] = True
            blocks.append(members)
        blocks.extend(np.array([k]) for k in np.flatnonzero(~seen))
        out.append(blocks)
    return out


def gauge_system(F: list[np.ndarray], G: list[np.ndarray], blocks: list[list[np.ndarray]],
                 bk: ExactBackend) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, int]]]:
    r"""Linear system ``M x = b`` of ``F[l] X_{l+1} = X_l G[l]`` with block-diagonal ``X``.

    The unknowns ``x`` are the block entries ``(l, i, j)`` of ``X_1 .. X_{L-1}`` (``i, j`` in
    one block of ``blocks[l - 1]``); ``X_0 = X_L = I``. One equation per entry of every factor.
    ``G[l] = X_l^-1 F[l] X_{l+1}`` for invertible block-diagonal ``X`` (a block-diagonal
    gauge relates the two chains) only if the system is consistent.

    Examples
    --------
    >>> from fsmf_check.exact._backend import get_backend
    >>> bk = get_backend("flint", 1)
    >>> F = [bk.array([[1, 2]]), bk.array([[3], [4]])]
    >>> M, b, var = gauge_system(F, F, [[np.array([0, 1])]], bk)
    >>> M.shape, len(var), bk.solve(M, b[:, None]) is not None
    ((4, 4), 4, True)
    """
    L = len(F)
    var: list[tuple[int, int, int]] = []
    index: dict[tuple[int, int, int], int] = {}
    block_of: list[dict[int, np.ndarray]] = [{}]
    for t, bl in enumerate(blocks, start=1):
        where: dict[int, np.ndarray] = {}
        for Q in bl:
            for i in Q.tolist():
                where[i] = Q
                for j in Q.tolist():
                    index[(t, i, j)] = len(var)
                    var.append((t, i, j))
        block_of.append(where)
    block_of.append({})
    rows: list[dict[int, Any]] = []
    rhs: list[Any] = []
    for l in range(L):
        Fl, Gl = F[l], G[l]
        nzF, nzG = bk.nonzero_mask(Fl), bk.nonzero_mask(Gl)
        for a in range(Fl.shape[0]):
            for b in range(Fl.shape[1]):
                row: dict[int, Any] = {}
                const = bk.zero
                # (F[l] X_{l+1})[a, b] = sum over j in the block of b of F[a, j] X[j, b]
                if l + 1 == L:
                    if nzF[a, b]:
                        const = const - Fl[a, b]
                else:
                    for j in block_of[l + 1][b].tolist():
                        if nzF[a, j]:
                            row[index[(l + 1, j, b)]] = Fl[a, j]
                # (X_l G[l])[a, b] = sum over i in the block of a of X[a, i] G[i, b]
                if l == 0:
                    if nzG[a, b]:
                        const = const + Gl[a, b]
                else:
                    for i in block_of[l][a].tolist():
                        if nzG[i, b]:
                            k = index[(l, a, i)]
                            row[k] = row[k] - Gl[i, b] if k in row else -Gl[i, b]
                if row or not bk.is_zero(const):
                    rows.append(row)
                    rhs.append(const)
    M = bk.zeros(len(rows), len(var))
    b_vec = bk.zeros(len(rows), 1)[:, 0]
    for e, row in enumerate(rows):
        for k, v in row.items():
            M[e, k] = v
        b_vec[e] = rhs[e]
    return M, b_vec, var


def _gauge_related(F: list[np.ndarray], G: list[np.ndarray], blocks: list[list[np.ndarray]],
                   bk: ExactBackend) -> bool | None:
    """Return whether the gauge system is consistent (None above the size limit)."""
    n_var = sum(int(Q.size) ** 2 for bl in blocks for Q in bl)
    n_eq = sum(int(f.shape[0] * f.shape[1]) for f in F)
    if n_var * max(n_eq, 1) > _JACOBIAN_MAX_ENTRIES:
        return None
    M, b, _ = gauge_system(F, G, blocks, bk)
    if M.shape[0] == 0:
        return True
    if M.shape[1] == 0:
        return not bk.nonzero_mask(b[:, None]).any()
    return bk.solve(M, b[:, None]) is not None


def _factor_ranks(F: np.ndarray, l: int, blocks: list[list[np.ndarray]], bk: ExactBackend,
                  ) -> list[int]:
    """Ranks of the class row blocks ``F[Q, :]`` and class column blocks ``F[:, Q]`` of factor l.

    Row blocks use the classes of interface ``l``, column blocks those of interface ``l + 1``
    (``blocks[t - 1]`` lists interface ``t``; the outer interfaces have none).
    ``G_l^-1 F G_{l+1}`` keeps these ranks for invertible block-diagonal gauges (``G_l`` maps
    each block to itself), so a different rank proves that no invertible block-diagonal gauge
    relates two chains.
    """
    out = [bk.rank(F[Q, :]) for Q in (blocks[l - 1] if l >= 1 else [])]
    out += [bk.rank(F[:, Q]) for Q in (blocks[l] if l < len(blocks) else [])]
    return out


#: Columns (rows) of the common support tried per kernel vector of a partial product.
_MOVES_PER_SIDE = 16


def _class_second(factors: list[np.ndarray], s: int, members: np.ndarray,
                  masks: list[np.ndarray], blocks: list[list[np.ndarray]], A: np.ndarray,
                  bk: ExactBackend) -> tuple[list[np.ndarray], str] | None:
    r"""Second factorization for a rank-deficient class block (class size r, split s).

    ``A[R, C] = X[:, P] Y[P, :]`` with ``X = F[0..s-1]``, ``Y = F[s..L-1]`` and ``P`` the
    class members, so rank < r means ``X[:, P] v = 0`` or ``u^T Y[P, :] = 0`` for a nonzero
    exact ``v`` (``u``). Then ``F[s][P, j] += v`` (``F[s-1][i, P] += u``) for ``j`` in the
    common support of the class rows of ``F[s]`` (``i`` in the common support of the class
    columns of ``F[s-1]``) leaves the product unchanged. A candidate is kept only if no
    invertible block-diagonal gauge relates it to the first: the rank of some class row block
    or column block of a factor differs (:func:`_factor_ranks`), or the exact block-gauge
    system (:func:`gauge_system`) is inconsistent. If none of these moves works, the kernel
    of the Jacobian restricted to one factor (any factor, the product is linear in it) is
    tried within the size limit. Returns the factors and a description of the move.
    """
    L = len(factors)
    P = members.astype(np.int64)

    base: dict[int, list[int]] = {}

    def accept(second: list[np.ndarray], changed: int) -> bool:
        if changed not in base:
            base[changed] = _factor_ranks(factors[changed], changed, blocks, bk)
        if (_factor_ranks(second[changed], changed, blocks, bk) == base[changed]
                and _gauge_related(factors, second, blocks, bk) is not False):
            return False
        return bk.equal(chain_product(second, bk), A)  # always, by construction

    m, n = factors[0].shape[0], factors[-1].shape[1]
    if m * factors[s].shape[0] + factors[s].shape[0] * n <= _JACOBIAN_MAX_ENTRIES:
        X = chain_product(factors[:s], bk)[:, P]
        K = bk.nullspace(X)
        cols = np.flatnonzero(masks[s][P].all(axis=0))[:_MOVES_PER_SIDE]
        for t in range(K.shape[1]):
            for j in cols.tolist():
                second = [F.copy() for F in factors]
                second[s][P, j] = second[s][P, j] + K[:, t]
                if accept(second, s):
                    return second, f"rows {P.tolist()} of factor {s} (left kernel vector)"
        Y = chain_product(factors[s:], bk)[P, :]
        K = bk.nullspace(Y.T.copy())
        rows = np.flatnonzero(masks[s - 1][:, P].all(axis=1))[:_MOVES_PER_SIDE]
        for t in range(K.shape[1]):
            for i in rows.tolist():
                second = [F.copy() for F in factors]
                second[s - 1][i, P] = second[s - 1][i, P] + K[:, t]
                if accept(second, s - 1):
                    return second, f"columns {P.tolist()} of factor {s - 1} (right kernel vector)"
    nfree = int(sum(M.sum() for M in masks))
    if m * n * max(nfree, 1) > _JACOBIAN_MAX_ENTRIES:
        return None
    J, _, pos = jacobian_matrices(factors, masks, bk)
    for fi in range(L):
        idx = [t for t, p in enumerate(pos) if p[0] == fi]
        K = bk.nullspace(J[:, idx])
        candidates = [K[:, t] for t in range(K.shape[1])]
        if K.shape[1] > 1:
            candidates.append(K.sum(axis=1))
        for vec in candidates:
            second = [F.copy() for F in factors]
            for t, k in enumerate(idx):
                _, r, c = pos[k]
                second[fi][r, c] = second[fi][r, c] + vec[t]
            if accept(second, fi):
                return second, f"factor {fi} (Jacobian kernel of the product in that factor)"
    return None
