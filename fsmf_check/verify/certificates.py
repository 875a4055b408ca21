r"""Independent checker of ``fsmf-check/certificate/2`` files: arithmetic only.

:func:`check_certificate` reads the envelope with the one schema reader
(:func:`fsmf_check.model.certificate_schema.parse_certificate`), recomputes the inputs hash,
rebuilds masks, target and evidence from the JSON, and re-checks the claim by exact
arithmetic over Q, Q(i) or Q(zeta_N) (``Fraction``, ``GaussianRational``,
``CyclotomicNumber``): products, determinants by elimination, polynomial expansion. It imports
no engine and no python-flint, and never computes a Gröbner basis. Claims and the evidence
kinds that prove them:

======================  ========================  ===========================================
claim                   evidence ``kind``         checked by arithmetic
======================  ========================  ===========================================
``member``              ``factors``               supports inside the masks; product == A
``not-member``          ``entry-outside-          ``A[i, j] == value != 0`` and no rank-one
                        supports``                support (or path of the chain) covers it
``not-member``          ``minor``                 ``det A[rows, cols] == value != 0`` and
                                                  fewer rank-one supports meet the rectangle
``not-member``          ``nullstellensatz``       ``sum_e c_e f_e == 1`` for the equations
                                                  ``f_e = (X Y^T - A)[e]`` rebuilt here
``identifiable``        ``disjoint-supports``     factors valid, supports disjoint, every
                                                  contribution nonzero
``identifiable``        ``completion``            forced replay of the rank-one completion
``identifiable``        ``nondegenerate-splits``  per split: class rectangles disjoint and not
                                                  complete, each class block has a nonzero
                                                  minor of its class size (rows, cols, value)
``not-identifiable``    ``second-factorization``  both valid; no support-preserving matching
                                                  up to scaling (chains: no diagonal scaling;
                                                  ``up_to`` block-diagonal GL(r): the system
                                                  ``F[l] G[l+1] = G[l] F'[l]`` in block-
                                                  diagonal G is inconsistent, or a class
                                                  block of a factor changes rank)
``equivalent``          ``scalings``              ``G[l] == D_l^-1 F[l] D_{l+1}``
``not-closed``          ``witness-sequence``      Laurent sequence inside the masks; its
                                                  product tends to the limit exactly (no
                                                  positive powers of t, constant term = A*);
                                                  Nullstellensatz cofactors: A* is no product
======================  ========================  ===========================================
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from fsmf_check.errors import CertificateError
from fsmf_check.model.certificate_schema import (
    MalformedCertificate,
    ParsedCertificate,
    parse_certificate,
)
from fsmf_check.verify._arith import (
    MAX_ENTRIES,
    Malformed,
    Refuted,
    Scalars,
    SPoly,
    bool_prod,
    consistent,
    det,
    integer_entries,
    kron_mask,
    laurent_mul_add,
    matmul,
    need,
    nonzero,
    parse_laurent,
    parse_spoly,
    rank,
    rows_mask,
    same,
    shape_ok,
    spoly_addmul,
)
from fsmf_check.verify.landscape import (
    verify_chain_landscape_certificate,
    verify_landscape_certificate,
)

__all__ = ["VerifyReport", "check_certificate", "check_certificate_file", "verify_certificate",
           "EVIDENCE_FOR"]

#: Which evidence kinds prove which claim (anything else refutes the certificate).
EVIDENCE_FOR: dict[str, tuple[str, ...]] = {
    "member": ("factors",),
    "not-member": ("entry-outside-supports", "minor", "nullstellensatz"),
    "identifiable": ("disjoint-supports", "completion", "nondegenerate-splits",
                     "nondegenerate-tree"),
    "not-identifiable": ("second-factorization",),
    "equivalent": ("scalings",),
    "not-closed": ("witness-sequence",),
    "spurious-local-minimum": ("local-minimum-and-better-point",),
}


@dataclass
class VerifyReport:
    """Outcome of a check: ``status`` is ``verified`` | ``refuted`` | ``malformed``."""

    status: str
    claim: str | None = None
    kind: str | None = None
    checks: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def exit_code(self) -> int:
        """0 verified, 1 refuted, 2 malformed."""
        return {"verified": 0, "refuted": 1, "malformed": 2}[self.status]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"status": self.status, "claim": self.claim, "evidence_kind": self.kind,
                "checks": list(self.checks), "reason": self.reason}


class _Ctx:
    def __init__(self, cert: ParsedCertificate, checks: list[str]) -> None:
        self.cert = cert
        self.ev = cert.evidence
        self.checks = checks
        self.scal = Scalars(cert.inputs["field"])
        self.kind, self.masks = _structure(cert.inputs["structure"])
        m = self.masks[0].shape[0]
        n = self.masks[1].shape[0] if self.kind == "two-factor" else self.masks[-1].shape[1]
        self.m, self.n = m, n
        tgt = cert.inputs["target"]
        self.A: np.ndarray | None = None
        if tgt is not None:
            self.A = self.scal.dense(tgt, "inputs.target")
            shape_ok(self.A.shape == (m, n),
                     f"target shape {self.A.shape} does not match the structure ({m}, {n})")
        checks.append(f"structure: {self.kind}, {m} x {n}"
                      + ("" if self.A is None else f"; target read over {self.scal.field.name}"))

    def get(self, key: str) -> Any:
        shape_ok(key in self.ev, f"evidence.{key} is missing")
        return self.ev[key]

    def target(self) -> np.ndarray:
        shape_ok(self.A is not None, f"claim {self.cert.claim!r} needs inputs.target")
        return self.A  # type: ignore[return-value]

    def factors(self, key: str) -> list[np.ndarray]:
        facs = self.get(key)
        shape_ok(isinstance(facs, list) and bool(facs), f"evidence.{key} must be a list")
        return [self.scal.sparse(f, f"evidence.{key}[{t}]") for t, f in enumerate(facs)]


def _structure(st: Any) -> tuple[str, list[np.ndarray]]:
    shape_ok(isinstance(st, dict), "inputs.structure must be an object")
    kind = st.get("kind")
    if kind == "two-factor":
        if "kronecker" in st:
            kr = st["kronecker"]
            shape_ok(isinstance(kr, list) and len(kr) == 2, "two-factor kronecker: 2 patterns")
            left, right = kron_mask(kr[0]), kron_mask(kr[1])
            shape_ok(left.shape[1] == right.shape[0], "Kronecker pair: inner sizes differ")
            return kind, [left, right.T.copy()]
        I, J = rows_mask(st.get("I")), rows_mask(st.get("J"))
        shape_ok(I.shape[1] == J.shape[1], "I and J must have the same number of columns")
        return kind, [I, J]
    shape_ok(kind == "chain", f"structure kind must be 'two-factor' or 'chain'; got {kind!r}")
    facs = st.get("factors")
    shape_ok(isinstance(facs, list) and bool(facs), "a chain needs a non-empty 'factors' list")
    masks = []
    for f in facs:
        shape_ok(isinstance(f, dict), "each chain factor must be an object")
        masks.append(kron_mask(f["kronecker"]) if "kronecker" in f else rows_mask(f.get("mask")))
    for a, b in zip(masks, masks[1:], strict=False):
        shape_ok(a.shape[1] == b.shape[0], "consecutive chain masks have mismatched sizes")
    return kind, masks


def _check_factors(c: _Ctx, facs: list[np.ndarray], what: str) -> None:
    A, masks = c.target(), c.masks
    zero: Any = c.scal.zero
    if c.kind == "two-factor":
        shape_ok(len(facs) == 2, f"{what}: two factors X, Y expected")
        X, Y = facs
        shape_ok(X.shape == masks[0].shape and Y.shape == masks[1].shape,
                 f"{what}: factor shapes do not match I and J")
        need(not (nonzero(X) & ~masks[0]).any(), f"{what}: X has a nonzero outside I")
        need(not (nonzero(Y) & ~masks[1]).any(), f"{what}: Y has a nonzero outside J")
        need(same(matmul(X, Y.T.copy(), zero), A), f"{what}: X @ Y.T differs from A")
        c.checks.append(f"{what}: X, Y inside the masks I, J and X @ Y^T == A exactly")
        return
    shape_ok(len(facs) == len(masks), f"{what}: wrong number of chain factors")
    for idx, (F, M) in enumerate(zip(facs, masks, strict=True)):
        shape_ok(F.shape == M.shape, f"{what}: factor {idx} has the wrong shape")
        need(not (nonzero(F) & ~M).any(), f"{what}: factor {idx} has a nonzero outside its mask")
    ints = [integer_entries(F) for F in facs]
    A_int = integer_entries(A) if all(F is not None for F in ints) else None
    if A_int is not None:  # every number is an integer: the same product in Python ints
        facs, A, zero = [F for F in ints if F is not None], A_int, 0
    P = facs[0]
    for F in facs[1:]:
        P = matmul(P, F, zero)
    need(same(P, A), f"{what}: the product of the factors differs from A")
    c.checks.append(f"{what}: {len(facs)} factors inside their masks and their product == A "
                    "exactly")


def _split_masks(c: _Ctx, split: Any) -> tuple[np.ndarray, np.ndarray]:
    if c.kind == "two-factor":
        shape_ok(split is None, "a two-factor certificate has no split")
        return c.masks[0], c.masks[1]
    L = len(c.masks)
    shape_ok(isinstance(split, int) and 0 < split < L,
             f"chain split must be in 1..{L - 1}; got {split!r}")
    return bool_prod(c.masks[:split]), bool_prod(c.masks[split:]).T.copy()


def _indices(v: Any, bound: int, what: str) -> list[int]:
    shape_ok(isinstance(v, list) and bool(v)
             and all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < bound
                     for x in v) and len(set(v)) == len(v),
             f"{what}: distinct indices in 0..{bound - 1}")
    return list(v)


# --------------------------------------------------------------------------------------------
# polynomial systems


def _two_factor_eq(I: np.ndarray, J: np.ndarray, i: int, j: int, a: Any) -> SPoly:
    p: SPoly = {}
    for k in np.flatnonzero(I[i] & J[j]):
        p[tuple(sorted(((f"x_{i}_{int(k)}", 1), (f"y_{j}_{int(k)}", 1))))] = Fraction(1)
    if a:
        p[()] = -a
    return p


def _chain_eq(masks: list[np.ndarray], i: int, j: int, a: Any) -> SPoly:
    acc: dict[int, SPoly] = {i: {(): Fraction(1)}}
    for q, M in enumerate(masks):
        nxt: dict[int, SPoly] = {}
        for s, poly in acc.items():
            for b in np.flatnonzero(M[s]):
                var: SPoly = {((f"f_{q}_{s}_{int(b)}", 1),): Fraction(1)}
                spoly_addmul(nxt.setdefault(int(b), {}), poly, var)
        acc = nxt
        shape_ok(sum(len(p) for p in acc.values()) <= 200_000, "chain equation too large")
    p = dict(acc.get(j, {}))
    if a:
        p[()] = p.get((), 0) - a
    return p


def _nullstellensatz(c: _Ctx, proof: Any, value: np.ndarray | dict[tuple[int, int], Any],
                     I: np.ndarray | None, J: np.ndarray | None, what: str) -> None:
    shape_ok(isinstance(proof, dict), f"{what} must be an object")
    ents, cofs = proof.get("entries"), proof.get("cofactors")
    shape_ok(isinstance(ents, list) and isinstance(cofs, list) and len(ents) == len(cofs)
             and bool(ents), f"{what}: 'entries' and 'cofactors' lists of equal length")
    total: SPoly = {}
    for t, (e, cf) in enumerate(zip(ents, cofs, strict=True)):
        shape_ok(isinstance(e, list) and len(e) == 2, f"{what}: entries are [i, j]")
        i, j = _indices([e[0]], c.m, f"{what} row")[0], _indices([e[1]], c.n, f"{what} col")[0]
        a = value[i, j] if isinstance(value, np.ndarray) else value.get((i, j), 0)
        f = (_two_factor_eq(I, J, i, j, a) if I is not None and J is not None
             else _chain_eq(c.masks, i, j, a))
        spoly_addmul(total, parse_spoly(cf, c.scal, f"{what}.cofactors[{t}]"), f)
    need(total == {(): 1}, f"{what}: sum of cofactor * equation is not 1 "
         f"({len(total)} terms remain)")
    c.checks.append(f"{what}: sum of {len(ents)} cofactors times the equations rebuilt from "
                    "the masks and the values expands to 1, so the equations have no "
                    "solution over C (weak Nullstellensatz)")


# --------------------------------------------------------------------------------------------
# claims


def _member(c: _Ctx) -> None:
    _check_factors(c, c.factors("factors"), "factors")


def _not_member(c: _Ctx) -> None:
    A, kind = c.target(), c.cert.kind
    split = c.ev.get("split")
    if kind == "entry-outside-supports":
        e = c.get("entry")
        shape_ok(isinstance(e, dict), "evidence.entry must be an object")
        i = _indices([e.get("row")], c.m, "entry row")[0]
        j = _indices([e.get("col")], c.n, "entry col")[0]
        v = c.scal(e.get("value"))
        need(bool(v) and A[i, j] == v, f"A[{i}, {j}] is not the nonzero value {v}")
        if c.kind == "two-factor":
            need(not (c.masks[0][i] & c.masks[1][j]).any(),
                 f"({i}, {j}) is covered by a rank-one support")
        else:
            need(not bool_prod(c.masks)[i, j], f"({i}, {j}) is covered by a path of the chain")
        c.checks.append(f"A[{i}, {j}] = {e.get('value')} != 0 and no factorization "
                        "reaches this entry (T1)")
        return
    if kind == "minor":
        mi = c.get("minor")
        shape_ok(isinstance(mi, dict), "evidence.minor must be an object")
        rows = _indices(mi.get("rows"), c.m, "minor rows")
        cols = _indices(mi.get("cols"), c.n, "minor cols")
        shape_ok(len(rows) == len(cols), "minor rows and cols have equal lengths")
        t = mi.get("supports_meeting")
        shape_ok(isinstance(t, int), "minor.supports_meeting must be an integer")
        d = det(A[np.ix_(rows, cols)])
        need(bool(d), "the minor is zero")
        need(d == c.scal(mi.get("value")), f"the minor is {d}, not the recorded value")
        I, J = _split_masks(c, split)
        meet = int((I[rows].any(axis=0) & J[cols].any(axis=0)).sum())
        need(meet <= t < len(rows), f"{meet} rank-one supports meet the rectangle; a "
             f"{len(rows)}-minor does not bound the rank below that")
        c.checks.append(f"det A[{rows}, {cols}] = {mi.get('value')} != 0 by elimination, but "
                        f"only {meet} rank-one supports meet this rectangle (T2)")
        return
    I, J = _split_masks(c, split)
    _nullstellensatz(c, c.ev, A, I, J, "nullstellensatz")


def _identifiable(c: _Ctx) -> None:
    A, kind = c.target(), c.cert.kind
    facs = c.factors("factors")
    _check_factors(c, facs, "factors")
    if kind in ("disjoint-supports", "completion"):
        shape_ok(c.kind == "two-factor", f"{kind} evidence is for two factors")
        I, J = c.masks
        half = [k for k in range(I.shape[1]) if I[:, k].any() != J[:, k].any()]
        need(not half, f"support {half[:1]} has a free factor column (half-empty)")
        if kind == "disjoint-supports":
            cnt = np.zeros(A.shape, dtype=np.int64)
            for k in range(I.shape[1]):
                cnt += np.outer(I[:, k], J[:, k]).astype(np.int64)
            need(cnt.max(initial=0) <= 1, "rank-one supports are not pairwise disjoint")
            X, Y = facs
            for k in range(I.shape[1]):
                if I[:, k].any():
                    need(bool(nonzero(X[:, k]).any() and nonzero(Y[:, k]).any()),
                         f"contribution {k} is zero (degenerate)")
            c.checks.append("rank-one supports pairwise disjoint, every contribution nonzero "
                            "(T8)")
            return
        _replay_completion(c, A, I, J, c.get("completion_order"))
        return
    shape_ok(c.kind == "chain", f"{kind} evidence is for chains")
    _no_free_entry(c)
    if kind == "nondegenerate-tree":
        _nondegenerate_tree(c, facs)
        return
    minors = c.get("split_minors")
    shape_ok(isinstance(minors, list), "evidence.split_minors must be a list")
    table: dict[int, list[dict[str, Any]]] = {}
    for mi in minors:
        shape_ok(isinstance(mi, dict) and isinstance(mi.get("split"), int),
                 "split_minors entries are {split, rows, cols, value}")
        table.setdefault(mi["split"], []).append(mi)
    n_blocks = 0
    for s in range(1, len(c.masks)):
        I, J = _split_masks(c, s)
        cls = _classes(I, J)
        cnt = np.zeros(A.shape, dtype=np.int64)
        for R, C, _ in cls:
            cnt[np.ix_(R, C)] += 1
        need(cnt.max(initial=0) <= 1, f"split {s}: class rectangles overlap")
        for R, C, size in cls:
            need(size <= min(R.size, C.size), f"split {s}: a complete (redundant) class")
            Rs, Cs = set(R.tolist()), set(C.tolist())
            found = None
            for mi in table.get(s, []):
                rows = _indices(mi.get("rows"), c.m, "split minor rows")
                cols = _indices(mi.get("cols"), c.n, "split minor cols")
                if set(rows) <= Rs and set(cols) <= Cs:
                    found = (rows, cols, mi.get("value"))
                    break
            need(found is not None, f"split {s}: no minor for the class on rows "
                 f"{R.tolist()[:6]} (rank of the block not shown)")
            rows, cols, val = found  # type: ignore[misc]
            need(len(rows) == len(cols) == size, f"split {s}: the minor is not {size} x {size}")
            d = det(A[np.ix_(rows, cols)])
            need(bool(d) and d == c.scal(val), f"split {s}: minor on rows {rows} is {d}, not "
                 f"the recorded nonzero value")
            n_blocks += 1
    c.checks.append(f"every split: class rectangles disjoint and not complete; {n_blocks} "
                    "class blocks each have a nonzero minor of their class size (recomputed by "
                    "elimination), so they have full rank (T8)")


def _no_free_entry(c: _Ctx) -> None:
    """Every entry of every factor mask reaches the product (else it is free: T8 fails)."""
    masks = c.masks
    for idx, M in enumerate(masks):
        reach_rows = (bool_prod(masks[:idx]).any(axis=0) if idx > 0
                      else np.ones(M.shape[0], dtype=bool))
        reach_cols = (bool_prod(masks[idx + 1:]).any(axis=1) if idx + 1 < len(masks)
                      else np.ones(M.shape[1], dtype=bool))
        free = np.argwhere(M & ~np.outer(reach_rows, reach_cols))
        need(free.size == 0, f"entry {free[:1].tolist()} of factor {idx} never reaches the "
             "product: it is free, so the factors are not identifiable")
    c.checks.append("no free entry: every mask entry of every factor reaches the product")


def _nondegenerate_tree(c: _Ctx, facs: list[np.ndarray]) -> None:
    """T8 tree argument: along a bracketing tree, every node splits into disjoint nonzero parts."""
    L = len(c.masks)
    nodes = c.get("nodes")
    shape_ok(isinstance(nodes, list), "evidence.nodes must be a list")
    by_span: dict[tuple[int, int], dict[str, Any]] = {}
    for nd in nodes:
        shape_ok(isinstance(nd, dict) and isinstance(nd.get("node"), list)
                 and len(nd["node"]) == 3 and all(isinstance(v, int) for v in nd["node"]),
                 "each node is {node: [p, s, q], contributions: [...]}")
        p, s_, q = nd["node"]
        shape_ok(0 <= p < s_ < q <= L, f"node {nd['node']} is not a split of 0..{L}")
        by_span[(p, q)] = nd
    todo, used = [(0, L)], 0
    while todo:
        p, q = todo.pop()
        if q - p < 2:
            continue
        need((p, q) in by_span, f"the tree has no node for factors {p}..{q - 1}")
        nd = by_span[(p, q)]
        s_ = nd["node"][1]
        todo += [(p, s_), (s_, q)]
        used += 1
        left, right = bool_prod(c.masks[p:s_]), bool_prod(c.masks[s_:q])
        cover = left.astype(np.int64) @ right.astype(np.int64)
        need(cover.max(initial=0) <= 1, f"node {[p, s_, q]}: rank-one supports overlap")
        H = facs[p]
        for F in facs[p + 1:q]:
            H = matmul(H, F, c.scal.zero)
        listed: dict[int, Any] = {}
        for w in nd.get("contributions", []):
            shape_ok(isinstance(w, dict) and {"index", "row", "col", "value"} <= set(w),
                     "contributions entries are {index, row, col, value}")
            listed[int(w["index"])] = w
        for k in range(left.shape[1]):
            rows, cols = np.flatnonzero(left[:, k]), np.flatnonzero(right[k])
            if rows.size == 0 or cols.size == 0:
                continue
            need(k in listed, f"node {[p, s_, q]}: contribution {k} has no nonzero entry listed")
            w = listed[k]
            i, j = int(w["row"]), int(w["col"])
            need(i in rows and j in cols, f"node {[p, s_, q]}: entry ({i}, {j}) is outside the "
                 f"rectangle of contribution {k}")
            need(bool(H[i, j]) and H[i, j] == c.scal(w["value"]),
                 f"node {[p, s_, q]}: entry ({i}, {j}) of the partial product is {H[i, j]}, not "
                 "the recorded nonzero value")
    need(used == L - 1, f"the tree must have {L - 1} nodes; {used} were reached")
    c.checks.append(f"{L - 1} tree nodes: at each, the rank-one supports of the split are "
                    "pairwise disjoint and every contribution is nonzero at a recorded entry of "
                    "the exact partial product, so each node is unique up to diagonal scaling "
                    "and, down the tree, so are the factors (T8)")


def _classes(I: np.ndarray, J: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, int]]:
    groups: dict[tuple[bytes, bytes], list[int]] = {}
    for k in range(I.shape[1]):
        if I[:, k].any() and J[:, k].any():
            groups.setdefault((I[:, k].tobytes(), J[:, k].tobytes()), []).append(k)
    return [(np.flatnonzero(I[:, ks[0]]), np.flatnonzero(J[:, ks[0]]), len(ks))
            for ks in groups.values()]


def _replay_completion(c: _Ctx, A: np.ndarray, I: np.ndarray, J: np.ndarray,
                       order: Any) -> None:
    r = I.shape[1]
    active = [k for k in range(r) if I[:, k].any() and J[:, k].any()]
    shape_ok(isinstance(order, list), "evidence.completion_order must be a list")
    need(sorted(order) == active,
         "completion_order must list every column with a nonempty support once")
    Z = A.copy()
    unresolved = set(active)
    for k in order:
        R, C = np.flatnonzero(I[:, k]), np.flatnonzero(J[:, k])
        covered = np.zeros((R.size, C.size), dtype=bool)
        for other in unresolved - {k}:
            covered |= np.outer(I[R, other], J[C, other])
        obs = ~covered
        data = Z[np.ix_(R, C)]
        live = nonzero(data) & obs
        need(bool(live.any()), f"completion: support {k} has no nonzero observable entry")
        x: dict[int, Any] = {}
        y: dict[int, Any] = {}
        i0: Any = int(np.argwhere(live)[0][0])
        x[i0] = Fraction(1)
        queue: list[tuple[str, Any]] = [("r", i0)]
        while queue:
            side, t = queue.pop()  # t: row or column index
            if side == "r":
                for j in np.flatnonzero(obs[t]):
                    if int(j) not in y:
                        y[int(j)] = data[t, j] / x[t]
                        if y[int(j)]:
                            queue.append(("c", int(j)))
            else:
                for i in np.flatnonzero(obs[:, t]):
                    if int(i) not in x:
                        x[int(i)] = data[i, t] / y[t]
                        if x[int(i)]:
                            queue.append(("r", int(i)))
        need(len(x) == R.size and len(y) == C.size,
             f"completion: the contribution of support {k} is not forced by the data")
        xv = np.array([x[i] for i in range(R.size)], dtype=object)
        yv = np.array([y[j] for j in range(C.size)], dtype=object)
        contrib = np.multiply.outer(xv, yv)
        need(not (nonzero(contrib - data) & obs).any(),
             f"completion: observed entries of support {k} are not rank one")
        Z[np.ix_(R, C)] = data - contrib
        unresolved.discard(k)
    need(not nonzero(Z).any(), "completion: nonzero residual after all supports")
    c.checks.append(f"rank-one completion replayed in the order {list(order)}: every "
                    "contribution is forced and the residual is 0 (T8 §2.6)")


def _compatible(x: np.ndarray, y: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> bool:
    nx, ny, nx2, ny2 = nonzero(x), nonzero(y), nonzero(x2), nonzero(y2)
    if (nx != nx2).any() or (ny != ny2).any():
        return False
    if nx.any():
        i = int(np.flatnonzero(nx)[0])
        d = x2[i] / x[i]
        return not nonzero(x2 - x * d).any() and not nonzero(y2 * d - y).any()
    if ny.any():
        j = int(np.flatnonzero(ny)[0])
        d = y2[j] / y[j]
        return not nonzero(y2 - y * d).any()
    return True


def _perfect_matching(adj: list[list[int]], r: int) -> bool:
    match: dict[int, int] = {}

    def augment(a: int, seen: set[int]) -> bool:
        for b in adj[a]:
            if b in seen:
                continue
            seen.add(b)
            if b not in match or augment(match[b], seen):
                match[b] = a
                return True
        return False

    return all(augment(a, set()) for a in range(r))


def _chain_equivalent(F: list[np.ndarray], G: list[np.ndarray]) -> bool:
    L = len(F)
    dims = [F[0].shape[0]] + [f.shape[1] for f in F]
    one = Fraction(1)
    val: dict[tuple[int, int], Any] = {(0, i): one for i in range(dims[0])}
    val.update({(L, i): one for i in range(dims[L])})
    edges: dict[tuple[int, int], list[tuple[tuple[int, int], object]]] = {}
    for l in range(L):
        if (nonzero(F[l]) != nonzero(G[l])).any():
            return False
        for r, c in np.argwhere(nonzero(F[l])):
            rho = G[l][r, c] / F[l][r, c]
            edges.setdefault((l, int(r)), []).append(((l + 1, int(c)), rho))
            edges.setdefault((l + 1, int(c)), []).append(((l, int(r)), one / rho))
    pending = list(val)
    nodes = [(l, i) for l in range(1, L) for i in range(dims[l])]
    while True:
        while pending:
            u = pending.pop()
            for v, rho in edges.get(u, []):
                w = val[u] * rho
                if v not in val:
                    val[v] = w
                    pending.append(v)
                elif val[v] != w:
                    return False
        free = next((v for v in nodes if v not in val), None)
        if free is None:
            return True
        val[free] = one
        pending.append(free)


def _not_identifiable(c: _Ctx) -> None:
    f1, f2 = c.factors("factors"), c.factors("second_factors")
    _check_factors(c, f1, "factors")
    _check_factors(c, f2, "second_factors")
    if c.kind == "two-factor":
        (X, Y), (X2, Y2) = f1, f2
        r = X.shape[1]
        adj = [[b for b in range(r) if _compatible(X[:, a], Y[:, a], X2[:, b], Y2[:, b])]
               for a in range(r)]
        need(not _perfect_matching(adj, r),
             "the two factorizations are equal up to scaling and permutation of columns")
        c.checks.append("no matching of the rank-one terms up to scaling: the two "
                        "factorizations are essentially different (T8)")
        return
    up_to = c.ev.get("up_to", "diagonal scaling")
    if up_to == "diagonal scaling":
        need(not _chain_equivalent(f1, f2),
             "the two chain factorizations are related by diagonal scalings")
        c.checks.append("the ratio propagation through the interfaces is inconsistent: no "
                        "diagonal scalings relate the two factorizations (T8)")
        return
    m = re.fullmatch(r"block-diagonal GL\((\d+)\)", up_to) if isinstance(up_to, str) else None
    if m is None:
        msg = f"evidence.up_to must be 'diagonal scaling' or 'block-diagonal GL(r)'; got {up_to!r}"
        raise Malformed(msg)
    blocks = _gauge_blocks(c.masks)
    r = max((len(Q) for bl in blocks for Q in bl), default=1)
    need(int(m[1]) == r, f"evidence.up_to claims GL({m[1]}), but the largest class of the "
         f"chain's splits has size {r}")
    for t, bl in enumerate(blocks, start=1):
        for Q in bl:
            for what, a, b in ((f"columns {Q} of factor {t - 1}", f1[t - 1][:, Q],
                                f2[t - 1][:, Q]),
                               (f"rows {Q} of factor {t}", f1[t][Q, :], f2[t][Q, :])):
                ra, rb = rank(a), rank(b)
                if ra != rb:
                    c.checks.append(
                        f"the class block of {what} has rank {ra} in the factors and {rb} in "
                        f"the second factors; an invertible block-diagonal gauge keeps it, so "
                        f"no {up_to} gauge relates the two factorizations (T8)")
                    return
    n_var = sum(len(Q) ** 2 for bl in blocks for Q in bl)
    rows, rhs = _gauge_equations(f1, f2, blocks)
    shape_ok(n_var * len(rows) <= MAX_ENTRIES, f"the gauge system ({len(rows)} equations, "
             f"{n_var} unknowns) is too large to check")
    need(not consistent(rows, rhs),
         "a block-diagonal gauge may relate the two factorizations: every class block "
         "of every factor keeps its rank, and the linear system F[l] G[l+1] = G[l] F'[l] (G "
         "block-diagonal by classes, G at the ends = I) has a solution")
    c.checks.append(f"the linear system F[l] G[l+1] = G[l] F'[l] in the {n_var} entries of "
                    "block-diagonal G (one block per class of each split, G_0 = G_L = I; "
                    f"{len(rows)} equations) is inconsistent by exact elimination: no "
                    f"{up_to} gauge relates the two factorizations (T8)")


def _gauge_blocks(masks: list[np.ndarray]) -> list[list[list[int]]]:
    """Per interface 1..L-1: the classes of that split (identical left and right supports).

    Indices whose partial-product column or row is empty form singleton blocks.
    """
    out = []
    for s in range(1, len(masks)):
        I, J = bool_prod(masks[:s]), bool_prod(masks[s:]).T
        groups: dict[tuple[bytes, bytes], list[int]] = {}
        blocks: list[list[int]] = []
        for k in range(I.shape[1]):
            if I[:, k].any() and J[:, k].any():
                groups.setdefault((I[:, k].tobytes(), J[:, k].tobytes()), []).append(k)
            else:
                blocks.append([k])
        out.append(list(groups.values()) + blocks)
    return out


def _gauge_equations(F: list[np.ndarray], G: list[np.ndarray], blocks: list[list[list[int]]],
                     ) -> tuple[list[dict[int, Any]], list[Any]]:
    """Sparse equations of ``F[l] X[l+1] - X[l] G[l] = 0``, X block-diagonal, X_0 = X_L = I."""
    L = len(F)
    index: dict[tuple[int, int, int], int] = {}
    block_of: list[dict[int, list[int]]] = [{}]
    for t, bl in enumerate(blocks, start=1):
        where: dict[int, list[int]] = {}
        for Q in bl:
            for i in Q:
                where[i] = Q
                for j in Q:
                    index[(t, i, j)] = len(index)
        block_of.append(where)
    block_of.append({})
    rows: list[dict[int, Any]] = []
    rhs: list[Any] = []
    zero = Fraction(0)
    for l in range(L):
        nzF, nzG = nonzero(F[l]), nonzero(G[l])
        for a in range(F[l].shape[0]):
            for b in range(F[l].shape[1]):
                row: dict[int, Any] = {}
                const: Any = zero
                if l + 1 == L:
                    if nzF[a, b]:
                        const = const - F[l][a, b]
                else:
                    for j in block_of[l + 1][b]:
                        if nzF[a, j]:
                            row[index[(l + 1, j, b)]] = F[l][a, j]
                if l == 0:
                    if nzG[a, b]:
                        const = const + G[l][a, b]
                else:
                    for i in block_of[l][a]:
                        if nzG[i, b]:
                            k = index[(l, a, i)]
                            row[k] = row.get(k, zero) - G[l][i, b]
                if row or const:
                    rows.append(row)
                    rhs.append(const)
    return rows, rhs


def _equivalent(c: _Ctx) -> None:
    shape_ok(c.kind == "chain", "scalings evidence is for chains")
    F, G = c.factors("factors"), c.factors("reference_factors")
    _check_factors(c, F, "factors")
    shape_ok(len(G) == len(F) and all(a.shape == b.shape for a, b in zip(F, G, strict=True)),
             "reference factors have the wrong shapes")
    D = c.get("scalings")
    shape_ok(isinstance(D, list) and len(D) == len(F) + 1
             and all(isinstance(d, list) for d in D),
             "scalings must list L+1 vectors")
    Dv = [np.array([c.scal(v) for v in d], dtype=object) for d in D]
    need(all(bool(v) for d in Dv for v in d), "scalings must be nonzero")
    need(all(v == 1 for v in Dv[0]) and all(v == 1 for v in Dv[-1]),
         "the outer scalings must be the identity")
    for idx, (Fl, Gl) in enumerate(zip(F, G, strict=True)):
        shape_ok(Dv[idx].size == Fl.shape[0] and Dv[idx + 1].size == Fl.shape[1],
                 f"scaling sizes do not match factor {idx}")
        inv = np.array([Fraction(1) / v for v in Dv[idx]], dtype=object)
        need(same(Fl * inv[:, None] * Dv[idx + 1][None, :], Gl),
             f"factor {idx}: D^-1 F D differs from the reference factor")
    c.checks.append(f"every reference factor equals D_l^-1 F[l] D_(l+1) ({len(F)} factors, "
                    "outer scalings the identity; T8 §4.3)")


def _not_closed(c: _Ctx) -> None:
    shape_ok(c.cert.inputs["target"] is None, "a not-closed certificate has target null")
    seq = c.get("sequence")
    shape_ok(isinstance(seq, dict) and isinstance(seq.get("factors"), list),
             "evidence.sequence.factors must be a list")
    facs = seq["factors"]
    masks = c.masks
    shape_ok(len(facs) == len(masks), "one sequence factor per mask")
    mats: list[dict[tuple[int, int], dict[int, Any]]] = []
    for q, (fobj, M) in enumerate(zip(facs, masks, strict=True)):
        shape_ok(isinstance(fobj, dict) and fobj.get("shape") == list(M.shape)
                 and isinstance(fobj.get("entries"), list),
                 f"sequence factor {q}: {{shape, entries}} with the mask's shape")
        ent: dict[tuple[int, int], dict[int, Any]] = {}
        for e in fobj["entries"]:
            shape_ok(isinstance(e, list) and len(e) == 3, "sequence entries are [i, j, terms]")
            a = _indices([e[0]], M.shape[0], "sequence row")[0]
            b = _indices([e[1]], M.shape[1], "sequence col")[0]
            need(bool(M[a, b]), f"sequence factor {q} has an entry ({a}, {b}) outside its mask")
            ent[(a, b)] = parse_laurent(e[2], c.scal, f"sequence factor {q}")
        mats.append(ent)
    c.checks.append(f"the {len(mats)} sequence factors (Laurent polynomials in t) lie inside "
                    "their masks for every t")
    # product, entry by entry, as Laurent polynomials
    if c.kind == "two-factor":
        X, Y = mats
        rows: dict[tuple[int, int], dict[int, Any]] = {}
        for (i, k), xv in X.items():
            for (j, k2), yv in Y.items():
                if k == k2:
                    laurent_mul_add(rows.setdefault((i, j), {}), xv, yv)
        prod = rows
    else:
        cur: dict[tuple[int, int], dict[int, Any]] = dict(mats[0])
        for F in mats[1:]:
            by_row: dict[int, list[tuple[int, dict[int, Any]]]] = {}
            for (a, b), v in F.items():
                by_row.setdefault(a, []).append((b, v))
            nxt: dict[tuple[int, int], dict[int, Any]] = {}
            for (i, a), u in cur.items():
                for b, v in by_row.get(a, []):
                    laurent_mul_add(nxt.setdefault((i, b), {}), u, v)
            cur = nxt
        prod = cur
    lim_obj = c.get("limit")
    lim = c.scal.sparse(lim_obj, "evidence.limit")
    shape_ok(lim.shape == (c.m, c.n), "evidence.limit has the wrong shape")
    limit_vals: dict[tuple[int, int], Any] = {}
    for (i, j), poly in prod.items():
        pos = [e for e, v in poly.items() if e > 0 and v]
        need(not pos, f"product entry ({i}, {j}) has a t^{max(pos) if pos else 0} term: "
             "it diverges")
        limit_vals[(i, j)] = poly.get(0, 0)
    for i, j in np.argwhere(nonzero(lim)):
        need(limit_vals.get((int(i), int(j)), 0) == lim[i, j],
             f"the limit at ({i}, {j}) is not {lim[i, j]}")
    for (i, j), v in limit_vals.items():
        need(v == lim[i, j], f"the limit at ({i}, {j}) is {v}, not {lim[i, j]}")
    c.checks.append("every product entry has no positive power of t and constant term equal to "
                    "the limit A*, so the products tend to A* exactly as t -> oo")
    proof = c.get("not_a_product")
    shape_ok(isinstance(proof, dict) and proof.get("kind") == "nullstellensatz",
             "evidence.not_a_product must be {kind: nullstellensatz, entries, cofactors}")
    if c.kind == "two-factor":
        _nullstellensatz(c, proof, lim, masks[0], masks[1], "A* is not a product")
    else:
        _nullstellensatz(c, proof, lim, None, None, "A* is not a product")
    c.checks.append("A* lies in the closure of the set of products but not in it: the set is "
                    "not closed (T5)")


def _spurious_minimum(c: _Ctx) -> None:
    """T10: a certified local minimum and a feasible point with a strictly lower loss."""
    A = c.target()
    if c.kind == "chain":
        _spurious_chain_minimum(c, A)
        return
    I, J = c.masks
    ev = {k: v for k, v in c.ev.items() if k not in ("kind", "loss", "parameters_order")}
    ev["parameters"] = c.get("parameters")
    legacy = {"schema": "fsmf-check/certificate/2", "claim": {"kind": "spurious-local-minimum"},
              "inputs": {"I": I.astype(int).tolist(), "J": J.astype(int).tolist(),
                         "A": [[str(v) for v in row] for row in A.tolist()]},
              "evidence": ev}
    _landscape_outcome(c, *verify_landscape_certificate(legacy))


def _spurious_chain_minimum(c: _Ctx, A: np.ndarray) -> None:
    """T10 for a chain ``F_0 ... F_{L-1}``: the same evidence with interface generators."""
    ev = {k: v for k, v in c.ev.items() if k not in ("kind", "loss", "parameters_order")}
    legacy = {"inputs": {"factors": [M.astype(int).tolist() for M in c.masks],
                         "A": [[str(v) for v in row] for row in A.tolist()]},
              "evidence": ev}
    _landscape_outcome(c, *verify_chain_landscape_certificate(legacy))


def _landscape_outcome(c: _Ctx, ok: bool, lines: list[str]) -> None:
    """Record the landscape checker's lines; malformed evidence or a failed check refutes."""
    c.checks.extend(ln for ln in lines if not ln.startswith("FAIL"))
    failed = [ln[5:] for ln in lines if ln.startswith("FAIL")]
    shape_ok(not any(f.startswith("malformed") for f in failed), failed[0] if failed else "")
    need(ok, failed[0] if failed else "the landscape evidence does not prove the claim")


_CLAIMS = {"member": _member, "not-member": _not_member, "identifiable": _identifiable,
           "not-identifiable": _not_identifiable, "equivalent": _equivalent,
           "not-closed": _not_closed, "spurious-local-minimum": _spurious_minimum}


def check_certificate(data: Any) -> VerifyReport:
    r"""Re-check a certificate object by arithmetic only; never raises on bad input.

    Returns
    -------
    VerifyReport
        ``verified`` (exit 0), ``refuted`` (1: the claim does not follow from the evidence,
        the inputs do not match their hash, or the evidence is of another kind than the claim
        needs) or ``malformed`` (2: not the schema); ``checks`` lists what was checked.

    Notes
    -----
    T1-T3, T5, T7-T9 (table in the module docstring). Exact.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> from fsmf_check.exact.twofactor import decide_membership
    >>> cert = decide_membership([[1, 2], [3, 4]], families.lu(2)).certificate.to_dict()
    >>> check_certificate(cert).status
    'verified'
    >>> cert["evidence"]["factors"][0]["entries"][0][2] = "5"
    >>> r = check_certificate(cert); r.status, r.reason
    ('refuted', 'factors: X @ Y.T differs from A')
    >>> del cert["evidence"]["factors"]
    >>> check_certificate(cert).status
    'malformed'
    """
    checks: list[str] = []
    try:
        cert = parse_certificate(data)
    except MalformedCertificate as exc:
        return VerifyReport("malformed", reason=str(exc))
    report = VerifyReport("verified", cert.claim, cert.kind, checks)
    checks.append(f"schema fsmf-check/certificate/2, claim {cert.claim!r}, evidence "
                  f"{cert.kind!r}")
    try:
        ctx = _Ctx(cert, checks)
        need(cert.hash_matches, "inputs.sha256 does not match the inputs")
        checks.append("inputs.sha256 matches the canonical inputs")
        need(cert.kind in EVIDENCE_FOR[cert.claim],
             f"evidence of kind {cert.kind!r} does not prove {cert.claim!r} (needs "
             f"{' or '.join(EVIDENCE_FOR[cert.claim])})")
        _CLAIMS[cert.claim](ctx)
    except Refuted as exc:
        report.status, report.reason = "refuted", str(exc)
    except Malformed as exc:
        report.status, report.reason = "malformed", f"malformed certificate: {exc}"
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError, RecursionError) as exc:
        report.status = "malformed"
        report.reason = f"malformed certificate: {type(exc).__name__}: {exc}"
    return report


def check_certificate_file(path: Path | str) -> VerifyReport:
    """Read a certificate file and check it (invalid JSON is ``malformed``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return VerifyReport("malformed", reason=f"cannot read {path} as JSON: {exc}")
    return check_certificate(data)


def verify_certificate(cert: Any, *, backend: str | None = None, strict: bool = False
                       ) -> bool:
    r"""Return True iff the certificate (object or :class:`Certificate`) verifies.

    ``backend`` is accepted for compatibility and ignored: the checker has its own arithmetic.
    With ``strict``, a failure raises :class:`~fsmf_check.errors.CertificateError`.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> from fsmf_check.exact.twofactor import decide_membership
    >>> verify_certificate(decide_membership([[1, 2], [3, 4]], families.lu(2)).certificate)
    True
    """
    data = cert.to_dict() if hasattr(cert, "to_dict") else cert
    rep = check_certificate(data)
    if rep.status != "verified" and strict:
        msg = f"certificate rejected: {rep.reason}"
        raise CertificateError(msg)
    return rep.status == "verified"
