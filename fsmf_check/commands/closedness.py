r"""``fsmf-check closedness CASE``: is the set of products closed (T5)? Exit 0 / 1 / 3."""

from __future__ import annotations

from pathlib import Path

from fsmf_check.closure.decide import ClosednessResult, decide_closedness
from fsmf_check.commands.outcome import EXIT_OK, EXIT_REFUTED, EXIT_UNDECIDED, Outcome
from fsmf_check.files import atomic_write_text
from fsmf_check.inputs.cases import Case, load_case
from fsmf_check.model.certificate_schema import certificate_text

__all__ = ["closedness_outcome"]


def _render_text(case_name: str, res: ClosednessResult) -> str:
    lines = [f"case {case_name}: closedness {res.verdict}"
             + (f" ({res.theorem})" if res.theorem else ""), f"  {res.explanation}"]
    w = res.witness
    if w is not None and w.get("kind") in ("lu-embedding", "completed-lu-sequence"):
        seq = w["sequence"]
        lines.append("  witness A* entries: " + ", ".join(f"({i},{j})={v}"
                                                          for i, j, v in w["A"]["entries"]))
        lines.append("  X_t: " + ", ".join(f"X[{i},{c}]={e}" for i, c, e in seq["X_display"]))
        lines.append("  Y_t: " + ", ".join(f"Y[{j},{c}]={e}" for j, c, e in seq["Y_display"]))
        lines.append("  X_t Y_t^T: " + ", ".join(f"[{i},{j}]={e}"
                                                 for i, j, e in seq["product_display"])
                     + "  ->  A* as t -> oo (sympy.limit)")
        g = w["non_membership"]["groebner"]
        how = "three-entry argument; " if "three_entry" in w["non_membership"] else ""
        lines.append(f"  A* not a product: {how}Gröbner basis of the "
                     f"{g['system']} system ({len(g['variables'])} variables) = {g['basis']}")
        ns = w["non_membership"].get("nullstellensatz")
        if ns is not None:
            lines.append(f"  certificate: Nullstellensatz cofactors on {len(ns['entries'])} "
                         "equations (sum c_e f_e = 1), checked by `fsmf-check verify`")
    elif w is not None:
        g = w["non_membership"]["groebner"]
        lines.append(f"  chain witness on factors {w['pair']}; Gröbner basis = {g['basis']}")
    if res.basis != "computed":
        lines.append(f"  basis: {res.basis} (exact: no)")
    if res.verdict == "unknown":
        lines.append("  tried: " + "; ".join(res.tried))
    return "\n".join(lines)


def closedness_outcome(case_path: Case | Path | str, *, qe: bool | str = "auto",
                       qe_timeout_s: float = 5.0, certificate: Path | None = None) -> Outcome:
    r"""Library entry point of ``fsmf-check closedness CASE`` (exit 0 / 1 / 3).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "c.toml").write_text('name = "lu"\n[supports]\nfamily = "lu"\nn = 2\n')
    >>> out = closedness_outcome(d / "c.toml")
    >>> out.exit_code, out.results["closedness"]["verdict"]
    (1, 'not-closed')
    """
    case = case_path if isinstance(case_path, Case) else load_case(case_path)
    res = decide_closedness(case, qe=qe, qe_timeout_s=qe_timeout_s)
    code = {"closed": EXIT_OK, "not-closed": EXIT_REFUTED, "unknown": EXIT_UNDECIDED}[res.verdict]
    text = _render_text(case.name, res)
    if certificate is not None:
        cert = (res.witness or {}).get("certificate")
        omitted = (res.witness or {}).get("certificate_omitted")
        if cert is None and omitted:
            text += f"\n  no certificate file: {omitted}"
        elif cert is None:
            text += (f"\n  no certificate file: the verdict is {res.verdict}"
                     + (" (closed verdicts rest on their theorem)" if res.verdict == "closed"
                        else " without an arithmetic witness"))
        else:
            atomic_write_text(Path(certificate), certificate_text(cert))
            text += (f"\n  certificate written to {certificate}; re-check: "
                     f"fsmf-check verify {certificate}")
    return Outcome(command="closedness", results={"closedness": res.to_dict()},
                   text=text, exit_code=code, case=case.case_ref(), shape=case.shape)
