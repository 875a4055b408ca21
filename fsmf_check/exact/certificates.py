r"""Certificates of the exact engine and their JSON form (read back by :mod:`.verify`).

Every certificate is a JSON object::

    {"schema": "fsmf-check/certificate/1", "claim": "member", "method": "factors",
     "field": {"name": "Q(zeta_8)", "conductor": 8, "degree": 4, "format": "..."},
     "structure": {...}, "target": {"shape": [m, n], "rows": [["1", "z^3", ...], ...]}, ...}

* ``claim``: ``member`` | ``not-member`` | ``identifiable`` | ``not-identifiable`` |
  ``equivalent``.
* ``structure``: ``{"kind": "two-factor", "I": [0/1 strings], "J": [...]}``, or
  ``{"kind": "two-factor", "kronecker": [[a,b,c,d], [a,b,c,d]]}`` (``I`` and ``J^T``), or
  ``{"kind": "chain", "factors": [{"kronecker": [a,b,c,d]} | {"mask": [0/1 strings]}, ...]}``.
* Exact numbers are strings in the field's format (``"-1/2"``, ``"1+2i"``, ``"z - 1/2*z^2"``
  with ``z = exp(2*pi*i/N)``). Sparse matrices are ``{"shape": [m, n], "entries":
  [[i, j, "v"], ...]}`` (0-based, zeros omitted).

Method-specific keys are documented in :func:`fsmf_check.verify.certificates.verify_certificate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fsmf_check.errors import CertificateError
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import Chain, SupportPattern
from fsmf_check.exact._backend import ExactBackend

__all__ = ["Certificate", "CERT_SCHEMA", "encode_dense", "encode_sparse", "encode_structure",
           "MAX_CERT_ENTRIES"]

CERT_SCHEMA = "fsmf-check/certificate/1"
#: Certificates whose target has more entries than this are summarized in command output
#: (the certificate object still exists in the library result).
MAX_CERT_ENTRIES = 1 << 16


@dataclass(frozen=True)
class Certificate:
    """A self-contained exact certificate (see the module docstring for the JSON form).

    Examples
    --------
    >>> from fsmf_check.exact._backend import Field
    >>> c = Certificate("member", "factors", {"field": Field(1).to_dict()})
    >>> Certificate.from_dict(c.to_dict()) == c
    True
    """

    claim: str
    method: str
    data: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (exact numbers are strings)."""
        return {"schema": CERT_SCHEMA, "claim": self.claim, "method": self.method, **self.data}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Certificate:
        """Inverse of :meth:`to_dict`; checks only the envelope (use ``verify_certificate``)."""
        if not isinstance(data, dict):
            msg = f"a certificate must be a JSON object; got {type(data).__name__}"
            raise CertificateError(msg)
        if data.get("schema") != CERT_SCHEMA:
            msg = f"certificate schema must be {CERT_SCHEMA!r}; got {data.get('schema')!r}"
            raise CertificateError(msg)
        claim, method = data.get("claim"), data.get("method")
        if not isinstance(claim, str) or not isinstance(method, str):
            msg = "certificate needs string fields 'claim' and 'method'"
            raise CertificateError(msg)
        rest = {k: v for k, v in data.items() if k not in ("schema", "claim", "method")}
        return cls(claim, method, rest)

    @property
    def size(self) -> int:
        """Number of target entries (to decide whether to print it in full)."""
        tgt = self.data.get("target")
        if isinstance(tgt, dict) and isinstance(tgt.get("shape"), list):
            m, n = tgt["shape"]
            return int(m) * int(n)
        return 0


def encode_dense(M: np.ndarray, bk: ExactBackend) -> dict[str, object]:
    """Dense ``{"shape": [m, n], "rows": [[str]]}`` form."""
    cache: dict[int, str] = {}
    rows = []
    for row in M:
        out = []
        for v in row:
            key = id(v)
            s = cache.get(key)
            if s is None:
                s = _fmt(bk.to_public(v))
                cache[key] = s
            out.append(s)
        rows.append(out)
    return {"shape": [int(M.shape[0]), int(M.shape[1])], "rows": rows}


def encode_sparse(M: np.ndarray, bk: ExactBackend) -> dict[str, object]:
    """Sparse ``{"shape": [m, n], "entries": [[i, j, str], ...]}`` form (row-major)."""
    nz = np.argwhere(bk.nonzero_mask(M))
    return {"shape": [int(M.shape[0]), int(M.shape[1])],
            "entries": [[int(i), int(j), _fmt(bk.to_public(M[i, j]))] for i, j in nz]}


def _fmt(x: object) -> str:
    from fsmf_check.model.numbers import format_exact as format_scalar

    return format_scalar(x)


def _mask_rows(M: object) -> list[str]:
    import scipy.sparse as sp

    D = sp.csr_array(M).toarray() if sp.issparse(M) else np.asarray(M)
    return ["".join("1" if v else "0" for v in row) for row in D]


def encode_structure(obj: SupportPattern | Chain) -> dict[str, object]:
    """JSON form of a two-factor pattern or a chain (see the module docstring)."""
    if isinstance(obj, SupportPattern):
        if obj.is_structured:
            left, right = obj.kronecker  # type: ignore[misc]
            return {"kind": "two-factor", "kronecker": [list(left.as_tuple()),
                                                        list(right.as_tuple())]}
        return {"kind": "two-factor", "I": _mask_rows(obj.I), "J": _mask_rows(obj.J)}
    facs = []
    for idx, f in enumerate(obj.factors):
        if isinstance(f, KronPattern):
            facs.append({"kronecker": list(f.as_tuple())})
        else:
            facs.append({"mask": _mask_rows(obj.factor_mask(idx))})
    return {"kind": "chain", "factors": facs}
