r"""Exact engine: membership, recovery and identifiability certificates.

A user hands in supports and a matrix with exact entries (int, :class:`fractions.Fraction`,
:class:`fsmf_check.model.numbers.GaussianRational` or
:class:`~fsmf_check.model.cyclotomic.CyclotomicNumber`) and gets a proof, not a float:

* two factors (T2, T3, T8): :func:`decide_membership`, :func:`decide_identifiability`;
* chains (T7, T9, T8): :func:`decide_chain_membership`, :func:`decide_chain_identifiability`,
  :func:`chain_scalings`, :func:`clr_check`;
* targets: :func:`exact_target` (a case's ``[target]``), :func:`dft_matrix`,
  :func:`hadamard_matrix`;
* certificates: :class:`Certificate` (``to_dict``, schema ``fsmf-check/certificate/2``), re-checked
  by the independent :mod:`fsmf_check.verify`;
* command entry points: :func:`fsmf_check.commands.certify.certify_case`.

Floats are refused with :class:`~fsmf_check.errors.ExactnessError`. python-flint is imported
only in :mod:`fsmf_check.exact._flint`; :mod:`fsmf_check.exact._sympy` is the independent
reference backend (``backend="sympy"``).
"""

from __future__ import annotations

from fsmf_check.exact._backend import Field, get_backend
from fsmf_check.exact.certificates import Certificate
from fsmf_check.exact.chain import (
    chain_scalings,
    clr_check,
    decide_chain_identifiability,
    decide_chain_membership,
)
from fsmf_check.exact.targets import (
    ExactTarget,
    as_exact_matrix,
    dft_matrix,
    exact_target,
    hadamard_matrix,
)
from fsmf_check.exact.twofactor import (
    IdentifiabilityResult,
    MembershipResult,
    decide_identifiability,
    decide_membership,
    two_factor_scalings,
)
from fsmf_check.model.cyclotomic import CyclotomicNumber

__all__ = [
    "Field", "get_backend", "Certificate", "CyclotomicNumber", "ExactTarget", "as_exact_matrix",
    "dft_matrix", "hadamard_matrix", "exact_target", "MembershipResult",
    "IdentifiabilityResult", "decide_membership", "decide_identifiability",
    "two_factor_scalings", "decide_chain_membership", "decide_chain_identifiability",
    "chain_scalings", "clr_check",
]
