r"""Independent re-verification of closedness witnesses (THEORY T5) from their JSON form alone.

This checker reads only the dictionary written by ``ClosednessResult.to_dict()`` (or the
``results.closedness`` entry of a ``report.json``) and shares no code with the producer
(:mod:`fsmf_check.closure.decide`) beyond sympy. For a ``not-closed`` verdict it re-checks:

1. every nonzero entry of the sequence lies inside the masks given in the witness;
2. the product of the sequence, rebuilt here from the Laurent coefficients, converges to
   ``A*`` entry by entry (``sympy.limit`` at ``t -> oo``), and its exact values at the sample
   ``t`` match the recorded ones;
3. ``A*`` is not a product: the three-entry argument on the coverage sets recomputed from the
   masks, and a Gröbner basis equal to ``[1]`` of the polynomial system rebuilt here from the
   masks and ``A*`` (sympy, Buchberger, grevlex).

It raises :class:`~fsmf_check.errors.CertificateError` on the first failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

import sympy

from fsmf_check.errors import CertificateError

__all__ = ["WitnessCheck", "verify_closedness", "verify_closedness_witness",
           "verify_report_closedness"]

_t = sympy.Symbol("t", positive=True)


@dataclass(frozen=True, slots=True)
class WitnessCheck:
    """What the independent checker verified: ``checks`` lists each passed step."""

    verdict: str
    verified: bool
    checks: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"verdict": self.verdict, "verified": self.verified, "checks": list(self.checks)}


def _reject(msg: str) -> NoReturn:
    text = f"closedness witness rejected: {msg}"
    raise CertificateError(text)


def _rat(text: object) -> sympy.Rational:
    if not isinstance(text, str):
        _reject(f"exact numbers must be strings, got {text!r}")
    try:
        q = Fraction(text)
    except (ValueError, ZeroDivisionError):
        _reject(f"not an exact rational: {text!r}")
    return sympy.Rational(q.numerator, q.denominator)


def _laurent(terms: object) -> sympy.Expr:
    if not isinstance(terms, list):
        _reject("a sequence entry must be a list of [exponent, coefficient]")
    out = sympy.Integer(0)
    for term in terms:
        if (not isinstance(term, list) or len(term) != 2 or isinstance(term[0], bool)
                or not isinstance(term[0], int)):
            _reject(f"bad Laurent term {term!r}")
        out += _rat(term[1]) * _t ** term[0]
    return out


def _rows_from_strings(rows: object, name: str) -> dict[int, set[int]]:
    if not isinstance(rows, list) or not all(isinstance(r, str) for r in rows):
        _reject(f"mask {name} must be a list of 0/1 strings")
    out = {}
    for i, row in enumerate(rows):
        if set(row) - {"0", "1"}:
            _reject(f"mask {name} row {i} is not a 0/1 string")
        out[i] = {c for c, ch in enumerate(row) if ch == "1"}
    return out


def _supports(w: dict[str, Any]) -> tuple[dict[int, set[int]], dict[int, set[int]], bool]:
    sup = w.get("supports") or {}
    if sup.get("form") == "full":
        return _rows_from_strings(sup.get("I"), "I"), _rows_from_strings(sup.get("J"), "J"), True
    if sup.get("form") == "rows":
        I = {int(i): set(map(int, cols)) for i, cols in sup.get("I_rows", [])}
        J = {int(j): set(map(int, cols)) for j, cols in sup.get("J_rows", [])}
        return I, J, False
    _reject("the witness carries no supports")


def _row(rows: dict[int, set[int]], i: int, name: str) -> set[int]:
    if i not in rows:
        _reject(f"row {i} of {name} is not in the witness")
    return rows[i]


def _entries(block: object, what: str) -> dict[tuple[int, int], sympy.Expr]:
    if not isinstance(block, list):
        _reject(f"{what} must be a list")
    out = {}
    for e in block:
        if not isinstance(e, list) or len(e) != 3:
            _reject(f"bad entry in {what}: {e!r}")
        out[(int(e[0]), int(e[1]))] = e[2]
    return out


def _groebner_one(polys: list[sympy.Expr]) -> bool:
    if any(p.is_number and p != 0 for p in polys):
        return True
    polys = [p for p in polys if not p.is_number]
    gens = sorted(set().union(*(p.free_symbols for p in polys)), key=lambda s: s.name)
    if not gens:
        return False
    G = sympy.groebner(polys, *gens, order="grevlex", method="buchberger")
    return list(G.exprs) == [1]


def _check_two_factor(w: dict[str, Any]) -> list[str]:
    checks: list[str] = []
    shape = w.get("shape") or {}
    m, n, r = int(shape["m"]), int(shape["n"]), int(shape["r"])
    I, J, full = _supports(w)
    if full and (len(I) != m or len(J) != n or any(len(s) and max(s) >= r for s in
                                                   list(I.values()) + list(J.values()))):
        _reject("mask shapes do not match the recorded shape")
    A = {ij: _rat(v) for ij, v in _entries(w["A"]["entries"], "A").items()}
    for (i, j) in A:
        if not (0 <= i < m and 0 <= j < n):
            _reject(f"A entry ({i},{j}) is outside the {m} x {n} shape")
    seq = w["sequence"]
    X = {ij: _laurent(v) for ij, v in _entries(seq["X"], "X").items()}
    Y = {ij: _laurent(v) for ij, v in _entries(seq["Y"], "Y").items()}
    for (i, c) in X:
        if c not in _row(I, i, "I"):
            _reject(f"X[{i},{c}] lies outside the mask I")
    for (j, c) in Y:
        if c not in _row(J, j, "J"):
            _reject(f"Y[{j},{c}] lies outside the mask J")
    checks.append(f"sequence supported in the masks ({len(X)} + {len(Y)} nonzero entries)")
    P: dict[tuple[int, int], sympy.Expr] = {}
    for (i, c), xv in X.items():
        for (j, c2), yv in Y.items():
            if c == c2:
                P[(i, j)] = sympy.expand(P.get((i, j), 0) + xv * yv)
    for ij in sorted(set(P) | set(A)):
        lim = sympy.limit(P.get(ij, sympy.Integer(0)), _t, sympy.oo)
        if sympy.simplify(lim - A.get(ij, 0)) != 0:
            _reject(f"limit of (X_t Y_t^T)[{ij[0]},{ij[1]}] is {lim}, not "
                        f"{A.get(ij, 0)}")
    checks.append("X_t Y_t^T -> A* exactly (sympy.limit on every entry; all other entries "
                  "are identically 0)")
    for sample in seq.get("samples", []):
        tv = _rat(sample["t"])
        for i, j, v in sample["product"]:
            got = sympy.expand(P.get((i, j), sympy.Integer(0)).subs(_t, tv))
            if got != _rat(v):
                _reject(f"sample t={tv}: product[{i},{j}] is {got}, recorded {v}")
    if seq.get("samples"):
        checks.append(f"exact sample values re-computed at t = "
                      f"{', '.join(s['t'] for s in seq['samples'])}")
    nm = w["non_membership"]

    def cov(i: int, j: int) -> set[int]:
        return _row(I, i, "I") & _row(J, j, "J")

    if "three_entry" in nm:
        emb = w["embedding"]
        k, i1, i2, j1, j2 = (int(emb[key]) for key in ("k", "i1", "i2", "j1", "j2"))
        if not (cov(i1, j1) == cov(i1, j2) == cov(i2, j1) == {k}):
            _reject("the three entries are not covered by column k alone")
        if A.get((i1, j1), 0) != 0 or A.get((i1, j2), 0) == 0 or A.get((i2, j1), 0) == 0:
            _reject("A* does not have the zero / nonzero pattern of the three-entry argument")
        checks.append(f"three-entry argument: cov({i1},{j1}) = cov({i1},{j2}) = cov({i2},{j1}) "
                      f"= {{{k}}}, A*[{i1},{j1}] = 0, A*[{i1},{j2}] != 0, A*[{i2},{j1}] != 0, "
                      "so A* is not a product")
    if "groebner" in nm:
        g = nm["groebner"]
        ents = [(int(a), int(b)) for a, b in g["entries"]]
        if g["system"] == "full":
            if not full or sorted(ents) != [(a, b) for a in range(m) for b in range(n)]:
                _reject("a full Gröbner system needs the full masks and every entry")
        polys = []
        for (i, j) in ents:
            terms = [sympy.Symbol(f"X{i}c{c}") * sympy.Symbol(f"Y{j}c{c}")
                     for c in sorted(cov(i, j))]
            polys.append(sympy.expand(sympy.Add(*terms) - A.get((i, j), 0)))
        if not _groebner_one(polys):
            _reject("the re-computed Gröbner basis is not [1]")
        checks.append(f"Gröbner basis [1] re-computed for the {g['system']} system "
                      f"({len(polys)} equations): A* is not a product")
    if "three_entry" not in nm and "groebner" not in nm:
        _reject("no non-membership proof in the witness")
    return checks


def _paths(rows: list[dict[int, set[int]]], i: int, j: int) -> sympy.Expr:
    """(F_0 ... F_{L-1})[i, j] as a polynomial in fresh symbols, by recursion over paths."""
    def walk(q: int, a: int) -> sympy.Expr:
        if q == len(rows):
            return sympy.Integer(1) if a == j else sympy.Integer(0)
        return sympy.Add(*[sympy.Symbol(f"F{q}r{a}c{b}") * walk(q + 1, b)
                           for b in sorted(rows[q].get(a, ()))])
    return sympy.expand(walk(0, i))


def _check_chain(w: dict[str, Any]) -> list[str]:
    checks: list[str] = []
    rows = [_rows_from_strings(f, f"F[{q}]") for q, f in enumerate(w["factors"])]
    A = {ij: _rat(v) for ij, v in _entries(w["A"]["entries"], "A").items()}
    mats = []
    for q, entries in enumerate(w["sequence"]["factors"]):
        nr = len(w["factors"][q])
        nc = len(w["factors"][q][0])
        M = sympy.zeros(nr, nc)
        for a, b, terms in entries:
            if b not in rows[q].get(a, ()):
                _reject(f"F[{q}][{a},{b}] lies outside its mask")
            M[a, b] = _laurent(terms)
        mats.append(M)
    checks.append("sequence supported in the factor masks")
    P = mats[0]
    for M in mats[1:]:
        P = (P * M).applyfunc(sympy.expand)
    for i in range(P.shape[0]):
        for j in range(P.shape[1]):
            lim = sympy.limit(P[i, j], _t, sympy.oo)
            if sympy.simplify(lim - A.get((i, j), 0)) != 0:
                _reject(f"limit of the product at ({i},{j}) is {lim}")
    checks.append("F_0(t) ... F_{L-1}(t) -> A* exactly (sympy.limit on every entry)")
    g = w["non_membership"]["groebner"]
    polys = [sympy.expand(_paths(rows, int(i), int(j)) - A.get((int(i), int(j)), 0))
             for i, j in g["entries"]]
    if not _groebner_one(polys):
        _reject("the re-computed Gröbner basis of the chain system is not [1]")
    checks.append(f"Gröbner basis [1] re-computed for the chain equations on {len(polys)} "
                  "entries: A* is not a product")
    return checks


def verify_closedness_witness(witness: dict[str, Any]) -> tuple[str, ...]:
    r"""Re-verify a non-closedness witness dictionary; return the list of passed checks.

    Raises
    ------
    CertificateError
        On the first failed check (or a malformed witness).

    Notes
    -----
    THEORY T5 (§3.3). Exact: rationals and sympy only. Cost: a product of two sparse Laurent
    matrices, one ``sympy.limit`` per touched entry and one small Gröbner basis.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> from fsmf_check.closure.decide import decide_closedness
    >>> w = decide_closedness(families.lu(2)).to_dict()["witness"]
    >>> len(verify_closedness_witness(w)) >= 4
    True
    >>> w["A"]["entries"][0][2] = "2"
    >>> verify_closedness_witness(w)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.CertificateError: closedness witness rejected: limit of ...
    """
    if not isinstance(witness, dict):
        _reject("the witness must be a dictionary")
    try:
        kind = witness.get("kind")
        if kind in ("lu-embedding", "completed-lu-sequence"):
            return tuple(_check_two_factor(witness))
        if kind == "chain-lu-embedding":
            return tuple(_check_chain(witness))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        _reject(f"malformed witness ({type(exc).__name__}: {exc})")
    _reject(f"unknown witness kind {witness.get('kind')!r}")


def verify_closedness(result: dict[str, Any]) -> WitnessCheck:
    """Re-verify a closedness result dictionary (``ClosednessResult.to_dict()`` form).

    A ``not-closed`` verdict must carry a witness, which is re-verified; ``closed`` and
    ``unknown`` verdicts carry no witness (a closed verdict rests on its theorem).

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> from fsmf_check.closure.decide import decide_closedness
    >>> verify_closedness(decide_closedness(families.lu(3)).to_dict()).verified
    True
    """
    verdict = result.get("verdict")
    if verdict == "not-closed":
        w = result.get("witness")
        if w is None:
            if (result.get("evidence") or {}).get("method") == "quantifier-elimination":
                return WitnessCheck(verdict, False, ("verdict from z3 quantifier elimination; "
                                                     "no sequence to re-check",))
            _reject("a not-closed verdict without a witness")
        return WitnessCheck(verdict, True, verify_closedness_witness(w))
    if verdict == "closed":
        if not result.get("theorem"):
            _reject("a closed verdict must name its theorem")
        return WitnessCheck(verdict, True, (f"closed by theorem {result['theorem']}",))
    if verdict == "unknown":
        return WitnessCheck(verdict, True, ("undecided: nothing to verify",))
    _reject(f"unknown verdict {verdict!r}")


def verify_report_closedness(path: Path | str) -> WitnessCheck:
    """Re-verify the ``closedness`` result of a ``report.json`` (or any SPEC §5 JSON file).

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from fsmf_check.model import families
    >>> from fsmf_check.closure.decide import decide_closedness
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.json"
    >>> _ = p.write_text(json.dumps({"results": {"closedness":
    ...     decide_closedness(families.lu(2)).to_dict()}}))
    >>> verify_report_closedness(p).verified
    True
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        res = data["results"]["closedness"]
    except (KeyError, TypeError):
        _reject(f"{path} has no results.closedness entry")
    return verify_closedness(res)
