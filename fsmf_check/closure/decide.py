r"""Closedness of the set of products ``P(I, J)`` (T5) with proofs and exact witnesses.

``P(I, J) = {X Y^T : supp(X) ⊆ I, supp(Y) ⊆ J}`` is closed iff FSMF has a minimizer for every
target (theory §3.1). The decision follows the order recommended in theory §3.4:

1. **closed**, with the theorem that proves it: output (or input) dimension 1 (a linear
   subspace, T5 derived), dense supports (``{rank <= min(r, m, n)}``, T5 derived), chainable
   Kronecker pairs (disjoint-or-identical by T6), disjoint-or-identical supports (T2) or a
   CEC reduction (T3), the last two from
   :func:`fsmf_check.analysis.tractability.decide_tractability`;
2. **not-closed**, with an exactly verified witness from the LU-embedding criterion of theory
   §3: a matrix ``A*`` in the closure but not in ``P``, an explicit sequence
   ``(X_t, Y_t)`` whose entries are Laurent polynomials in ``t`` with rational coefficients,
   the limit of ``X_t Y_t^T`` computed with ``sympy.limit``, exact values at sample ``t``, and
   an exact proof that ``A* ∉ P``: the three-entry argument (checked on the masks) and a
   Gröbner basis equal to ``[1]`` (sympy, Buchberger, grevlex) of the polynomial system
   ``X Y^T = A*`` with the support constraints;
3. optionally the first-order sentence of theory §3.4 decided by z3 (``SolverFor("NRA")``) for
   tiny instances, under a size limit and a timeout (``pip install fsmf-check[qe]``);
4. otherwise **unknown**, listing what was tried. Never a guess.

Chains (theory §3.5): one factor (a linear space), butterfly chains (CLR, T9 derived),
chainable Kronecker chains (T6, [LZRG-err] abstract) and redundancy-reducible chains are
closed; two factors reduce exactly to the two-factor question; for three or more factors an
LU embedding in two adjacent factors, with every other factor square and containing the
identity, gives a candidate whose non-membership is proved by a Gröbner basis on the chain's
polynomial system, or else the verdict stays ``unknown`` (heuristic only).

The witness dictionaries are re-checked by :mod:`fsmf_check.verify.closedness`, which shares
no code with this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp
import sympy

from fsmf_check.errors import InvalidInputError
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.numbers import format_exact
from fsmf_check.model.polynomials import (
    GROEBNER_MAX_VARS,
    chain_equations,
    equation_strings,
    equation_variables,
    groebner_is_one,
    nullstellensatz_proof,
    two_factor_equations,
)
from fsmf_check.model.supports import Chain, SupportPattern
from fsmf_check.verdicts import ClosednessVerdict

__all__ = [
    "ClosednessResult",
    "LUEmbedding",
    "decide_closedness",
    "find_lu_embedding",
    "lu_embedding_witness",
    "decide_closedness_qe",
    "VERDICTS",
    "QE_MAX_VARS",
    "SEARCH_AREA_LIMIT",
    "COMPLETED_SEARCH_MAX_CANDIDATES",
    "COMPLETED_SEARCH_MAX_VARS",
    "find_completed_lu_witness",
    "closedness_certificate",
    "FULL_MASK_ENTRIES",
    "SATURATION_AREA_LIMIT",
    "saturation_closedness",
]

VERDICTS = tuple(v.value for v in ClosednessVerdict)
#: Basis of a verdict that rests on z3 alone (no witness checked here).
QE_BASIS = "solver: z3 NRA quantifier elimination, no independent witness"
#: Basis of the closedness of chainable Kronecker chains with three or more factors.
CHAINABLE_BASIS = ("cited: [LZRG-err] abstract (chainable Kronecker-sparse chains admit an "
                   "optimum), not re-derived here")
#: Largest number of real variables ``m*n + 2(|I| + |J|) + 1`` of the QE sentence.
QE_MAX_VARS = 30
#: Deterministic step budget of z3 (its ``rlimit``): the QE verdict depends on this count of
#: solver steps, not on the wall clock (about 1-3 s here). The time limit stays only as a
#: safety net; an answer cut by it says so (``reason: timeout``).
QE_RLIMIT = 5_000_000
#: The LU-embedding search reads the coverage counts on every rectangle ``R_k x C_k``; it is
#: skipped above this total area (sum of ``|R_k| |C_k|``).
SEARCH_AREA_LIMIT = 20_000_000
#: Witnesses carry the full masks when ``(m + n) r`` is at most this; otherwise only the rows
#: of ``I`` and ``J`` that the non-membership argument reads.
FULL_MASK_ENTRIES = 4096
#: A ``not-closed`` certificate file spells every explicit mask out as 0/1 strings; above this
#: many mask entries (a file of that many bytes) no certificate is built.
MAX_CERTIFICATE_MASK_ENTRIES = 2**26
#: Sample values of the parameter t at which the sequence is evaluated exactly.
SAMPLE_T = (1, 10, 1000)

_T = sympy.Symbol("t", positive=True)


# --------------------------------------------------------------------------------------------
# result object


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosednessResult:
    """Verdict on closedness of ``P(I, J)`` (T5) with its theorem, evidence and witness.

    ``verdict`` is ``closed`` | ``not-closed`` | ``unknown``; ``theorem`` a theorem label (or
    None for ``unknown``); ``explanation`` one sentence; ``exact`` True when the verdict is
    proved exactly; ``evidence`` JSON-ready details; ``witness`` (for ``not-closed``) the
    exact sequence and non-membership proof; ``tried`` what was attempted. ``basis`` says what
    the verdict rests on: ``"computed"`` (a proof or witness checked here), ``"cited: ..."`` (a
    published result not re-derived here) or ``"solver: ..."`` (a solver's answer without an
    independently checked witness); ``exact`` is True only for ``"computed"``.
    """

    verdict: str
    theorem: str | None
    explanation: str
    exact: bool
    evidence: dict[str, Any] = field(default_factory=dict)
    witness: dict[str, Any] | None = None
    tried: tuple[str, ...] = ()
    basis: str = "computed"

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            msg = f"closedness verdict must be one of {', '.join(VERDICTS)}; got {self.verdict!r}"
            raise InvalidInputError(msg)
        if self.exact and self.basis != "computed":
            msg = f"a closedness verdict with basis {self.basis!r} cannot be exact"
            raise InvalidInputError(msg)

    @property
    def closed(self) -> bool | None:
        """True / False for a decided verdict, None for ``unknown``."""
        return None if self.verdict == "unknown" else self.verdict == "closed"

    def to_dict(self) -> dict[str, Any]:
        """docs/reference/json-schema.md result object (JSON-ready, deterministic)."""
        return {"verdict": self.verdict, "theorem": self.theorem,
                "explanation": self.explanation, "exact": self.exact,
                "evidence": self.evidence, "witness": self.witness, "tried": list(self.tried),
                "basis": self.basis}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClosednessResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. read back from report.json)."""
        try:
            return cls(verdict=data["verdict"], theorem=data.get("theorem"),
                       explanation=data["explanation"], exact=bool(data["exact"]),
                       evidence=dict(data.get("evidence") or {}), witness=data.get("witness"),
                       tried=tuple(data.get("tried") or ()),
                       basis=str(data.get("basis", "computed")))
        except KeyError as exc:
            msg = f"closedness result dictionary is missing the key {exc.args[0]!r}"
            raise InvalidInputError(msg) from None


# --------------------------------------------------------------------------------------------
# Laurent polynomials in t with rational coefficients (the sequences are built from these)

Laurent = dict[int, Fraction]


def _laurent_str(p: Laurent) -> list[list[object]]:
    return [[e, format_exact(c)] for e, c in sorted(p.items()) if c != 0]


def _laurent_sympy(p: Laurent) -> sympy.Expr:
    return sympy.Add(*[sympy.Rational(c.numerator, c.denominator) * _T**e
                       for e, c in sorted(p.items())])


# --------------------------------------------------------------------------------------------
# the LU-embedding criterion (theory §3.3)


@dataclass(frozen=True, slots=True)
class LUEmbedding:
    """An LU-type sub-pattern of theory §3.3 (0-based indices).

    Column ``k`` alone covers ``(i1, j1)``, ``(i1, j2)`` and ``(i2, j1)``; column ``l != k``
    also covers ``(i2, j2)``.
    """

    k: int
    l: int
    i1: int
    i2: int
    j1: int
    j2: int

    def to_dict(self) -> dict[str, int]:
        """JSON-ready form."""
        return {"k": self.k, "l": self.l, "i1": self.i1, "i2": self.i2, "j1": self.j1,
                "j2": self.j2}


def _explicit_masks(pattern: SupportPattern) -> tuple[sp.csc_array, sp.csc_array]:
    return sp.csc_array(pattern.I, dtype=np.int64), sp.csc_array(pattern.J, dtype=np.int64)


def find_lu_embedding(pattern: SupportPattern) -> LUEmbedding | None:
    r"""Search for an LU-type sub-pattern whose witness proves that ``P(I, J)`` is not closed.

    Parameters
    ----------
    pattern : SupportPattern
        Explicit or structured two-factor pattern (structured ones are materialized).

    Returns
    -------
    LUEmbedding or None
        The first embedding in the order (k, i2, j2, i1, j1) with smallest indices, or None.

    Raises
    ------
    SizeLimitError
        If the total area ``sum_k |R_k| |C_k|`` exceeds :data:`SEARCH_AREA_LIMIT`.

    Notes
    -----
    T5 (§3.3, derived): if ``cov(i1,j1) = cov(i1,j2) = cov(i2,j1) = {k}`` and some
    ``l != k`` covers ``(i2, j2)``, then ``A* = e_{i1} e_{j2}^T + e_{i2} e_{j1}^T`` lies in the
    closure of ``P`` but not in ``P``. Exact (integer coverage counts). For column ``k`` with
    ``U = [cov == 1]`` and ``D = [cov >= 2]`` on ``R_k x C_k``, a witness with this ``(i2, j2)``
    exists iff ``D ∧ (U U^T U > 0)`` there; cost ``O(sum_k |R_k| |C_k| min(|R_k|, |C_k|))``.
    The criterion is only sufficient.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> find_lu_embedding(families.lu(2))
    LUEmbedding(k=0, l=1, i1=0, i2=1, j1=0, j2=1)
    >>> find_lu_embedding(SupportPattern(["10", "01"], ["10", "01"])) is None
    True
    """
    from fsmf_check._limits import check_nnz
    from fsmf_check.errors import SizeLimitError

    I, J = _explicit_masks(pattern)
    r = pattern.r
    rsz, csz = np.diff(I.indptr), np.diff(J.indptr)
    area = int(np.dot(rsz.astype(np.int64), csz.astype(np.int64)))  # int32 indptr overflows
    if area > SEARCH_AREA_LIMIT:
        msg = (f"LU-embedding search would read {area} covered entries, above the limit "
               f"SEARCH_AREA_LIMIT = {SEARCH_AREA_LIMIT}")
        raise SizeLimitError(msg)
    check_nnz("coverage counts I J^T", area)
    cnt = sp.csr_array(I @ J.T)
    for k in range(r):
        if rsz[k] < 2 or csz[k] < 2:
            continue
        R = I.indices[I.indptr[k] : I.indptr[k + 1]]
        C = J.indices[J.indptr[k] : J.indptr[k + 1]]
        sub = cnt[R][:, C].toarray()
        U = (sub == 1).astype(np.int64)
        D = sub >= 2
        if not D.any() or U.sum() < 3:
            continue
        P = U @ U.T @ U
        cand = np.argwhere(D & (P > 0))
        if cand.size == 0:
            continue
        a2, b2 = (int(v) for v in cand[0])
        for a1 in np.flatnonzero(U[:, b2]):
            b1s = np.flatnonzero(U[a1] & U[a2])
            if b1s.size:
                b1 = int(b1s[0])
                i1, i2, j1, j2 = int(R[a1]), int(R[a2]), int(C[b1]), int(C[b2])
                cols_i2 = _row_support(I, i2)
                cols_j2 = _row_support(J, j2)
                others = sorted(set(cols_i2) & set(cols_j2) - {k})
                return LUEmbedding(k, int(others[0]), i1, i2, j1, j2)
    return None


def _row_support(M: sp.csc_array, i: int) -> list[int]:
    """Columns c with M[i, c] = 1 (M is CSC, so scan via CSR of one row)."""
    row = sp.csr_array(M)[[i]]
    return sorted(int(c) for c in row.indices)


# --------------------------------------------------------------------------------------------
# exact polynomial systems and Gröbner bases


def _two_factor_cofactors(Irows: dict[int, list[int]], Jrows: dict[int, list[int]],
                          entries: list[tuple[int, int]], A: dict[tuple[int, int], Fraction]
                          ) -> dict[str, Any] | None:
    proof = nullstellensatz_proof(two_factor_equations(Irows, Jrows, entries, A))
    return None if proof is None else {"kind": "nullstellensatz", **proof}


def _chain_cofactors(rows: list[dict[int, list[int]]], entries: list[tuple[int, int]],
                     A: dict[tuple[int, int], Fraction]) -> dict[str, Any] | None:
    proof = nullstellensatz_proof(chain_equations(rows, entries, A))
    return None if proof is None else {"kind": "nullstellensatz", **proof}


# --------------------------------------------------------------------------------------------
# the witness


def _mask_rows(M: sp.csc_array) -> dict[int, list[int]]:
    R = sp.csr_array(M)
    # np.sort + tolist: the same sorted lists of Python ints, without a Python loop per entry
    return {i: np.sort(R.indices[R.indptr[i] : R.indptr[i + 1]]).tolist()
            for i in range(R.shape[0])}


def _mask_strings(M: sp.csc_array) -> list[str]:
    D = M.toarray()
    return ["".join("1" if v else "0" for v in row) for row in D]


def lu_embedding_witness(pattern: SupportPattern, emb: LUEmbedding) -> dict[str, Any]:
    r"""Build and verify the exact non-closedness witness of an LU embedding (theory §3.3).

    Parameters
    ----------
    pattern : SupportPattern
        The two-factor pattern.
    emb : LUEmbedding
        An embedding found by :func:`find_lu_embedding`.

    Returns
    -------
    dict
        JSON-ready witness: ``A`` (sparse and, when small, dense), the sequence
        ``x_k = e_{i1} + t e_{i2}``, ``y_k = (1/t) e_{j1} + e_{j2}``, ``x_l = e_{i2}``,
        ``y_l = -t e_{j2}`` as Laurent polynomials, the exact product, its limit
        (``sympy.limit``), samples, the diverging squared norm, and the non-membership proofs
        (three-entry argument, Gröbner basis ``[1]``).

    Raises
    ------
    CertificateError
        If any self-check fails (this would be a bug).

    Notes
    -----
    T5 (§3.3, derived). Exact: rationals and sympy only. The Gröbner basis of the full
    system is computed when it has at most ``GROEBNER_MAX_VARS`` variables; the local
    system on ``{i1, i2} x {j1, j2}`` (a subset of the equations, so its infeasibility already
    proves ``A* ∉ P``) always.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> P = families.lu(2)
    >>> w = lu_embedding_witness(P, find_lu_embedding(P))
    >>> w["A"]["dense"], w["sequence"]["product_display"]
    ([['0', '1'], ['1', '0']], [[0, 0, '1/t'], [0, 1, '1'], [1, 0, '1']])
    >>> w["non_membership"]["groebner"]["basis"]
    ['1']
    """
    X, Y = _lu_sequence(emb, None)
    return _sequence_witness(pattern, X, Y, emb, kind="lu-embedding", three_entry=True)


def _lu_sequence(emb: LUEmbedding, completion: tuple[str, int] | None
                 ) -> tuple[dict[tuple[int, int], Laurent], dict[tuple[int, int], Laurent]]:
    """LU witness sequence (theory §3), optionally with a constant completion term in column l.

    ``("row", j3)``: ``y_l = -t e_{j2} + e_{j3}`` adds ``e_{i2} e_{j3}^T``;
    ``("col", i3)``: ``x_l = -t e_{i2} + e_{i3}``, ``y_l = e_{j2}`` adds ``e_{i3} e_{j2}^T``.
    """
    k, l, i1, i2, j1, j2 = emb.k, emb.l, emb.i1, emb.i2, emb.j1, emb.j2
    one = Fraction(1)
    X: dict[tuple[int, int], Laurent] = {(i1, k): {0: one}, (i2, k): {1: one}}
    Y: dict[tuple[int, int], Laurent] = {(j1, k): {-1: one}, (j2, k): {0: one}}
    if completion is not None and completion[0] == "col":
        X[(i2, l)] = {1: -one}
        X[(completion[1], l)] = {0: one}
        Y[(j2, l)] = {0: one}
    else:
        X[(i2, l)] = {0: one}
        Y[(j2, l)] = {1: -one}
        if completion is not None:
            Y[(completion[1], l)] = {0: one}
    return X, Y


def _laurent_limit(X: dict[tuple[int, int], Laurent], Y: dict[tuple[int, int], Laurent]
                   ) -> dict[tuple[int, int], Fraction] | None:
    """Exact limit of X Y^T at t -> oo by Laurent arithmetic, or None if it diverges."""
    prod: dict[tuple[int, int], Laurent] = {}
    for (i, c), xv in X.items():
        for (j, c2), yv in Y.items():
            if c != c2:
                continue
            acc = prod.setdefault((i, j), {})
            for e1, a in xv.items():
                for e2, b in yv.items():
                    acc[e1 + e2] = acc.get(e1 + e2, Fraction(0)) + a * b
    out = {}
    for ij, poly in prod.items():
        if any(e > 0 and c != 0 for e, c in poly.items()):
            return None
        if poly.get(0, Fraction(0)) != 0:
            out[ij] = poly[0]
    return out


def _sequence_witness(pattern: SupportPattern, X: dict[tuple[int, int], Laurent],
                      Y: dict[tuple[int, int], Laurent], emb: LUEmbedding, *, kind: str,
                      three_entry: bool) -> dict[str, Any]:
    """Build and self-check a witness dictionary for an explicit Laurent sequence."""
    from fsmf_check.errors import CertificateError

    I, J = _explicit_masks(pattern)
    m, n, r = pattern.shape
    k, l, i1, i2, j1, j2 = emb.k, emb.l, emb.i1, emb.i2, emb.j1, emb.j2
    A = _laurent_limit(X, Y)
    if A is None:
        msg = "the sequence of products diverges"
        raise CertificateError(msg)
    Irows, Jrows = _mask_rows(I), _mask_rows(J)
    for (i, c) in X:
        if c not in Irows[i]:
            msg = f"sequence entry X[{i},{c}] is outside the mask I"
            raise CertificateError(msg)
    for (j, c) in Y:
        if c not in Jrows[j]:
            msg = f"sequence entry Y[{j},{c}] is outside the mask J"
            raise CertificateError(msg)
    # exact product with sympy, entry by entry (only rows of X and rows of Y that are nonzero)
    prod: dict[tuple[int, int], sympy.Expr] = {}
    for (i, c), xv in X.items():
        for (j, c2), yv in Y.items():
            if c == c2:
                prod[(i, j)] = prod.get((i, j), sympy.Integer(0)) + \
                    _laurent_sympy(xv) * _laurent_sympy(yv)
    prod = {ij: sympy.simplify(sympy.expand(v)) for ij, v in prod.items()}
    keys = sorted(set(prod) | set(A))
    limits = {}
    for ij in keys:
        lim = sympy.limit(prod.get(ij, sympy.Integer(0)), _T, sympy.oo)
        a = A.get(ij, Fraction(0))
        if lim != sympy.Rational(a.numerator, a.denominator):
            msg = f"limit of the product at {ij} is {lim}, not {a}"
            raise CertificateError(msg)
        limits[ij] = lim
    norm2 = sympy.expand(sum(_laurent_sympy(v) ** 2 for v in list(X.values()) + list(Y.values())))
    norm_lim = sympy.limit(norm2, _T, sympy.oo)
    samples = []
    for tv in SAMPLE_T:
        vals = [[i, j, str(sympy.sympify(prod.get((i, j), 0)).subs(_T, tv))] for i, j in keys]
        dist2 = sum((prod.get(ij, sympy.Integer(0)).subs(_T, tv) -
                     sympy.Rational(A.get(ij, Fraction(0)).numerator,
                                    A.get(ij, Fraction(0)).denominator)) ** 2 for ij in keys)
        samples.append({"t": str(tv), "product": vals, "distance_squared": str(dist2)})
    # non-membership: the three-entry argument, checked on the masks
    cov = {ij: sorted(set(Irows[ij[0]]) & set(Jrows[ij[1]]))
           for ij in ((i1, j1), (i1, j2), (i2, j1), (i2, j2))}
    if three_entry and not (cov[(i1, j1)] == cov[(i1, j2)] == cov[(i2, j1)] == [k]
                            and l in cov[(i2, j2)]):
        msg = "the coverage sets do not satisfy the LU-embedding criterion"
        raise CertificateError(msg)
    three = {
        "k": k, "entries": [[i1, j1], [i1, j2], [i2, j1]],
        "coverage": [[i, j, cov[(i, j)]] for (i, j) in ((i1, j1), (i1, j2), (i2, j1))],
        "argument": (f"(XY^T)[{i1},{j2}] = x[{i1},{k}] y[{j2},{k}] = 1 and (XY^T)[{i2},{j1}] "
                     f"= x[{i2},{k}] y[{j1},{k}] = 1 force x[{i1},{k}] != 0 and "
                     f"y[{j1},{k}] != 0, so (XY^T)[{i1},{j1}] = x[{i1},{k}] y[{j1},{k}] != 0 "
                     f"= A*[{i1},{j1}]"),
    }
    local_entries = [(i1, j1), (i1, j2), (i2, j1), (i2, j2)]
    if three_entry:
        polys = two_factor_equations(Irows, Jrows, local_entries, A)
        is_one, basis = groebner_is_one(polys)
    else:
        polys, is_one, basis = [], False, []
    system = "local"
    entries_used: list[tuple[int, int]] = local_entries
    n_vars_full = int(I.nnz + J.nnz)
    if n_vars_full <= GROEBNER_MAX_VARS:
        full_entries = [(i, j) for i in range(m) for j in range(n)]
        fpolys = two_factor_equations(Irows, Jrows, full_entries, A)
        f_one, f_basis = groebner_is_one(fpolys)
        if f_one:
            polys, is_one, basis, system = fpolys, f_one, f_basis, "full"
            entries_used = full_entries
    if not is_one:
        msg = f"the Gröbner basis of the {system} system is {basis}, not [1]"
        raise CertificateError(msg)
    groebner = {"system": system, "entries": [list(e) for e in entries_used],
                "variables": equation_variables(polys), "polynomials": equation_strings(polys),
                "order": "grevlex", "method": "buchberger", "basis": basis,
                "meaning": ("1 lies in the ideal of the equations XY^T = A* (restricted to "
                            "the listed entries), so the system has no solution over C, "
                            "hence none over R (weak Nullstellensatz)")}
    if (m + n) * r <= FULL_MASK_ENTRIES:
        supports: dict[str, Any] = {"form": "full", "I": _mask_strings(I), "J": _mask_strings(J)}
    else:
        supports = {"form": "rows",
                    "I_rows": [[i, Irows[i]] for i in sorted({i1, i2})],
                    "J_rows": [[j, Jrows[j]] for j in sorted({j1, j2})]}
    A_entries = [[i, j, format_exact(v)] for (i, j), v in sorted(A.items())]
    A_block: dict[str, Any] = {"entries": A_entries}
    if m * n <= 400:
        A_block["dense"] = [[format_exact(A.get((i, j), Fraction(0))) for j in range(n)]
                            for i in range(m)]
    non_membership: dict[str, Any] = {"groebner": groebner}
    if three_entry:
        non_membership = {"three_entry": three, "groebner": groebner}
    # arithmetic-only proof for certificates: the three-entry equations when they suffice
    proof = _two_factor_cofactors(Irows, Jrows, local_entries[:3], A) if three_entry else None
    if proof is None:
        proof = _two_factor_cofactors(Irows, Jrows, entries_used, A)
    if proof is not None:
        non_membership["nullstellensatz"] = proof
    return {
        "kind": kind,
        "shape": {"m": m, "n": n, "r": r},
        "embedding": emb.to_dict(),
        "A": A_block,
        "supports": supports,
        "sequence": {
            "parameter": "t", "tends_to": "oo",
            "coefficients": "Laurent polynomials in t: [[exponent, coefficient], ...]",
            "X": [[i, c, _laurent_str(v)] for (i, c), v in sorted(X.items())],
            "Y": [[j, c, _laurent_str(v)] for (j, c), v in sorted(Y.items())],
            "X_display": [[i, c, str(_laurent_sympy(v))] for (i, c), v in sorted(X.items())],
            "Y_display": [[j, c, str(_laurent_sympy(v))] for (j, c), v in sorted(Y.items())],
            "product_display": [[i, j, str(prod[(i, j)])] for i, j in keys
                                if prod.get((i, j), 0) != 0],
            "limit": [[i, j, str(limits[(i, j)])] for i, j in keys],
            "limit_method": "sympy.limit(entry, t, oo)",
            "norm_squared": str(norm2),
            "norm_squared_limit": str(norm_lim),
            "samples": samples,
        },
        "non_membership": non_membership,
    }


#: At most this many candidate limits are tested with a Gröbner basis by
#: :func:`find_completed_lu_witness` (each test takes ~10-300 ms on patterns it accepts).
COMPLETED_SEARCH_MAX_CANDIDATES = 40
#: The completed-sequence search runs only up to this many unknowns ``nnz(I) + nnz(J)``:
#: Buchberger on the *feasible* candidate systems blows up beyond it (measured on 221 random
#: patterns up to 4x4, r <= 3: worst 2.2 s at 12 unknowns, 9.6 s at 14, > 20 s at 16-24).
COMPLETED_SEARCH_MAX_VARS = 12


def find_completed_lu_witness(pattern: SupportPattern, *,
                              max_candidates: int = COMPLETED_SEARCH_MAX_CANDIDATES
                              ) -> dict[str, Any] | None:
    r"""Search LU-type sequences with a completion term whose limit a Gröbner basis excludes.

    For columns ``k != l``, rows ``i1 != i2`` and columns ``j1 != j2`` with ``(i, j) ∈ S_k``
    for the four entries and ``(i2, j2) ∈ S_l``, the sequence of theory §3.3 (optionally with a
    constant term ``e_{i2} e_{j3}^T`` or ``e_{i3} e_{j2}^T`` added through column ``l``)
    converges to an explicit ``A*``; when the Gröbner basis of the full system
    ``X Y^T = A*`` is ``[1]``, ``A*`` is in the closure but not in the set. This covers
    patterns where every entry is covered twice, which the LU-embedding criterion misses.

    Parameters
    ----------
    pattern : SupportPattern
        A small pattern: ``nnz(I) + nnz(J) <= COMPLETED_SEARCH_MAX_VARS`` (else None).
    max_candidates : int
        Number of distinct candidate limits tested (deterministic order).

    Returns
    -------
    dict or None
        The witness (kind ``completed-lu-sequence``), or None when no candidate is excluded.

    Notes
    -----
    T5 (§3.3-3.4, derived). Exact (rational Laurent sequences, sympy Gröbner bases,
    Buchberger, grevlex). Sound but incomplete; cost at most ``max_candidates`` Gröbner bases.

    Examples
    --------
    >>> P = SupportPattern(["11", "11", "11"], ["10", "11", "01"])
    >>> w = find_completed_lu_witness(P)
    >>> w["A"]["dense"], w["non_membership"]["groebner"]["basis"]
    ([['1', '0', '1'], ['0', '1', '0'], ['0', '0', '0']], ['1'])
    """
    I, J = _explicit_masks(pattern)
    if int(I.nnz + J.nnz) > COMPLETED_SEARCH_MAX_VARS:
        return None
    m, n, r = pattern.shape
    Irows, Jrows = _mask_rows(I), _mask_rows(J)
    R = [sorted(int(i) for i in I.indices[I.indptr[c]: I.indptr[c + 1]]) for c in range(r)]
    C = [sorted(int(j) for j in J.indices[J.indptr[c]: J.indptr[c + 1]]) for c in range(r)]
    full = [(i, j) for i in range(m) for j in range(n)]
    seen: set[frozenset] = set()
    tested = 0
    for k in range(r):
        for l in range(r):
            if l == k:
                continue
            for i2 in sorted(set(R[k]) & set(R[l])):
                for j2 in sorted(set(C[k]) & set(C[l])):
                    for i1 in (i for i in R[k] if i != i2):
                        for j1 in (j for j in C[k] if j != j2):
                            emb = LUEmbedding(k, l, i1, i2, j1, j2)
                            completions: list[tuple[str, int] | None] = [None]
                            completions += [("row", j3) for j3 in C[l] if j3 != j2]
                            completions += [("col", i3) for i3 in R[l] if i3 != i2]
                            for comp in completions:
                                X, Y = _lu_sequence(emb, comp)
                                A = _laurent_limit(X, Y)
                                if A is None:
                                    continue
                                key = frozenset(A.items())
                                if key in seen:
                                    continue
                                seen.add(key)
                                tested += 1
                                if tested > max_candidates:
                                    return None
                                eqs = two_factor_equations(Irows, Jrows, full, A)
                                if groebner_is_one(eqs)[0]:
                                    w = _sequence_witness(pattern, X, Y, emb,
                                                          kind="completed-lu-sequence",
                                                          three_entry=False)
                                    w["completion"] = (
                                        None if comp is None else
                                        {"entry": [i2, comp[1]] if comp[0] == "row"
                                         else [comp[1], j2], "through_column": l})
                                    return w
    return None


# --------------------------------------------------------------------------------------------
# saturation and coordinate projection (derived, docs/theory.md §3)

#: The saturation rule runs only up to this total area ``sum_k |R_k| |C_k|`` (it works on
#: explicit sets of entries).
SATURATION_AREA_LIMIT = 200_000

_Cell = tuple[int, int]


def _is_star_forest(F: set[_Cell]) -> bool:
    """Tell whether every component of the bipartite graph of ``F`` is one row or one column."""
    rows: dict[int, set[int]] = {}
    cols: dict[int, set[int]] = {}
    for i, j in F:
        rows.setdefault(i, set()).add(j)
        cols.setdefault(j, set()).add(i)
    # a star forest: every edge has an endpoint of degree 1 on the other side's component,
    # i.e. for each edge (i, j) either row i is the only row of its component (all columns of
    # row i have degree 1) or column j is the only column (all rows of column j have degree 1)
    for i, js in rows.items():
        if len(js) > 1 and any(len(cols[j]) > 1 for j in js):
            return False
    for j, is_ in cols.items():
        if len(is_) > 1 and any(len(rows[i]) > 1 for i in is_):
            return False
    return True


def _rectangle(F: set[_Cell]) -> tuple[frozenset[int], frozenset[int]] | None:
    rs = frozenset(i for i, _ in F)
    cs = frozenset(j for _, j in F)
    return (rs, cs) if len(F) == len(rs) * len(cs) else None


def saturation_closedness(pattern: SupportPattern) -> dict[str, Any] | None:
    r"""Prove ``P(I, J)`` closed by saturated coordinates and a coordinate projection, or None.

    Parameters
    ----------
    pattern : SupportPattern
        An explicit two-factor pattern (structured ones are materialized).

    Returns
    -------
    dict or None
        Evidence ``{"rule": "saturation-projection", "steps": [...], "saturated": [...],
        "remaining": [...]}`` when the rule proves closedness, else None.

    Notes
    -----
    T5 with the T3 idea extended (derived, docs/theory.md §3). A set ``T`` of entries
    is *saturated* when ``P + L_T = P`` (``L_T`` the matrices supported on ``T``); then
    ``P = π^{-1}(π(P))`` for the projection ``π`` that zeroes ``T``, so ``P`` is closed iff
    ``π(P)`` is. Start from ``T = ∅``; a group of classes whose projected sum covers every
    matrix on its new entries ``F = (∪ S_Q) \ T`` makes ``T ∪ F`` saturated (same proof as the
    CEC lemma). Groups recognized: one class with ``F`` a rectangle and size ``>= min`` of
    its sides (complete), one class with ``F`` a star forest (every component one row or one
    column: one rank-one term reaches any values), and two classes with projected rectangles
    ``R x C1 ⊇ R x C2`` (or the transpose) with ``p1 + p2 >= |R|`` and
    ``p1 >= min(|R|, |C1 \ C2|)``. At the end every unsaturated class must leave a rectangle
    outside ``T``, and these rectangles (after merging equal ones) must be pairwise disjoint:
    ``π(P)`` is then a direct sum of closed sets ``{rank <= p}``. Exact (sets of integers);
    cost polynomial in the total area, capped by :data:`SATURATION_AREA_LIMIT`.

    Examples
    --------
    >>> ev = saturation_closedness(SupportPattern(["101", "110", "011"], ["011", "110"]))
    >>> ev["rule"], len(ev["saturated"]), ev["remaining"]
    ('saturation-projection', 6, [])
    >>> saturation_closedness(SupportPattern(["10", "11"], ["10", "11"])) is None
    True
    """
    Im, Jm = _explicit_masks(pattern)
    r = pattern.r
    rsz, csz = np.diff(Im.indptr), np.diff(Jm.indptr)
    if int(np.dot(rsz, csz)) > SATURATION_AREA_LIMIT:
        return None
    groups: dict[tuple[frozenset[int], frozenset[int]], list[int]] = {}
    for k in range(r):
        Rk = frozenset(int(i) for i in Im.indices[Im.indptr[k]: Im.indptr[k + 1]])
        Ck = frozenset(int(j) for j in Jm.indices[Jm.indptr[k]: Jm.indptr[k + 1]])
        if Rk and Ck:
            groups.setdefault((Rk, Ck), []).append(k)
    classes = [(Rk, Ck, members) for (Rk, Ck), members in sorted(
        groups.items(), key=lambda kv: kv[1][0])]
    T: set[_Cell] = set()
    open_ = set(range(len(classes)))
    steps: list[dict[str, Any]] = []

    def new(c: int) -> set[_Cell]:
        Rk, Ck, _ = classes[c]
        return {(i, j) for i in Rk for j in Ck} - T

    changed = True
    while changed and open_:
        changed = False
        for c in sorted(open_):
            F = new(c)
            size = len(classes[c][2])
            rect = _rectangle(F) if F else None
            why = None
            if not F:
                why = "absorbed"
            elif rect is not None and size >= min(len(rect[0]), len(rect[1])):
                why = "complete"
            elif _is_star_forest(F):
                why = "star-forest"
            if why is not None:
                T |= F
                open_.discard(c)
                steps.append({"classes": [classes[c][2]], "why": why, "new_entries": len(F)})
                changed = True
        if changed:
            continue
        # a nested pair covers every matrix on its outer rectangle (then on what T leaves of
        # it), tested on the original rectangles and on the projected ones
        rects: list[tuple[int, tuple[frozenset[int], frozenset[int]] | None]]
        rects = [(c, (classes[c][0], classes[c][1])) for c in sorted(open_)]
        rects += [(c, _rectangle(new(c))) for c in sorted(open_)]
        for c1, rc1 in rects:
            for c2, rc2 in rects:
                if c1 == c2 or rc1 is None or rc2 is None:
                    continue
                p1, p2 = len(classes[c1][2]), len(classes[c2][2])
                for side in (0, 1):
                    (A1, B1), (A2, B2) = (rc1, rc2) if side == 0 else (rc1[::-1], rc2[::-1])
                    if A1 == A2 and B2 <= B1 and p1 + p2 >= len(A1) and \
                            p1 >= min(len(A1), len(B1 - B2)):
                        F = new(c1) | new(c2)
                        T |= F
                        open_ -= {c1, c2}
                        steps.append({"classes": [classes[c1][2], classes[c2][2]],
                                      "why": "nested-pair-" + ("rows" if side == 0 else
                                                                "columns"),
                                      "new_entries": len(F)})
                        changed = True
                        break
                if changed:
                    break
            if changed:
                break
    remaining: dict[tuple[frozenset[int], frozenset[int]], int] = {}
    for c in sorted(open_):
        rect = _rectangle(new(c))
        if rect is None:
            return None
        remaining[rect] = remaining.get(rect, 0) + len(classes[c][2])
    cells: set[_Cell] = set()
    for rs, cs in remaining:
        block = {(i, j) for i in rs for j in cs}
        if cells & block:
            return None
        cells |= block
    return {"rule": "saturation-projection", "steps": steps,
            "saturated": sorted([i, j] for i, j in T),
            "remaining": [{"rows": sorted(rs), "cols": sorted(cs), "rank_bound": p}
                          for (rs, cs), p in sorted(remaining.items(),
                                                   key=lambda kv: (sorted(kv[0][0]),
                                                                   sorted(kv[0][1])))]}


# --------------------------------------------------------------------------------------------
# optional quantifier elimination (theory §3.4)


def decide_closedness_qe(pattern: SupportPattern, *, timeout_s: float = 30.0,
                         max_vars: int = QE_MAX_VARS) -> ClosednessResult:
    r"""Decide closedness with the first-order sentence of theory §3.4, solved by z3 (NRA).

    The sentence ``∃A: [∀X1,Y1: X1 Y1^T ≠ A] ∧ [∀ε ∃X2,Y2: ε ≤ 0 ∨ |X2 Y2^T − A|_∞ < ε]`` is
    ``unsat`` iff ``P(I, J)`` is closed.

    Parameters
    ----------
    pattern : SupportPattern
        A small explicit pattern.
    timeout_s : float
        z3 time limit.
    max_vars : int
        Size limit on ``m*n + 2(|I| + |J|) + 1``.

    Returns
    -------
    ClosednessResult
        ``closed`` (unsat), ``not-closed`` (sat; the model of ``A`` is reported, the verdict
        trusts z3 and carries no independently checkable sequence) or ``unknown`` (z3 missing,
        size limit, timeout or z3 ``unknown``).

    Notes
    -----
    T5 (§3.4): Tarski-Seidenberg makes the question decidable; z3's nlsat is exact but
    doubly exponential in the worst case, hence the limits. z3 is imported lazily
    (``pip install fsmf-check[qe]``).

    Examples
    --------
    >>> res = decide_closedness_qe(SupportPattern(["10", "01"], ["10", "01"]))
    >>> res.verdict in ("closed", "unknown")
    True
    """
    try:
        import z3
    except ImportError:
        return ClosednessResult(verdict="unknown", theorem=None,
                                explanation=("The quantifier-elimination decision (theory §3.4) "
                                             "was not run: z3 not installed (pip install "
                                             "fsmf-check[qe])."),
                                exact=False, evidence={"method": "quantifier-elimination",
                                                       "status": "z3 not installed"},
                                tried=("quantifier elimination: z3 not installed",))
    I, J = _explicit_masks(pattern)
    m, n, r = pattern.shape
    n_vars = m * n + 2 * (int(I.nnz) + int(J.nnz)) + 1
    if n_vars > max_vars:
        return ClosednessResult(
            verdict="unknown", theorem=None,
            explanation=(f"The quantifier-elimination sentence would have {n_vars} real "
                         f"variables, above the limit {max_vars}, so it was not run."),
            exact=False, evidence={"method": "quantifier-elimination", "status": "size limit",
                                   "variables": n_vars, "limit": max_vars},
            tried=(f"quantifier elimination: skipped ({n_vars} variables > {max_vars})",))
    Irows, Jrows = _mask_rows(I), _mask_rows(J)
    Av = [[z3.Real(f"a_{i}_{j}") for j in range(n)] for i in range(m)]

    def factors(tag: str):  # noqa: ANN202
        X = {(i, c): z3.Real(f"{tag}x_{i}_{c}") for i in range(m) for c in Irows[i]}
        Y = {(j, c): z3.Real(f"{tag}y_{j}_{c}") for j in range(n) for c in Jrows[j]}
        P = [[z3.Sum([X[i, c] * Y[j, c] for c in sorted(set(Irows[i]) & set(Jrows[j]))]
                     + [z3.RealVal(0)]) for j in range(n)] for i in range(m)]
        return list(X.values()) + list(Y.values()), P

    v1, P1 = factors("p")
    v2, P2 = factors("q")
    eps = z3.Real("eps")
    cells = [(i, j) for i in range(m) for j in range(n)]
    not_in = z3.Or([P1[i][j] != Av[i][j] for i, j in cells])
    if v1:
        not_in = z3.ForAll(v1, not_in)
    near = z3.And([z3.And(P2[i][j] - Av[i][j] < eps, Av[i][j] - P2[i][j] < eps)
                   for i, j in cells])
    if v2:
        near = z3.Exists(v2, near)
    close = z3.ForAll([eps], z3.Or(eps <= 0, near))
    solver = z3.SolverFor("NRA")
    solver.set("rlimit", QE_RLIMIT)
    solver.set("timeout", int(timeout_s * 1000))
    solver.add(not_in, close)
    res = solver.check()
    evidence: dict[str, Any] = {"method": "quantifier-elimination", "solver": "z3 NRA",
                                "z3_version": z3.get_version_string(), "variables": n_vars,
                                "timeout_s": timeout_s, "rlimit": QE_RLIMIT,
                                "answer": str(res)}
    if res == z3.unsat:
        return ClosednessResult(
            verdict="closed", theorem="T5",
            explanation=("The first-order sentence of theory §3.4 asserting a limit point "
                         "outside P(I, J) is unsatisfiable over the reals (z3 NRA), so the "
                         "set of products is closed (the verdict trusts z3; no independent "
                         "witness is checked, so it is not exact)."),
            exact=False, evidence=evidence, tried=("quantifier elimination: unsat",),
            basis=QE_BASIS)
    if res == z3.sat:
        model = solver.model()
        A_model = []
        for i in range(m):
            row = []
            for j in range(n):
                v = model.eval(Av[i][j], model_completion=True)
                row.append(str(v.as_fraction()) if z3.is_rational_value(v) else str(v))
            A_model.append(row)
        evidence["A_model"] = A_model
        return ClosednessResult(
            verdict="not-closed", theorem="T5",
            explanation=("The first-order sentence of theory §3.4 is satisfiable over the reals "
                         "(z3 NRA): some matrix is a limit of products without being one (the "
                         "verdict trusts z3; no explicit sequence was built, so it is not "
                         "exact)."),
            exact=False, evidence=evidence, tried=("quantifier elimination: sat",),
            basis=QE_BASIS)
    reason = solver.reason_unknown()
    budget = ("the wall-clock safety net of {timeout_s:g} s (not deterministic)"
              if "timeout" in reason else f"the deterministic step budget rlimit = {QE_RLIMIT}")
    evidence["reason"] = reason
    return ClosednessResult(
        verdict="unknown", theorem=None,
        explanation=(f"z3 answered unknown on the closedness sentence ({reason}) within "
                     f"{budget.format(timeout_s=timeout_s)}."),
        exact=False, evidence=evidence,
        tried=(f"quantifier elimination: unknown ({solver.reason_unknown()})",))


# --------------------------------------------------------------------------------------------
# the decision for two-factor patterns


def _closed(theorem: str, explanation: str, evidence: dict[str, Any],
            tried: list[str]) -> ClosednessResult:
    return ClosednessResult(verdict="closed", theorem=theorem, explanation=explanation,
                            exact=True, evidence=evidence, tried=tuple(tried))


def _is_dense(pattern: SupportPattern) -> bool:
    if pattern.is_structured:
        left, right = pattern.kronecker  # type: ignore[misc]
        return left.nnz == pattern.m * pattern.r and right.nnz == pattern.n * pattern.r
    return int(pattern.I.nnz) == pattern.m * pattern.r and \
        int(pattern.J.nnz) == pattern.n * pattern.r


def _decide_two_factor(pattern: SupportPattern, *, qe: bool | str, qe_timeout_s: float,
                       ) -> ClosednessResult:
    tried: list[str] = []
    m, n, r = pattern.shape
    if m == 1 or n == 1:
        side = "output" if m == 1 else "input"
        return _closed("T5", (f"With {side} dimension 1 the set of products is a sum of "
                              "coordinate subspaces, hence a linear subspace and closed "
                              "(theory §3.2, derived)."),
                       {"rule": f"{side}-dimension-1"}, [f"{side} dimension 1: yes"])
    tried.append("output/input dimension 1: no")
    if _is_dense(pattern):
        q = min(r, m, n)
        return _closed("T5", (f"Both masks are full, so the set of products is {{rank <= {q}}}, "
                              "which is closed (theory §3.2, derived)."),
                       {"rule": "dense", "rank_bound": q}, tried + ["dense supports: yes"])
    tried.append("dense supports: no")
    if pattern.is_structured:
        left, right = pattern.kronecker  # type: ignore[misc]
        from fsmf_check.model.kronecker import is_chainable
        if is_chainable(left, right):
            return _closed(
                "T6", (f"The Kronecker pair {left}·{right} is chainable, so its rank-one "
                       "supports are pairwise disjoint or identical (T6, derived) and "
                       "the set of products is a direct sum of closed low-rank sets (T2, T5)."),
                {"rule": "chainable-kronecker-pair", "I": list(left.as_tuple()),
                 "J_transposed": list(right.as_tuple())},
                tried + ["chainable Kronecker pair: yes"])
        tried.append("chainable Kronecker pair: no")
    try:
        from fsmf_check.analysis.tractability import decide_tractability
        from fsmf_check.errors import NotApplicableError
        try:
            tr = decide_tractability(pattern)
        except NotApplicableError:
            return _closed("T5", ("Every rank-one support is empty, so the set of products is "
                                  "{0}, which is closed."), {"rule": "empty"},
                           tried + ["all supports empty: yes"])
    except ImportError:  # pragma: no cover - the analysis engine ships with the package
        tr = None
        tried.append("tractability (T2/T3): analysis engine unavailable")
    if tr is not None:
        if tr.verdict == "tractable" and tr.rule == "disjoint-or-identical":
            return _closed(
                "T2", (f"The rank-one supports form {tr.n_classes} classes that are pairwise "
                       "disjoint or identical, so the set of products is a direct sum of "
                       "closed sets {rank <= |P|} on disjoint blocks (T2, T5 §3.2)."),
                {"rule": "disjoint-or-identical", "n_classes": tr.n_classes,
                 "tractability_theorem": tr.theorem},
                tried + ["disjoint-or-identical (T2): yes"])
        if tr.verdict == "tractable" and tr.rule == "cec-reduction":
            return _closed(
                "T3", (f"The complete-equivalence-class reduction succeeds ({len(tr.covered)} "
                       "complete rectangles removed), so FSMF attains its optimum for every "
                       "target and the set of products is closed (T3, T5 §3.2, "
                       "derived)."),
                {"rule": "cec-reduction", "n_classes": tr.n_classes,
                 "covered_rectangles": len(tr.covered), "rounds": tr.rounds,
                 "tractability_theorem": tr.theorem},
                tried + ["disjoint-or-identical (T2): no", "CEC reduction (T3): yes"])
        tried.append("disjoint-or-identical (T2): no")
        tried.append(f"CEC reduction (T3): no ({tr.reason})")
    if not pattern.is_structured:
        sat = saturation_closedness(pattern)
        if sat is not None:
            return _closed(
                "T5", ("Complete classes, star-forest leftovers and nested pairs saturate a set "
                       f"T of {len(sat['saturated'])} entries (every matrix on T can be added "
                       "to a product), and outside T the remaining classes leave pairwise "
                       "disjoint rectangles; so the set is the preimage of a direct sum of "
                       "closed low-rank sets under the projection that forgets T, hence closed "
                       "(T5 with the T3 lemma, derived)."),
                sat, tried + ["saturation and coordinate projection (T5, derived): yes"])
        tried.append("saturation and coordinate projection (T5, derived): no")
    from fsmf_check.errors import SizeLimitError
    try:
        emb = find_lu_embedding(pattern)
    except SizeLimitError as exc:
        emb = None
        tried.append(f"LU-embedding search (T5 §3.3): skipped ({exc})")
    else:
        if emb is None:
            tried.append("LU-embedding search (T5 §3.3): no embedding")
    if emb is not None:
        witness = lu_embedding_witness(pattern, emb)
        g = witness["non_membership"]["groebner"]
        expl = (f"Column {emb.k} alone covers ({emb.i1},{emb.j1}), ({emb.i1},{emb.j2}) and "
                f"({emb.i2},{emb.j1}) while column {emb.l} also covers ({emb.i2},{emb.j2}), so "
                f"A* = e_{emb.i1} e_{emb.j2}^T + e_{emb.i2} e_{emb.j1}^T is the exact limit of "
                "an explicit sequence of products but is not a product (three-entry argument "
                f"and Gröbner basis [1]); T5 §3.3, derived.")
        return ClosednessResult(
            verdict="not-closed", theorem="T5", explanation=expl, exact=True,
            evidence={"method": "lu-embedding", "embedding": emb.to_dict(),
                      "limit": "exact (sympy.limit)", "groebner_system": g["system"],
                      "groebner_basis": g["basis"]},
            witness=witness, tried=tuple(tried + ["LU-embedding search (T5 §3.3): found"]))
    if emb is None and not pattern.is_structured:
        cw = find_completed_lu_witness(pattern)
        if cw is not None:
            e = cw["embedding"]
            expl = ("An LU-type sequence in columns "
                    f"{e['k']} and {e['l']} converges exactly to an explicit matrix A* whose "
                    "polynomial system X Y^T = A* has Gröbner basis [1], so A* lies in the "
                    "closure but not in the set (T5 §3.3-3.4, derived).")
            return ClosednessResult(
                verdict="not-closed", theorem="T5", explanation=expl, exact=True,
                evidence={"method": "completed-lu-sequence", "embedding": e,
                          "completion": cw["completion"], "limit": "exact (sympy.limit)",
                          "groebner_system": "full", "groebner_basis": ["1"]},
                witness=cw,
                tried=tuple(tried + ["LU-type sequences with a completion term + Gröbner "
                                     "(T5 §3.3-3.4): found"]))
        if int(pattern.I.nnz + pattern.J.nnz) <= COMPLETED_SEARCH_MAX_VARS:
            tried.append("LU-type sequences with a completion term + Gröbner (T5 §3.3-3.4): "
                         f"none excluded (at most {COMPLETED_SEARCH_MAX_CANDIDATES} candidates)")
        else:
            tried.append("LU-type sequences with a completion term: skipped (more than "
                         f"{COMPLETED_SEARCH_MAX_VARS} unknowns)")
    if qe:
        res = decide_closedness_qe(pattern, timeout_s=qe_timeout_s)
        if res.verdict != "unknown":
            return ClosednessResult(verdict=res.verdict, theorem=res.theorem,
                                    explanation=res.explanation, exact=res.exact,
                                    evidence=res.evidence, witness=None,
                                    tried=tuple(tried) + res.tried, basis=res.basis)
        tried.extend(res.tried)
    else:
        tried.append("quantifier elimination: not requested")
    return ClosednessResult(
        verdict="unknown", theorem=None,
        explanation=("No sufficient condition for closedness (T2, T3, T5 §3.2) and no "
                     "LU-type witness (T5 §3.3) applies, so closedness is undecided."),
        exact=False, evidence={"method": "none"}, tried=tuple(tried))


# --------------------------------------------------------------------------------------------
# chains


def _is_butterfly(patterns: tuple[KronPattern, ...]) -> bool:
    N = patterns[0].shape[0]
    L = len(patterns)
    if N != 2**L or patterns[-1].shape[1] != N:
        return False
    std = [KronPattern(2 ** (q - 1), 2, 2, N // 2**q) for q in range(1, L + 1)]
    return list(patterns) in (std, std[::-1])


def _chain_factor_rows(chain: Chain) -> list[dict[int, list[int]]]:
    return [_mask_rows(sp.csc_array(chain.factor_mask(q), dtype=np.int64))
            for q in range(chain.n_factors)]


def _chain_lu_candidate(chain: Chain) -> tuple[int, LUEmbedding] | None:
    """Find an adjacent pair (p, p+1) with an LU embedding.

    Every other factor must be square with I ⊆ mask.
    """
    L = chain.n_factors
    for p in range(L - 1):
        ok = True
        for q in range(L):
            if q in (p, p + 1):
                continue
            M = sp.csr_array(chain.factor_mask(q))
            if M.shape[0] != M.shape[1] or not np.all(M.diagonal() == 1):
                ok = False
                break
        if not ok:
            continue
        left = chain.factor_mask(p)
        right = chain.factor_mask(p + 1)
        pair = SupportPattern(left, sp.csc_array(sp.csr_array(right).T))
        emb = find_lu_embedding(pair)
        if emb is not None:
            return p, emb
    return None


def _chain_witness(chain: Chain, p: int, emb: LUEmbedding) -> dict[str, Any] | None:
    """Identity-padded LU sequence for a chain; None when the Gröbner proof does not close."""
    L = chain.n_factors
    rows = _chain_factor_rows(chain)
    n_vars = sum(len(c) for R in rows for c in R.values())
    one = Fraction(1)
    k, l, i1, i2, j1, j2 = emb.k, emb.l, emb.i1, emb.i2, emb.j1, emb.j2
    A = {(i1, j2): one, (i2, j1): one}
    seqs: list[dict[tuple[int, int], Laurent]] = []
    for q in range(L):
        if q == p:
            seqs.append({(i1, k): {0: one}, (i2, k): {1: one}, (i2, l): {0: one}})
        elif q == p + 1:  # F[p+1] = Y^T
            seqs.append({(k, j1): {-1: one}, (k, j2): {0: one}, (l, j2): {1: -one}})
        else:
            seqs.append({(a, a): {0: one} for a in range(chain.factor_mask(q).shape[0])})
    mats = []
    for q in range(L):
        shape = chain.factor_mask(q).shape
        M = sympy.zeros(*shape)
        for (a, b), v in seqs[q].items():
            M[a, b] = _laurent_sympy(v)
        mats.append(M)
    prod = mats[0]
    for M in mats[1:]:
        prod = (prod * M).applyfunc(sympy.expand)
    m, n = prod.shape
    lim = prod.applyfunc(lambda e: sympy.limit(e, _T, sympy.oo))
    for i in range(m):
        for j in range(n):
            if lim[i, j] != (1 if (i, j) in A else 0):
                return None
    local = [(i1, j1), (i1, j2), (i2, j1), (i2, j2)]
    polys = chain_equations(rows, local, A)
    if len(equation_variables(polys)) > 3 * GROEBNER_MAX_VARS:
        return None
    is_one, basis = groebner_is_one(polys)
    if not is_one:
        return None
    proof = _chain_cofactors(rows, local, A)
    return {
        "kind": "chain-lu-embedding",
        "shape": {"m": m, "n": n, "factors": L},
        "pair": [p, p + 1],
        "embedding": emb.to_dict(),
        "A": {"entries": [[i, j, format_exact(v)] for (i, j), v in sorted(A.items())]},
        "factors": [_mask_strings(sp.csc_array(chain.factor_mask(q))) for q in range(L)],
        "sequence": {
            "parameter": "t", "tends_to": "oo",
            "coefficients": "Laurent polynomials in t: [[exponent, coefficient], ...]",
            "factors": [[[a, b, _laurent_str(v)] for (a, b), v in sorted(s.items())]
                        for s in seqs],
            "limit_method": "sympy.limit(entry, t, oo)",
            "product_display": [[i, j, str(prod[i, j])] for i in range(m) for j in range(n)
                                if prod[i, j] != 0],
        },
        "non_membership": {"groebner": {
            "system": "local", "entries": [list(e) for e in local],
            "variables": equation_variables(polys), "polynomials": equation_strings(polys),
            "order": "grevlex", "method": "buchberger", "basis": basis,
            "n_variables_chain": n_vars}, **({"nullstellensatz": proof} if proof else {})},
    }


def _decide_chain(chain: Chain, *, qe: bool | str, qe_timeout_s: float) -> ClosednessResult:
    tried: list[str] = []
    L = chain.n_factors
    if L == 1:
        return _closed("T5", ("A single factor ranges over all matrices with its support, a "
                              "linear subspace, so the set is closed."), {"rule": "one-factor"},
                       ["one factor: yes"])
    if L == 2:
        # exact: the products F[0] F[1] are the products X Y^T with I = F[0], J = F[1]^T
        inner = _decide_two_factor(chain.split(1), qe=qe, qe_timeout_s=qe_timeout_s)
        ev = dict(inner.evidence)
        ev["reduced_to"] = "two-factor split F[0] · F[1] (I = F[0], J = F[1]^T)"
        return ClosednessResult(verdict=inner.verdict, theorem=inner.theorem,
                                explanation=inner.explanation, exact=inner.exact, evidence=ev,
                                witness=inner.witness, tried=("two factors: decided as the "
                                                              "two-factor split",) + inner.tried,
                                basis=inner.basis)
    if chain.is_structured:
        pats = chain.patterns
        assert pats is not None
        if _is_butterfly(pats):
            return _closed(
                "T9", ("The butterfly products are exactly the matrices whose level blocks "
                       "all have rank <= 1 (complementary low-rank characterization, "
                       "T9), an intersection of closed sets, so the set is closed (derived)."),
                {"rule": "butterfly-clr", "factors": L}, ["butterfly chain (CLR, T9): yes"])
        tried.append("butterfly chain (CLR, T9): no")
        rep = chain.kronecker_report
        if rep is not None and len(rep.reduced) == 1:
            return _closed(
                "T6", ("Removing redundant pairs (Algorithm 4.1 of [LZRG-err], T6) "
                       f"reduces the chain to the single pattern {rep.reduced[0]}, whose set "
                       "of matrices is a linear subspace, hence closed."),
                {"rule": "redundancy-reduction", "reduced": [list(q.as_tuple())
                                                             for q in rep.reduced]},
                tried + ["redundancy reduction to one factor (T6): yes"])
        if rep is not None and rep.chainable_some_orientation and L > 2:
            return ClosednessResult(
                verdict="closed", theorem="T6",
                explanation=("The Kronecker-sparse chain is chainable, which ensures that the "
                             "factorization problem admits an optimum ([LZRG-err] abstract, "
                             "T5 §3.2 / T6; cited, not re-derived here, so not exact), "
                             "so the set of products is closed."),
                exact=False, basis=CHAINABLE_BASIS,
                evidence={"rule": "chainable-kronecker", "factors": L,
                          "source": "[LZRG-err] abstract [A]"},
                tried=tuple(tried + ["chainable Kronecker chain (T6): yes"]))
        tried.append("chainable Kronecker chain (T6): no")
    from fsmf_check._limits import check_dense
    from fsmf_check.errors import SizeLimitError
    try:
        for q in range(L):
            check_dense(f"chain factor F[{q}] for the LU-embedding search",
                        *chain.factor_mask(q).shape)
        cand = _chain_lu_candidate(chain)
    except SizeLimitError as exc:
        cand = None
        tried.append(f"adjacent-pair LU embedding: skipped ({exc})")
    if cand is not None:
        p, emb = cand
        witness = _chain_witness(chain, p, emb)
        if witness is not None:
            return ClosednessResult(
                verdict="not-closed", theorem="T5",
                explanation=(f"Factors {p} and {p + 1} contain an LU-type sub-pattern; with "
                             "the other factors set to identities an explicit sequence of "
                             "products converges exactly to A*, and a Gröbner basis [1] of the "
                             "chain's equations proves A* is not a product (T5 §3.3, "
                             "§3.5, derived)."),
                exact=True, evidence={"method": "chain-lu-embedding", "pair": [p, p + 1],
                                      "embedding": emb.to_dict()},
                witness=witness,
                tried=tuple(tried + ["adjacent-pair LU embedding with identity padding: "
                                     "found and proved"]))
        tried.append(f"adjacent-pair LU embedding in factors ({p}, {p + 1}): found, but "
                     "non-membership of A* in the chain's products was not proved")
        return ClosednessResult(
            verdict="unknown", theorem=None,
            explanation=(f"Factors {p} and {p + 1} contain an LU-type sub-pattern, which "
                         "suggests non-closedness (theory §3.5, heuristic only), but no exact "
                         "proof was obtained, so closedness is undecided."),
            exact=False, evidence={"method": "heuristic", "pair": [p, p + 1],
                                   "embedding": emb.to_dict(), "heuristic": True},
            tried=tuple(tried))
    if not any(t.startswith("adjacent-pair") for t in tried):
        tried.append("adjacent-pair LU embedding with identity padding: none")
    return ClosednessResult(
        verdict="unknown", theorem=None,
        explanation=("No closedness theorem for this chain (butterfly CLR, chainability, "
                     "redundancy) and no provable LU-type witness applies, so closedness is "
                     "undecided."),
        exact=False, evidence={"method": "none"}, tried=tuple(tried))


# --------------------------------------------------------------------------------------------
# public entry points


def _dense_mask_entries(obj: SupportPattern | Chain) -> int:
    """Count the 0/1 characters the certificate's ``structure`` would spell out."""
    if isinstance(obj, SupportPattern):
        if obj.is_structured:
            return 0
        m, n, r = obj.shape
        return (m + n) * r
    total = 0
    for q, f in enumerate(obj.factors):
        if not isinstance(f, KronPattern):
            rows, cols = obj.factor_mask(q).shape
            total += rows * cols
    return total


def closedness_certificate(obj: SupportPattern | Chain, witness: dict[str, Any]
                           ) -> dict[str, Any] | None:
    r"""Build the ``fsmf-check/certificate/2`` object (claim ``not-closed``) of a witness.

    Evidence ``witness-sequence``: the Laurent sequence (``factors``: ``[X, Y]`` with product
    ``X Y^T`` for two factors, ``[F_0, ..., F_{L-1}]`` for a chain), the exact limit ``A*`` and
    Nullstellensatz cofactors proving that ``A*`` is not a product. None when the witness has
    no cofactor proof.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> P = families.lu(2)
    >>> c = closedness_certificate(P, decide_closedness(P).witness)
    >>> c["claim"], c["evidence"]["kind"], c["evidence"]["not_a_product"]["entries"]
    ('not-closed', 'witness-sequence', [[0, 0], [0, 1], [1, 0]])
    """
    from fsmf_check.model.certificate_schema import Certificate, encode_structure

    proof = witness.get("non_membership", {}).get("nullstellensatz")
    if proof is None:
        return None
    seq = witness["sequence"]
    if isinstance(obj, SupportPattern):
        m, n, r = obj.shape
        factors = [{"shape": [m, r], "entries": seq["X"]}, {"shape": [n, r], "entries": seq["Y"]}]
    elif witness["kind"] == "chain-lu-embedding":
        factors = [{"shape": list(obj.factor_mask(q).shape), "entries": ents}
                   for q, ents in enumerate(seq["factors"])]
    else:  # a two-factor witness of a chain with two factors: F_0 = X, F_1 = Y^T
        if obj.n_factors != 2:
            return None
        factors = [{"shape": list(obj.factor_mask(0).shape), "entries": seq["X"]},
                   {"shape": list(obj.factor_mask(1).shape),
                    "entries": [[c, j, v] for j, c, v in seq["Y"]]}]

        def rename(v: str) -> str:
            kind, a, b = v.split("_")
            return f"f_0_{a}_{b}" if kind == "x" else f"f_1_{b}_{a}"

        proof = dict(proof, cofactors=[[[c, [[rename(v), e] for v, e in mono]] for c, mono in cf]
                                       for cf in proof["cofactors"]])
    limit = {"shape": [witness["shape"]["m"], witness["shape"]["n"]],
             "entries": witness["A"]["entries"]}
    data = {"field": {"name": "Q", "conductor": 1, "degree": 1, "format": 'rationals as "p/q"'},
            "structure": encode_structure(obj), "target": None,
            "sequence": {"parameter": "t", "tends_to": "oo", "factors": factors},
            "limit": limit, "not_a_product": proof}
    return Certificate("not-closed", "witness-sequence", data).to_dict()


def decide_closedness(obj: object, *, qe: bool | str = "auto",
                      qe_timeout_s: float = 30.0) -> ClosednessResult:
    r"""Decide whether the set of products of a support pattern is closed (T5).

    Parameters
    ----------
    obj : SupportPattern, Chain or Case
        A two-factor pattern, a chain, or a loaded case (its pattern, or its chain).
    qe : bool or "auto"
        Run the optional quantifier-elimination decision (z3) when nothing else decides.
        ``"auto"`` runs it when z3 is importable and the instance is within
        :data:`QE_MAX_VARS`; ``False`` never; ``True`` always tries (reports
        "z3 not installed" when missing).
    qe_timeout_s : float
        Time limit for z3.

    Returns
    -------
    ClosednessResult
        ``closed`` with its theorem, ``not-closed`` with an exact witness, or ``unknown``
        with what was tried.

    Raises
    ------
    InvalidInputError
        If ``obj`` is neither a pattern, a chain nor a case.

    Notes
    -----
    T5 (§3.1-3.5), using T2/T3 (via decide_tractability), T6 and T9. Exact throughout
    (integer coverage counts, rational Laurent sequences, sympy limits and Gröbner bases).
    Cost: tractability analysis, then the LU-embedding search
    ``O(sum_k |R_k||C_k| min(|R_k|, |C_k|))``, then small Gröbner bases.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> decide_closedness(families.lu(2)).verdict
    'not-closed'
    >>> res = decide_closedness(families.butterfly_split(16, 2))
    >>> res.verdict, res.theorem
    ('closed', 'T6')
    >>> decide_closedness(families.block_diagonal([[2, 2, 1], [2, 3, 1]])).theorem
    'T2'
    """
    if isinstance(qe, str) and qe != "auto":
        msg = f"qe must be True, False or 'auto'; got {qe!r}"
        raise InvalidInputError(msg)
    if qe == "auto":
        try:
            import z3  # noqa: F401
            qe_flag: bool | str = True
        except ImportError:
            qe_flag = False
    else:
        qe_flag = bool(qe)
    from fsmf_check.inputs.cases import Case
    if isinstance(obj, Case):
        if obj.pattern is not None:
            obj = obj.pattern
        else:
            obj = obj.chain
    if isinstance(obj, SupportPattern | Chain):
        res = (_decide_two_factor(obj, qe=qe_flag, qe_timeout_s=qe_timeout_s)
               if isinstance(obj, SupportPattern) else
               _decide_chain(obj, qe=qe_flag, qe_timeout_s=qe_timeout_s))
        if res.witness is not None:
            size = _dense_mask_entries(obj)
            if size > MAX_CERTIFICATE_MASK_ENTRIES:
                res.witness["certificate_omitted"] = (
                    f"the certificate spells the masks out as 0/1 strings, {size} characters, "
                    f"above MAX_CERTIFICATE_MASK_ENTRIES = {MAX_CERTIFICATE_MASK_ENTRIES}; the "
                    "verdict rests on the witness checked here")
            else:
                cert = closedness_certificate(obj, res.witness)
                if cert is not None:
                    res.witness["certificate"] = cert
        return res
    msg = f"decide_closedness needs a SupportPattern, Chain or Case; got {type(obj).__name__}"
    raise InvalidInputError(msg)
