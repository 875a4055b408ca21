r"""The certificate file format ``fsmf-check/certificate/2``: one writer and one reader.

A certificate is a JSON object with four keys (docs/reference/certificates.md)::

    {"schema": "fsmf-check/certificate/2",
     "claim": "member",
     "inputs": {"structure": {...}, "target": {"shape": [m, n], "rows": [["1", ...]]},
                "field": {"name": "Q", "conductor": 1, ...}, "sha256": "<hex>"},
     "evidence": {"kind": "factors", ...every number the proof needs...}}

* ``claim``: one of :data:`CLAIMS` (``not-closed`` has ``target: null``; the claim is about
  the set of products of the structure).
* ``inputs.sha256``: SHA-256 of the canonical JSON (sorted keys, no spaces, ASCII) of
  ``{"field": ..., "structure": ..., "target": ...}``; an input that does not match its hash
  refutes the certificate.
* ``evidence.kind``: how the claim is proved; which kinds prove which claim is fixed by the
  checker (:mod:`fsmf_check.verify.certificates`).

Producers build a :class:`Certificate` (claim, evidence kind, and a flat ``data`` dict whose
``field`` / ``structure`` / ``target`` keys become ``inputs``) and write
:func:`certificate_text`; :func:`parse_certificate` is the only reader.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fsmf_check.errors import CertificateError
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import Chain, SupportPattern

__all__ = ["SCHEMA", "CLAIMS", "Certificate", "ParsedCertificate", "MalformedCertificate",
           "inputs_digest", "parse_certificate", "certificate_text", "encode_structure"]

SCHEMA = "fsmf-check/certificate/2"
#: Every claim a certificate can make (a landscape claim is added here and in the checker).
CLAIMS = ("member", "not-member", "identifiable", "not-identifiable", "equivalent",
          "not-closed", "spurious-local-minimum")
_INPUT_KEYS = ("structure", "target", "field")


class MalformedCertificate(CertificateError):
    """The file is not valid JSON or not the ``fsmf-check/certificate/2`` schema."""


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def inputs_digest(structure: Any, target: Any, field_: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of the three inputs.

    Examples
    --------
    >>> len(inputs_digest({"kind": "chain"}, None, {"conductor": 1}))
    64
    """
    return hashlib.sha256(_canonical({"field": field_, "structure": structure,
                                      "target": target})).hexdigest()


@dataclass(frozen=True)
class Certificate:
    """A certificate under construction: ``claim``, evidence kind ``method`` and ``data``.

    ``data`` holds ``field``, ``structure`` and ``target`` (the inputs) and the evidence keys.

    Examples
    --------
    >>> c = Certificate("member", "factors", {"field": {"conductor": 1}, "structure": {},
    ...                                       "target": None, "factors": []})
    >>> d = c.to_dict()
    >>> d["claim"], d["evidence"], parse_certificate(d).kind
    ('member', {'kind': 'factors', 'factors': []}, 'factors')
    """

    claim: str
    method: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the ``fsmf-check/certificate/2`` JSON object."""
        inputs: dict[str, Any] = {k: self.data.get(k) for k in _INPUT_KEYS}
        inputs["sha256"] = inputs_digest(inputs["structure"], inputs["target"],
                                         inputs["field"])
        evidence = {"kind": self.method,
                    **{k: v for k, v in self.data.items() if k not in _INPUT_KEYS}}
        return {"schema": SCHEMA, "claim": self.claim, "inputs": inputs, "evidence": evidence}

    @classmethod
    def from_dict(cls, data: Any) -> Certificate:
        """Inverse of :meth:`to_dict` through :func:`parse_certificate` (envelope only)."""
        p = parse_certificate(data)
        rest = {k: v for k, v in p.evidence.items() if k != "kind"}
        return cls(p.claim, p.kind, {**{k: p.inputs[k] for k in _INPUT_KEYS}, **rest})

    @property
    def size(self) -> int:
        """Number of target entries (to decide whether to print it in full)."""
        tgt = self.data.get("target")
        if isinstance(tgt, dict) and isinstance(tgt.get("shape"), list):
            m, n = tgt["shape"]
            return int(m) * int(n)
        return 0


@dataclass(frozen=True)
class ParsedCertificate:
    """The envelope of a certificate, checked for shape only (not for truth)."""

    claim: str
    kind: str
    inputs: dict[str, Any]
    evidence: dict[str, Any]
    hash_matches: bool


def _bad(msg: str) -> MalformedCertificate:
    return MalformedCertificate(f"malformed certificate: {msg}")


def parse_certificate(obj: Any) -> ParsedCertificate:
    """Read the envelope; raise :class:`MalformedCertificate` if it is not the schema.

    The hash is recomputed here (``hash_matches``); whether the evidence proves the claim is
    the checker's business.

    Examples
    --------
    >>> parse_certificate({"schema": "fsmf-check/certificate/1"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.model.certificate_schema.MalformedCertificate: malformed certificate: schema ...
    """
    if not isinstance(obj, dict):
        msg = f"a certificate must be a JSON object; got {type(obj).__name__}"
        raise _bad(msg)
    if obj.get("schema") != SCHEMA:
        msg = f"schema must be {SCHEMA!r}; got {obj.get('schema')!r}"
        raise _bad(msg)
    extra = sorted(set(obj) - {"schema", "claim", "inputs", "evidence"})
    if extra:
        msg = f"unknown top-level keys {extra}"
        raise _bad(msg)
    claim = obj.get("claim")
    if claim not in CLAIMS:
        msg = f"claim must be one of {', '.join(CLAIMS)}; got {claim!r}"
        raise _bad(msg)
    inputs, evidence = obj.get("inputs"), obj.get("evidence")
    if not isinstance(inputs, dict):
        msg = "'inputs' must be an object"
        raise _bad(msg)
    for key in (*_INPUT_KEYS, "sha256"):
        if key not in inputs:
            msg = f"inputs.{key} is missing"
            raise _bad(msg)
    if not isinstance(inputs["structure"], dict) or not isinstance(inputs["field"], dict):
        msg = "inputs.structure and inputs.field must be objects"
        raise _bad(msg)
    if inputs["target"] is not None and not isinstance(inputs["target"], dict):
        msg = "inputs.target must be an object or null"
        raise _bad(msg)
    if not isinstance(inputs["sha256"], str):
        msg = "inputs.sha256 must be a string"
        raise _bad(msg)
    if not isinstance(evidence, dict) or not isinstance(evidence.get("kind"), str):
        msg = "'evidence' must be an object with a string 'kind'"
        raise _bad(msg)
    ok = inputs_digest(inputs["structure"], inputs["target"], inputs["field"]) == \
        inputs["sha256"]
    return ParsedCertificate(claim, evidence["kind"], inputs, evidence, ok)


def certificate_text(cert: dict[str, Any]) -> str:
    """Return the file text of a certificate (the one writer's format: sorted keys, one object)."""
    return json.dumps(cert, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _mask_rows(M: Any) -> list[str]:
    import scipy.sparse as sp

    D = sp.csr_array(M).toarray() if sp.issparse(M) else np.asarray(M)
    return ["".join("1" if v else "0" for v in row) for row in D]


def encode_structure(obj: SupportPattern | Chain) -> dict[str, Any]:
    """JSON form of a two-factor pattern or a chain (see the module docstring)."""
    if isinstance(obj, SupportPattern):
        if obj.is_structured:
            left, right = obj.kronecker  # type: ignore[misc]
            return {"kind": "two-factor", "kronecker": [list(left.as_tuple()),
                                                        list(right.as_tuple())]}
        return {"kind": "two-factor", "I": _mask_rows(obj.I), "J": _mask_rows(obj.J)}
    facs: list[dict[str, object]] = []
    for idx, f in enumerate(obj.factors):
        if isinstance(f, KronPattern):
            facs.append({"kronecker": list(f.as_tuple())})
        else:
            facs.append({"mask": _mask_rows(obj.factor_mask(idx))})
    return {"kind": "chain", "factors": facs}
