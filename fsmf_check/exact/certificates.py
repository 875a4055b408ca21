r"""Encoders of the exact engine's certificates (:mod:`fsmf_check.model.certificate_schema`).

A :class:`~fsmf_check.model.certificate_schema.Certificate` is built from a flat ``data``
dict: ``field``, ``structure`` and ``target`` (the inputs) plus the evidence keys, encoded as
follows.

* ``structure``: ``{"kind": "two-factor", "I": [0/1 strings], "J": [...]}``, or
  ``{"kind": "two-factor", "kronecker": [[a,b,c,d], [a,b,c,d]]}`` (``I`` and ``J^T``), or
  ``{"kind": "chain", "factors": [{"kronecker": [a,b,c,d]} | {"mask": [0/1 strings]}, ...]}``.
* Exact numbers are strings in the field's format (``"-1/2"``, ``"1+2i"``, ``"z - 1/2*z^2"``
  with ``z = exp(2*pi*i/N)``). Sparse matrices are ``{"shape": [m, n], "entries":
  [[i, j, "v"], ...]}`` (0-based, zeros omitted).

Evidence keys per claim are documented in :mod:`fsmf_check.verify.certificates` (the
checker) and docs/reference/certificates.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fsmf_check.exact._backend import ExactBackend
from fsmf_check.model.certificate_schema import SCHEMA as CERT_SCHEMA
from fsmf_check.model.certificate_schema import Certificate, encode_structure

__all__ = ["Certificate", "CERT_SCHEMA", "encode_dense", "encode_sparse", "encode_structure",
           "MAX_CERT_ENTRIES", "full_rank_minor", "encode_polynomial", "ScalarFormatter"]

#: Certificates whose target has more entries than this are summarized in command output
#: (the certificate object still exists in the library result).
MAX_CERT_ENTRIES = 1 << 16


class ScalarFormatter:
    """Format backend scalars (``format_exact`` of ``to_public``), once per scalar object.

    Exact matrices share scalar objects (equal entries of generated targets are one object),
    so the cache is keyed by identity; the cache keeps every formatted object alive, so an
    identity is never reused for another value while the formatter exists.
    """

    def __init__(self, bk: ExactBackend) -> None:
        self.bk = bk
        self.cache: dict[int, tuple[object, str]] = {}

    def __call__(self, v: object) -> str:
        """Return the string of one scalar."""
        hit = self.cache.get(id(v))
        if hit is None:
            hit = (v, _fmt(self.bk.to_public(v)))
            self.cache[id(v)] = hit
        return hit[1]

    def many(self, values: list[object]) -> list[str]:
        """Return the strings of ``values`` (in order)."""
        cache, out = self.cache, list[str]()
        append = out.append
        for v in values:
            hit = cache.get(id(v))
            if hit is None:
                hit = (v, _fmt(self.bk.to_public(v)))
                cache[id(v)] = hit
            append(hit[1])
        return out


def encode_dense(M: np.ndarray, bk: ExactBackend, exponents: np.ndarray | None = None,
                 integers: np.ndarray | None = None) -> dict[str, Any]:
    """Dense ``{"shape": [m, n], "rows": [[str]]}`` form.

    ``exponents`` (optional, ``M[j, k] = z^exponents[j, k]``) formats each distinct root of
    unity once and indexes the strings; ``integers`` (optional, ``M`` as int64 over Q) formats
    each distinct integer once.
    """
    m, n = (int(v) for v in M.shape)
    if exponents is not None and bk.field.N > 2 and exponents.shape == M.shape:
        N = bk.field.N
        strs = np.empty(N, dtype=object)
        strs[:] = [_fmt(bk.to_public(bk.root_of_unity(e))) for e in range(N)]
        return {"shape": [m, n], "rows": strs[np.asarray(exponents) % N].tolist()}
    if integers is not None and bk.field.N == 1 and integers.shape == M.shape:
        return {"shape": [m, n], "rows": _int_strings(np.asarray(integers)).tolist()}
    flat = ScalarFormatter(bk).many(M.reshape(-1).tolist())
    return {"shape": [m, n], "rows": [flat[i * n:(i + 1) * n] for i in range(m)]}


def _int_strings(Z: np.ndarray) -> np.ndarray:
    """Object array of the decimal strings of an int64 array (each distinct value once)."""
    vals, inv = np.unique(Z, return_inverse=True)
    strs = np.empty(vals.size, dtype=object)
    strs[:] = [str(v) for v in vals.tolist()]
    return strs[inv.reshape(Z.shape)]


def encode_sparse(M: np.ndarray, bk: ExactBackend, fmt: ScalarFormatter | None = None,
                  integers: np.ndarray | None = None) -> dict[str, object]:
    """Sparse ``{"shape": [m, n], "entries": [[i, j, str], ...]}`` form (row-major).

    ``integers`` (optional) is ``M`` as an int64 array over Q: the entries come from it.
    """
    if integers is not None and bk.field.N == 1 and integers.shape == M.shape:
        nz = np.argwhere(integers)
        vals = _int_strings(integers[nz[:, 0], nz[:, 1]]).tolist() if nz.size else []
    else:
        fmt = fmt or ScalarFormatter(bk)
        nz = np.argwhere(bk.nonzero_mask(M))
        vals = fmt.many(M[nz[:, 0], nz[:, 1]].tolist()) if nz.size else []
    return {"shape": [int(M.shape[0]), int(M.shape[1])],
            "entries": [[int(i), int(j), v] for (i, j), v in zip(nz.tolist(), vals, strict=True)]}


def _fmt(x: object) -> str:
    from fsmf_check.model.numbers import format_exact as format_scalar

    return format_scalar(x)


def full_rank_minor(A: np.ndarray, rows: np.ndarray, cols: np.ndarray, size: int,
                    bk: ExactBackend) -> dict[str, object] | None:
    """Return a nonzero ``size x size`` minor of ``A[rows, cols]`` (global indices and its value).

    Evidence that the block has rank >= ``size``; None when the rank is smaller.
    """
    B = A[np.ix_(rows, cols)]
    _, pc = bk.rref(B)
    if len(pc) < size:
        return None
    pc = pc[:size]
    _, pr = bk.rref(B[:, list(pc)].T.copy())
    r_sel, c_sel = [int(rows[i]) for i in pr[:size]], [int(cols[j]) for j in pc]
    val = bk.det(A[np.ix_(r_sel, c_sel)])
    return {"rows": r_sel, "cols": c_sel, "value": _fmt(bk.to_public(val))}


def encode_polynomial(poly: Mapping[tuple[int, ...], object], names: list[str]
                      ) -> list[list[object]]:
    """``[[coefficient, [[variable, exponent], ...]], ...]`` (the certificate polynomial form)."""
    out: list[list[object]] = []
    for mono, c in sorted(poly.items()):
        out.append([_fmt(c), [[names[v], int(e)] for v, e in enumerate(mono) if e]])
    return out
