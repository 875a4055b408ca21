r"""``fsmf-check verify CERT``: re-check a certificate file by arithmetic only.

Exit 0 verified, 1 refuted (the claim does not follow from the evidence), 2 malformed (not
valid JSON or not the ``fsmf-check/certificate/2`` schema). Imports only :mod:`fsmf_check.verify`
and :mod:`fsmf_check.model` (no engine, no python-flint).
"""

from __future__ import annotations

from pathlib import Path

from fsmf_check.commands.outcome import Outcome
from fsmf_check.verify.certificates import check_certificate_file

__all__ = ["verify_file"]


def verify_file(path: Path | str) -> Outcome:
    r"""Check one certificate file; the outcome lists every check performed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.json"
    >>> _ = p.write_text("{}")
    >>> out = verify_file(p)
    >>> out.exit_code, out.results["certificate"]["verdict"]
    (2, 'malformed')
    """
    rep = check_certificate_file(path)
    lines = [f"verify {path}: {rep.status}"
             + (f" (claim {rep.claim}, evidence {rep.kind})" if rep.claim else "")]
    lines += [f"  ok: {c}" for c in rep.checks]
    if rep.reason:
        lines.append(f"  {'refuted' if rep.status == 'refuted' else 'error'}: {rep.reason}")
    explanation = ("every check passed: the evidence proves the claim by exact arithmetic"
                   if rep.status == "verified" else rep.reason)
    result: dict[str, object] = {"verdict": rep.status, "theorem": None, "exact": True,
                                 "explanation": explanation, "file": str(path),
                                 "claim": rep.claim, "evidence_kind": rep.kind,
                                 "checks": list(rep.checks)}
    return Outcome(command="verify", results={"certificate": result}, text="\n".join(lines),
                   exit_code=rep.exit_code)
