r"""Independent re-check of exact certificates from their JSON form alone.

:func:`verify_certificate` rebuilds the masks, the target and the factors from the JSON object
and re-checks every claim with its own code; it shares nothing with the producer
(:mod:`.twofactor`, :mod:`.chain`) except the exact-matrix layer (:mod:`._backend`: fields,
number parsing, rank and determinant). Checks per ``claim`` / ``method``:

==================================  ==========================================================
``member`` / ``factors``            factor supports inside the masks; exact product == A
``not-member`` /                    ``A[i, j] == value != 0`` and no rank-one support (two
``entry-outside-supports``          factors) or no path of the chain covers ``(i, j)``
``not-member`` / ``minor``          ``det A[rows, cols] == value != 0`` and at most
                                    ``supports_meeting < len(rows)`` rank-one supports (of the
                                    pattern, or of the chain's ``split``) meet the rectangle
``not-member`` / ``groebner``       Gröbner basis of ``X Y^T - A`` (sympy, recomputed) is [1]
``identifiable`` /                  valid factors, pairwise disjoint rank-one supports, every
``disjoint-supports``               contribution nonzero, no half-empty support
``identifiable`` / ``completion``   valid factors and a forced replay of the iterative rank-one
                                    completion in ``completion_order`` (THEORY T8 §2.6)
``identifiable`` /                  valid chain factors; for every split the class rectangles
``nondegenerate-splits``            are disjoint, not complete, and each block of A has rank
                                    equal to its class size
``not-identifiable`` /              both factorizations valid and not equivalent (no
``second-factorization``            support-preserving matching of column pairs up to scaling;
                                    for chains no diagonal scalings)
``equivalent`` / ``scalings``       ``G[l] == D_l^-1 F[l] D_{l+1}`` with ``D_0 = D_L = I``
==================================  ==========================================================
"""

from __future__ import annotations

import numpy as np

from fsmf_check.errors import CertificateError, FsmfError
from fsmf_check.exact._backend import ExactBackend, Field, get_backend, parse_scalar

__all__ = ["verify_certificate"]

_SCHEMA = "fsmf-check/certificate/1"


class _Fail(Exception):
    pass


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise _Fail(msg)


def _kron_mask(t: object) -> np.ndarray:
    _need(isinstance(t, list) and len(t) == 4 and all(isinstance(v, int) and v >= 1 for v in t),
          f"Kronecker pattern must be four positive integers; got {t!r}")
    a, b, c, d = t  # type: ignore[misc]
    _need(a * b * d * a * c * d <= 2**26, "Kronecker pattern too large to verify")
    return np.kron(np.kron(np.eye(a, dtype=bool), np.ones((b, c), dtype=bool)),
                   np.eye(d, dtype=bool)).astype(bool)


def _rows_mask(rows: object) -> np.ndarray:
    _need(isinstance(rows, list) and rows and all(isinstance(r, str) for r in rows),
          "a mask must be a non-empty list of 0/1 strings")
    _need(len({len(r) for r in rows}) == 1, "mask rows must have equal lengths")
    _need(all(set(r) <= {"0", "1"} for r in rows), "mask rows must contain only 0 and 1")
    return np.array([[ch == "1" for ch in r] for r in rows], dtype=bool)


def _bool_prod(masks: list[np.ndarray]) -> np.ndarray:
    acc = masks[0].astype(np.int64)
    for M in masks[1:]:
        acc = (acc @ M.astype(np.int64)) > 0
        acc = acc.astype(np.int64)
    return acc > 0


def _structure(data: dict) -> tuple[str, list[np.ndarray]]:
    st = data.get("structure")
    _need(isinstance(st, dict), "certificate needs a 'structure' object")
    kind = st.get("kind")
    if kind == "two-factor":
        if "kronecker" in st:
            kr = st["kronecker"]
            _need(isinstance(kr, list) and len(kr) == 2, "two-factor kronecker needs 2 patterns")
            left, right = _kron_mask(kr[0]), _kron_mask(kr[1])
            _need(left.shape[1] == right.shape[0], "Kronecker pair has mismatched inner sizes")
            return kind, [left, right.T.copy()]
        I, J = _rows_mask(st.get("I")), _rows_mask(st.get("J"))
        _need(I.shape[1] == J.shape[1], "I and J must have the same number of columns")
        return kind, [I, J]
    _need(kind == "chain", f"structure kind must be 'two-factor' or 'chain'; got {kind!r}")
    facs = st.get("factors")
    _need(isinstance(facs, list) and facs, "chain structure needs a non-empty 'factors' list")
    masks = []
    for f in facs:
        _need(isinstance(f, dict), "each chain factor must be an object")
        masks.append(_kron_mask(f["kronecker"]) if "kronecker" in f else _rows_mask(f.get("mask")))
    for a, b in zip(masks, masks[1:], strict=False):
        _need(a.shape[1] == b.shape[0], "consecutive chain masks have mismatched sizes")
    return kind, masks


class _Parser:
    def __init__(self, bk: ExactBackend) -> None:
        self.bk = bk
        self.cache: dict[str, object] = {}

    def __call__(self, text: object) -> object:
        _need(isinstance(text, str), f"exact numbers must be strings; got {text!r}")
        v = self.cache.get(text)  # type: ignore[arg-type]
        if v is None:
            v = self.bk.scalar(parse_scalar(text, self.bk.field))
            self.cache[text] = v  # type: ignore[index]
        return v


def _dense(obj: object, parse: _Parser) -> np.ndarray:
    _need(isinstance(obj, dict) and isinstance(obj.get("rows"), list), "dense matrix needs rows")
    rows = obj["rows"]
    _need(all(isinstance(r, list) for r in rows) and len({len(r) for r in rows}) == 1,
          "dense matrix rows must be lists of equal length")
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            out[i, j] = parse(v)
    _need(list(out.shape) == list(obj.get("shape", out.shape)), "dense matrix shape mismatch")
    return out


def _sparse(obj: object, parse: _Parser) -> np.ndarray:
    _need(isinstance(obj, dict), "sparse matrix must be an object")
    shape = obj.get("shape")
    _need(isinstance(shape, list) and len(shape) == 2 and all(isinstance(v, int) and v >= 0
                                                              for v in shape), "bad shape")
    _need(shape[0] * shape[1] <= 2**26, "matrix too large to verify")
    out = np.full(tuple(shape), parse.bk.zero, dtype=object)
    for e in obj.get("entries", []):
        _need(isinstance(e, list) and len(e) == 3, "sparse entries are [i, j, value]")
        i, j, v = e
        _need(isinstance(i, int) and isinstance(j, int) and 0 <= i < shape[0] and
              0 <= j < shape[1], f"sparse entry index out of range: {e!r}")
        out[i, j] = parse(v)
    return out


def _nz(M: np.ndarray) -> np.ndarray:
    if M.size == 0:
        return np.zeros(M.shape, dtype=bool)
    return np.frompyfunc(bool, 1, 1)(M).astype(bool)


def _mul(P: np.ndarray, F: np.ndarray, bk: ExactBackend) -> np.ndarray:
    """Exact product using only the nonzeros of F."""
    out = np.full((P.shape[0], F.shape[1]), bk.zero, dtype=object)
    nzF = _nz(F)
    for j in range(F.shape[1]):
        acc = None
        for k in np.flatnonzero(nzF[:, j]):
            term = P[:, k] * F[k, j]
            acc = term if acc is None else acc + term
        if acc is not None:
            out[:, j] = acc
    return out


def _same(A: np.ndarray, B: np.ndarray) -> bool:
    return A.shape == B.shape and not _nz(A - B).any()


def _check_factors(kind: str, masks: list[np.ndarray], facs: list[np.ndarray],
                   A: np.ndarray, bk: ExactBackend, what: str) -> None:
    if kind == "two-factor":
        _need(len(facs) == 2, f"{what}: two factors X, Y expected")
        X, Y = facs
        _need(X.shape == masks[0].shape and Y.shape == masks[1].shape,
              f"{what}: factor shapes do not match I and J")
        _need(not (_nz(X) & ~masks[0]).any(), f"{what}: X has a nonzero outside I")
        _need(not (_nz(Y) & ~masks[1]).any(), f"{what}: Y has a nonzero outside J")
        _need(_same(_mul(X, Y.T.copy(), bk), A), f"{what}: X @ Y.T differs from A")
        return
    _need(len(facs) == len(masks), f"{what}: wrong number of chain factors")
    for idx, (F, M) in enumerate(zip(facs, masks, strict=True)):
        _need(F.shape == M.shape, f"{what}: factor {idx} has the wrong shape")
        _need(not (_nz(F) & ~M).any(), f"{what}: factor {idx} has a nonzero outside its mask")
    P = facs[0]
    for F in facs[1:]:
        P = _mul(P, F, bk)
    _need(_same(P, A), f"{what}: the product of the factors differs from A")


def _split_masks(kind: str, masks: list[np.ndarray], split: object) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    if kind == "two-factor":
        _need(split is None, "a two-factor certificate has no split")
        return masks[0], masks[1]
    _need(isinstance(split, int) and 0 < split < len(masks),
          f"chain split must be in 1..{len(masks) - 1}; got {split!r}")
    return _bool_prod(masks[:split]), _bool_prod(masks[split:]).T.copy()


def _compatible(x: np.ndarray, y: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> bool:
    nx, ny, nx2, ny2 = _nz(x), _nz(y), _nz(x2), _nz(y2)
    if (nx != nx2).any() or (ny != ny2).any():
        return False
    if nx.any():
        i = int(np.flatnonzero(nx)[0])
        d = x2[i] / x[i]
        return not _nz(x2 - x * d).any() and not _nz(y2 * d - y).any()
    if ny.any():
        j = int(np.flatnonzero(ny)[0])
        d = y2[j] / y[j]
        return not _nz(y2 - y * d).any()
    return True


def _two_factor_equivalent(f1: list[np.ndarray], f2: list[np.ndarray]) -> bool:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import maximum_bipartite_matching

    (X, Y), (X2, Y2) = f1, f2
    r = X.shape[1]
    comp = np.zeros((r, r), dtype=np.int8)
    for a in range(r):
        for b in range(r):
            comp[a, b] = _compatible(X[:, a], Y[:, a], X2[:, b], Y2[:, b])
    return bool((maximum_bipartite_matching(sp.csr_array(comp), perm_type="column") >= 0).all())


def _chain_equivalent(F: list[np.ndarray], G: list[np.ndarray], bk: ExactBackend) -> bool:
    """Test whether diagonal D_1..D_{L-1} give G_l = D_l^-1 F_l D_{l+1} (cycle consistency)."""
    L = len(F)
    dims = [F[0].shape[0]] + [f.shape[1] for f in F]
    val: dict[tuple[int, int], object] = {}
    for i in range(dims[0]):
        val[(0, i)] = bk.one
    for i in range(dims[L]):
        val[(L, i)] = bk.one
    edges: dict[tuple[int, int], list[tuple[tuple[int, int], object]]] = {}
    for l in range(L):
        if (_nz(F[l]) != _nz(G[l])).any():
            return False
        for r, c in np.argwhere(_nz(F[l])):
            rho = G[l][r, c] / F[l][r, c]
            edges.setdefault((l, int(r)), []).append(((l + 1, int(c)), rho))
            edges.setdefault((l + 1, int(c)), []).append(((l, int(r)), bk.one / rho))
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
        val[free] = bk.one
        pending.append(free)


def _replay_completion(A: np.ndarray, I: np.ndarray, J: np.ndarray, order: object,
                       bk: ExactBackend) -> None:
    r = I.shape[1]
    active = [k for k in range(r) if I[:, k].any() and J[:, k].any()]
    _need(isinstance(order, list) and sorted(order) == active,
          "completion_order must list every column with a nonempty support once")
    Z = A.copy()
    unresolved = set(active)
    for k in order:
        R, C = np.flatnonzero(I[:, k]), np.flatnonzero(J[:, k])
        others = [j for j in unresolved if j != k]
        covered = np.zeros((R.size, C.size), dtype=bool)
        for j in others:
            covered |= np.outer(I[R, j], J[C, j])
        obs = ~covered
        data = Z[np.ix_(R, C)]
        live = _nz(data) & obs
        _need(live.any(), f"completion: support {k} has no nonzero observable entry")
        x: dict[int, object] = {}
        y: dict[int, object] = {}
        i0 = int(np.argwhere(live)[0][0])
        x[i0] = bk.one
        queue = [("r", i0)]
        while queue:
            side, t = queue.pop()
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
        _need(len(x) == R.size and len(y) == C.size,
              f"completion: the contribution of support {k} is not forced by the data")
        xv = np.array([x[i] for i in range(R.size)], dtype=object)
        yv = np.array([y[j] for j in range(C.size)], dtype=object)
        contrib = np.multiply.outer(xv, yv)
        _need(not (_nz(contrib - data) & obs).any(),
              f"completion: observed entries of support {k} are not rank one")
        Z[np.ix_(R, C)] = data - contrib
        unresolved.discard(k)
    _need(not _nz(Z).any(), "completion: nonzero residual after all supports")


def _groebner_one(A: np.ndarray, I: np.ndarray, J: np.ndarray, bk: ExactBackend) -> bool:
    import sympy

    _need(bk.field.N == 1, "Gröbner certificates are checked over Q only")
    _need(int(I.sum() + J.sum()) <= 16, "Gröbner certificate too large to re-check")
    m, r = I.shape
    xs = {(int(i), int(k)): sympy.Symbol(f"u{i}_{k}") for i, k in np.argwhere(I)}
    ys = {(int(j), int(k)): sympy.Symbol(f"v{j}_{k}") for j, k in np.argwhere(J)}
    polys = []
    for i in range(m):
        for j in range(J.shape[0]):
            a = bk.to_public(A[i, j])
            p = -sympy.Rational(a.numerator, a.denominator)
            for k in range(r):
                if (i, k) in xs and (j, k) in ys:
                    p += xs[(i, k)] * ys[(j, k)]
            p = sympy.expand(p)
            if p != 0:
                polys.append(p)
    if any(p.is_number for p in polys):
        return True
    if not polys:
        return False
    G = sympy.groebner(polys, *(list(xs.values()) + list(ys.values())), order="grevlex",
                       method="buchberger")
    return list(G.exprs) == [1]


def _classes(I: np.ndarray, J: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, int]]:
    groups: dict[tuple[bytes, bytes], list[int]] = {}
    for k in range(I.shape[1]):
        if I[:, k].any() and J[:, k].any():
            groups.setdefault((I[:, k].tobytes(), J[:, k].tobytes()), []).append(k)
    out = []
    for ks in groups.values():
        out.append((np.flatnonzero(I[:, ks[0]]), np.flatnonzero(J[:, ks[0]]), len(ks)))
    return out


def _verify(data: dict, backend: str) -> None:
    _need(isinstance(data, dict), "a certificate must be a JSON object")
    _need(data.get("schema") == _SCHEMA, f"schema must be {_SCHEMA!r}")
    claim, method = data.get("claim"), data.get("method")
    fd = data.get("field")
    _need(isinstance(fd, dict), "certificate needs a 'field' object")
    bk = get_backend(backend, Field.from_dict(fd))
    parse = _Parser(bk)
    kind, masks = _structure(data)
    A = _dense(data.get("target"), parse)
    m = masks[0].shape[0]
    n = masks[1].shape[0] if kind == "two-factor" else masks[-1].shape[1]
    _need(A.shape == (m, n), f"target shape {A.shape} does not match the structure ({m}, {n})")

    def factors(key: str) -> list[np.ndarray]:
        facs = data.get(key)
        _need(isinstance(facs, list) and facs, f"certificate needs '{key}'")
        return [_sparse(f, parse) for f in facs]

    if claim == "member":
        _need(method == "factors", f"unknown member method {method!r}")
        _check_factors(kind, masks, factors("factors"), A, bk, "factors")
        return
    if claim == "not-member":
        if method == "entry-outside-supports":
            e = data.get("entry")
            _need(isinstance(e, dict), "certificate needs 'entry'")
            i, j = e.get("row"), e.get("col")
            _need(isinstance(i, int) and isinstance(j, int) and 0 <= i < m and 0 <= j < n,
                  "entry index out of range")
            _need(bool(A[i, j]) and A[i, j] == parse(e.get("value")),
                  "the entry value does not match A or is zero")
            if kind == "two-factor":
                _need(not (masks[0][i] & masks[1][j]).any(),
                      f"({i}, {j}) is covered by a rank-one support")
            else:
                _need(not _bool_prod(masks)[i, j], f"({i}, {j}) is covered by a path")
            return
        if method == "minor":
            mi = data.get("minor")
            _need(isinstance(mi, dict), "certificate needs 'minor'")
            rows, cols, t = mi.get("rows"), mi.get("cols"), mi.get("supports_meeting")
            _need(isinstance(rows, list) and isinstance(cols, list) and len(rows) == len(cols)
                  and rows and len(set(rows)) == len(rows) and len(set(cols)) == len(cols),
                  "minor rows/cols must be equal-length lists of distinct indices")
            _need(all(isinstance(v, int) and 0 <= v < m for v in rows) and
                  all(isinstance(v, int) and 0 <= v < n for v in cols), "minor index range")
            sub = A[np.ix_(rows, cols)]
            det = bk.det(sub)
            _need(bool(det), "the minor is zero")
            _need(det == parse(mi.get("value")), "the minor value does not match")
            I, J = _split_masks(kind, masks, data.get("split"))
            meet = int((I[rows].any(axis=0) & J[cols].any(axis=0)).sum())
            _need(isinstance(t, int) and meet <= t < len(rows),
                  f"{meet} rank-one supports meet the rectangle; a {len(rows)}-minor does not "
                  "bound the rank below that")
            return
        if method == "groebner":
            I, J = _split_masks(kind, masks, data.get("split") if kind == "chain" else None)
            _need(_groebner_one(A, I, J, bk), "the Gröbner basis is not [1]")
            return
        msg = f"unknown not-member method {method!r}"
        raise _Fail(msg)
    if claim == "identifiable":
        facs = factors("factors")
        _check_factors(kind, masks, facs, A, bk, "factors")
        if method in ("disjoint-supports", "completion"):
            _need(kind == "two-factor", f"{method} certificates are two-factor")
            I, J = masks
            half = [k for k in range(I.shape[1]) if I[:, k].any() != J[:, k].any()]
            _need(not half, f"support {half[:1]} has a free factor column (half-empty)")
            if method == "disjoint-supports":
                cnt = np.zeros(A.shape, dtype=np.int64)
                for k in range(I.shape[1]):
                    cnt += np.outer(I[:, k], J[:, k]).astype(np.int64)
                _need(cnt.max(initial=0) <= 1, "rank-one supports are not pairwise disjoint")
                X, Y = facs
                for k in range(I.shape[1]):
                    if I[:, k].any():
                        _need(_nz(X[:, k]).any() and _nz(Y[:, k]).any(),
                              f"contribution {k} is zero (degenerate)")
                return
            _replay_completion(A, I, J, data.get("completion_order"), bk)
            return
        _need(method == "nondegenerate-splits" and kind == "chain",
              f"unknown identifiable method {method!r}")
        for s in range(1, len(masks)):
            I, J = _split_masks(kind, masks, s)
            cls = _classes(I, J)
            cnt = np.zeros(A.shape, dtype=np.int64)
            for R, C, _ in cls:
                cnt[np.ix_(R, C)] += 1
            _need(cnt.max(initial=0) <= 1, f"split {s}: class rectangles overlap")
            for R, C, size in cls:
                _need(size <= min(R.size, C.size), f"split {s}: a complete (redundant) class")
                B = A[np.ix_(R, C)]
                _need(bk.rank(B) == size, f"split {s}: a block of A has rank below its class "
                      "size (degenerate)")
        return
    if claim == "not-identifiable":
        _need(method == "second-factorization", f"unknown not-identifiable method {method!r}")
        f1, f2 = factors("factors"), factors("second_factors")
        _check_factors(kind, masks, f1, A, bk, "factors")
        _check_factors(kind, masks, f2, A, bk, "second_factors")
        if kind == "two-factor":
            _need(not _two_factor_equivalent(f1, f2),
                  "the two factorizations are equivalent up to scaling and permutation")
        else:
            _need(not _chain_equivalent(f1, f2, bk),
                  "the two chain factorizations are related by diagonal scalings")
        return
    if claim == "equivalent":
        _need(method == "scalings" and kind == "chain", f"unknown equivalent method {method!r}")
        F, G = factors("factors"), factors("reference_factors")
        _check_factors(kind, masks, F, A, bk, "factors")
        _need(len(G) == len(F) and all(a.shape == b.shape for a, b in zip(F, G, strict=True)),
              "reference factors have the wrong shapes")
        D = data.get("scalings")
        _need(isinstance(D, list) and len(D) == len(F) + 1, "scalings must list L+1 vectors")
        Dv = [np.array([parse(v) for v in d], dtype=object) for d in D]
        _need(all(bool(v) for d in Dv for v in d), "scalings must be nonzero")
        _need(all(v == bk.one for v in Dv[0]) and all(v == bk.one for v in Dv[-1]),
              "the outer scalings must be the identity")
        for idx, (Fl, Gl) in enumerate(zip(F, G, strict=True)):
            _need(Dv[idx].size == Fl.shape[0] and Dv[idx + 1].size == Fl.shape[1],
                  f"scaling sizes do not match factor {idx}")
            inv = np.array([bk.one / v for v in Dv[idx]], dtype=object)
            _need(_same(Fl * inv[:, None] * Dv[idx + 1][None, :], Gl),
                  f"factor {idx}: D^-1 F D differs from the reference factor")
        return
    msg = f"unknown claim {claim!r}"
    raise _Fail(msg)


def verify_certificate(cert: object, *, backend: str = "flint", strict: bool = False) -> bool:
    r"""Re-check a certificate from its JSON form alone (independent of the producer).

    Parameters
    ----------
    cert : dict or Certificate
        The JSON object (``Certificate.to_dict()``) or a :class:`Certificate`.
    backend : {"flint", "sympy"}
        Exact backend used for the arithmetic.
    strict : bool
        Raise :class:`~fsmf_check.errors.CertificateError` with the reason instead of
        returning False.

    Returns
    -------
    bool
        True iff every check of the certificate's claim passes (table in the module doc).

    Notes
    -----
    THEORY T1-T3 (supports, minors), T7-T9 (chains, identifiability, scalings). Exact; the
    cost is one exact product of the factors plus the determinants and ranks named above.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> from fsmf_check.exact.twofactor import decide_membership
    >>> cert = decide_membership([[1, 2], [3, 4]], families.lu(2)).certificate.to_dict()
    >>> verify_certificate(cert)
    True
    >>> cert["target"]["rows"][1][1] = "5"
    >>> verify_certificate(cert)
    False
    >>> verify_certificate(cert, strict=True)
    Traceback (most recent call last):
    ...
    fsmf_check.errors.CertificateError: certificate rejected: factors: X @ Y.T differs from A
    """
    data = cert.to_dict() if hasattr(cert, "to_dict") else cert
    try:
        _verify(data, backend)  # type: ignore[arg-type]
    except _Fail as exc:
        if strict:
            msg = f"certificate rejected: {exc}"
            raise CertificateError(msg) from None
        return False
    except (FsmfError, KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        if strict:
            msg = f"certificate rejected: malformed ({type(exc).__name__}: {exc})"
            raise CertificateError(msg) from None
        return False
    return True
