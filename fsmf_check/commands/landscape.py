r"""``fsmf-check landscape CASE``: certified spurious local minima (T10). Exit 0/1/3.

Exit 0: the supports are disjoint-or-identical (no spurious minima, theorem); 1: a spurious
local minimum is certified (the benign-landscape property is refuted); 3: none found (proves
nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fsmf_check.commands.outcome import EXIT_OK, EXIT_REFUTED, EXIT_UNDECIDED, Outcome
from fsmf_check.errors import NotApplicableError
from fsmf_check.files import atomic_write_text
from fsmf_check.inputs.cases import Case, load_case
from fsmf_check.landscape.certify import LandscapeAnalysis, analyze_landscape
from fsmf_check.landscape.chains import MAX_CHAIN_PARAMETERS, analyze_chain_landscape

__all__ = ["landscape_of_case", "landscape_outcome"]


def landscape_of_case(case: Case, *, starts: int = 20, seed: int = 0) -> LandscapeAnalysis:
    """Run the landscape engine on a two-factor case or a chain.

    Two-factor cases (and chains of two factors, which are the same problem) go to
    :func:`~fsmf_check.landscape.certify.analyze_landscape`; chains of three or more factors
    to :func:`~fsmf_check.landscape.chains.analyze_chain_landscape`.

    Raises
    ------
    NotApplicableError
        Cases without an explicit real target; too many parameters.
    """
    t = case.target
    if case.pattern is None:
        if t is None or t.entries is None:
            msg = "the landscape needs an explicit target [target] A = [...]"
            raise NotApplicableError(msg)
        chain = case.chain
        assert chain is not None
        if chain.n_factors == 2:
            S = chain.split(1)
            return analyze_landscape(S.I_dense(), S.J_dense(), t.entries, starts=starts,
                                     seed=seed)
        masks = [chain.factor_mask(k) for k in range(chain.n_factors)]
        nnz = sum(int(M.nnz) for M in masks)
        if nnz > MAX_CHAIN_PARAMETERS:
            msg = (f"the chain landscape certifier handles at most MAX_CHAIN_PARAMETERS = "
                   f"{MAX_CHAIN_PARAMETERS} parameters; this chain has {nnz}")
            raise NotApplicableError(msg)
        return analyze_chain_landscape([M.toarray() for M in masks], t.entries, starts=starts,
                                       seed=seed)
    P = case.pattern
    if P.m * P.r + P.n * P.r > 4 * 60:
        msg = "pattern too large for the landscape certifier"
        raise NotApplicableError(msg)
    if t is None or t.entries is None:
        msg = "the landscape needs an explicit target [target] A = [...]"
        raise NotApplicableError(msg)
    return analyze_landscape(P.I_dense(), P.J_dense(), t.entries, starts=starts, seed=seed)


def _text(name: str, res: LandscapeAnalysis) -> str:
    lines = [f"case {name}: landscape {res.verdict} (T10)", f"  {res.explanation}"]
    for mn in res.minima:
        enc = mn.objective_enclosure
        val = (str(enc[0]) if enc is not None and enc[0] == enc[1] else f"{mn.objective:.12g}")
        how = f"certified ({mn.method})" if mn.certified else f"not certified: {mn.failed}"
        lines.append(f"  minimum loss {val}: {mn.kind}, {how}, reached by {mn.hits}/"
                     f"{res.n_starts} starts" + (", SPURIOUS" if mn.spurious else ""))
    if res.better is not None and any(mn.spurious for mn in res.minima):
        lines.append(f"  better feasible point: exact loss {res.better['objective_numeric']:.12g}")
    return "\n".join(lines)


def landscape_outcome(case_path: Case | Path | str, *, starts: int = 20, seed: int = 0,
                      certificate: Path | str | None = None) -> Outcome:
    r"""Library entry point of ``fsmf-check landscape CASE`` (exit 0 / 1 / 3).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "c.toml").write_text('name = "e1"\n[supports]\nI = ["10", "01"]\n'
    ...                              'J = ["10", "01"]\n[target]\nA = [[1, 2], [3, 4]]\n')
    >>> out = landscape_outcome(d / "c.toml")
    >>> out.exit_code, out.results["landscape"]["verdict"]
    (0, 'not-applicable')
    """
    case = case_path if isinstance(case_path, Case) else load_case(case_path)
    res = landscape_of_case(case, starts=starts, seed=seed)
    data: dict[str, Any] = res.to_dict()
    text = _text(case.name, res)
    if certificate is not None:
        cert = res.certificate()
        if cert is None:
            data["certificate"] = None
            text += "\n  no certificate written: no certified spurious minimum"
        else:
            cert["inputs"]["case"] = case.name
            atomic_write_text(certificate, json.dumps(cert, indent=1, sort_keys=True) + "\n")
            data["certificate"] = str(certificate)
            text += f"\n  certificate written to {certificate} (re-check: fsmf-check verify)"
    code = {"not-applicable": EXIT_OK, "spurious-minimum": EXIT_REFUTED}.get(res.verdict,
                                                                           EXIT_UNDECIDED)
    return Outcome(command="landscape", results={"landscape": data}, text=text, exit_code=code,
                   case=case.case_ref(), shape=case.shape)
