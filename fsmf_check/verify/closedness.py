r"""Independent re-check of closedness verdicts (T5) from their JSON form alone.

A ``not-closed`` result carries a witness whose ``certificate`` entry is an
``fsmf-check/certificate/2`` object (claim ``not-closed``, evidence ``witness-sequence``);
it is re-checked by :func:`fsmf_check.verify.certificates.check_certificate`, by arithmetic
only: the Laurent sequence lies in the masks, its product tends to ``A*`` exactly (no positive
power of ``t``, constant term ``A*``), and Nullstellensatz cofactors expand to 1, so ``A*`` is
not a product. No sympy, no Gröbner basis, no engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from fsmf_check.errors import CertificateError
from fsmf_check.verify.certificates import check_certificate

__all__ = ["WitnessCheck", "verify_closedness", "verify_closedness_witness",
           "verify_report_closedness"]


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


def verify_closedness_witness(witness: dict[str, Any]) -> tuple[str, ...]:
    r"""Re-check the certificate of a non-closedness witness; return the passed checks.

    Raises
    ------
    CertificateError
        If the witness has no certificate or the certificate does not verify.

    Notes
    -----
    T5 (§3.3). Exact arithmetic over Q only.

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> from fsmf_check.closure.decide import decide_closedness
    >>> w = decide_closedness(families.lu(2)).to_dict()["witness"]
    >>> len(verify_closedness_witness(w)) >= 4
    True
    >>> w["certificate"]["evidence"]["limit"]["entries"][0][2] = "2"
    >>> verify_closedness_witness(w)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.CertificateError: closedness witness rejected: the limit at ...
    """
    if not isinstance(witness, dict):
        _reject("the witness must be a dictionary")
    cert = witness.get("certificate")
    if cert is None:
        _reject("the witness carries no certificate (no arithmetic proof was found)")
    rep = check_certificate(cert)
    if rep.status != "verified":
        _reject(rep.reason)
    if rep.claim != "not-closed":
        _reject(f"the certificate claims {rep.claim!r}, not 'not-closed'")
    return tuple(rep.checks)


def verify_closedness(result: dict[str, Any]) -> WitnessCheck:
    """Re-verify a closedness result dictionary (``ClosednessResult.to_dict()`` form).

    A ``not-closed`` verdict must carry a witness with a certificate, which is re-checked;
    ``closed`` and ``unknown`` verdicts carry none (a closed verdict rests on its theorem).

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
    """Re-verify the ``closedness`` result of a ``report.json`` (or any JSON output).

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
