"""fsmf-check: decide and certify properties of fixed-support matrix factorizations.

Everyday entry points (each takes a Case or the path of a case file)::

    import fsmf_check as fc
    case = fc.load_case("cases/e4-lu-2x2.toml")
    fc.analyze(case)      # tractability (T1-T3, T6) and closedness (T5)
    fc.certify(case)      # exact membership and identifiability certificates
    fc.closedness(case)   # closed / not closed with an exact witness / unknown
    fc.solve(case)        # numeric solution, `optimal` only when proven
    fc.butterfly("dft:64", bitrev_columns=True)
    fc.check()            # every shipped case against its expectations

The engines live in subpackages (``fsmf_check.analysis``, ``closedness``, ``exact``,
``numeric``, ``landscape``); ``docs/reference/api.md`` documents the whole surface. Names are
imported on first use, so ``import fsmf_check`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fsmf_check._lazy import lazy_names
from fsmf_check._version import __version__
from fsmf_check.errors import (
    CaseFormatError,
    CertificateError,
    ExactnessError,
    FsmfError,
    InvalidInputError,
    MaskError,
    NonFiniteError,
    NotApplicableError,
    ShapeError,
    SizeLimitError,
)
from fsmf_check.verdicts import (
    ClosednessVerdict,
    IdentifiabilityVerdict,
    MembershipVerdict,
    SolveVerdict,
    TractabilityVerdict,
)

if TYPE_CHECKING:
    from fsmf_check.analysis.tractability import TractabilityResult as TractabilityResult
    from fsmf_check.api import analyze as analyze
    from fsmf_check.api import butterfly as butterfly
    from fsmf_check.api import certify as certify
    from fsmf_check.api import check as check
    from fsmf_check.api import closedness as closedness
    from fsmf_check.api import solve as solve
    from fsmf_check.closure.decide import ClosednessResult as ClosednessResult
    from fsmf_check.commands.outcome import Outcome as Outcome
    from fsmf_check.exact.twofactor import IdentifiabilityResult as IdentifiabilityResult
    from fsmf_check.exact.twofactor import MembershipResult as MembershipResult
    from fsmf_check.inputs.cases import Case as Case
    from fsmf_check.inputs.cases import load_case as load_case
    from fsmf_check.inputs.cases import parse_case as parse_case
    from fsmf_check.model.kronecker import KronPattern as KronPattern
    from fsmf_check.model.supports import Chain as Chain
    from fsmf_check.model.supports import SupportPattern as SupportPattern
    from fsmf_check.numeric.factor_files import load_factors as load_factors
    from fsmf_check.numeric.hierarchical import HierarchicalResult as HierarchicalResult
    from fsmf_check.numeric.tractable import TwoFactorSolution as TwoFactorSolution

_LAZY = {
    "analyze": "fsmf_check.api",
    "certify": "fsmf_check.api",
    "closedness": "fsmf_check.api",
    "solve": "fsmf_check.api",
    "butterfly": "fsmf_check.api",
    "check": "fsmf_check.api",
    "load_case": "fsmf_check.inputs.cases",
    "parse_case": "fsmf_check.inputs.cases",
    "Case": "fsmf_check.inputs.cases",
    "Outcome": "fsmf_check.commands.outcome",
    "KronPattern": "fsmf_check.model.kronecker",
    "Chain": "fsmf_check.model.supports",
    "SupportPattern": "fsmf_check.model.supports",
    "TractabilityResult": "fsmf_check.analysis.tractability",
    "ClosednessResult": "fsmf_check.closure.decide",
    "MembershipResult": "fsmf_check.exact.twofactor",
    "IdentifiabilityResult": "fsmf_check.exact.twofactor",
    "HierarchicalResult": "fsmf_check.numeric.hierarchical",
    "TwoFactorSolution": "fsmf_check.numeric.tractable",
    "load_factors": "fsmf_check.numeric.factor_files",
}

__all__ = [
    "__version__",
    *_LAZY,
    "TractabilityVerdict",
    "ClosednessVerdict",
    "MembershipVerdict",
    "IdentifiabilityVerdict",
    "SolveVerdict",
    "FsmfError",
    "InvalidInputError",
    "ShapeError",
    "MaskError",
    "NonFiniteError",
    "SizeLimitError",
    "CaseFormatError",
    "ExactnessError",
    "NotApplicableError",
    "CertificateError",
]


__getattr__, __dir__ = lazy_names("fsmf_check", _LAZY, globals(), __all__)
