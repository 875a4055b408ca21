r"""The curated Python API: one function per CLI command, each taking a Case or a path.

Every function accepts a :class:`~fsmf_check.inputs.cases.Case` or the path of a case file
(``.toml`` or ``.json``) and returns an :class:`~fsmf_check.commands.outcome.Outcome`: the
``results`` dictionary that ``--json`` prints under ``results`` (verdicts, theorems,
explanations, evidence), the human text and the exit code the CLI would use. The engines'
typed functions (``fsmf_check.analysis.decide_tractability``,
``fsmf_check.exact.decide_membership``, ``fsmf_check.numeric.hierarchical``, ...) stay
available for finer control.

Examples
--------
>>> import fsmf_check as fc
>>> case = fc.parse_case({"name": "lu", "supports": {"family": "lu", "n": 2}})
>>> fc.analyze(case).results["tractability"]["verdict"]
'not-certified'
>>> fc.closedness(case).results["closedness"]["verdict"]
'not-closed'
"""

from __future__ import annotations

from pathlib import Path

from fsmf_check.commands.outcome import Outcome
from fsmf_check.inputs.cases import Case, as_case

__all__ = ["analyze", "certify", "closedness", "solve", "butterfly", "check", "as_case"]

CaseLike = Case | Path | str


def analyze(case: CaseLike) -> Outcome:
    """Decide tractability (T1-T3, T6) and closedness (T5) of a case's supports.

    Examples
    --------
    >>> import fsmf_check as fc
    >>> out = fc.analyze(fc.parse_case({"name": "e1", "supports": {"I": ["10", "01"],
    ...                                                           "J": ["10", "01"]}}))
    >>> out.results["tractability"]["rule"], out.exit_code
    ('disjoint-or-identical', 0)
    """
    from fsmf_check.commands.analyze import analyze_case

    return analyze_case(as_case(case))


def certify(case: CaseLike, *, backend: str = "flint") -> Outcome:
    """Certify exactly whether the case's target is a product (membership, identifiability).

    Exit code 0 member, 1 not a member (with a refuting minor), 3 undecided.

    Examples
    --------
    >>> import fsmf_check as fc
    >>> case = fc.parse_case({"name": "r1", "supports": {"I": ["1", "1"], "J": ["1", "1"]},
    ...                       "target": {"A": [["1", "2"], ["2", "4"]]}})
    >>> out = fc.certify(case)
    >>> out.results["membership"]["verdict"], out.exit_code
    ('member', 0)
    """
    from fsmf_check.commands.certify import certify_case

    return certify_case(as_case(case), backend=backend)


def closedness(case: CaseLike, *, qe: bool | str = "auto") -> Outcome:
    """Decide whether the set of products is closed (T5): exit 0 closed, 1 not, 3 unknown.

    Examples
    --------
    >>> import fsmf_check as fc
    >>> fc.closedness(fc.parse_case({"name": "b", "supports": {"family": "butterfly",
    ...                                                        "n": 8, "split": 1}})).exit_code
    0
    """
    from fsmf_check.commands.closedness import closedness_outcome

    return closedness_outcome(as_case(case), qe=qe)


def solve(case: CaseLike, *, save: Path | str | None = None, save_format: str | None = None,
          tree: str | None = None, orthonormalize: bool = True) -> Outcome:
    """Solve numerically: proven optimum for tractable supports, else the best local answer.

    Examples
    --------
    >>> import fsmf_check as fc
    >>> case = fc.parse_case({"name": "d", "supports": {"I": ["10", "01"], "J": ["10", "01"]},
    ...                       "target": {"A": [["3", "1"], ["1", "2"]]}})
    >>> res = fc.solve(case).results["solve"]
    >>> res["verdict"], round(res["objective"], 12)
    ('optimal', 2.0)
    """
    from fsmf_check.commands.solve import solve_case

    return solve_case(as_case(case), save=save, save_format=save_format, tree=tree,
                      orthonormalize=orthonormalize)


def butterfly(matrix: str | Path, *, chain: str = "square-dyadic", tree: str = "left",
              order: str = "standard", bitrev_columns: bool = False,
              perm: str | Path | None = None, orthonormalize: bool = True,
              save: str | Path | None = None, save_format: str | None = None) -> Outcome:
    """Factorize a matrix file or spec (``dft:N``, ...) along a Kronecker chain (T7).

    ``chain`` is ``square-dyadic`` (the butterfly), ``monarch[:P:Q]`` or explicit patterns
    ``a,b,c,d;...``; ``perm`` a permutation file or ``"auto"``; ``save`` a factor file
    (``.npz``, lazylinop ``.json``, pyfaust ``.mat``). The options are those of
    ``fsmf-check butterfly``.

    Examples
    --------
    >>> import fsmf_check as fc
    >>> out = fc.butterfly("hadamard:16")
    >>> out.results["solve"]["rel_error"] < 1e-12
    True
    >>> fc.butterfly("dft:16", perm="auto").results["solve"]["rel_error"] < 1e-12
    True
    """
    from fsmf_check.commands.solve import butterfly_matrix

    return butterfly_matrix(matrix, tree=tree, order=order, bitrev_columns=bitrev_columns,
                            perm=perm, orthonormalize=orthonormalize, save=save,
                            save_format=save_format, chain=chain)


def check(*paths: Path | str) -> Outcome:
    """Compare case files (default: the shipped ``cases/``) with their ``[expect]`` blocks.

    Examples
    --------
    >>> import fsmf_check as fc
    >>> out = fc.check()
    >>> out.exit_code, out.text.splitlines()[-1].endswith("0 failed")
    (0, True)
    """
    from fsmf_check.commands.check import check_paths

    return check_paths([Path(p) for p in paths])
