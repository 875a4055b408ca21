r"""Integer fast path of the exact chain recovery (integer targets over Q): int64 arithmetic only.

When the target is an integer matrix over Q whose entries fit comfortably in int64
(``|a| < 2^62``), a node matrix of the hierarchical recovery (THEORY T7, exact variant) is held
as an int64 array and every node keeps integer factors, in the **integer gauge**:

* a class block ``B`` (pivot ``b = B[i0, j0]``, its first nonzero in row-major order) has
  rank <= 1 iff ``B = u v^T`` with ``u = B[:, j0] / g`` the *primitive* integer column
  (``g = gcd(B[:, j0]) > 0``) and ``v = B[i0, :] / u[i0]`` an integer row: if ``B`` has rank
  one, every column is ``t_j u`` with ``t_j`` rational, and ``t_j u`` integral with
  ``gcd(u) = 1`` forces ``t_j`` to be an integer, so ``u[i0]`` divides ``B[i0, :]`` and
  ``B = u v^T``; the converse is clear. Hence ``|u|, |v| <= max |B|``: the factors of every
  node, and the leaves, stay below the target's largest entry (no growth, no overflow);
* the test ``B == u (x) v`` can overflow int64 when it fails (``|u_i v_j| <= M^2`` for
  ``M = max |B|``), so it is decided by residues: ``D = B - u (x) v`` is computed modulo
  ``2^64`` (the uint64 view of two's complement int64, whose arithmetic wraps by definition)
  and modulo primes ``p_t`` (int64 with every product below ``2^62``). ``D == 0`` iff all
  residues vanish, because ``|D| <= M + M^2 < 2^64 * prod p_t`` (the primes are chosen so:
  :func:`moduli_for`; for ``M < 2^32`` no prime is needed). A block that fails gets the
  refutation of the general path (the first nonzero of ``B * b - B[:, j0] (x) B[i0, :]``);
* the exact product check ``F[0] @ ... @ F[L-1] == A`` is done **per tree node**: every internal
  node ``H`` with children ``X`` (left) and ``Y`` (right, ``H = X @ Y.T``) is checked by
  :func:`node_product_equals` with sparse products modulo ``2^64`` and the same kind of primes,
  where ``|X @ Y.T - H| <= k max|X| max|Y| + max|H|`` (``k`` = the largest number of nonzeros
  in a row of ``X``, which bounds the terms of one entry) is below the product of the moduli;
  each prime satisfies ``k (p - 1)^2 < 2^63``, so no int64 sum of residue products overflows.
  By induction over the tree (the leaves are the factors; each node matrix is the product of
  its children's), the product of the leaves equals the root ``A`` exactly. No floating-point
  number enters any of these decisions.

Anything else (a class of size > 1, an untractable node, entries beyond ``2^62``) returns None and
the caller runs the general path on backend scalars.
"""

from __future__ import annotations

from functools import lru_cache
from math import isqrt

import numpy as np
import scipy.sparse as sp

from fsmf_check.analysis.tractability import TractabilityResult

__all__ = ["INT_LIMIT", "integer_matrix", "int_factor_node", "node_product_equals",
           "moduli_for"]

#: Integer matrices whose entries satisfy ``|a| < INT_LIMIT`` take the int64 path.
INT_LIMIT = 2**62

_TWO64 = 2**64
_U64 = np.uint64


def _is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin for ``n < 3.3 * 10^24`` (the first 12 primes as bases).

    Examples
    --------
    >>> [q for q in range(30) if _is_prime(q)], _is_prime(2**31 - 1), _is_prime(2**32 + 1)
    ([2, 3, 5, 7, 11, 13, 17, 19, 23, 29], True, False)
    """
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    if n < 2:
        return False
    for q in bases:
        if n % q == 0:
            return n == q
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@lru_cache(maxsize=16)
def _primes_below(limit: int, count: int) -> tuple[int, ...]:
    """Return the ``count`` largest primes below ``limit``."""
    out: list[int] = []
    p = limit - 1
    while len(out) < count:
        if _is_prime(p):
            out.append(p)
        p -= 1
    return tuple(out)


def moduli_for(bound: int, terms: int = 1) -> tuple[int, ...] | None:
    """Primes ``p_t`` with ``2^64 * prod p_t > bound`` for sums of ``terms`` products mod p.

    Each prime satisfies ``terms * (p - 1)^2 < 2^63``, so a sum of ``terms`` products of
    residues never overflows int64. Returns None for an absurd bound (more than 8 primes).

    Examples
    --------
    >>> moduli_for(2**80)
    (2147483629,)
    >>> len(moduli_for(2**125)), moduli_for(2**1000) is None
    (2, True)
    """
    cap = min(2**31 - 1, isqrt((2**63 - 1) // max(terms, 1)))
    modulus, count = _TWO64, 0
    while modulus <= bound:
        count += 1
        if count > 8:
            return None
        modulus *= _primes_below(cap, count)[-1]
    return _primes_below(cap, count) if count else ()


def integer_matrix(target: object) -> np.ndarray | None:
    """Return the target as an int64 array when it is an integer matrix over Q, else None.

    Uses the int64 copy the generator recorded for this very matrix (``target.int64()``);
    otherwise converts the backend scalars once (every entry must be an integer with
    ``|a| < INT_LIMIT``) and records the result on the target.
    """
    fld, bk, A = getattr(target, "field"), getattr(target, "backend"), getattr(target, "A")
    if fld.N != 1 or A.ndim != 2:
        return None
    cached = target.int64()  # type: ignore[attr-defined]
    if cached is not None:
        return cached
    out = np.zeros(A.shape, dtype=np.int64)
    flat = out.reshape(-1)
    seen: dict[int, int] = {}
    for t, v in enumerate(A.reshape(-1).tolist()):
        hit = seen.get(id(v))
        if hit is None:
            pub = bk.to_public(v)
            den = getattr(pub, "denominator", 1)
            if den != 1:
                return None
            val = int(pub)
            if abs(val) >= INT_LIMIT:
                return None
            seen[id(v)] = hit = val
        flat[t] = hit
    out.flags.writeable = False
    target.set_int64(out)  # type: ignore[attr-defined]
    return out


def _absmax(M: np.ndarray) -> int:
    return int(np.abs(M).max(initial=0))


def _zero_residues(D64: np.ndarray, Dp: list[np.ndarray]) -> np.ndarray:
    bad = D64 != 0
    for r in Dp:
        bad |= r != 0
    return bad


def _rank_one_bad(B: np.ndarray, b: np.ndarray, col: np.ndarray, row: np.ndarray,
                  primes: tuple[int, ...]) -> np.ndarray:
    """Mask of the nonzero entries of ``B * b - col (x) row`` for stacked blocks (residues)."""
    Bu, bu, cu, ru = (np.ascontiguousarray(a).view(_U64) for a in (B, b, col, row))
    D64 = Bu * bu[:, None, None] - cu[:, :, None] * ru[:, None, :]
    Dp = []
    for p in primes:
        Dp.append(((B % p) * (b % p)[:, None, None]
                   - (col % p)[:, :, None] * (row % p)[:, None, :]) % p)
    return _zero_residues(D64, Dp)


def _outer_differs(B: np.ndarray, u: np.ndarray, v: np.ndarray,
                   primes: tuple[int, ...]) -> np.ndarray:
    """Per stacked block, whether ``B != u (x) v`` (residues mod 2^64 and ``primes``).

    ``|B - u (x) v| <= M + M^2`` for ``M = max |B|`` (``|u|, |v| <= M``), below the product of
    the moduli (the caller's ``primes = moduli_for(M^2 + M)``).
    """
    c = B.shape[0]
    Bu, uu, vu = (np.ascontiguousarray(a).view(_U64) for a in (B, u, v))
    bad = (Bu != uu[:, :, None] * vu[:, None, :]).reshape(c, -1).any(axis=1)
    for p in primes:
        Dp = (B % p - ((u % p)[:, :, None] * (v % p)[:, None, :]) % p) % p
        bad |= (Dp != 0).reshape(c, -1).any(axis=1)
    return bad


def _block_ref(H: np.ndarray, rows: np.ndarray, cols: np.ndarray, size: int,
               primes: tuple[int, ...]) -> dict[str, object]:
    """Return the refutation of a block that is not rank one (as ``block_factor`` does)."""
    B = H[np.ix_(rows, cols)]
    i0, j0 = (int(v) for v in np.argwhere(B != 0)[0])
    bad = _rank_one_bad(B[None], B[i0, j0:j0 + 1], B[None, :, j0], B[None, i0, :], primes)[0]
    i, j = (int(v) for v in np.argwhere(bad)[0])
    return {"kind": "minor", "rows": rows[sorted({i0, i})].tolist(),
            "cols": cols[sorted({j0, j})].tolist(), "meeting": size,
            "block": {"rows": rows.tolist(), "cols": cols.tolist()}}


def int_factor_node(H: np.ndarray, tract: TractabilityResult, r: int, build: bool = True,
                    ) -> tuple[str, object, object] | None:
    """One tractable two-factor node in int64 (the decisions of ``factor_tractable``).

    Returns ``("ref", refutation, None)`` (the same refutation the general path finds: the
    first nonzero entry outside every class block, else the first class block, in class order,
    that is not rank one), ``("ok", X, Y)`` with int64 ``X`` (m x r) and ``Y`` (n x r) in the
    integer gauge (``X, Y`` None when ``build`` is False), or None when the node is outside the
    fast path (a class of size > 1, overlapping classes, too large entries).
    """
    if tract.rule != "disjoint-or-identical" or any(c.size != 1 for c in tract.classes):
        return None
    m, n = H.shape
    M = _absmax(H)
    primes = moduli_for(M * M + M)
    if M >= INT_LIMIT or primes is None:
        return None
    groups: dict[tuple[int, int], list[int]] = {}
    for idx, c in enumerate(tract.classes):
        groups.setdefault((c.rows.size, c.cols.size), []).append(idx)
    stacked = []
    cnt = np.zeros(m * n, dtype=np.int64)
    for (h, w), idxs in groups.items():
        R = np.array([tract.classes[i].rows for i in idxs], dtype=np.int64).reshape(-1, h)
        C = np.array([tract.classes[i].cols for i in idxs], dtype=np.int64).reshape(-1, w)
        flat = (R[:, :, None] * n + C[:, None, :]).reshape(-1)
        cnt += np.bincount(flat, minlength=m * n)
        stacked.append((np.asarray(idxs, dtype=np.int64), R, C))
    if cnt.max(initial=0) > 1:
        return None  # the general path raises its NotApplicableError
    nzH = H != 0
    outside = nzH & (cnt.reshape(m, n) == 0)
    if outside.any():
        i, j = (int(v) for v in np.argwhere(outside)[0])
        return ("ref", {"kind": "entry", "row": i, "col": j}, None)
    X = np.zeros((m, r), dtype=np.int64) if build else None
    Y = np.zeros((n, r), dtype=np.int64) if build else None
    first_bad: int | None = None
    for sel, R, C in stacked:
        B = H[R[:, :, None], C[:, None, :]]
        nzB = (B != 0).reshape(B.shape[0], -1)
        live = nzB.any(axis=1)
        if not live.any():
            continue
        sel, R, C, B, nzB = sel[live], R[live], C[live], B[live], nzB[live]
        piv = nzB.argmax(axis=1)
        w = B.shape[2]
        i0, j0 = piv // w, piv % w
        k = np.arange(B.shape[0])
        col = B[k, :, j0]
        row = B[k, i0, :]
        g = np.gcd.reduce(np.abs(col), axis=1)  # > 0: col holds the pivot B[i0, j0] != 0
        u = col // g[:, None]
        ui0 = u[k, i0]
        v = row // ui0[:, None]
        bad = (row - v * ui0[:, None] != 0).any(axis=1)  # exact: |v * ui0| <= |row|
        bad |= _outer_differs(B, u, v, primes)
        if bad.any():
            cand = int(sel[bad].min())
            first_bad = cand if first_bad is None else min(first_bad, cand)
            continue
        if first_bad is not None or not build:
            continue
        K = np.array([int(tract.classes[i].members[0]) for i in sel.tolist()], dtype=np.int64)
        assert X is not None and Y is not None
        X[R, K[:, None]] = u
        Y[C, K[:, None]] = v
    if first_bad is not None:
        c = tract.classes[first_bad]
        return ("ref", _block_ref(H, c.rows, c.cols, c.size, moduli_for(2 * M * M) or ()),
                None)
    return ("ok", X, Y)


def node_product_equals(X: np.ndarray, Y: np.ndarray, H: np.ndarray) -> bool | None:
    """Exact test ``X @ Y.T == H`` for int64 matrices, by residues (module docstring).

    Returns None when the a-priori bound needs more moduli than :func:`moduli_for` gives.

    Examples
    --------
    >>> X = np.array([[3], [0]]); Y = np.array([[2**40], [5]])
    >>> node_product_equals(X, Y, np.array([[3 * 2**40, 15], [0, 0]]))
    True
    >>> node_product_equals(X, Y, np.array([[3 * 2**40 + 1, 15], [0, 0]]))
    False

    The product ``2^70`` wraps to 0 modulo ``2^64``; the prime tells it from 0:

    >>> node_product_equals(np.array([[2**40]]), np.array([[2**30]]), np.array([[0]]))
    False
    """
    Xs, Ys = sp.csr_array(X), sp.csr_array(Y)
    terms = int(np.diff(Xs.indptr).max(initial=0)) if Xs.nnz else 0
    bound = terms * _absmax(X) * _absmax(Y) + _absmax(H)
    primes = moduli_for(bound, max(terms, 1))
    if primes is None:
        return None
    Xu, Yu = Xs.copy(), Ys.copy()
    Xu.data, Yu.data = Xu.data.view(_U64), Yu.data.view(_U64)  # two's complement: x mod 2^64
    P = (Xu @ Yu.T).toarray()
    if not np.array_equal(P, np.ascontiguousarray(H).view(_U64)):
        return False
    for p in primes:
        Xp, Yp = Xs.copy(), Ys.copy()
        Xp.data %= p
        Yp.data %= p
        Pp = (Xp @ Yp.T).toarray() % p
        if not np.array_equal(Pp, H % p):
            return False
    return True
