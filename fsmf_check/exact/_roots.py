r"""Roots-of-unity fast path of the exact chain recovery (the DFT): exponent arithmetic only.

When every nonzero entry of a node matrix is a root of unity ``z^e`` (``z = zeta_N``), the
node is held as an int64 exponent array ``E`` (mod N) and a bool mask ``nz`` of its nonzeros.
Everything the general recovery of :mod:`fsmf_check.exact.chain` does with backend scalars on
such a node is an integer operation here, and gives the same result:

* rank <= 1 of a class block (THEORY T7 exact variant, outer-product identity
  ``B * b == B[:, j0] (x) B[i0, :]``): the supports must agree and
  ``E + E[i0, j0] - E[:, j0] - E[i0, :] == 0 (mod N)`` on them;
* the pivot factorization ``U = B[:, j0]``, ``V = B[i0, :] / b``: exponents ``E[:, j0]`` and
  ``E[i0, :] - E[i0, j0]`` (the same factors the general path builds, entry for entry);
* the product check ``F[0] @ ... @ F[L-1] == A``: when every entry of every partial product
  of the supports is met by at most one path (butterflies), every entry of the product is a
  single monomial ``z^e`` or 0, so it equals ``A`` iff the supports agree and the path
  exponent sums agree mod N. The sums are propagated with one prime ``p = 1 (mod N)`` and an
  element ``w`` of order exactly N: ``w^e == w^f (mod p)`` iff ``e == f (mod N)``.

Anything else (a class of size > 1, an untractable node, a non-unique path) returns None and
the caller runs the general path.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fsmf_check.analysis.tractability import TractabilityResult
from fsmf_check.model.supports import Chain

__all__ = ["roots_factor_node", "roots_product_equals", "order_n_root"]


def roots_factor_node(E: np.ndarray, nz: np.ndarray, tract: TractabilityResult, N: int,
                      r: int, build: bool = True,
                      ) -> tuple[str, object, object] | None:
    """One tractable two-factor node in exponents (same results as ``factor_tractable``).

    Returns ``("ref", refutation, None)``, ``("ok", (EX, nzX), (EY, nzY))`` (X is m x r, Y is
    n x r) or None when the node is outside the fast path (some class of size > 1).
    """
    if tract.rule != "disjoint-or-identical" or any(c.size != 1 for c in tract.classes):
        return None
    m, n = E.shape
    cnt = np.zeros((m, n), dtype=np.int32)
    for c in tract.classes:
        cnt[np.ix_(c.rows, c.cols)] += 1
    if cnt.max(initial=0) > 1:
        return None  # the general path raises its NotApplicableError
    bad = nz & (cnt == 0)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        return ("ref", {"kind": "entry", "row": i, "col": j}, None)
    EX = np.zeros((m, r), dtype=np.int64)
    EY = np.zeros((n, r), dtype=np.int64)
    nX = np.zeros((m, r), dtype=bool)
    nY = np.zeros((n, r), dtype=bool)
    for c in tract.classes:
        B, Bn = E[np.ix_(c.rows, c.cols)], nz[np.ix_(c.rows, c.cols)]
        if not Bn.any():
            continue
        i0, j0 = (int(v) for v in np.argwhere(Bn)[0])
        b = int(B[i0, j0])
        ocol, orow = B[:, j0], B[i0, :]
        onz = np.outer(Bn[:, j0], Bn[i0, :])
        badb = (Bn != onz) | (Bn & ((B + b - ocol[:, None] - orow[None, :]) % N != 0))
        if badb.any():
            i, j = (int(v) for v in np.argwhere(badb)[0])
            ref = {"kind": "minor", "rows": c.rows[sorted({i0, i})].tolist(),
                   "cols": c.cols[sorted({j0, j})].tolist(), "meeting": c.size,
                   "block": {"rows": c.rows.tolist(), "cols": c.cols.tolist()}}
            return ("ref", ref, None)
        if build:
            k = int(c.members[0])
            EX[c.rows, k] = np.where(Bn[:, j0], ocol % N, 0)
            nX[c.rows, k] = Bn[:, j0]
            EY[c.cols, k] = np.where(Bn[i0, :], (orow - b) % N, 0)
            nY[c.cols, k] = Bn[i0, :]
    return ("ok", (EX, nX), (EY, nY))


def order_n_root(N: int) -> tuple[int, int]:
    """Return a prime ``p = 1 (mod N)`` below 2^31 and ``w`` of multiplicative order exactly N."""
    from sympy import factorint, isprime

    qs = list(factorint(N))
    k = (2**31 - 2) // N
    while k > 0:
        p = k * N + 1
        k -= 1
        if not isprime(p):
            continue
        for g in range(2, 200):
            w = pow(g, (p - 1) // N, p)
            if all(pow(w, N // q, p) != 1 for q in qs):
                return p, w
    msg = f"no prime 1 mod {N} below 2^31"  # pragma: no cover - N <= 4096 always has one
    raise ValueError(msg)


def roots_product_equals(leaves: list[tuple[np.ndarray, np.ndarray]], E: np.ndarray,
                         nz: np.ndarray, N: int, chain: Chain) -> bool | None:
    """Exact test ``prod z^leaves == z^E`` (on ``nz``); None if some path is not unique.

    Every partial product of the 0/1 supports is checked to have entries <= 1 first (unique
    paths), so each product entry is one monomial; then one prime with ``w`` of order N
    decides the exponents exactly (see the module docstring).
    """
    del chain
    p, w = order_n_root(N)
    powers = np.array([pow(w, e, p) for e in range(N)], dtype=np.int64)
    acc_s: sp.csr_array | None = None
    acc_v: sp.csr_array | None = None
    for El, nl in leaves:
        rows, cols = np.nonzero(nl)
        S = sp.csr_array((np.ones(rows.size, dtype=np.int64), (rows, cols)), shape=nl.shape)
        V = sp.csr_array((powers[El[rows, cols] % N], (rows, cols)), shape=nl.shape)
        if acc_s is None:
            acc_s, acc_v = S, V
            continue
        assert acc_v is not None
        acc_s = acc_s @ S
        if acc_s.nnz and int(acc_s.data.max()) > 1:
            return None
        acc_v = acc_v @ V  # one term per entry (unique paths): below p^2 < 2^62
        acc_v.data %= p
    assert acc_s is not None and acc_v is not None
    P = acc_v.toarray()
    support = acc_s.toarray() > 0
    if (support != nz).any():
        return False
    want = np.where(nz, powers[E % N], 0)
    return bool((P == want).all())
